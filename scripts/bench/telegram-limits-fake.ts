// A loopback Telegram Bot API for the bench: what grammY needs to poll and send (getMe, deleteWebhook,
// getUpdates, sendMessage), with Telegram's send limits enforced where Telegram enforces them, at
// arrival: a sendMessage that would break one is answered 429 with parameters.retry_after and not
// delivered. Limits (2026-11, https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this):
//   - at least 1 s between two messages to one chat;
//   - at most 20 messages a minute to one group (negative chat id);
//   - at most 30 messages a second in all.
// A refused call does not count towards the limits. Binds 127.0.0.1 on a free port only.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const LIMITS = { perChatGapMs: 1000, perGroupPerMinute: 20, overallPerSecond: 30 } as const;

export interface Arrival {
  chatId: string;
  text: string;
  at: number;
}

interface Waiter {
  offset: number;
  limit: number;
  res: ServerResponse;
  timer: NodeJS.Timeout;
}

/**
 * Pure: whether a message to `chatId` arriving at `at` breaks a limit given the earlier accepted
 * arrivals; the wait (ms) until it would not, or 0 when it may go.
 */
export function limitWait(accepted: readonly Arrival[], chatId: string, at: number): number {
  return limitCheck(accepted, chatId, at).waitMs;
}

export type Limit = 'perChatGap' | 'perGroupPerMinute' | 'overallPerSecond';

/** limitWait, and which limit asks for the longest wait. */
export function limitCheck(accepted: readonly Arrival[], chatId: string, at: number): { waitMs: number; limit?: Limit } {
  let waitMs = 0;
  let limit: Limit | undefined;
  const need = (ms: number, l: Limit) => {
    if (ms > waitMs) [waitMs, limit] = [ms, l];
  };
  const toChat = accepted.filter((a) => a.chatId === chatId);
  const last = toChat.at(-1);
  if (last && at - last.at < LIMITS.perChatGapMs) need(last.at + LIMITS.perChatGapMs - at, 'perChatGap');
  if (chatId.startsWith('-')) {
    const lastMinute = toChat.filter((a) => at - a.at < 60_000);
    if (lastMinute.length >= LIMITS.perGroupPerMinute) need(lastMinute[0]!.at + 60_000 - at, 'perGroupPerMinute');
  }
  const lastSecond = accepted.filter((a) => at - a.at < 1000);
  if (lastSecond.length >= LIMITS.overallPerSecond) need(lastSecond[lastSecond.length - LIMITS.overallPerSecond]!.at + 1000 - at, 'overallPerSecond');
  return limit ? { waitMs, limit } : { waitMs };
}

export class TelegramLimitsFake {
  readonly accepted: Arrival[] = [];
  refused = 0;
  /** 429s by the limit that caused them. */
  readonly refusedBy: Record<Limit, number> = { perChatGap: 0, perGroupPerMinute: 0, overallPerSecond: 0 };
  /** How short of the limit each refused send was, in ms (how early it came). */
  readonly earlyByMs: number[] = [];
  /** Calls per Bot API method. */
  readonly calls: Record<string, number> = {};
  /** Updates handed out by getUpdates (an update comes back until confirmed). */
  updatesServed = 0;
  /** Updates served so far and not yet confirmed, in order. */
  private updates: Record<string, unknown>[] = [];
  private nextUpdateId = 1;
  private waiters: Waiter[] = [];
  private server: Server | undefined;
  private messageId = 1;
  /** Called after each accepted sendMessage. */
  onAccepted: ((a: Arrival) => void) | undefined;

  /** `now`: the clock arrivals are timed on (the child-process fake uses epoch ms, see telegram-fake-process.ts). */
  constructor(
    readonly token = '123456:BENCH',
    private readonly now: () => number = () => performance.now(),
  ) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      this.reply(w.res, 200, { ok: true, result: [] });
    }
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  /** Group messages from alumni, served to getUpdates in batches of up to its `limit` (100). */
  push(messages: { chatId: number; title: string; senderId: number; text: string }[]): void {
    const date = Math.floor(Date.now() / 1000);
    for (const m of messages) {
      const update_id = this.nextUpdateId++;
      this.updates.push({
        update_id,
        message: { message_id: update_id, date, chat: { id: m.chatId, type: 'supergroup', title: m.title }, from: { id: m.senderId, is_bot: false, first_name: `校友${m.senderId}` }, text: m.text },
      });
    }
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      this.answerUpdates(w.res, w.offset, w.limit);
    }
  }

  private answerUpdates(res: ServerResponse, offset: number, limit: number): void {
    this.updates = this.updates.filter((u) => (u.update_id as number) >= offset);
    const result = this.updates.slice(0, limit);
    this.updatesServed += result.length;
    this.reply(res, 200, { ok: true, result });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const at = this.now();
    const m = /^\/bot([^/]+)\/(\w+)$/.exec(req.url ?? '');
    if (!m || m[1] !== this.token) return this.reply(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
    let body: Record<string, unknown> = {};
    try {
      const raw = Buffer.concat(chunks).toString('utf8');
      body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    } catch {
      return this.reply(res, 400, { ok: false, error_code: 400, description: 'Bad Request: invalid JSON' });
    }
    this.calls[m[2]!] = (this.calls[m[2]!] ?? 0) + 1;
    switch (m[2]) {
      case 'getMe':
        return this.reply(res, 200, { ok: true, result: { id: 777000111, is_bot: true, first_name: 'relay', username: 'bench_relay_bot', can_join_groups: true, can_read_all_group_messages: true, supports_inline_queries: false } });
      case 'deleteWebhook':
      case 'close':
        return this.reply(res, 200, { ok: true, result: true });
      case 'getUpdates': {
        const offset = Number(body.offset ?? 0);
        const limit = Math.min(100, Number(body.limit ?? 100));
        const timeout = Number(body.timeout ?? 0);
        this.updates = this.updates.filter((u) => (u.update_id as number) >= offset);
        if (this.updates.length || timeout <= 0) return this.answerUpdates(res, offset, limit);
        const waiter: Waiter = { offset, limit, res, timer: setTimeout(() => this.answerUpdates(res, offset, limit), timeout * 1000) };
        this.waiters.push(waiter);
        res.on('close', () => {
          clearTimeout(waiter.timer);
          this.waiters = this.waiters.filter((w) => w !== waiter);
        });
        return;
      }
      case 'sendMessage': {
        const chatId = String(body.chat_id);
        const { waitMs: wait, limit } = limitCheck(this.accepted, chatId, at);
        if (wait > 0 && limit) {
          this.refused++;
          this.refusedBy[limit]++;
          this.earlyByMs.push(Math.round(wait));
          const retryAfter = Math.max(1, Math.ceil(wait / 1000));
          return this.reply(res, 429, { ok: false, error_code: 429, description: `Too Many Requests: retry after ${retryAfter}`, parameters: { retry_after: retryAfter } });
        }
        const arrival = { chatId, text: String(body.text ?? ''), at };
        this.accepted.push(arrival);
        this.onAccepted?.(arrival);
        const id = this.messageId++;
        return this.reply(res, 200, { ok: true, result: { message_id: id, date: Math.floor(Date.now() / 1000), chat: { id: Number(chatId), type: 'supergroup' }, text: arrival.text } });
      }
      default:
        return this.reply(res, 404, { ok: false, error_code: 404, description: `Not Found: method ${m[2]}` });
    }
  }

  private reply(res: ServerResponse, status: number, body: unknown): void {
    if (res.writableEnded || res.destroyed) return;
    const data = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) });
    res.end(data);
  }
}

/**
 * Pure: the earliest time (ms after the first may go) by which all messages can have arrived under
 * LIMITS, given how many go to each chat: messages are placed greedily in rounds (each chat's k-th
 * message after its (k−1)-th + the per-chat gap), each as early as the 30/s and 20/min windows allow.
 */
export function minimumMakespanMs(perChat: readonly number[]): number {
  const placed: Arrival[] = [];
  const lastAt = new Map<number, number>();
  const rounds = Math.max(0, ...perChat);
  let end = 0;
  for (let r = 0; r < rounds; r++) {
    for (const [chat, n] of perChat.entries()) {
      if (r >= n) continue;
      let at = r === 0 ? 0 : lastAt.get(chat)! + LIMITS.perChatGapMs;
      for (let w = limitWait(placed, `-${chat + 1}`, at); w > 0; w = limitWait(placed, `-${chat + 1}`, at)) at += w;
      placed.push({ chatId: `-${chat + 1}`, text: '', at });
      placed.sort((a, b) => a.at - b.at);
      lastAt.set(chat, at);
      end = Math.max(end, at);
    }
  }
  return end;
}
