// Issue #5.4: the real relay against platforms that misbehave. About 30% of message sends on each
// platform (seeded, so the same calls fail on every run) answer with a rate limit (retry after 1 s),
// a server error, or never answer (the client times out); on Lark some also get "lost": Lark did
// send the message but the answer never came back. 20 digests across two colleges, each with a
// student channel on Telegram, Lark and WeChat (60 deliveries, 10 per channel), are built while the
// outbox drains with a short retry base delay. Every digest must arrive complete, in order per
// channel, and exactly once.
//
// What "duplicate" means here, per platform:
// - Telegram: the Bot API has no idempotency key, so a duplicate is the same part accepted twice by
//   sendMessage. A lost answer cannot be told from a failure by any client, so only faults where
//   Telegram did NOT act are injected (429, 5xx, hang); the adapter's per-key progress must also keep
//   a retried multi-part send from repeating parts.
// - Lark: message.create dedupes on `uuid` (our idempotencyKey, `${deliveryId}-${part}`) for an
//   hour, as the fake does. A duplicate is a second message for the same part under a different uuid,
//   which lost answers (Lark acted, we retry) would expose.
// - WeChat: no idempotency either; a duplicate is the same text accepted twice by the puppet.
// In all three, the check is the same: the bodies each channel received equal, in order and without
// repeats, the parts of that channel's deliveries in the order the digests were built.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRelay, type Relay } from '../../src/app.ts';
import type { Delivery } from '../../src/domain.ts';
import { createLogger, silentLogger } from '../../src/log.ts';
import { describeDeliveries, sleep, startRig, until, writeRules, type Rig } from '../helpers/e2e-rig.ts';
import { FaultProxy, injectWechatFaults, larkAnswer, telegramAnswer } from '../helpers/fault-proxy.ts';
import { post } from '../helpers/posts.ts';

type P = 'telegram' | 'lark' | 'wechat';
const PLATFORMS: P[] = ['telegram', 'lark', 'wechat'];
const DIGESTS = 20;
const FAULT_RATE = 0.3;

const CHANNELS: Record<'ee' | 'cs', Record<P, string>> = {
  ee: { telegram: '-1001987650101', lark: 'oc_a1b2c3d4e5f60718293a4b5c6d', wechat: '电气学院2026届就业信息群' },
  cs: { telegram: '-1001987650102', lark: 'oc_0f9e8d7c6b5a49382716051f2e', wechat: '计算机系2026届就业群' },
};

const RULES = `
version: 1
defaults:
  timezone: Asia/Shanghai
  # Generous: at a 30% fault rate a give-up would be a bug, not bad luck.
  maxSendAttempts: 15
sources:
  - platform: telegram
    group: "-1001987650001"
colleges:
${(['ee', 'cs'] as const)
  .map(
    (id) => `  - id: ${id}
    name: ${id === 'ee' ? '电气与电子工程学院' : '计算机系'}
    classes: ["${id === 'ee' ? '0806' : '0809'}"]
    channels:
${PLATFORMS.map((p) => `      - platform: ${p}\n        chat: "${CHANNELS[id][p]}"`).join('\n')}`,
  )
  .join('\n')}
`;

const COMPANIES = ['国网江苏电力', '南方电网广东', '国网浙江电力', '华能集团', '南瑞集团', '许继电气', '特变电工', '中国电建', '平高集团', '思源电气', '字节跳动', '腾讯', '华为', '阿里巴巴', '美团', '网易', '百度', '京东', '小米', '商汤'];

let rig: Rig;
let relay: Relay;
let dir: string;
let tgProxy: FaultProxy;
let larkProxy: FaultProxy;
let wxFaults: ReturnType<typeof injectWechatFaults>;
let built: string[] = [];
let elapsedMs = 0;

/** The bodies a channel received, in order, as the platform accepted them. */
function received(p: P, chat: string): string[] {
  if (p === 'telegram') return rig.tg.sentTo(chat).map((s) => s.text);
  if (p === 'lark') return rig.lark.sentTo(chat).map((m) => m.content);
  return rig.wx.sentTexts(chat);
}

/** What a channel should have received: its deliveries' parts, in the order the digests were built. */
function expected(deliveries: readonly Delivery[], p: P, chat: string): string[] {
  return deliveries.filter((d) => d.channel.platform === p && d.channel.chat === chat).flatMap((d) => d.parts.map((x) => x.body));
}

describe('faults: ~30% of platform calls fail, every digest still arrives once and in order', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'alumni-relay-faults-'));
    tgProxy = new FaultProxy({
      plan: { seed: 20261101, rate: FAULT_RATE, kinds: ['rate-limit', 'server-error', 'hang'] },
      matches: (method, path) => path.endsWith('/sendMessage'),
      answer: telegramAnswer,
    });
    larkProxy = new FaultProxy({
      // A lost answer is followed by a failed retry, so the outbox resends the part later in a new send().
      plan: { seed: 20261102, rate: FAULT_RATE, kinds: ['rate-limit', 'server-error', 'hang', 'lost'], followedBy: { lost: 'server-error' } },
      matches: (method, path) => method === 'POST' && path === '/open-apis/im/v1/messages',
      answer: larkAnswer,
    });
    rig = await startRig({
      dataDir: dir,
      wechatRooms: [CHANNELS.ee.wechat, CHANNELS.cs.wechat],
      via: { telegram: (url) => tgProxy.start(url), lark: (url) => larkProxy.start(url) },
      // Short timeouts so a hang costs 400 ms, not 15 s. Telegram: auto-retry off (its 5xx backoff
      // starts at 3 s and it sleeps even after the last attempt), so the outbox does the retrying;
      // the client-side throttler is off, the faults are the point here.
      telegram: { throttle: false, requestTimeoutMs: 400, retry: { attempts: 0, maxDelaySeconds: 0, networkAttempts: 1, networkBaseDelayMs: 20 } },
      lark: { requestTimeoutMs: 400, retryDelayMs: 20 },
      wechat: { sendSpacingMs: [0, 5] },
    });
    wxFaults = injectWechatFaults(rig.wx, { seed: 20261103, rate: FAULT_RATE, kinds: ['rate-limit', 'server-error', 'hang'] }, { hangMs: 300 });
    relay = await createRelay({
      rulesFile: writeRules(dir, RULES),
      dataDir: join(dir, 'data'),
      adapters: rig.adapters,
      logger: process.env.E2E_LOG ? createLogger({ level: process.env.E2E_LOG }) : silentLogger,
      watchRules: false,
      outboxIntervalMs: 50,
      retryBaseDelayMs: 100,
    });
    await relay.start();
    await rig.connect();
  }, 30_000);

  afterAll(async () => {
    await relay?.stop();
    await rig?.close();
    await Promise.allSettled([tgProxy?.stop(), larkProxy?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('delivers 20 digests on 6 channels through rate limits, server errors, hangs and lost answers', async () => {
    const t0 = Date.now();
    // Digests are built while the outbox is already fighting earlier faults.
    for (let i = 0; i < DIGESTS; i++) {
      const college = i % 2 === 0 ? 'ee' : 'cs';
      const now = new Date().toISOString();
      const items = i % 3 === 0 ? 2 : 1;
      for (let k = 0; k < items; k++) {
        const company = `${COMPANIES[i]!}${k ? '（第二批）' : ''}`;
        await relay.store.addPost(
          post({
            text: `${company}2026届校园招聘 第${i + 1}号，${college === 'ee' ? '电气工程及其自动化' : '计算机科学与技术'}专业本科/硕士，网申 https://jobs.example.com/${i}-${k}`,
            receivedAt: now,
            colleges: [college],
            fields: { company, links: [`https://jobs.example.com/${i}-${k}`], degrees: ['本科', '硕士'] },
          }),
        );
      }
      const digest = await relay.runDigest(college);
      expect(digest, `digest ${i + 1} was built`).toBeDefined();
      built.push(digest!.id);
      await sleep(40);
    }
    const deliveries = relay.store.deliveries();
    expect(deliveries).toHaveLength(DIGESTS * 3);

    await until(
      () => `every delivery to settle; outbox: ${describeDeliveries(relay.store.deliveries().filter((d) => d.status !== 'delivered'))}`,
      () => relay.store.deliveries().every((d) => d.status !== 'pending'),
      45_000,
    );
    elapsedMs = Date.now() - t0;

    const dead = relay.store.deliveries().filter((d) => d.status === 'dead');
    expect(dead, `dead-lettered: ${describeDeliveries(dead)}`).toEqual([]);

    let duplicates = 0;
    let outOfOrder = 0;
    for (const college of ['ee', 'cs'] as const) {
      for (const p of PLATFORMS) {
        const chat = CHANNELS[college][p];
        const want = expected(deliveries, p, chat);
        const got = received(p, chat);
        expect(new Set(want).size, 'every part is distinct, so repeats are visible').toBe(want.length);
        duplicates += got.length - new Set(got).size;
        if (JSON.stringify([...new Set(got)]) !== JSON.stringify(want)) outOfOrder++;
        expect(got, `${p} ${college} channel: all parts, in digest order, once each`).toEqual(want);
      }
    }
    const delivered = built.filter((id) => relay.store.deliveries().filter((d) => d.digestId === id).every((d) => d.status === 'delivered')).length;

    const per = { telegram: tgProxy, lark: larkProxy, wechat: wxFaults };
    const failed = PLATFORMS.reduce((n, p) => n + per[p].failed, 0);
    const total = PLATFORMS.reduce((n, p) => n + per[p].calls.length, 0);
    const kinds = [...tgProxy.calls, ...larkProxy.calls, ...wxFaults.calls].reduce<Record<string, number>>((m, c) => (c.fault ? { ...m, [c.fault]: (m[c.fault] ?? 0) + 1 } : m), {});
    const summary =
      `fault test: ${failed} calls failed of ${total}, ${delivered}/${DIGESTS} digests delivered${outOfOrder ? `, ${outOfOrder} channels out of order` : ' in order'}, ${duplicates} duplicates` +
      ` (${PLATFORMS.map((p) => `${p} ${per[p].failed}/${per[p].calls.length}`).join(', ')}; ${Object.entries(kinds).map(([k, n]) => `${n} ${k}`).join(', ')}; ${DIGESTS * 3} deliveries on 6 channels in ${(elapsedMs / 1000).toFixed(1)} s)`;
    console.log(summary);

    expect(delivered).toBe(DIGESTS);
    expect(duplicates).toBe(0);
    // The faults really happened, on every platform, of every kind.
    for (const p of PLATFORMS) expect(per[p].failed / per[p].calls.length, `${p} fault share`).toBeGreaterThan(0.15);
    for (const k of ['rate-limit', 'server-error', 'hang', 'lost']) expect(kinds[k] ?? 0, `${k} faults injected`).toBeGreaterThan(0);
    // Lark acted on every lost answer, and the retry under the same uuid did not post again: more
    // create calls reached Lark than messages exist.
    const reachedLark = larkProxy.calls.filter((c) => !c.fault || c.fault === 'lost').length;
    expect(rig.lark.sent).toHaveLength(DIGESTS);
    expect(reachedLark).toBeGreaterThan(rig.lark.sent.length);
  }, 60_000);
});
