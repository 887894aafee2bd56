// Issue 12, item 6: the feedback loop end to end on every platform, through the REAL adapters on their
// loopback fakes (grammY → Telegram fake, the Lark node-sdk → Lark fake by webhook and by long
// connection, wechaty on PuppetMock). One scenario, run per platform by a small driver
// (feedback/drivers.ts: how a student votes, writes privately, where the bot's answers land):
// a referral posted in the source group → a digest with the platform's feedback means → votes once per
// student, changed, a burst limited, a stranger's press ignored → three students' 👎 moving the next
// similar post's routing (and `classify` saying so) → a tracked link counted and redirected by the
// relay's own HTTP server → a private subscription served at its time, listed and cancelled.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRelay, type Relay } from '../../src/app.ts';
import { explain } from '../../src/cli/classify.ts';
import { WECHAT_FOOTER } from '../../src/feedback/commands.ts';
import { voterHash } from '../../src/feedback/hash.ts';
import { PERSONAL_DIGEST } from '../../src/feedback/subscriptions.ts';
import { createLogger, silentLogger } from '../../src/log.ts';
import { clockFrom, describeDeliveries, startRig, until, writeRules, type Rig } from '../helpers/e2e-rig.ts';
import { DRIVERS, type Driver, type P, type Received } from './feedback/drivers.ts';
import { ELECTRICAL, FOR_SUBSCRIBER, LATER, rulesFor, SECRET, SIMILAR_A, SIMILAR_B } from './feedback/fixtures.ts';

const RECORDED = '已记录，谢谢';
const CHANGED = '已更改，谢谢';
const LIMITED = '操作太频繁，请稍后再试';
const NOT_HERE = '这条速递已过期或不在本群，未记录';

/** A free loopback port: the relay's HTTP server listens there, and RELAY_PUBLIC_URL points at it. */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

type Run = { platform: P; larkMode?: 'ws' | 'webhook'; label: string };
const RUNS: Run[] = [
  { platform: 'telegram', label: 'Telegram (grammY, long polling)' },
  { platform: 'lark', larkMode: 'webhook', label: 'Lark (node-sdk, webhook)' },
  { platform: 'lark', larkMode: 'ws', label: 'Lark (node-sdk, long connection: the vote path)' },
  { platform: 'wechat', label: 'WeChat (wechaty on PuppetMock)' },
];

describe.each(RUNS)('the feedback loop on $label', ({ platform, larkMode }) => {
  /** In long-connection mode only the vote path is run (the rest is the same adapter code as webhook mode). */
  const votesOnly = larkMode === 'ws';
  let dir: string;
  let rig: Rig;
  let relay: Relay;
  let d: Driver;
  let publicUrl: string;
  let shiftMs = 0;
  const base = clockFrom('2026-11-18T12:30:00Z'); // Wednesday 20:30 in Shanghai
  const now = () => new Date(base().getTime() + shiftMs);
  /** What a student is told for a vote: a toast / answerCallbackQuery text; WeChat says nothing unless limited. */
  const told = (text: string) => (platform === 'wechat' && text !== LIMITED ? undefined : text);
  const votesBy = (who: number) => [...relay.feedback!.votes()].filter((v) => v.voter === voterHash(SECRET, platform, studentIdOf(who)));
  const studentIdOf = (who: number) => (platform === 'telegram' ? String(7_000_000 + who) : platform === 'lark' ? `ou_student_${String(who).padStart(4, '0')}` : `wxid_student_${who}`);
  /** The digest record delivered to `chat`, and the post id of each item number. */
  const digestIn = (chat: string) => {
    const delivery = relay.store.deliveries().filter((x) => x.channel.chat === chat).at(-1)!;
    return relay.store.data.digests.find((g) => g.id === delivery.digestId)!;
  };
  const itemOf = (chat: string, text: string) => {
    const post = relay.store.posts().find((p) => p.text === text)!;
    return digestIn(chat).postIds.indexOf(post.id) + 1;
  };
  const digestAll = async () => {
    for (const c of relay.rules().colleges) await relay.runDigest(c.id);
    await until(
      () => `deliveries: ${describeDeliveries(relay.store.deliveries())}`,
      () => relay.store.deliveries().every((x) => x.status === 'delivered'),
      20_000,
    );
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'alumni-relay-feedback-e2e-'));
    const port = await freePort();
    publicUrl = `http://127.0.0.1:${port}`;
    rig = await startRig({ dataDir: dir, wechatRooms: ['东电校友会·北京分会', '电气学院2026届就业信息群', '自动化系2026届就业群', '同城老乡闲聊群'], ...(larkMode && { larkMode }) });
    d = DRIVERS[platform](rig);
    relay = await createRelay({
      rulesFile: writeRules(dir, rulesFor(d)),
      dataDir: join(dir, 'data'),
      adapters: rig.adapters,
      logger: process.env.E2E_LOG ? createLogger({ level: process.env.E2E_LOG }) : silentLogger,
      now,
      watchRules: false,
      outboxIntervalMs: 50,
      retryBaseDelayMs: 50,
      feedbackSecret: SECRET,
      publicUrl,
      http: { port, host: '127.0.0.1', adminPassword: 'feedback-e2e-admin', announce: () => {} },
    });
    await relay.start();
    await rig.connect();
    expect(relay.httpUrl()).toBe(publicUrl);

    // The alumni post: twelve electrical referrals and one for electrical and automation.
    for (const [i, text] of [...ELECTRICAL, SIMILAR_A].entries()) await d.post(text, i + 1);
    await until(
      () => `13 stored posts (have ${relay.store.posts().length}, received ${relay.store.data.counters.received})`,
      () => relay.store.posts().length === 13,
      30_000,
    );
    await digestAll();
  }, 90_000);

  afterAll(async () => {
    await relay?.stop();
    await rig?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 20_000);

  it('each student channel gets the digest with the platform’s feedback means, usable with 13 items', () => {
    const ee = d.received(d.ee);
    const auto = d.received(d.auto);
    expect(ee.length).toBeGreaterThan(0);
    expect(auto).toHaveLength(1);
    expect(digestIn(d.ee).postIds).toHaveLength(13);
    expect(digestIn(d.auto).postIds).toHaveLength(1);
    const all = (msgs: Received[]) => msgs.flatMap((m) => m.votes.map((v) => `${v.value > 0 ? '+' : '-'}${v.n}`)).sort();
    const expected = (n: number) => Array.from({ length: n }, (_, i) => [`+${i + 1}`, `-${i + 1}`]).flat().sort();
    if (platform === 'telegram') {
      for (const m of ee) {
        // Under each part, the buttons of that part's items, and only those.
        const numbered = [...m.visible.matchAll(/^(\d+)\. /gmu)].map((x) => Number(x[1]));
        expect([...new Set(m.votes.map((v) => v.n))].sort((a, b) => a - b)).toEqual(numbered);
        // 2026-11: callback_data "1-64 bytes", https://core.telegram.org/bots/api#inlinekeyboardbutton
        for (const v of m.votes) expect(Buffer.byteLength(v.data!)).toBeLessThanOrEqual(64);
        // 2026-11: the Bot API refuses more than 8 buttons in a row or 100 in a keyboard ("reply markup is
        // too long"); undocumented on core.telegram.org, measured in https://github.com/tginfo/Telegram-Limits/issues/228
        for (const row of m.rows!) expect(row.length).toBeLessThanOrEqual(5);
        expect(m.votes.length).toBeLessThanOrEqual(100);
      }
      expect(all(ee)).toEqual(expected(13));
      // The keyboard stays compact: rows of five, not one row per item.
      expect(ee.flatMap((m) => m.rows!).length).toBeLessThanOrEqual(Math.ceil(13 / 5) * 2 + 2 * (ee.length - 1));
    } else if (platform === 'lark') {
      // Lark has buttons only in cards: one interactive card, shared by the chat, 👍/👎 per item.
      for (const m of [...ee, ...auto]) expect(m.msgType).toBe('interactive');
      expect(all(ee)).toEqual(expected(13));
      expect(all(auto)).toEqual(expected(1));
      expect(auto[0]!.visible).toContain('某电气公司');
    } else {
      // The web protocol has no buttons: the reply syntax in the footer of the last part.
      expect(ee.at(-1)!.visible.endsWith(WECHAT_FOOTER)).toBe(true);
      expect(auto[0]!.visible.endsWith(WECHAT_FOOTER)).toBe(true);
      expect(ee.slice(0, -1).every((m) => !m.visible.includes(WECHAT_FOOTER))).toBe(true);
    }
  });

  it('a vote is recorded once per student, can be changed, and a stranger’s press is ignored', async () => {
    const post1 = digestIn(d.ee).postIds[0]!;
    const inChannel = d.received(d.ee).length;
    expect(await d.vote(d.ee, 1, 1, -1)).toBe(told(RECORDED));
    // The same press again (a double tap): still one vote.
    expect(await d.vote(d.ee, 1, 1, -1)).toBe(told(RECORDED));
    expect(votesBy(1)).toEqual([expect.objectContaining({ collegeId: 'electrical', postId: post1, value: -1 })]);
    // Changed: 👍 replaces the 👎.
    expect(await d.vote(d.ee, 1, 1, 1)).toBe(told(CHANGED));
    expect(votesBy(1)).toEqual([expect.objectContaining({ collegeId: 'electrical', postId: post1, value: 1 })]);
    // A second student's vote on the same item is their own.
    expect(await d.vote(d.ee, 2, 1, -1)).toBe(told(RECORDED));
    expect(votesBy(2)).toHaveLength(1);
    const total = [...relay.feedback!.votes()].length;

    // A stranger: the same button pressed in a chat that is not in the rules.
    if (platform === 'wechat') {
      const ignored = relay.store.data.counters.ignored ?? 0;
      await rig.wx.say(d.stranger, { id: 'wxid_stranger', name: '路人' }, '1 不对口');
      await until('the stranger’s reply handled', () => (relay.store.data.counters.ignored ?? 0) > ignored);
      expect(rig.wx.sentTexts(d.stranger)).toEqual([]);
    } else {
      const data = d.received(d.ee).flatMap((m) => m.votes).find((v) => v.n === 1 && v.value === -1)!.data!;
      expect(await d.vote(d.stranger, 3, 1, -1, { data })).toBe(NOT_HERE);
    }
    expect([...relay.feedback!.votes()]).toHaveLength(total);
    if (platform === 'lark') {
      // A card is shared by everyone in the chat: presses are answered with a toast only, the card is
      // never updated (PATCH im/v1/messages/:id) or sent again for one student.
      expect(rig.lark.calls.filter((c) => c.method === 'PATCH' || c.method === 'PUT')).toEqual([]);
    }
    // Buttons are answered privately (toast, answerCallbackQuery): nothing is said in the channel.
    if (platform !== 'wechat') expect(d.received(d.ee)).toHaveLength(inChannel);
    if (platform === 'telegram') {
      // Each press answered once, with the core's text (answerCallbackQuery), and nothing else sent.
      expect([...rig.tg.callbacks.values()].every((c) => c.answered)).toBe(true);
      expect(rig.tg.callsOf('editMessageReplyMarkup')).toEqual([]);
    }

    // Students are kept as a keyed hash: their platform ids never reach the feedback state.
    await relay.feedback!.saveNow();
    const state = readFileSync(join(dir, 'data', 'feedback', 'feedback.json'), 'utf8');
    for (const who of [1, 2]) expect(state).not.toContain(studentIdOf(who));
  });

  it('a burst of votes from one student is limited, and told so', async () => {
    const answers: (string | undefined)[] = [];
    // Flipping one item back and forth: each press is a change and takes a token (8 at once, then 12 a
    // minute); the 9th and 10th ask for 👎 while 👍 stands, so both are changes too, and refused.
    for (let i = 0; i < 10; i++) answers.push(await d.vote(d.ee, 9, 2, i < 8 && i % 2 ? 1 : -1));
    expect(answers.slice(0, 8)).toEqual([RECORDED, ...Array(7).fill(CHANGED)].map(told));
    expect(answers.slice(8)).toEqual([LIMITED, LIMITED]);
    // The last vote that counted stays (the 8th press: 👍).
    expect(votesBy(9)).toEqual([expect.objectContaining({ value: 1 })]);
  });

  it('three distinct students’ 👎 move the next similar post’s routing, and classify says why', async () => {
    const n = itemOf(d.auto, SIMILAR_A);
    expect(n).toBe(1);
    const before = relay.classify(SIMILAR_B);
    expect(before.colleges).toContain('automation');
    // One student, many presses: nothing moves.
    expect(await d.vote(d.auto, 21, n, -1)).toBe(told(RECORDED));
    expect(await d.vote(d.auto, 21, n, -1)).toBe(told(RECORDED));
    expect(explain(relay.classify(SIMILAR_B), relay.rules())).not.toContain('学生反馈');
    expect(await d.vote(d.auto, 22, n, -1)).toBe(told(RECORDED));
    expect(explain(relay.classify(SIMILAR_B), relay.rules())).not.toContain('学生反馈');
    expect(await d.vote(d.auto, 23, n, -1)).toBe(told(RECORDED));
    const moved = relay.classify(SIMILAR_B) as ReturnType<Relay['classify']> & { feedback?: { collegeId: string; voters: number }[] };
    expect(moved.feedback).toEqual([expect.objectContaining({ collegeId: 'automation', voters: 3 })]);
    expect(explain(moved, relay.rules())).toMatch(/学生反馈：自动化系\(automation\) 反馈 −0\.\d+，3 票/);

    if (votesOnly) return;
    // The next similar post, through the platform: stored with the students' evidence in its routing.
    await d.post(SIMILAR_B, 99);
    const stored = await until('the similar post stored', () => relay.store.posts().find((p) => p.text === SIMILAR_B));
    const routing = (stored.classification as { routing?: { collegeId: string; evidence: { kind: string }[] }[] }).routing;
    expect(routing?.find((x) => x.collegeId === 'automation')?.evidence.some((e) => e.kind === 'feedback')).toBe(true);
    expect(routing?.find((x) => x.collegeId === 'electrical')?.evidence.some((e) => e.kind === 'feedback')).toBe(false);
  });

  it.skipIf(votesOnly)('a click on a tracked link is counted and redirected by the relay’s HTTP server', async () => {
    const raw = d.received(d.auto)[0]!.raw;
    const tokens = [...raw.matchAll(new RegExp(`${publicUrl.replace(/[.:/]/g, '\\$&')}/r/([A-Za-z0-9_-]{12})`, 'g'))].map((m) => m[1]!);
    expect(tokens.length).toBeGreaterThan(0);
    // The apply link points at the relay (the excerpt keeps the poster's own words, address included).
    expect(raw).not.toMatch(/href="https:\/\/jobs\.example\.com|\]\(https:\/\/jobs\.example\.com|🔗 https:\/\/jobs\.example\.com/);
    const res = await fetch(`${publicUrl}/r/${tokens[0]}`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('https://jobs.example.com/apply/a');
    const post = relay.store.posts().find((p) => p.text === SIMILAR_A)!;
    expect(relay.feedback!.clicks()).toEqual([expect.objectContaining({ postId: post.id, collegeId: 'automation', channel: `${platform}:${d.auto}`, n: 1 })]);
    // A made-up token is no redirect (a friendly page instead), and counts nothing.
    const unknown = await fetch(`${publicUrl}/r/AAAAAAAAAAAA`, { redirect: 'manual' });
    expect(unknown.status).not.toBe(302);
    expect(relay.feedback!.clicks().reduce((s, c) => s + c.n, 0)).toBe(1);
  });

  it.skipIf(votesOnly)('a private subscription is made (with a did-you-mean), listed, served at its time and cancelled', async () => {
    const who = 31;
    // A misspelt major: a did-you-mean, nothing stored.
    const guess = await d.dm(who, '订阅 电器工程及其自动化');
    expect(guess).toContain('你是不是要');
    expect(guess).toContain('电气工程及其自动化');
    expect(relay.feedback!.subscriptions()).toEqual([]);
    const made = await d.dm(who, '订阅 0806 每天 20:00');
    expect(made).toContain('已订阅');
    expect(made).toContain('每天 20:00');
    expect(relay.feedback!.subscriptions()).toEqual([expect.objectContaining({ platform, userId: studentIdOf(who), codes: ['0806'], time: '20:00' })]);
    expect(await d.dm(who, '我的订阅')).toMatch(/你订阅了：.*（0806），每天 20:00/);
    // A vote typed privately counts nothing and says where votes go.
    const votes = [...relay.feedback!.votes()].length;
    expect(await d.dm(who, '1 不对口')).toContain('请在收到速递的群里回复');
    expect([...relay.feedback!.votes()]).toHaveLength(votes);

    // 20:30 now: today's 20:00 has passed; the first personal digest is tomorrow's.
    await d.post(FOR_SUBSCRIBER, 77);
    await until('the referral for the subscriber stored', () => relay.store.posts().find((p) => p.text === FOR_SUBSCRIBER));
    const privately = () => d.privately(who).filter((m) => m.visible.includes('国网四川电力'));
    await relay.sendPersonalDigests();
    await relay.outbox.drain();
    expect(privately()).toEqual([]);
    shiftMs += 23 * 3600_000 + 40 * 60_000; // Thursday 20:10
    await relay.sendPersonalDigests();
    await until(() => `the personal digest; deliveries: ${describeDeliveries(relay.store.deliveries())}`, () => privately().length > 0, 10_000);
    expect(privately()).toHaveLength(1);
    // The platform has it; the outbox marks it delivered right after.
    const personal = await until('the personal delivery marked delivered', () => relay.store.deliveries().find((x) => x.collegeId === PERSONAL_DIGEST && x.status === 'delivered'));
    expect(personal).toMatchObject({ channel: { platform }, direct: true });
    expect(privately()[0]!.visible).toContain('我的专业订阅');
    // No votes in a private chat: votes count only from the colleges' channels in the rules (anyone can
    // write to the bot), so a personal digest carries no buttons, no card and no reply footer.
    expect(privately()[0]!.votes).toEqual([]);
    if (platform === 'lark') expect(privately()[0]!.msgType).toBe('post');
    expect(privately()[0]!.visible).not.toContain(WECHAT_FOOTER);
    // Once a day.
    await relay.sendPersonalDigests();
    await relay.outbox.drain();
    expect(privately()).toHaveLength(1);

    expect(await d.dm(who, '退订')).toContain('已退订');
    expect(relay.feedback!.subscriptions()).toEqual([]);
    expect(await d.dm(who, '我的订阅')).toContain('你还没有订阅');
  });

  // 2026-11: a person who blocked the bot makes every sendMessage to them fail with 403 "Forbidden: bot
  // was blocked by the user" (not on core.telegram.org; listed in https://github.com/vrumger/telegram-errors).
  it.runIf(platform === 'telegram')('a subscriber who blocked the bot is dropped after two undeliverable personal digests', async () => {
    const who = 41;
    const chat = 7_000_000 + who;
    expect(await d.dm(who, '订阅 0806 每天 20:00')).toContain('已订阅');
    rig.tg.failNext(100, { kind: 'error', status: 403, description: 'Forbidden: bot was blocked by the user' }, { method: 'sendMessage', chatId: chat });
    const dead = () => relay.store.deliveries().filter((x) => x.collegeId === PERSONAL_DIGEST && x.channel.chat === String(chat) && x.status === 'dead').length;
    for (const [day, text] of LATER.entries()) {
      await d.post(text, 200 + day);
      await until('the day’s referral stored', () => relay.store.posts().find((p) => p.text === text));
      shiftMs += 24 * 3600_000; // the next day, past 20:00
      await relay.sendPersonalDigests();
      if (day < 2) await until(() => `personal digest ${day + 1} dead; deliveries: ${describeDeliveries(relay.store.deliveries().filter((x) => x.collegeId === PERSONAL_DIGEST))}; subs ${JSON.stringify(relay.feedback!.subscriptions())}`, () => dead() === day + 1);
    }
    // Two dead in a row: the third day's turn ends the subscription instead of queueing another.
    await relay.outbox.drain();
    expect(dead()).toBe(2);
    expect(relay.feedback!.subscriptions().some((x) => x.userId === String(chat))).toBe(false);
    expect(rig.tg.callsOf('sendMessage').filter((c) => String(c.payload.chat_id) === String(chat) && c.status === 403)).toHaveLength(2);
    rig.tg.clearFaults();
  });
});
