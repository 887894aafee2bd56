// End to end, for every ordered pair (source platform → channel platform) among Telegram, Lark and
// WeChat: the real relay (createRelay) with the three real adapters on their loopback fakes, the cron
// scheduler on a 2-second override, a referral, chit-chat and a scam ad posted in each alumni group.
// One relay and one set of fakes serve all nine pairs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRelay, type Relay } from '../../src/app.ts';
import { PLATFORM_LIMITS } from '../../src/digest/render.ts';
import { createLogger, silentLogger } from '../../src/log.ts';
import { parseTelegramHtml } from '../fakes/telegram-server.ts';
import { clockFrom, describeDeliveries, sleep, startRig, until, writeRules, type Rig } from '../helpers/e2e-rig.ts';

type P = 'telegram' | 'lark' | 'wechat';
const PLATFORMS: P[] = ['telegram', 'lark', 'wechat'];

/** Every 2 s: the "next digest" is never far. */
const CRON = '*/2 * * * * *';
const CRON_PERIOD_MS = 2000;

// Alumni groups (sources), one per platform, and how digests name them.
const SOURCE: Record<P, { group: string; name: string }> = {
  telegram: { group: '-1001987650001', name: '海外校友群' },
  lark: { group: 'oc_5ad11d72b830411d72b836c20', name: '校友企业飞书群' },
  wechat: { group: '东电校友会·北京分会', name: '北京校友群' },
};

// One electrical-engineering college per channel platform; computer science has a channel on all three.
const EE_CHANNEL: Record<P, string> = {
  telegram: '-1001987650101',
  lark: 'oc_a1b2c3d4e5f60718293a4b5c6d',
  wechat: '电气学院2026届就业信息群',
};
const CS_CHANNEL: Record<P, string> = {
  telegram: '-1001987650102',
  lark: 'oc_0f9e8d7c6b5a49382716051f2e',
  wechat: '计算机系2026届就业群',
};

/** The relay's clock: a Wednesday, 10:00 in Shanghai, running at real speed (so retries still come due). */
const NOW = clockFrom('2026-11-18T02:00:00Z');

// A distinct referral per source platform (distinct enough not to merge as near-duplicates).
// Deadlines are read against NOW: 12月20日 and 12月15日 are open, 11月20日 closes in 2 days and is flagged.
const REFERRAL: Record<P, { text: string; marker: string; link: string; deadline: string }> = {
  telegram: {
    text: `国网江苏电力2026届校园招聘，电气工程及其自动化专业本科/硕士，南京，截止12月20日，网申 https://zhaopin.sgcc.com.cn/x`,
    marker: '国网江苏电力2026届校园招聘',
    link: 'https://zhaopin.sgcc.com.cn/x',
    deadline: '截止12月20日',
  },
  lark: {
    text: `南方电网广东电网公司2026届校招，招电气工程及其自动化、智能电网信息工程专业本科/硕士，工作地广州，截止12月15日，投递 https://zhaopin.csg.cn/gd26`,
    marker: '南方电网广东电网公司2026届校招',
    link: 'https://zhaopin.csg.cn/gd26',
    deadline: '截止12月15日',
  },
  wechat: {
    text: `国网浙江省电力有限公司2026届高校毕业生招聘（第二批），电气类专业硕士优先，杭州，截止11月20日，网申 https://www.zj.sgcc.com.cn/zp26`,
    marker: '国网浙江省电力有限公司2026届',
    link: 'https://www.zj.sgcc.com.cn/zp26',
    deadline: '截止11月20日（⚠ 还剩2天）',
  },
};
const CHAT = '今晚聚餐吗';
const SCAM = '刷单兼职日结300，加QQ 123456';
const NEVER = ['聚餐', '刷单', '日结', '123456'];

const eeId = (p: P) => `ee-${p}`;

const RULES = `
version: 1
defaults:
  timezone: Asia/Shanghai
  digest: "30 8 * * 1-5"
  maxSendAttempts: 5
sources:
${PLATFORMS.map((p) => `  - platform: ${p}\n    group: "${SOURCE[p].group}"\n    name: ${SOURCE[p].name}`).join('\n')}
colleges:
${PLATFORMS.map(
  (p) => `  - id: ${eeId(p)}
    name: 电气与电子工程学院（${p}）
    classes: ["0806"]
    channels:
      - platform: ${p}
        chat: "${EE_CHANNEL[p]}"`,
).join('\n')}
  - id: cs
    name: 计算机系
    classes: ["0809"]
    channels:
${PLATFORMS.map((p) => `      - platform: ${p}\n        chat: "${CS_CHANNEL[p]}"`).join('\n')}
`;

/** One message as a student in a channel reads it, with the raw form the platform received. */
interface Seen {
  raw: string;
  visible: string;
}

let rig: Rig;
let relay: Relay;
let dir: string;

/** Everything the platform accepted for `chat` of `platform`, in order. */
function seen(platform: P, chat: string): Seen[] {
  if (platform === 'telegram') {
    return rig.tg.sentTo(chat).map((s) => {
      const parsed = parseTelegramHtml(s.text);
      return { raw: s.text, visible: 'text' in parsed ? parsed.text : s.text };
    });
  }
  if (platform === 'lark') return rig.lark.sentTo(chat).map((m) => ({ raw: m.content, visible: m.text }));
  return rig.wx.sentTexts(chat).map((t) => ({ raw: t, visible: t }));
}

const totalSends = () => rig.tg.sent.length + rig.lark.sent.length + rig.wx.sends.length;

describe('end to end on every platform pair (source → channel)', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'alumni-relay-e2e-'));
    rig = await startRig({ dataDir: dir, wechatRooms: [SOURCE.wechat.group, EE_CHANNEL.wechat, CS_CHANNEL.wechat] });
    relay = await createRelay({
      rulesFile: writeRules(dir, RULES),
      dataDir: join(dir, 'data'),
      adapters: rig.adapters,
      // E2E_LOG=debug shows the relay's log when a wait times out.
      logger: process.env.E2E_LOG ? createLogger({ level: process.env.E2E_LOG }) : silentLogger,
      scheduleOverride: CRON,
      now: NOW,
      watchRules: false,
      outboxIntervalMs: 50,
      retryBaseDelayMs: 50,
    });
    await relay.start();
    await rig.connect();

    // The alumni talk: in each group chit-chat, a referral, a scam ad.
    rig.tg.injectMessage({ chat: { id: Number(SOURCE.telegram.group), type: 'supergroup', title: SOURCE.telegram.name }, from: { id: 555001, first_name: '磊', last_name: '王' }, text: CHAT });
    rig.tg.injectMessage({ chat: { id: Number(SOURCE.telegram.group), type: 'supergroup', title: SOURCE.telegram.name }, from: { id: 555002, first_name: '娜', last_name: '李' }, text: REFERRAL.telegram.text });
    rig.tg.injectMessage({ chat: { id: Number(SOURCE.telegram.group), type: 'supergroup', title: SOURCE.telegram.name }, from: { id: 555003, first_name: 'Deal', last_name: 'Bot' }, text: SCAM });

    rig.lark.users.set('ou_alumnus_zhang', '张伟');
    rig.lark.users.set('ou_alumnus_chen', '陈静');
    for (const [openId, text] of [
      ['ou_alumnus_zhang', CHAT],
      ['ou_alumnus_chen', REFERRAL.lark.text],
      ['ou_stranger', SCAM],
    ] as const) {
      const res = await rig.lark.injectMessage({ chatId: SOURCE.lark.group, senderOpenId: openId, text });
      expect(res.status, `Lark webhook answered ${res.status} ${res.body}`).toBe(200);
    }

    await rig.wx.say(SOURCE.wechat.group, { id: 'wxid_zhao', name: '赵强' }, CHAT);
    await rig.wx.say(SOURCE.wechat.group, { id: 'wxid_wang', name: '王磊（2012级电气）' }, REFERRAL.wechat.text);
    await rig.wx.say(SOURCE.wechat.group, { id: 'wxid_ad', name: '兼职招聘' }, SCAM);

    // All nine messages reached the pipeline (bounded; a lost message fails here, not as a vague timeout later).
    await until('the pipeline to handle all 9 alumni messages', () => relay.store.data.counters.received >= 9, 10_000);
  }, 30_000);

  afterAll(async () => {
    await relay?.stop();
    await rig?.close();
    rmSync(dir, { recursive: true, force: true });
  }, 20_000);

  it('stores one referral per source, holds the scam for review and drops the chit-chat', () => {
    const posts = relay.store.posts();
    for (const p of PLATFORMS) {
      const mine = posts.filter((x) => x.text.includes(REFERRAL[p].marker));
      expect(mine, `the ${p} referral is stored once`).toHaveLength(1);
      expect(mine[0]!.status).toBe('active');
      expect(mine[0]!.sources.map((s) => s.platform)).toEqual([p]);
      expect(mine[0]!.classification.colleges.sort()).toEqual(PLATFORMS.map(eeId).sort());
    }
    expect(posts.filter((x) => x.text.includes('刷单')).every((x) => x.status === 'review')).toBe(true);
    expect(posts.some((x) => x.text.includes('聚餐'))).toBe(false);
    expect(relay.store.data.counters.notJob).toBeGreaterThanOrEqual(3);
  });

  const PAIRS = PLATFORMS.flatMap((from) => PLATFORMS.map((to) => [from, to] as const));

  it.each(PAIRS)('a referral posted on %s reaches the electrical college channel on %s at the next digest', async (from, to) => {
    const chat = EE_CHANNEL[to];
    const ref = REFERRAL[from];
    // At most two cron periods plus sending: the digest after the message was stored.
    const hits = await until(
      () => `the ${from} referral in ${to} channel ${chat}; outbox: ${describeDeliveries(relay.store.deliveries())}`,
      () => {
        const h = seen(to, chat).filter((s) => s.visible.includes(ref.marker));
        return h.length ? h : undefined;
      },
      2 * CRON_PERIOD_MS + 4000,
    );
    expect(hits, 'delivered exactly once').toHaveLength(1);
    const msg = hits[0]!;
    expect(msg.visible).toContain(`来源：${SOURCE[from].name}`);
    expect(msg.visible).toContain('校友内推速递');
    expect(msg.visible).toContain('11月18日 周三');
    expect(msg.visible).toContain(ref.deadline);

    // Rendered for the channel's platform, within its limit.
    if (to === 'telegram') {
      const sent = rig.tg.sentTo(chat).find((s) => s.text === msg.raw)!;
      expect(sent.parseMode).toBe('HTML');
      expect(msg.raw.length).toBeLessThanOrEqual(PLATFORM_LIMITS.telegram);
      expect(msg.raw).toMatch(/^<b>📮 /);
      expect(msg.raw).toContain(`<a href="${ref.link}">投递链接</a>`);
      expect(parseTelegramHtml(msg.raw)).not.toHaveProperty('error');
    } else if (to === 'lark') {
      const sent = rig.lark.sentTo(chat).find((m) => m.content === msg.raw)!;
      expect(sent.msgType).toBe('post');
      expect(Buffer.byteLength(msg.raw)).toBeLessThanOrEqual(PLATFORM_LIMITS.lark);
      const post = JSON.parse(msg.raw) as { zh_cn: { title: string; content: { tag: string; href?: string }[][] } };
      expect(post.zh_cn.title).toContain('校友内推速递');
      expect(post.zh_cn.content.flat()).toContainEqual(expect.objectContaining({ tag: 'a', href: ref.link }));
    } else {
      expect(msg.raw.length).toBeLessThanOrEqual(PLATFORM_LIMITS.wechat);
      expect(msg.raw).not.toMatch(/<\/?[a-z]+>|"zh_cn"/);
      expect(msg.raw).toContain(`🔗 ${ref.link}`);
    }
  }, 15_000);

  it('never forwards chit-chat or the scam, sends the other major nothing, and sends nothing twice', async () => {
    // Every referral is out; let one more scheduled digest pass and check that it sent nothing.
    const before = totalSends();
    await sleep(CRON_PERIOD_MS + 500);
    expect(totalSends(), 'a later digest re-sent something').toBe(before);

    for (const p of PLATFORMS) {
      expect(seen(p, CS_CHANNEL[p]), `the computer-science channel on ${p}`).toEqual([]);
      const texts = seen(p, EE_CHANNEL[p]).map((s) => s.visible).join('\n');
      for (const never of NEVER) expect(texts, `${p} channel`).not.toContain(never);
      // Each referral appears once in each electrical channel, whatever digest carried it.
      for (const from of PLATFORMS) expect(texts.split(REFERRAL[from].marker).length - 1, `${from} → ${p}`).toBe(1);
    }
    // Nothing went to an alumni group (the relay only reads those).
    for (const p of PLATFORMS) expect(seen(p, SOURCE[p].group)).toEqual([]);
    expect(relay.store.deliveries().every((d) => d.status === 'delivered')).toBe(true);
  }, 10_000);
});
