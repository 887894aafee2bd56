// Issue 13 end to end, one scenario run on each platform through its real adapter and loopback fake
// (grammY → the Bot API fake, the Lark SDK → the Lark fake over a signed webhook, wechaty → PuppetMock),
// the real relay (createRelay: pipeline, digest, outbox, AlumniService) in between. Asserts on what the
// fakes received:
//   referral → digest → acknowledgement: `reply` threaded to the poster's message, `daily` one summary a
//   day (none when there is nothing to say), nothing for `off` nor for chit-chat; a hint once to a
//   referral without an apply method (none where hints are off); a reply whose original is gone, and a
//   send the platform refuses once, still arrive exactly once; the guide for "/relay help" and
//   "@bot 怎么内推" (not "@someone 怎么内推"); /relay optout; a mentor match whose handles cross only after
//   the alumnus accepts (private chats); then `forget` (the CLI, relay stopped) and the monthly thanks for
//   November: named per privacy.attribution, the opted-out alumnus unnamed, the forgotten one gone from
//   records, thanks and mentors. Last, one relay with a mentor and students on different platforms.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRelay, type Relay } from '../../src/app.ts';
import { buildProgram } from '../../src/cli/main.ts';
import { createLogger, silentLogger } from '../../src/log.ts';
import { describeDeliveries, sleep, startRig, until, writeRules, type Rig } from '../helpers/e2e-rig.ts';
import { DRIVERS, type Driver, type P, type Person, type Received } from './alumni/drivers.ts';

const PEOPLE = {
  wang: { key: 'wanglei', name: '王磊', tg: 710001, username: 'wanglei_sgcc' },
  sun: { key: 'sunhao', name: '孙浩', tg: 710002, username: 'sunhao' },
  liu: { key: 'liuyang', name: '刘洋', tg: 710003, username: 'liuyang' },
  chen: { key: 'chenjing', name: '陈静', tg: 710004, username: 'chenjing' },
  zhou: { key: 'zhoumin', name: '周敏', tg: 710005, username: 'zhoumin' },
  zhang: { key: 'zhangting', name: '张婷', tg: 710006, username: 'zhangting' },
  zhao: { key: 'zhaoqiang', name: '赵强', tg: 710007, username: 'zhaoqiang_ee' },
  li: { key: 'lixiang', name: '李想', tg: 710008, username: 'lixiang_2026' },
} satisfies Record<string, Person>;

const REFERRAL = {
  wang: '【内推】国网北京市电力公司2026届校园招聘，招聘电气工程及其自动化、继电保护方向本科/硕士，工作地点北京。网申截止12月5日，内推码 GW2026BJ，投递链接 https://zhaopin.sgcc.com.cn/campus/2026',
  // No link, email, code or "投递/联系…": how to apply is missing.
  sun: '中国电建成都院招聘电气工程及其自动化专业2026届本科生，岗位：电气设计工程师，地点成都，欢迎师弟师妹',
  sunAgain: '许继电气招聘电气工程及其自动化专业2026届硕士，岗位：继电保护研发工程师，地点许昌，待遇优厚',
  liu: '南方电网广东电网公司2026届校招，招电气工程及其自动化、智能电网信息工程专业本科/硕士，工作地广州，截止12月15日，投递 https://zhaopin.csg.cn/gd26',
  chen: '国网江苏电力2026届校园招聘，电气工程及其自动化专业本科/硕士，南京，截止12月20日，网申 https://zhaopin.sgcc.com.cn/x',
  // No apply method either, but posted where hints are off.
  zhou: '华能集团某电厂招聘电气工程及其自动化专业毕业生，岗位：电气运行值班员，2026届本科及以上，地点鄂尔多斯',
};
const CHAT = '今天北京好冷啊，大家注意保暖';

/** privacy.attribution per run: both ways of naming are seen in the thanks. */
const ATTRIBUTION: Record<P, 'name' | 'initials'> = { telegram: 'name', lark: 'initials', wechat: 'initials' };
const named = (p: P, who: Person) => (ATTRIBUTION[p] === 'name' ? who.name : `${[...who.name][0]}校友`);

function rulesFor(d: Driver): string {
  const g = d.groups;
  return `
version: 1
defaults:
  timezone: Asia/Shanghai
  digest: "0 0 1 1 *"
privacy:
  attribution: ${ATTRIBUTION[d.platform]}
alumni:
  sendAt: "20:00"
  mentors: on
sources:
  - { platform: ${d.platform}, group: "${g.reply}", name: 回复群, ack: reply }
  - { platform: ${d.platform}, group: "${g.daily}", name: 小结群, ack: daily }
  - { platform: ${d.platform}, group: "${g.off}", name: 安静群, ack: "off", hints: "off", thanks: "off" }
colleges:
  - id: electrical
    name: 电气学院
    classes: ["0806"]
    channels:
      - { platform: ${d.platform}, chat: "${g.channel}" }
`;
}

/** A clock the test moves (local times in Shanghai), running at real speed so retries still come due. */
function movableClock() {
  let offset = 0;
  return {
    now: () => new Date(Date.now() + offset),
    set(iso: string) {
      offset = Date.parse(iso) - Date.now();
    },
  };
}

const logger = () => (process.env.E2E_LOG ? createLogger({ level: process.env.E2E_LOG }) : silentLogger);

describe.each(['telegram', 'lark', 'wechat'] as const)('alumni features end to end on %s', (platform) => {
  const d = DRIVERS[platform];
  const g = d.groups;
  const clock = movableClock();
  let dir: string;
  let rig: Rig;
  let relay: Relay;
  const ids: Partial<Record<keyof typeof REFERRAL, string>> = {};

  const start = async (rigDir: string) => {
    rig = await startRig({ dataDir: rigDir, wechatRooms: d.rooms });
    d.meet(rig, Object.values(PEOPLE));
    relay = await createRelay({
      rulesFile: join(dir, 'routing.yaml'),
      dataDir: join(dir, 'data'),
      adapters: rig.adapters,
      logger: logger(),
      now: clock.now,
      watchRules: false,
      outboxIntervalMs: 50,
      retryBaseDelayMs: 50,
      feedbackSecret: '',
    });
    await relay.start();
    await rig.connect();
  };
  const stop = async () => {
    await relay?.stop();
    await rig?.close();
  };
  const inChat = (chat: string): Received[] => d.inChat(rig, chat);
  const texts = (chat: string) => inChat(chat).map((r) => r.text);
  const outbox = () => describeDeliveries(relay.store.deliveries());
  const allDelivered = () => relay.store.deliveries().every((x) => x.status === 'delivered');
  /** A pass now, then until the outbox is empty. */
  const settle = async () => {
    await relay.alumni.sweep();
    await until(() => `the outbox to empty: ${outbox()}`, allDelivered, 8000);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `alumni-${platform}-`));
    writeRules(dir, rulesFor(d));
    clock.set('2026-11-18T12:30:00Z'); // Wednesday 20:30 in Shanghai: after alumni.sendAt
    await start(dir);
  }, 30_000);

  afterAll(async () => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  }, 20_000);

  it('a hint once to the referral without an apply method; then after the digest a threaded ack per referral in the reply group, one summary in the daily group, nothing in the off group', async () => {
    ids.wang = await d.post(rig, g.reply, PEOPLE.wang, REFERRAL.wang);
    ids.sun = await d.post(rig, g.reply, PEOPLE.sun, REFERRAL.sun);
    await d.post(rig, g.reply, PEOPLE.zhang, CHAT);
    ids.liu = await d.post(rig, g.daily, PEOPLE.liu, REFERRAL.liu);
    ids.chen = await d.post(rig, g.daily, PEOPLE.chen, REFERRAL.chen);
    ids.zhou = await d.post(rig, g.off, PEOPLE.zhou, REFERRAL.zhou);
    await until('the pipeline to take all six messages', () => relay.store.data.counters.received >= 6, 10_000);
    const stored = relay.store.posts().filter((p) => p.status === 'active');
    expect(stored.map((p) => p.sources[0]!.senderName).sort()).toEqual(['刘洋', '周敏', '孙浩', '王磊', '陈静'].sort());

    // Before any digest: only the hint, answering 孙浩's message; the daily group has nothing to say yet.
    await settle();
    const hint = await until('the hint', () => inChat(g.reply).find((r) => r.text.includes('投递方式')));
    expect(d.answers(hint, ids.sun!, PEOPLE.sun)).toBe(true);
    expect(hint.text).toContain('/relay help');
    expect(texts(g.daily)).toEqual([]);
    expect(texts(g.off)).toEqual([]);
    // 孙浩's message goes (deleted, withdrawn, or he left the WeChat group): his ack must still arrive, plainly.
    d.removeOriginal(rig, g.reply, PEOPLE.sun, ids.sun!);

    await relay.runDigest('electrical');
    await until(() => `the digest in ${g.channel}: ${outbox()}`, () => texts(g.channel).some((t) => t.includes('国网北京市电力公司')) && allDelivered(), 10_000);
    // The platform refuses the summary once: retried by the outbox, never lost, never doubled.
    d.failNextSend(rig, g.daily);
    await settle();
    const acks = await until(
      () => `two acks in the reply group; it has ${JSON.stringify(texts(g.reply))}; outbox ${outbox()}`,
      () => {
        const a = inChat(g.reply).filter((r) => r.text.includes('已转给'));
        return a.length === 2 ? a : undefined;
      },
    );
    const wangAck = acks.find((a) => d.answers(a, ids.wang!, PEOPLE.wang));
    expect(wangAck, "an ack answering 王磊's message").toBeDefined();
    expect(wangAck!.text).toContain('国网北京市电力公司');
    const sunAck = acks.find((a) => a !== wangAck)!;
    expect(d.fellBack(sunAck, PEOPLE.sun), `a plain ack for 孙浩: ${JSON.stringify(sunAck)}`).toBe(true);
    for (const a of acks) expect(a.text).toMatch(/已转给 电气学院 1 个学生群。谢谢分享！$/);
    const daily = await until('the daily summary', () => (texts(g.daily).length ? texts(g.daily) : undefined));
    expect(daily).toHaveLength(1);
    expect(daily[0]).toMatch(/^内推转发小结（11月18日）\n2 条内推已转给 电气学院 的 1 个学生群：/);
    expect(inChat(g.daily)[0]!.replyTo).toBeUndefined();
    expect(inChat(g.daily)[0]!.mentions).toBeUndefined();
    expect(texts(g.off)).toEqual([]);
    expect(d.refusalMet(rig, g.daily), 'the refused send happened (and the summary still arrived once)').toBe(true);
    // The chit-chat was neither stored nor answered: the reply group holds the hint and the two acks only.
    expect(texts(g.reply)).toHaveLength(3);

    // More passes, and 孙浩 posting another referral without an apply method: nothing new (hint once).
    const before = { reply: texts(g.reply).length, daily: texts(g.daily).length };
    ids.sunAgain = await d.post(rig, g.reply, PEOPLE.sun, REFERRAL.sunAgain);
    await until('the second referral stored', () => relay.store.posts().some((p) => p.text.includes('许继电气')), 5000);
    await settle();
    await settle();
    await sleep(300);
    expect(texts(g.reply)).toHaveLength(before.reply);
    expect(texts(g.daily)).toHaveLength(before.daily);
  }, 40_000);

  it('"/relay help" and "@bot 怎么内推" get the guide, as a reply; neither is stored', async () => {
    const posts = relay.store.posts().length;
    const received = relay.store.data.counters.received;
    const help = await d.post(rig, g.daily, PEOPLE.zhang, '/relay help');
    const guide = await until('the guide in the daily group', () => inChat(g.daily).find((r) => r.text.includes('怎么发内推：')));
    expect(guide.text).toContain('会转到：电气学院。');
    expect(d.answers(guide, help, PEOPLE.zhang)).toBe(true);
    await d.askBot(rig, g.off, PEOPLE.zhang, '怎么内推');
    const asked = await until('the guide in the off group', () => inChat(g.off).find((r) => r.text.includes('怎么发内推：')));
    if (platform === 'wechat') expect(asked.mentions).toEqual([`wxid_${PEOPLE.zhang.key}`]);
    else expect(asked.replyTo).toBeDefined();
    // "@张婷 怎么内推" asks 张婷 about her company, not the bot: no guide.
    const before = texts(g.reply).length;
    await d.askBot(rig, g.reply, PEOPLE.wang, '怎么内推', PEOPLE.zhang);
    await until('the message handled', () => relay.store.data.counters.received >= received + 1, 5000);
    await settle();
    expect(texts(g.reply)).toHaveLength(before);
    expect(relay.store.posts()).toHaveLength(posts);
  }, 20_000);

  it('/relay optout is confirmed to the alumnus', async () => {
    const id = await d.post(rig, g.daily, PEOPLE.chen, '/relay optout');
    const ok = await until('the opt-out answer', () => inChat(g.daily).find((r) => r.text.includes('不再写你的名字')));
    expect(d.answers(ok, id, PEOPLE.chen)).toBe(true);
  }, 20_000);

  it('a mentor match: the proposal names no one, and each side gets the other\'s handle only after the alumnus accepts', async () => {
    await d.dm(rig, PEOPLE.zhao, '导师 报名 电气 话题：求职、读研');
    await until('the mentor sign-up answer', () => d.privately(rig, PEOPLE.zhao).some((t) => t.startsWith('谢谢报名')));
    await d.dm(rig, PEOPLE.li, '找导师 电气工程');
    const proposal = await until('the proposal to the mentor', () => d.privately(rig, PEOPLE.zhao).find((t) => t.includes('接受 ')));
    await until('the student told a mentor was asked', () => d.privately(rig, PEOPLE.li).some((t) => t.includes('已联系一位电气类方向的校友导师')));
    // Nobody's contact has crossed yet.
    const seenBy = (p: Person) => d.privately(rig, p).join('\n');
    expect(seenBy(PEOPLE.zhao)).not.toContain(d.contact(PEOPLE.li));
    expect(seenBy(PEOPLE.zhao)).not.toContain(PEOPLE.li.name);
    expect(seenBy(PEOPLE.li)).not.toContain(d.contact(PEOPLE.zhao));
    expect(seenBy(PEOPLE.li)).not.toContain(PEOPLE.zhao.name);
    const code = /接受 ([A-Z0-9]{5})/.exec(proposal)![1]!;
    // Only the alumnus the request was proposed to can accept it.
    await d.dm(rig, PEOPLE.zhang, `接受 ${code}`);
    await until('the stranger turned away', () => d.privately(rig, PEOPLE.zhang).some((t) => t.includes('已经结束，或不是发给你的')));
    expect(seenBy(PEOPLE.li)).not.toContain(d.contact(PEOPLE.zhao));

    await d.dm(rig, PEOPLE.zhao, `接受 ${code}`);
    await until('the student gets the mentor\'s handle', () => seenBy(PEOPLE.li).includes(`TA 的联系方式：${d.contact(PEOPLE.zhao)}`));
    await until('the mentor gets the student\'s handle', () => seenBy(PEOPLE.zhao).includes(`同学 ${PEOPLE.li.name} 的联系方式：${d.contact(PEOPLE.li)}`));
    expect(seenBy(PEOPLE.li)).toContain('话题：求职、读研');
    // Private chats only: no group heard any of it.
    for (const chat of [g.reply, g.daily, g.off, g.channel]) expect(texts(chat).join('\n')).not.toMatch(/导师|联系方式/);
  }, 30_000);

  it('the next evening: no summary when there is nothing to say', async () => {
    const before = texts(g.daily).length;
    clock.set('2026-11-19T12:30:00Z');
    await settle();
    await sleep(200);
    expect(texts(g.daily)).toHaveLength(before);
  }, 20_000);

  it('after `forget` (CLI, relay stopped), the thanks for November names per attribution, leaves the opted-out and the forgotten out, and the mentor records no longer hold them', async () => {
    await stop();
    const logs: string[] = [];
    const log = console.log;
    console.log = (...a: unknown[]) => void logs.push(a.join(' '));
    try {
      const args = ['node', 'alumni-relay', '--rules', join(dir, 'routing.yaml'), '--data-dir', join(dir, 'data')];
      await buildProgram().parseAsync([...args, 'forget', '--sender', d.senderId(PEOPLE.sun)]);
      await buildProgram().parseAsync([...args, 'forget', '--sender', d.senderId(PEOPLE.zhao)]);
    } finally {
      console.log = log;
    }
    expect(logs.join('\n')).toMatch(/校友记录：2 条内推记录/);
    expect(logs.join('\n')).toMatch(/导师计划记录已删除/);

    // 1 December, 20:30 in Shanghai: the month's first days, after sendAt. Fresh fakes: what they
    // receive is what the restarted relay sent.
    clock.set('2026-12-01T12:30:00Z');
    await start(join(dir, 'rig2'));
    const thanks = await until(
      () => `the thanks in both groups; outbox ${outbox()}`,
      () => {
        const r = texts(g.reply).find((t) => t.startsWith('校友内推月度致谢 · 2026年11月'));
        const dl = texts(g.daily).find((t) => t.startsWith('校友内推月度致谢 · 2026年11月'));
        return r && dl ? { reply: r, daily: dl } : undefined;
      },
      10_000,
    );
    expect(thanks.reply).toContain('本群校友分享内推 1 条，转给 1 个学院的 1 个学生群。');
    expect(thanks.reply).toContain(`特别感谢：${named(platform, PEOPLE.wang)}（1 条）。`);
    expect(thanks.reply).toContain('谢谢 1 位分享内推的校友');
    expect(thanks.reply).not.toContain('孙');
    expect(thanks.daily).toContain('本群校友分享内推 2 条');
    expect(thanks.daily).toContain(`特别感谢：${named(platform, PEOPLE.liu)}（1 条）。`);
    expect(thanks.daily).not.toContain('陈');
    expect(thanks.daily).toContain('谢谢 2 位分享内推的校友');
    await settle();
    await sleep(200);
    // Only the thanks: no ack, hint or summary again after the restart; the off group (thanks: off) hears nothing.
    expect(texts(g.reply)).toEqual([thanks.reply]);
    expect(texts(g.daily)).toEqual([thanks.daily]);
    expect(texts(g.off)).toEqual([]);
    expect(inChat(g.reply)[0]!.replyTo).toBeUndefined();

    // Records: 孙浩 is gone from the contributors, 赵强 from the mentors, and with him the introduction.
    const people = relay.alumni.contributors('2026-11').map((c) => c.name);
    expect(people.sort()).toEqual(['刘洋', '周敏', '王磊', '陈静'].sort());
    const mentors = relay.alumni.mentorState();
    expect(Object.keys(mentors.mentors)).toEqual([]);
    expect(JSON.stringify(mentors)).not.toContain(PEOPLE.zhao.key);
    expect(Object.values(mentors.requests)).toEqual([]);
    expect(JSON.stringify(relay.alumni.entries())).not.toMatch(/孙浩|sunhao|710002/);
  }, 40_000);
});

describe('a mentor match across platforms (one relay, the three adapters)', () => {
  let dir: string;
  let rig: Rig;
  let relay: Relay;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'alumni-mentors-'));
    writeRules(dir, rulesFor(DRIVERS.telegram));
    rig = await startRig({ dataDir: dir, wechatRooms: [] });
    DRIVERS.lark.meet(rig, Object.values(PEOPLE));
    relay = await createRelay({ rulesFile: join(dir, 'routing.yaml'), dataDir: join(dir, 'data'), adapters: rig.adapters, logger: logger(), watchRules: false, outboxIntervalMs: 50, retryBaseDelayMs: 50, feedbackSecret: '' });
    await relay.start();
    await rig.connect();
  }, 30_000);

  afterAll(async () => {
    await relay?.stop();
    await rig?.close();
    rmSync(dir, { recursive: true, force: true });
  }, 20_000);

  it('each side gets the other’s handle on their own platform, only after acceptance; a declined request shows no one', async () => {
    const tg = DRIVERS.telegram;
    const wx = DRIVERS.wechat;
    const lk = DRIVERS.lark;
    await tg.dm(rig, PEOPLE.zhao, '导师 报名 电气 话题：求职');
    await until('the sign-up answer', () => tg.privately(rig, PEOPLE.zhao).some((t) => t.startsWith('谢谢报名')));
    await wx.dm(rig, PEOPLE.li, '找导师 电气工程');
    const proposal = await until('the proposal on Telegram', () => tg.privately(rig, PEOPLE.zhao).find((t) => t.includes('接受 ')));
    const code = /接受 ([A-Z0-9]{5})/.exec(proposal)![1]!;
    await lk.dm(rig, PEOPLE.chen, '找导师 电气');
    const second = await until('the second proposal', () => tg.privately(rig, PEOPLE.zhao).find((t) => t.includes('接受 ') && !t.includes(code)));
    const code2 = /接受 ([A-Z0-9]{5})/.exec(second)![1]!;
    expect(wx.privately(rig, PEOPLE.li).join('\n')).not.toContain('Telegram');

    await tg.dm(rig, PEOPLE.zhao, `接受 ${code}`);
    await tg.dm(rig, PEOPLE.zhao, `婉拒 ${code2}`);
    await until('the WeChat student gets the Telegram handle', () => wx.privately(rig, PEOPLE.li).some((t) => t.includes(`TA 的联系方式：${tg.contact(PEOPLE.zhao)}`)));
    await until('the mentor gets the WeChat student', () => tg.privately(rig, PEOPLE.zhao).some((t) => t.includes(`同学 ${PEOPLE.li.name} 的联系方式：${wx.contact(PEOPLE.li)}`)));
    await until('the decline acknowledged', () => tg.privately(rig, PEOPLE.zhao).some((t) => t.includes('没关系')));
    await until(() => `the outbox to empty: ${describeDeliveries(relay.store.deliveries())}`, () => relay.store.deliveries().every((x) => x.status === 'delivered'));
    // The Lark student whose request was declined learns nobody's contact; the mentor never learnt hers.
    const chen = lk.privately(rig, PEOPLE.chen).join('\n');
    expect(chen).toContain('收到！');
    expect(chen).not.toContain(PEOPLE.zhao.name);
    expect(chen).not.toContain('@zhaoqiang_ee');
    expect(tg.privately(rig, PEOPLE.zhao).join('\n')).not.toContain(PEOPLE.chen.name);
    expect(Object.values(relay.alumni.mentorState().requests).find((r) => r.code === code2)).toMatchObject({ status: 'waiting', declined: [`telegram:${PEOPLE.zhao.tg}`] });
  }, 30_000);
});
