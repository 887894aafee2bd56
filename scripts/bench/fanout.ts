// Fan-out: the real relay (createRelay) with the real Telegram adapter (grammY, its throttler and
// auto-retry) against a loopback Bot API that enforces Telegram's send limits at arrival. 30 colleges,
// each with its own Telegram group, build their digests at the same moment (one cron minute), sized
// so that college i's digest is 1 + i mod 3 messages (60 in all). Measured: from the digests being
// built to the last message arriving, against the least time the limits allow; and how many sends
// the fake refused with 429. The fake runs in a child process (Telegram's servers are not on our cores;
// its arrival times are on the epochNow() clock) or, to compare, in the relay's process.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTelegramAdapter, type TelegramAdapterOptions } from '../../adapters/telegram/index.ts';
import { createRelay } from '../../src/app.ts';
import { composeDigest } from '../../src/digest/compose.ts';
import type { Classification, Post } from '../../src/domain.ts';
import { silentLogger } from '../../src/log.ts';
import type { FakeWhere } from './ingest-real.ts';
import { epochNow, TelegramFakeProcess } from './telegram-fake-process.ts';
import { type Limit, minimumMakespanMs, TelegramLimitsFake } from './telegram-limits-fake.ts';

export const COLLEGES = 30;
const CHAT = (i: number) => `-100300000${String(i).padStart(4, '0')}`;

function rulesYaml(): string {
  const colleges = Array.from({ length: COLLEGES }, (_, i) =>
    [
      `  - id: c${i}`,
      `    name: 第${i + 1}学院`,
      `    classes: ["0806"]`,
      '    channels:',
      '      - platform: telegram',
      `        chat: "${CHAT(i)}"`,
    ].join('\n'),
  );
  // The cron never fires during the bench (1 January, 00:00): digests are built by hand, all at once.
  return `version: 1\ndefaults:\n  timezone: Asia/Shanghai\n  digest: "0 0 1 1 *"\n  maxItemsPerDigest: 200\n  explain: false\n  maxSendAttempts: 8\nsources:\n  - platform: telegram\n    group: "-1003000009999"\ncolleges:\n${colleges.join('\n')}\n`;
}

/** A post for college `i`; ≈ 500 characters rendered, so a 4096-character message holds ≈ 7. */
function post(i: number, k: number, classification: Classification): Post {
  const at = new Date().toISOString();
  const text = `【内推】第${i + 1}学院专场 ${k + 1}：国网某省电力公司2026届校园招聘，电气工程及其自动化、智能电网信息工程专业，本科/硕士。岗位职责：${'参与变电站运行维护、继电保护整定与调试，配网自动化系统运维。'.repeat(3)}投递 https://jobs.example.com/c${i}/${k}`;
  return {
    id: randomUUID(),
    text,
    fingerprint: randomUUID().replace(/-/g, '').slice(0, 16),
    sources: [{ platform: 'telegram', chatId: '-1003000009999', messageId: `f-${i}-${k}-${randomUUID().slice(0, 8)}`, senderId: 'u1', senderName: '王磊（2012级电气）', sentAt: at }],
    receivedAt: at,
    status: 'active',
    classification: { ...classification, colleges: [`c${i}`], fields: { ...classification.fields, company: `国网第${i + 1}分公司${k + 1}`, links: [`https://jobs.example.com/c${i}/${k}`] } },
    digestedFor: [],
  };
}

export interface FanoutResult {
  messages: number;
  totalMs: number;
  minimumMs: number;
  overMinimum: number;
  refused429: number;
  refusedBy: Record<Limit, number>;
  /** Where the Bot API fake ran. */
  fake: FakeWhere;
  /** When all 30 digests were built and durably recorded (with their deliveries), ms after the start. */
  recordedMs: number;
  /** Per chat, time between consecutive arrivals (the limit is 1000 ms): median and largest. */
  chatGapMs: { p50: number; max: number };
  /** When each round of first / second / third messages had all arrived, ms after the digests were built. */
  roundsDoneMs: number[];
  /** Median and largest shortfall of the refused sends (ms too early). */
  earlyByMs: { p50: number; max: number };
  deliveries: { delivered: number; pending: number; dead: number };
}

/**
 * One fan-out run. `classification` is a real classifier output for a referral (the bench has one);
 * `throttler` is passed to the adapter when its options take one (see TelegramAdapterOptions).
 */
export async function runFanout(classification: Classification, adapterOptions: Partial<TelegramAdapterOptions> = {}, where: FakeWhere = 'child'): Promise<FanoutResult> {
  const dir = mkdtempSync(join(tmpdir(), 'alumni-relay-fanout-'));
  const fake = where === 'child' ? new TelegramFakeProcess() : new TelegramLimitsFake();
  const now = where === 'child' ? epochNow : () => performance.now();
  const apiRoot = await fake.start();
  const rulesFile = join(dir, 'routing.yaml');
  writeFileSync(rulesFile, rulesYaml());
  const telegram = createTelegramAdapter({ token: fake.token, apiRoot }, { logger: silentLogger, pollTimeoutSeconds: 5, ...adapterOptions });
  const relay = await createRelay({ rulesFile, dataDir: join(dir, 'data'), adapters: new Map([['telegram', telegram]]), logger: silentLogger, watchRules: false });
  try {
    await relay.start();
    const started = performance.now();
    // Posts per college: the fewest that render into 1 + i mod 3 Telegram messages.
    const rules = relay.rules();
    for (let i = 0; i < COLLEGES; i++) {
      const want = 1 + (i % 3);
      const posts: Post[] = [];
      const parts = () => composeDigest(rules, rules.colleges[i]!, posts, new Date(), 'probe')?.render('telegram').length ?? 0;
      while (parts() < want) posts.push(post(i, posts.length, classification));
      for (const p of posts) await relay.store.addPost(p);
    }
    // The cron fires long after start in use. The adapter's start-up calls (getMe, deleteWebhook) pass its
    // 30-a-second window (throttle.ts counts every call but getUpdates): digests built within a second of
    // start found 2 of the 30 places taken, and the last 2 first messages waited ≈ 400 ms for them.
    await new Promise((r) => setTimeout(r, Math.max(0, started + 1100 - performance.now())));
    const expected = new Map<string, number>();
    // Only the colleges' channels count: a delivered referral also thanks its alumnus in the source group
    // (src/alumni), a message outside the fan-out that would otherwise stand in for the last digest part.
    const arrivals: { chatId: string; at: number }[] = [];
    let lastArrival = 0;
    let total = Infinity;
    let done!: () => void;
    const allIn = new Promise<void>((r) => (done = r));
    const check = () => {
      const ours = arrivals.filter((a) => expected.has(a.chatId));
      if (ours.length < total) return;
      lastArrival = Math.max(...ours.map((a) => a.at));
      done();
    };
    fake.onAccepted = (a) => {
      arrivals.push(a);
      check();
    };
    const t0 = now();
    // Every college's cron fires in the same minute: the scheduler starts them together.
    const digests = await Promise.all(Array.from({ length: COLLEGES }, (_, i) => relay.runDigest(`c${i}`)));
    if (digests.some((d) => !d)) throw new Error('fan-out: a college built no digest');
    const recordedMs = now() - t0;
    // Every delivery of these digests (a fast lane may have finished one already; it still counts).
    const ours = new Set(digests.map((d) => d!.id));
    for (const d of relay.store.deliveries()) if (ours.has(d.digestId)) expected.set(d.channel.chat, (expected.get(d.channel.chat) ?? 0) + d.parts.length);
    total = [...expected.values()].reduce((a, b) => a + b, 0);
    check();
    const timeout = setTimeout(done, 60_000);
    await allIn;
    clearTimeout(timeout);
    // The last marks become durable just after the last arrival; let them, so the counts below are final.
    for (let i = 0; i < 100 && relay.store.pendingDeliveries().length; i++) await new Promise((r) => setTimeout(r, 20));
    const minimumMs = minimumMakespanMs([...expected.values()]);
    const totalMs = lastArrival - t0;
    const ds = relay.store.deliveries();
    const gaps: number[] = [];
    const roundsDone: number[] = [];
    const byChat = new Map<string, number[]>();
    const stats = fake instanceof TelegramFakeProcess ? await fake.stats() : fake;
    for (const a of stats.accepted.filter((x) => expected.has(x.chatId))) (byChat.get(a.chatId) ?? byChat.set(a.chatId, []).get(a.chatId)!).push(a.at - t0);
    for (const times of byChat.values()) {
      for (let k = 0; k < times.length; k++) {
        if (k > 0) gaps.push(times[k]! - times[k - 1]!);
        roundsDone[k] = Math.max(roundsDone[k] ?? 0, times[k]!);
      }
    }
    gaps.sort((a, b) => a - b);
    return {
      messages: total,
      totalMs: Math.round(totalMs),
      minimumMs,
      overMinimum: Math.round((totalMs / minimumMs - 1) * 1000) / 1000,
      refused429: stats.refused,
      refusedBy: { ...stats.refusedBy },
      fake: where,
      recordedMs: Math.round(recordedMs),
      chatGapMs: { p50: Math.round(gaps[Math.floor(gaps.length / 2)] ?? 0), max: Math.round(gaps.at(-1) ?? 0) },
      roundsDoneMs: roundsDone.map(Math.round),
      earlyByMs: { p50: [...stats.earlyByMs].sort((a, b) => a - b)[Math.floor(stats.earlyByMs.length / 2)] ?? 0, max: Math.max(0, ...stats.earlyByMs) },
      deliveries: {
        delivered: ds.filter((d) => d.status === 'delivered').length,
        pending: ds.filter((d) => d.status === 'pending').length,
        dead: ds.filter((d) => d.status === 'dead').length,
      },
    };
  } finally {
    await relay.stop();
    await fake.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
