// The feedback loop end to end on the local platform (one LocalAdapter standing in for every platform):
// the real relay with RELAY_SECRET set, its digests carrying votes (Telegram buttons, a Lark card, the
// WeChat footer), presses and replies moving the routing, tracked links through the relay's own HTTP
// server, personal subscriptions served at their time, and `forget` erasing a person everywhere.
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalAdapter } from '../../adapters/local/index.ts';
import { createRelay, type Relay } from '../../src/app.ts';
import { explain } from '../../src/cli/classify.ts';
import { buildProgram } from '../../src/cli/main.ts';
import type { Platform } from '../../src/domain.ts';
import { WECHAT_FOOTER } from '../../src/feedback/commands.ts';
import { parseVoteData } from '../../src/feedback/items.ts';
import { silentLogger } from '../../src/log.ts';
import type { ChatAdapter } from '../../src/ports.ts';
import { clockFrom, describeDeliveries, until } from '../helpers/e2e-rig.ts';
import { tempDir } from '../helpers/tmp.ts';

const SECRET = 'loop-test-secret-0123456789';
const BJ = '东电校友会·北京分会';
const WX_ELECTRICAL = '电气学院2026届就业信息群';
const TG_ELECTRICAL = '-1001987650101';
const LARK_AUTOMATION = 'oc_a1b2c3d4e5f60718293a4b5c6d';
// Routed to both electrical and automation (PLC, 自动化, 电气).
const SIMILAR_A = '【内推】某电气公司招聘电气设计工程师，负责配电柜和PLC控制系统设计，自动化、电气工程及其自动化专业均可，上海，投递 https://jobs.example.com/apply/a ，截止12月30日';
const SIMILAR_B = '【内推】某电力设备公司招聘PLC工程师，负责电气控制柜调试，自动化、电气专业均可，苏州，投递 https://jobs.example.com/b';

let relay: Relay | undefined;
afterEach(async () => {
  await relay?.stop();
  relay = undefined;
});

async function setup(extra: { http?: boolean; publicUrl?: string; dir?: string } = {}) {
  const dir = extra.dir ?? tempDir();
  const rulesFile = join(dir, 'routing.yaml');
  if (!extra.dir) copyFileSync('rules/routing.yaml', rulesFile);
  const local = new LocalAdapter({ print: () => {} });
  const adapters = new Map<Platform, ChatAdapter>((['local', 'wechat', 'lark', 'telegram'] as const).map((p) => [p, local]));
  const base = clockFrom('2026-11-18T12:30:00Z'); // Wednesday 20:30 in Shanghai
  let shiftMs = 0;
  const now = () => new Date(base().getTime() + shiftMs);
  /** Moves the relay's clock forward. */
  const advance = (ms: number) => void (shiftMs += ms);
  const r = await createRelay({
    rulesFile,
    dataDir: join(dir, 'data'),
    adapters,
    logger: silentLogger,
    outboxIntervalMs: 50,
    watchRules: false,
    now,
    feedbackSecret: SECRET,
    publicUrl: extra.publicUrl ?? '',
    ...(extra.http && { http: { port: 0, host: '127.0.0.1', adminPassword: 'loop-admin-password', announce: () => {} } }),
  });
  relay = r;
  await r.start();
  const say = (group: string, senderId: string, text: string, platform: Platform = 'wechat') =>
    local.post({ platform, group, senderId, senderName: senderId, text, at: now().toISOString() });
  const dm = (senderId: string, text: string, platform: Platform = 'telegram') =>
    local.post({ platform, senderId, senderName: senderId, text, chatType: 'private', at: now().toISOString() });
  const digestAll = async () => {
    for (const c of r.rules().colleges) await r.runDigest(c.id);
    await until(
      () => `deliveries: ${describeDeliveries(r.store.deliveries())}`,
      () => r.store.deliveries().every((d) => d.status === 'delivered'),
    );
  };
  const inChat = (chat: string) => local.sent.filter((s) => s.chat === chat);
  return { dir, r, local, now, advance, say, dm, digestAll, inChat };
}

/** The vote payloads of a Lark card the relay sent (its buttons' `value.d`). */
function cardVotes(body: string): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (o.tag === 'button' && o.value && typeof (o.value as { d?: unknown }).d === 'string') out.push((o.value as { d: string }).d);
      Object.values(o).forEach(walk);
    }
  };
  walk(JSON.parse(body));
  return out;
}

describe('the feedback loop on the local platform', () => {
  it('digests carry votes: buttons on a Telegram channel, a card on a Lark channel, the reply footer on WeChat', async () => {
    const { r, say, digestAll, inChat } = await setup();
    await say(BJ, '王磊', SIMILAR_A);
    await digestAll();
    const tg = inChat(TG_ELECTRICAL);
    expect(tg).toHaveLength(1);
    const buttons = tg[0]!.buttons!.flat();
    expect(buttons.map((b) => b.text)).toEqual(['👎1', '👍1']);
    const digestId = r.store.deliveries().find((d) => d.channel.chat === TG_ELECTRICAL)!.digestId;
    for (const b of buttons) expect(parseVoteData(b.data)).toMatchObject({ n: 1 });
    expect(Buffer.byteLength(buttons[0]!.data)).toBeLessThanOrEqual(64);
    expect(digestId).toMatch(/^dg-electrical-/);

    const lark = inChat(LARK_AUTOMATION);
    expect(lark).toHaveLength(1);
    expect(lark[0]!.message.format).toBe('lark-card');
    expect(cardVotes(lark[0]!.message.body).map((d) => parseVoteData(d))).toEqual([
      { digestKey: expect.any(String), n: 1, value: 1 },
      { digestKey: expect.any(String), n: 1, value: -1 },
    ]);
    expect(lark[0]!.text).toContain('某电气公司');

    const wx = inChat(WX_ELECTRICAL);
    expect(wx).toHaveLength(1);
    expect(wx[0]!.text.endsWith(WECHAT_FOOTER)).toBe(true);
    expect(wx[0]!.buttons).toBeUndefined();
  });

  it("three students' 👎 pressed on the Lark card move the next similar post's routing, and classify says why", async () => {
    const { r, local, say, digestAll, inChat } = await setup();
    await say(BJ, '王磊', SIMILAR_A);
    await digestAll();
    const down = cardVotes(inChat(LARK_AUTOMATION)[0]!.message.body).find((d) => parseVoteData(d)?.value === -1)!;
    expect(r.classify(SIMILAR_B).colleges).toContain('automation');
    expect(await local.press(LARK_AUTOMATION, 'ou_stu_a', down)).toBe('已记录，谢谢');
    expect(await local.press(LARK_AUTOMATION, 'ou_stu_b', down)).toBe('已记录，谢谢');
    expect(explain(r.classify(SIMILAR_B), r.rules())).not.toContain('学生反馈');
    expect(await local.press(LARK_AUTOMATION, 'ou_stu_c', down)).toBe('已记录，谢谢');
    // A press on a chat that never got the digest is ignored, and said so.
    expect(await local.press('oc_somewhere_else', 'ou_stu_d', down)).toBe('这条速递已过期或不在本群，未记录');
    const moved = r.classify(SIMILAR_B) as ReturnType<Relay['classify']> & { feedback?: { collegeId: string; voters: number }[] };
    expect(moved.feedback).toEqual([expect.objectContaining({ collegeId: 'automation', voters: 3 })]);
    const text = explain(moved, r.rules());
    expect(text).toMatch(/学生反馈：控制与计算机工程学院·自动化系\(automation\) 反馈 −0\.\d，3 票/);
    // The pipeline classifies the same way: the stored post carries the feedback evidence.
    await say(BJ, '李娜', SIMILAR_B);
    const stored = r.store.posts().find((p) => p.text.includes('某电力设备公司'))!;
    const routing = (stored.classification as { routing?: { collegeId: string; evidence: { kind: string }[] }[] }).routing;
    expect(routing?.find((x) => x.collegeId === 'automation')?.evidence.some((e) => e.kind === 'feedback')).toBe(true);
  });

  it('/relay status and stats show delivered, clicks, 👍/👎 and subscribers per college', async () => {
    const { r, local, say, dm, digestAll, inChat, dir } = await setup();
    await say(BJ, '王磊', SIMILAR_A);
    await digestAll();
    const down = inChat(TG_ELECTRICAL)[0]!.buttons!.flat().find((b) => b.text === '👎1')!;
    expect(await local.press(TG_ELECTRICAL, '901', down.data)).toBe('已记录，谢谢');
    await dm('902', '订阅 电气工程及其自动化');
    await say('-1001987650001', '5200013140', '/relay status', 'telegram');
    const status = local.sent.filter((s) => s.chat === '-1001987650001').at(-1)!.text;
    expect(status).toContain('· 电气与电子工程学院：');
    expect(status).toMatch(/电气与电子工程学院：.*送达 2，点击 0，👍 0 👎 1，订阅 1 人/);
    await r.stop();
    relay = undefined;
    const logs: string[] = [];
    const log = console.log;
    console.log = (...a: unknown[]) => void logs.push(a.join(' '));
    try {
      await buildProgram().parseAsync(['node', 'alumni-relay', '--rules', join(dir, 'routing.yaml'), '--data-dir', join(dir, 'data'), 'stats', '--json']);
    } finally {
      console.log = log;
    }
    const report = JSON.parse(logs.join('\n')) as { digests: number; feedback: { collegeId: string; delivered: number; down: number; subscribers: number }[] };
    expect(report.feedback.find((f) => f.collegeId === 'electrical')).toMatchObject({ delivered: 2, down: 1, subscribers: 1 });
    expect(report.digests).toBe(2); // electrical and automation; no '@alumni' record counted
  });

  it('a WeChat-style reply `1 不对口` in a student channel records a vote and is never stored as a referral', async () => {
    const { r, say, digestAll } = await setup();
    await say(BJ, '王磊', SIMILAR_A);
    await digestAll();
    const posts = r.store.posts().length;
    await say(WX_ELECTRICAL, 'wxid_student_1', '1 不对口');
    // A referral typed into a student channel is not a source either.
    await say(WX_ELECTRICAL, 'wxid_student_2', SIMILAR_B);
    const votes = [...r.feedback!.votes()];
    expect(votes).toHaveLength(1);
    expect(votes[0]).toMatchObject({ collegeId: 'electrical', value: -1 });
    expect(r.store.posts()).toHaveLength(posts);
    expect(r.store.posts().some((p) => p.sources.some((s) => s.chatId === WX_ELECTRICAL))).toBe(false);
  });

  it("a tracked link redirects through the relay's HTTP server and counts the click", async () => {
    const { r, say, digestAll, inChat } = await setup({ http: true, publicUrl: 'https://relay.example.edu' });
    await say(BJ, '王磊', SIMILAR_A);
    await digestAll();
    const wx = inChat(WX_ELECTRICAL)[0]!.text;
    // The apply line points at the relay (the excerpt keeps the poster's own words).
    const token = /🔗 https:\/\/relay\.example\.edu\/r\/([A-Za-z0-9_-]{12})/.exec(wx)?.[1];
    expect(token).toBeDefined();
    const base = r.httpUrl();
    expect(base).toBeDefined();
    const res = await fetch(`${base}/r/${token}`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('https://jobs.example.com/apply/a');
    expect(r.feedback!.clicks()).toEqual([expect.objectContaining({ collegeId: 'electrical', channel: `wechat:${WX_ELECTRICAL}`, n: 1 })]);
    // A token the relay never made is not a redirect.
    expect((await fetch(`${base}/r/AAAAAAAAAAAA`, { redirect: 'manual' })).status).not.toBe(302);
  });

  it('a private `订阅 0806` creates a subscription, is served at its time to that person, and `退订` cancels it', async () => {
    const { r, local, say, dm, advance } = await setup();
    // At 20:30 for 20:00: today's turn has passed (nothing new then), so the first one is tomorrow's.
    await dm('5550001', '订阅 0806 每天 20:00');
    const answer = local.sent.find((s) => s.chat === '5550001');
    expect(answer?.text).toContain('已订阅');
    expect(r.feedback!.subscriptions()).toEqual([expect.objectContaining({ platform: 'telegram', userId: '5550001', codes: ['0806'], time: '20:00' })]);
    await r.sendPersonalDigests();
    await say(BJ, '王磊', SIMILAR_A);
    advance(20 * 60_000); // 20:50: not due again today
    await r.sendPersonalDigests();
    await r.outbox.drain();
    expect(local.sent.some((s) => s.chat === '5550001' && s.text.includes('某电气公司'))).toBe(false);
    advance(23 * 3600_000 + 10 * 60_000); // Thursday 20:00: due
    await r.sendPersonalDigests();
    await until(
      () => `personal digest: ${describeDeliveries(r.store.deliveries())}`,
      () => local.sent.some((s) => s.chat === '5550001' && s.text.includes('某电气公司')),
    );
    const personal = r.store.deliveries().find((d) => d.collegeId === '@personal')!;
    expect(personal).toMatchObject({ channel: { platform: 'telegram', chat: '5550001' }, direct: true });
    // Once a day: nothing more now.
    const before = local.sent.length;
    await r.sendPersonalDigests();
    await r.outbox.drain();
    expect(local.sent.length).toBe(before);
    await dm('5550001', '退订');
    expect(local.sent.at(-1)!.text).toContain('已退订');
    expect(r.feedback!.subscriptions()).toEqual([]);
  });

  it('forget removes a person from the feedback and alumni state', async () => {
    const { r, local, say, dm, digestAll, inChat, dir } = await setup();
    await say(BJ, '王磊', SIMILAR_A);
    await digestAll();
    await r.alumni.sweep();
    expect(r.alumni.entries().some((e) => JSON.stringify(e).includes('王磊'))).toBe(true);
    const up = inChat(TG_ELECTRICAL)[0]!.buttons!.flat().find((b) => b.text === '👍1')!;
    await local.press(TG_ELECTRICAL, '777', up.data);
    await dm('777', '订阅 电气类');
    expect([...r.feedback!.votes()]).toHaveLength(1);
    expect(r.feedback!.subscriptions()).toHaveLength(1);
    await r.stop();
    relay = undefined;

    const logs: string[] = [];
    const log = console.log;
    console.log = (...a: unknown[]) => void logs.push(a.join(' '));
    const env = process.env.RELAY_SECRET;
    process.env.RELAY_SECRET = SECRET;
    try {
      const args = ['node', 'alumni-relay', '--rules', join(dir, 'routing.yaml'), '--data-dir', join(dir, 'data')];
      await buildProgram().parseAsync([...args, 'forget', '--sender', '777']);
      await buildProgram().parseAsync([...args, 'forget', '--sender', '王磊']);
    } finally {
      console.log = log;
      if (env === undefined) delete process.env.RELAY_SECRET;
      else process.env.RELAY_SECRET = env;
    }
    expect(logs.join('\n')).toContain('学生反馈：1 个订阅、1 条投票已删除');
    expect(logs.join('\n')).toMatch(/校友记录：1 条内推记录/);

    // Reopened: nothing of either person is left.
    const again = await setup({ dir });
    expect([...again.r.feedback!.votes()]).toEqual([]);
    expect(again.r.feedback!.subscriptions()).toEqual([]);
    expect(JSON.stringify(again.r.alumni.entries())).not.toContain('王磊');
    expect(again.r.store.posts().some((p) => p.sources.some((s) => s.senderId === '王磊'))).toBe(false);
  });
});
