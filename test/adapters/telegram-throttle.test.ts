// Fan-out against a fake that enforces Telegram's flood limits as requests arrive (1 s between two
// sends to a chat, 30 sends a second in all): the real adapter with its default throttling never
// gets a 429, and different chats are not queued behind each other.
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createTelegramAdapter, DEFAULT_PER_CHAT_GAP_MS } from '../../adapters/telegram/index.ts';
import { perChatGap } from '../../adapters/telegram/throttle.ts';
import { silentLogger } from '../../src/log.ts';
import type { ChatAdapter } from '../../src/ports.ts';
import { TelegramFakeServer } from '../fakes/telegram-server.ts';

const fakes: TelegramFakeServer[] = [];
const adapters: ChatAdapter[] = [];
afterEach(async () => {
  for (const a of adapters.splice(0)) await a.stop();
  for (const f of fakes.splice(0)) await f.stop();
});

async function rig() {
  const fake = new TelegramFakeServer({ floodLimits: {} });
  fakes.push(fake);
  const apiRoot = await fake.start();
  // retry.attempts 0: a 429 would surface instead of being waited out, so none may happen.
  const adapter = createTelegramAdapter({ token: fake.token, apiRoot }, { logger: silentLogger, retry: { attempts: 0, maxDelaySeconds: 0 } });
  adapters.push(adapter);
  return { fake, adapter };
}

describe('telegram throttling', () => {
  it('fans a 3-part digest out to 6 chats with no 429: each chat ≥ 1 s apart at arrival, chats in parallel', async () => {
    const { fake, adapter } = await rig();
    const chats = Array.from({ length: 6 }, (_, i) => String(-1001987650100 - i));
    const line = '国网江苏电力 2026届 电气工程及其自动化 内推 '.repeat(100);
    const body = [line, line, line].join('\n');
    const t0 = Date.now();
    await Promise.all(chats.map((c) => adapter.send(c, { format: 'plain', body })));
    const elapsed = Date.now() - t0;
    expect(fake.floodRejections).toBe(0);
    expect(fake.callsOf('sendMessage').every((c) => c.status === 200)).toBe(true);
    for (const c of chats) {
      const at = fake.sentTo(c).map((s) => s.at);
      expect(at).toHaveLength(3);
      for (let k = 1; k < at.length; k++) expect(at[k]! - at[k - 1]!).toBeGreaterThanOrEqual(1000);
    }
    // Parallel: every chat's first part within a fraction of a second, the whole fan-out in about
    // the time of one chat's three parts (serialised it would take ≥ 17 s).
    const firsts = chats.map((c) => fake.sentTo(c)[0]!.at);
    expect(Math.max(...firsts) - Math.min(...firsts)).toBeLessThan(600);
    expect(elapsed).toBeLessThan(2 * DEFAULT_PER_CHAT_GAP_MS + 2000);
  }, 20_000);

  it('keeps under 30 sends a second in all when 40 chats get two parts each', async () => {
    const { fake, adapter } = await rig();
    const chats = Array.from({ length: 40 }, (_, i) => String(-1001987650200 - i));
    const line = '内推'.repeat(1500);
    await Promise.all(chats.map((c) => adapter.send(c, { format: 'plain', body: `${line}\n${line}` })));
    expect(fake.floodRejections).toBe(0);
    expect(fake.sent).toHaveLength(80);
    const at = fake.sent.map((s) => s.at).sort((a, b) => a - b);
    for (let i = 30; i < at.length; i++) expect(at[i]! - at[i - 30]!).toBeGreaterThanOrEqual(1000);
  }, 20_000);

  it('perChatGap: a call starts at least the gap after the previous call to that chat ended, however long it took', async () => {
    const log: { chat: string; start: number; end: number }[] = [];
    const durations = [120, 5, 60, 1, 30];
    let n = 0;
    const prev = (async (_m: string, payload: { chat_id: string }) => {
      const start = Date.now();
      await new Promise((r) => setTimeout(r, durations[n++ % durations.length]));
      log.push({ chat: payload.chat_id, start, end: Date.now() });
      return { ok: true, result: true };
    }) as never;
    const t = perChatGap(100);
    const calls = [];
    for (let k = 0; k < 5; k++) for (const chat of ['a', 'b']) calls.push(t(prev, 'sendMessage', { chat_id: chat, text: 'x' } as never));
    await Promise.all(calls);
    for (const chat of ['a', 'b']) {
      const mine = log.filter((l) => l.chat === chat);
      expect(mine).toHaveLength(5);
      for (let k = 1; k < mine.length; k++) expect(mine[k]!.start - mine[k - 1]!.end).toBeGreaterThanOrEqual(99);
    }
    // The two chats overlapped in time.
    const a = log.filter((l) => l.chat === 'a');
    const b = log.filter((l) => l.chat === 'b');
    expect(b[0]!.start).toBeLessThan(a[1]!.start);
  });
});

describe('media groups and the limits', () => {
  it('counts a media group of 3 as 3 messages: a group budget of 4 lets the group and one text through, then holds the next', async () => {
    // A strict fake: 4 messages a minute to a group, a media group counting as its pictures.
    const fake = new TelegramFakeServer({ floodLimits: { groupPerMinute: 4, perChatMs: 0 } });
    fakes.push(fake);
    const apiRoot = await fake.start();
    const adapter = createTelegramAdapter(
      { token: fake.token, apiRoot },
      { logger: silentLogger, retry: { attempts: 0, maxDelaySeconds: 0 }, throttle: { perChatGapMs: 50, groupLimit: 4, groupWindowMs: 60_000 } },
    );
    adapters.push(adapter);
    const chat = '-1001987650300';
    const pic = fileURLToPath(new URL('../fixtures/posters/bytedance-backend.png', import.meta.url));
    const images = [pic, pic, pic].map((file) => ({ file, mime: 'image/png' }));
    await adapter.send(chat, { format: 'plain', body: '三张海报', images });
    expect(fake.photos).toHaveLength(3);
    expect(fake.sentTo(chat).map((s) => s.text)).toEqual(['三张海报']);
    // The budget is spent: without the weighting the throttle would think 2 calls went out and send this at once (a 429).
    let sent = false;
    const pending = adapter.send(chat, { format: 'plain', body: 'held back' }).then(() => (sent = true), () => (sent = true));
    await new Promise((r) => setTimeout(r, 1500));
    expect(sent).toBe(false);
    expect(fake.floodRejections).toBe(0);
    expect(fake.callsOf('sendMediaGroup')).toHaveLength(1); // the stand-ins never reached Telegram
    await adapter.stop();
    void pending;
  }, 10_000);
});

describe('globalWindow', () => {
  it('no more than `limit` calls start in any window after the calls they follow ended, however long calls take', async () => {
    const { globalWindow } = await import('../../adapters/telegram/throttle.ts');
    const t = globalWindow(5, 200);
    const log: { start: number; end: number }[] = [];
    let i = 0;
    const prev = (async () => {
      const start = Date.now();
      // Some calls are slow on the way: exactly what lets start-spaced limiters bunch arrivals.
      await new Promise((r) => setTimeout(r, i++ % 4 === 0 ? 90 : 2));
      log.push({ start, end: Date.now() });
      return true;
    }) as never;
    await Promise.all(Array.from({ length: 23 }, () => t(prev, 'sendMessage', { chat_id: 1 } as never)));
    expect(log).toHaveLength(23);
    // "Arrival" is somewhere in [start, end]; take the worst case for each pair: any 6 calls span
    // more than the window from the earliest end to the latest start.
    const byStart = [...log].sort((a, b) => a.start - b.start);
    for (let k = 5; k < byStart.length; k++) {
      const six = byStart.slice(k - 5, k + 1);
      expect(Math.max(...six.map((c) => c.start)) - Math.min(...six.map((c) => c.end))).toBeGreaterThanOrEqual(199);
    }
  });
});

describe('groupWindow', () => {
  it('holds each group to `limit` calls in any window as they arrive, groups apart, private chats untouched', async () => {
    const { groupWindow } = await import('../../adapters/telegram/throttle.ts');
    const t = groupWindow(4, 400);
    const log: { chat: string; start: number; end: number }[] = [];
    let i = 0;
    const prev = (async (_m: string, payload: { chat_id: number }) => {
      const start = performance.now();
      await new Promise((r) => setTimeout(r, i++ % 3 === 0 ? 60 : 1));
      log.push({ chat: String(payload.chat_id), start, end: performance.now() });
      return true;
    }) as never;
    const chats = [-1001, -1002, 42];
    const t0 = performance.now();
    await Promise.all(chats.flatMap((chat) => Array.from({ length: 10 }, () => t(prev, 'sendMessage', { chat_id: chat } as never))));
    expect(log).toHaveLength(30);
    for (const chat of ['-1001', '-1002']) {
      const byStart = log.filter((c) => c.chat === chat).sort((a, b) => a.start - b.start);
      // Any 5 calls to one group: the latest start comes more than the window after the earliest end.
      for (let k = 4; k < byStart.length; k++) {
        const five = byStart.slice(k - 4, k + 1);
        expect(Math.max(...five.map((c) => c.start)) - Math.min(...five.map((c) => c.end))).toBeGreaterThanOrEqual(400);
      }
      // The first 4 go at once: a budget, not a spacing.
      expect(byStart[3]!.start - t0).toBeLessThan(300);
    }
    // A private chat (id above 0) is not a group: all 10 at once.
    expect(Math.max(...log.filter((c) => c.chat === '42').map((c) => c.start)) - t0).toBeLessThan(300);
  });
});

describe('only messages are throttled', () => {
  it('a lookup (getChatMemberCount) or a callback answer neither waits in a busy chat lane nor takes a place in the windows', async () => {
    const { throttleTransformers, isMessageCall } = await import('../../adapters/telegram/throttle.ts');
    expect(['sendMessage', 'sendPhoto', 'sendMediaGroup', 'copyMessage', 'forwardMessage', 'editMessageText'].every(isMessageCall)).toBe(true);
    expect(['getChatMemberCount', 'getFile', 'getMe', 'answerCallbackQuery', 'getUpdates', 'deleteWebhook'].some(isMessageCall)).toBe(false);
    // Innermost first, as the adapter installs them: compose into one call path.
    const transformers = throttleTransformers({ perChatGapMs: 1000, globalLimit: 2, globalWindowMs: 1000 });
    type Call = (m: string, p: unknown) => Promise<unknown>;
    const base: Call = async () => ({ ok: true, result: true });
    const call = transformers.reduce<Call>((prev, t) => (m, p) => (t as unknown as (prev: Call, m: string, p: unknown) => Promise<unknown>)(prev, m, p), base);
    await call('sendMessage', { chat_id: -1001, text: 'a' });
    await call('sendMessage', { chat_id: -1002, text: 'b' }); // the global window (2 a second) is now full, chat -1001's lane busy
    const t0 = performance.now();
    await Promise.all([call('getChatMemberCount', { chat_id: -1001 }), call('answerCallbackQuery', { callback_query_id: 'q' }), call('getFile', { file_id: 'f' })]);
    expect(performance.now() - t0).toBeLessThan(500);
    // Whereas a message to that chat still waits its gap.
    const t1 = performance.now();
    await call('sendMessage', { chat_id: -1001, text: 'c' });
    expect(performance.now() - t1).toBeGreaterThanOrEqual(800);
  });
});
