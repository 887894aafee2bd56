// A loopback fake of the Telegram Bot API (https://core.telegram.org/bots/api), enough for grammY's
// long polling and sending: getMe, deleteWebhook, getUpdates, sendMessage. Reusable by adapter,
// end-to-end and fault tests: inject updates, read what was sent, make the next N calls fail.
// Binds 127.0.0.1 on a free port only.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeUser {
  id: number;
  is_bot?: boolean;
  first_name: string;
  last_name?: string;
  username?: string;
}

export interface FakeChat {
  id: number;
  type: 'private' | 'group' | 'supergroup' | 'channel';
  title?: string;
  username?: string;
  first_name?: string;
}

/** One Update as the Bot API returns it; `update_id` is assigned by the fake when absent. */
export type FakeUpdate = { update_id?: number } & Record<string, unknown>;

/** What a sendMessage call asked for, as the fake accepted it. */
export interface SentRecord {
  chatId: string;
  text: string;
  parseMode?: string;
  linkPreviewDisabled: boolean;
  messageId: number;
  at: number;
  payload: Record<string, unknown>;
}

/** Every call the fake saw (accepted or not), in order. */
export interface CallRecord {
  method: string;
  payload: Record<string, unknown>;
  at: number;
  /** HTTP status the fake answered with; undefined while pending or when the socket was dropped. */
  status?: number;
}

export type Fault =
  /** 429 Too Many Requests with parameters.retry_after (seconds). */
  | { kind: '429'; retryAfter: number }
  /** A 5xx answer (default 502 Bad Gateway). */
  | { kind: '5xx'; status?: number; description?: string }
  /** Any Bot API error answer, e.g. 403 "Forbidden: bot was kicked from the supergroup chat". */
  | { kind: 'error'; status: number; description: string; parameters?: Record<string, unknown> }
  /** Never answer (until the client gives up or the fake stops): a hung request. */
  | { kind: 'hang' }
  /** Destroy the socket without an answer: a network error. */
  | { kind: 'drop' };

interface PendingFault {
  fault: Fault;
  method?: string;
  chatId?: string;
  remaining: number;
  skip: number;
}

interface Waiter {
  offset: number;
  limit: number;
  res: ServerResponse;
  timer: NodeJS.Timeout;
}

/**
 * Flood limits enforced on sendMessage as requests arrive, like Telegram (2026-11,
 * https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this): a send over a
 * limit is answered 429 with retry_after. Counted in sliding windows, strictly (Telegram tolerates
 * short bursts; a fake that does not makes a throttler prove itself).
 */
export interface FakeFloodLimits {
  /** Least time between two sends to one chat; default 1000 ms. */
  perChatMs?: number;
  /** Most sends to one group (chat id below 0) in any 60 s; default 20. */
  groupPerMinute?: number;
  /** Most sends in all in any 1 s; default 30. */
  globalPerSecond?: number;
}

export interface TelegramFakeOptions {
  token?: string;
  bot?: Partial<FakeUser> & { canReadAllGroupMessages?: boolean };
  floodLimits?: FakeFloodLimits;
}

export const TELEGRAM_MAX_TEXT = 4096;

const TELEGRAM_HTML_TAGS = new Set(['b', 'strong', 'i', 'em', 'u', 'ins', 's', 'strike', 'del', 'a', 'code', 'pre', 'tg-spoiler', 'span', 'blockquote', 'tg-emoji']);

export class TelegramFakeServer {
  readonly token: string;
  readonly botUser: FakeUser;
  canReadAllGroupMessages: boolean;
  readonly sent: SentRecord[] = [];
  readonly calls: CallRecord[] = [];

  private server: Server | undefined;
  private baseUrl: string | undefined;
  private updates: FakeUpdate[] = [];
  private nextUpdateId = 100_000;
  private nextMessageId = 1;
  private allowedUpdates: string[] = [];
  private waiters: Waiter[] = [];
  private faults: PendingFault[] = [];
  private hung = new Set<ServerResponse>();
  private readonly flood: Required<FakeFloodLimits> | undefined;
  /** Arrival times of accepted sends: per chat, and in all. */
  private arrivals = new Map<string, number[]>();
  private allArrivals: number[] = [];
  /** sendMessage calls answered 429 because of `floodLimits`. */
  floodRejections = 0;

  constructor(opts: TelegramFakeOptions = {}) {
    this.flood = opts.floodLimits ? { perChatMs: 1000, groupPerMinute: 20, globalPerSecond: 30, ...opts.floodLimits } : undefined;
    this.token = opts.token ?? '123456789:TEST-fake-token_abcdefghijklmnopqrstu';
    const { canReadAllGroupMessages, ...bot } = opts.bot ?? {};
    this.botUser = { id: Number(this.token.split(':')[0]) || 123456789, is_bot: true, first_name: 'Alumni Relay', username: 'alumni_relay_bot', ...bot };
    this.canReadAllGroupMessages = canReadAllGroupMessages ?? true;
  }

  /** Starts listening on 127.0.0.1 (a free port unless `port` is given); resolves with the apiRoot to give grammY. */
  async start(port = 0): Promise<string> {
    if (this.baseUrl) return this.baseUrl;
    const server = createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      this.reply(w.res, 200, { ok: true, result: [] });
    }
    for (const res of this.hung) res.destroy();
    this.hung.clear();
    const server = this.server;
    this.server = undefined;
    this.baseUrl = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  get url(): string {
    if (!this.baseUrl) throw new Error('TelegramFakeServer not started');
    return this.baseUrl;
  }

  // ---- incoming side -------------------------------------------------------------------------

  /** Queues an update (as Telegram would for the bot) and wakes a pending long poll. Returns its update_id. */
  injectUpdate(update: FakeUpdate): number {
    const update_id = update.update_id ?? this.nextUpdateId++;
    this.updates.push({ ...update, update_id });
    this.flushWaiters();
    return update_id;
  }

  /** A member (or the bot itself, with `from: fake.botUser`) writes in a group. */
  injectMessage(opts: {
    chat: FakeChat;
    text?: string;
    caption?: string;
    from?: FakeUser;
    date?: number;
    extra?: Record<string, unknown>;
    kind?: 'message' | 'channel_post' | 'edited_message';
  }): number {
    const kind = opts.kind ?? (opts.chat.type === 'channel' ? 'channel_post' : 'message');
    const message: Record<string, unknown> = {
      message_id: this.nextMessageId++,
      date: opts.date ?? Math.floor(Date.now() / 1000),
      chat: opts.chat,
      ...(opts.from ? { from: { is_bot: false, ...opts.from } } : {}),
      ...(opts.text !== undefined ? { text: opts.text } : {}),
      ...(opts.caption !== undefined ? { caption: opts.caption, photo: [{ file_id: 'AgAD-fake', file_unique_id: 'fake', width: 90, height: 90 }] } : {}),
      ...opts.extra,
    };
    return this.injectUpdate({ [kind]: message });
  }

  /** Updates not yet confirmed by a getUpdates offset. */
  pendingUpdates(): FakeUpdate[] {
    return [...this.updates];
  }

  /** How many getUpdates requests are being held open right now. */
  get pollingClients(): number {
    return this.waiters.length;
  }

  // ---- outgoing side -------------------------------------------------------------------------

  sentTo(chatId: string | number): SentRecord[] {
    return this.sent.filter((s) => s.chatId === String(chatId));
  }

  callsOf(method: string): CallRecord[] {
    return this.calls.filter((c) => c.method === method);
  }

  /**
   * The next `times` calls (optionally only of `method`, only to `chatId`, after letting `skip` of
   * them through) are answered with `fault`.
   */
  failNext(times: number, fault: Fault, where: { method?: string; chatId?: string | number; skip?: number } = {}): void {
    this.faults.push({ fault, remaining: times, skip: where.skip ?? 0, method: where.method, chatId: where.chatId === undefined ? undefined : String(where.chatId) });
  }

  clearFaults(): void {
    this.faults = [];
  }

  // ---- HTTP ----------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let payload: Record<string, unknown>;
    try {
      payload = await readPayload(req);
    } catch {
      this.reply(res, 400, { ok: false, error_code: 400, description: 'Bad Request: invalid JSON' });
      return;
    }
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec((req.url ?? '').split('?')[0] ?? '');
    const method = match?.[2] ?? '';
    const call: CallRecord = { method, payload, at: Date.now() };
    this.calls.push(call);
    const answer = (status: number, body: unknown) => {
      call.status = status;
      this.reply(res, status, body);
    };
    if (!match) return answer(404, { ok: false, error_code: 404, description: 'Not Found' });
    if (match[1] !== this.token) return answer(401, { ok: false, error_code: 401, description: 'Unauthorized' });

    const fault = this.takeFault(method, payload);
    if (fault) {
      switch (fault.kind) {
        case '429':
          return answer(429, { ok: false, error_code: 429, description: `Too Many Requests: retry after ${fault.retryAfter}`, parameters: { retry_after: fault.retryAfter } });
        case '5xx': {
          const status = fault.status ?? 502;
          return answer(status, { ok: false, error_code: status, description: fault.description ?? 'Bad Gateway' });
        }
        case 'error':
          return answer(fault.status, { ok: false, error_code: fault.status, description: fault.description, ...(fault.parameters ? { parameters: fault.parameters } : {}) });
        case 'hang':
          this.hung.add(res);
          res.on('close', () => this.hung.delete(res));
          return;
        case 'drop':
          req.socket.destroy();
          return;
      }
    }

    switch (method) {
      case 'getMe':
        return answer(200, {
          ok: true,
          result: {
            ...this.botUser,
            is_bot: true,
            can_join_groups: true,
            can_read_all_group_messages: this.canReadAllGroupMessages,
            supports_inline_queries: false,
            can_connect_to_business: false,
            has_main_web_app: false,
          },
        });
      case 'deleteWebhook':
        if (payload.drop_pending_updates === true) this.updates = [];
        return answer(200, { ok: true, result: true, description: 'Webhook is already deleted' });
      case 'getUpdates':
        return this.getUpdates(payload, res, call);
      case 'sendMessage':
        return this.sendMessage(payload, answer);
      default:
        return answer(404, { ok: false, error_code: 404, description: 'Not Found' });
    }
  }

  private takeFault(method: string, payload: Record<string, unknown>): Fault | undefined {
    const i = this.faults.findIndex((f) => (!f.method || f.method === method) && (f.chatId === undefined || f.chatId === String(payload.chat_id)));
    if (i < 0) return undefined;
    const f = this.faults[i]!;
    if (f.skip > 0) {
      f.skip--;
      return undefined;
    }
    if (--f.remaining <= 0) this.faults.splice(i, 1);
    return f.fault;
  }

  private getUpdates(payload: Record<string, unknown>, res: ServerResponse, call: CallRecord): void {
    const offset = toInt(payload.offset, 0);
    const limit = Math.min(100, Math.max(1, toInt(payload.limit, 100)));
    const timeout = Math.max(0, toInt(payload.timeout, 0));
    if (Array.isArray(payload.allowed_updates)) this.allowedUpdates = payload.allowed_updates.map(String);
    // An update is confirmed (forgotten) once getUpdates is called with a higher offset.
    if (offset > 0) this.updates = this.updates.filter((u) => (u.update_id ?? 0) >= offset);
    // Only one long poll per bot: the older request is answered with 409 Conflict, as Telegram does.
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      this.reply(w.res, 409, { ok: false, error_code: 409, description: 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running' });
    }
    const ready = this.available(offset, limit);
    if (ready.length || timeout === 0) {
      call.status = 200;
      this.reply(res, 200, { ok: true, result: ready });
      return;
    }
    const waiter: Waiter = {
      offset,
      limit,
      res,
      timer: setTimeout(() => this.answerWaiter(waiter), timeout * 1000),
    };
    call.status = 200;
    this.waiters.push(waiter);
    res.on('close', () => {
      clearTimeout(waiter.timer);
      this.waiters = this.waiters.filter((w) => w !== waiter);
    });
  }

  private available(offset: number, limit: number): FakeUpdate[] {
    const allowed = this.allowedUpdates;
    return this.updates
      .filter((u) => (u.update_id ?? 0) >= offset)
      .filter((u) => !allowed.length || Object.keys(u).some((k) => k !== 'update_id' && allowed.includes(k)))
      .slice(0, limit);
  }

  private answerWaiter(w: Waiter): void {
    clearTimeout(w.timer);
    this.waiters = this.waiters.filter((x) => x !== w);
    this.reply(w.res, 200, { ok: true, result: this.available(w.offset, w.limit) });
  }

  private flushWaiters(): void {
    for (const w of [...this.waiters]) if (this.available(w.offset, w.limit).length) this.answerWaiter(w);
  }

  private sendMessage(payload: Record<string, unknown>, answer: (status: number, body: unknown) => void): void {
    const bad = (description: string) => answer(400, { ok: false, error_code: 400, description: `Bad Request: ${description}` });
    const chatId = payload.chat_id;
    if (chatId === undefined || chatId === '') return bad('chat_id is empty');
    const text = typeof payload.text === 'string' ? payload.text : '';
    const parseMode = typeof payload.parse_mode === 'string' ? payload.parse_mode : undefined;
    let visible = text;
    if (parseMode === 'HTML') {
      const parsed = parseTelegramHtml(text);
      if ('error' in parsed) return bad(`can't parse entities: ${parsed.error}`);
      visible = parsed.text;
    } else if (parseMode) {
      return bad(`unsupported parse_mode ${parseMode} in this fake`);
    }
    if (!visible.trim()) return bad('message text is empty');
    // 2026-11: the 4096 limit counts characters after entity parsing, https://core.telegram.org/bots/api#sendmessage
    if (visible.length > TELEGRAM_MAX_TEXT) return bad('message is too long');
    const wait = this.floodWait(String(chatId), Date.now());
    if (wait !== undefined) {
      this.floodRejections++;
      const retryAfter = Math.max(1, Math.ceil(wait / 1000));
      return answer(429, { ok: false, error_code: 429, description: `Too Many Requests: retry after ${retryAfter}`, parameters: { retry_after: retryAfter } });
    }
    const preview = payload.link_preview_options as { is_disabled?: boolean } | undefined;
    const messageId = this.nextMessageId++;
    const date = Math.floor(Date.now() / 1000);
    this.sent.push({ chatId: String(chatId), text, parseMode, linkPreviewDisabled: preview?.is_disabled === true, messageId, at: Date.now(), payload });
    const id = Number(chatId);
    const chat = Number.isFinite(id) ? { id, type: id < 0 ? 'supergroup' : 'private', title: 'fake chat' } : { id: -1000000000001, type: 'channel', username: String(chatId).replace(/^@/, '') };
    answer(200, { ok: true, result: { message_id: messageId, date, chat, from: { ...this.botUser, is_bot: true }, text: visible } });
  }

  /** Milliseconds until a send to `chat` arriving at `now` would be within the flood limits; undefined when it is (and it is counted). */
  private floodWait(chat: string, now: number): number | undefined {
    const f = this.flood;
    if (!f) return undefined;
    const mine = this.arrivals.get(chat) ?? [];
    const waits: number[] = [];
    const last = mine.at(-1);
    if (last !== undefined && now - last < f.perChatMs) waits.push(last + f.perChatMs - now);
    const inMinute = mine.filter((t) => now - t < 60_000);
    if (Number(chat) < 0 && inMinute.length >= f.groupPerMinute) waits.push(inMinute[0]! + 60_000 - now);
    this.allArrivals = this.allArrivals.filter((t) => now - t < 1000);
    if (this.allArrivals.length >= f.globalPerSecond) waits.push(this.allArrivals[0]! + 1000 - now);
    if (waits.length) return Math.max(...waits);
    inMinute.push(now);
    this.arrivals.set(chat, inMinute);
    this.allArrivals.push(now);
    return undefined;
  }

  private reply(res: ServerResponse, status: number, body: unknown): void {
    if (res.writableEnded || res.destroyed) return;
    const json = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
    res.end(json);
  }
}

async function readPayload(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks).toString('utf8');
  const query = Object.fromEntries(new URL(req.url ?? '/', 'http://x').searchParams);
  if (!raw) return query;
  const type = req.headers['content-type'] ?? '';
  if (type.includes('application/x-www-form-urlencoded')) return { ...query, ...Object.fromEntries(new URLSearchParams(raw)) };
  const parsed = JSON.parse(raw) as unknown;
  if (!parsed || typeof parsed !== 'object') throw new Error('not an object');
  return { ...query, ...(parsed as Record<string, unknown>) };
}

function toInt(v: unknown, fallback: number): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() ? Number(v) : NaN;
  return Number.isFinite(n) ? Math.trunc(n) : fallback;
}

/** Zero or more `name`, `name="…"`, `name='…'` or `name=bare`; no `<` inside a value. */
const ATTRIBUTES = /^(?:\s+[a-zA-Z][\w-]*(?:\s*=\s*(?:"[^"<]*"|'[^'<]*'|[^\s"'<>=`]+))?)*\s*$/;

/** The visible text of Telegram HTML, or why Telegram would refuse it (unknown/unbalanced tags, bare `&`). */
export function parseTelegramHtml(html: string): { text: string } | { error: string } {
  const stack: string[] = [];
  let text = '';
  const re = /<(\/?)([a-zA-Z][\w-]*)([^<>]*)>|&(#\d+|#x[0-9a-fA-F]+|lt|gt|amp|quot);|[<>&]|[^<>&]+/g;
  for (const m of html.matchAll(re)) {
    const [whole, closing, tag, attrs, entity] = m;
    if (tag) {
      const name = tag.toLowerCase();
      if (!TELEGRAM_HTML_TAGS.has(name)) return { error: `unsupported start tag "${name}" at byte offset ${m.index}` };
      if (!ATTRIBUTES.test(attrs ?? '') || (closing && attrs?.trim())) return { error: `malformed tag "${name}" at byte offset ${m.index}` };
      if (!closing && name === 'a' && !/\shref\s*=/.test(attrs ?? '')) return { error: `a link without href at byte offset ${m.index}` };
      if (closing) {
        if (stack.pop() !== name) return { error: `unmatched end tag at byte offset ${m.index}, expected "</${stack.at(-1) ?? ''}>", found "</${name}>"` };
      } else stack.push(name);
    } else if (entity) {
      text += entity === 'lt' ? '<' : entity === 'gt' ? '>' : entity === 'amp' ? '&' : entity === 'quot' ? '"' : String.fromCodePoint(entity.startsWith('#x') ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10));
    } else if (whole === '<' || whole === '&' || whole === '>') {
      if (whole !== '>') return { error: `unexpected "${whole}" at byte offset ${m.index}` };
      text += whole;
    } else text += whole;
  }
  if (stack.length) return { error: `can't find end tag corresponding to start tag "${stack.at(-1)}"` };
  return { text };
}
