// A loopback fake of the Telegram Bot API (https://core.telegram.org/bots/api), enough for grammY's
// long polling and sending: getMe, deleteWebhook, getUpdates, sendMessage, sendPhoto and
// sendMediaGroup (multipart uploads), answerCallbackQuery, getFile and the file download route.
// Reusable by adapter, end-to-end and fault tests: inject updates and button presses, read what was
// sent, delete a message, serve files (honest or lying about their size), make the next N calls fail.
// Binds 127.0.0.1 on a free port only.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Answer, checkMarkup, parseTelegramHtml, readPayload, toInt, type UploadedFile } from './telegram-wire.ts';

export { parseTelegramHtml } from './telegram-wire.ts';

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
  /** The message it answers, when the reply target existed. */
  replyToId?: number;
  at: number;
  payload: Record<string, unknown>;
}

/** A picture the fake accepted (sendPhoto, or one item of sendMediaGroup). */
export interface PhotoRecord {
  chatId: string;
  messageId: number;
  caption?: string;
  parseMode?: string;
  upload: UploadedFile;
  mediaGroupId?: string;
  replyToId?: number;
  payload: Record<string, unknown>;
  at: number;
}

/** A button press the fake delivered, and how the bot answered it. */
export interface CallbackRecord {
  id: string;
  injectedAt: number;
  answered?: { text?: string; at: number };
}

/** A file the fake serves through getFile and GET /file/bot<token>/<file_path>. */
export interface FakeFile {
  bytes: Buffer;
  /** What getFile says file_size is (default the real size): a lie tests an early refusal or a capped read. */
  declaredSize?: number;
  /** Send no Content-Length (chunked), so only the byte count can stop a reader. */
  chunked?: boolean;
  /** Pause between 64 KiB chunks, ms; default 0. */
  chunkDelayMs?: number;
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
  readonly photos: PhotoRecord[] = [];
  readonly callbacks = new Map<string, CallbackRecord>();
  /** How long a press may wait for its answer before answerCallbackQuery is refused as too old; default 15 s. */
  callbackAnswerWindowMs = 15_000;
  /** File downloads: what was asked, how many bytes were written before the client stopped or it ended. */
  readonly downloads: { path: string; bytesWritten: number; completed: boolean }[] = [];
  private files = new Map<string, FakeFile & { path: string }>();
  /** Messages that exist, per chat (injected or sent, not deleted): reply targets. */
  private existing = new Map<string, Set<number>>();
  private nextCallbackId = 1;
  private nextMediaGroup = 1;
  /** Members per chat id, for getChatMemberCount (a chat not listed is "chat not found"). */
  readonly memberCounts = new Map<string, number>();

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
    const messageId = this.nextMessageId++;
    this.remember(opts.chat.id, messageId);
    const message: Record<string, unknown> = {
      message_id: messageId,
      date: opts.date ?? Math.floor(Date.now() / 1000),
      chat: opts.chat,
      ...(opts.from ? { from: { is_bot: false, ...opts.from } } : {}),
      ...(opts.text !== undefined ? { text: opts.text } : {}),
      ...(opts.caption !== undefined ? { caption: opts.caption, photo: [{ file_id: 'AgAD-fake', file_unique_id: 'fake', width: 90, height: 90 }] } : {}),
      ...opts.extra,
    };
    return this.injectUpdate({ [kind]: message });
  }

  /** The id of the message `injectMessage` created last. */
  get lastMessageId(): number {
    return this.nextMessageId - 1;
  }

  /** A member presses a button: under `message` (a message in a chat), or with no message (inline mode). Returns the query id. */
  injectCallbackQuery(opts: { from: FakeUser; message?: { chat: FakeChat; message_id: number; date?: number }; data?: string; inlineMessageId?: string }): string {
    const id = `cbq-${this.nextCallbackId++}`;
    this.callbacks.set(id, { id, injectedAt: Date.now() });
    this.injectUpdate({
      callback_query: {
        id,
        from: { is_bot: false, ...opts.from },
        chat_instance: '-4242',
        ...(opts.message ? { message: { date: Math.floor(Date.now() / 1000), ...opts.message } } : {}),
        ...(opts.inlineMessageId ? { inline_message_id: opts.inlineMessageId } : {}),
        ...(opts.data !== undefined ? { data: opts.data } : {}),
      },
    });
    return id;
  }

  /** Someone deletes a message: it can no longer be replied to. */
  deleteMessage(chatId: string | number, messageId: number): void {
    this.existing.get(String(chatId))?.delete(messageId);
  }

  /** Serves `file` as `fileId` (getFile) at file path `photos/<fileId>.jpg`. */
  addFile(fileId: string, file: FakeFile): void {
    this.files.set(fileId, { ...file, path: `photos/${fileId.replace(/[^\w-]/g, '_')}.jpg` });
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
    const file = /^\/file\/bot([^/]+)\/(.+)$/.exec((req.url ?? '').split('?')[0] ?? '');
    if (file) return this.download(file[1]!, decodeURIComponent(file[2]!), res);
    let payload: Record<string, unknown>;
    let uploads: Record<string, UploadedFile> = {};
    try {
      ({ payload, uploads } = await readPayload(req));
    } catch {
      this.reply(res, 400, { ok: false, error_code: 400, description: 'Bad Request: invalid JSON' });
      return;
    }
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec((req.url ?? '').split('?')[0] ?? '');
    const method = match?.[2] ?? '';
    const call: CallRecord = { method, payload, at: Date.now() };
    this.calls.push(call);
    const answer: Answer = (status, body) => {
      call.status = status;
      this.reply(res, status, body);
      return undefined;
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
      case 'sendPhoto':
        return this.sendPhotos(payload, uploads, answer, false);
      case 'sendMediaGroup':
        return this.sendPhotos(payload, uploads, answer, true);
      case 'answerCallbackQuery':
        return this.answerCallbackQuery(payload, answer);
      case 'getFile':
        return this.getFile(payload, answer);
      case 'getChatMemberCount': {
        // 2026-11: "Returns Int on success", https://core.telegram.org/bots/api#getchatmembercount
        const n = this.memberCounts.get(String(payload.chat_id));
        if (n === undefined) return answer(400, { ok: false, error_code: 400, description: 'Bad Request: chat not found' });
        return answer(200, { ok: true, result: n });
      }
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

  private sendMessage(payload: Record<string, unknown>, answer: Answer): undefined {
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
    const markupError = checkMarkup(payload.reply_markup);
    if (markupError) return bad(markupError);
    const replyTo = this.replyTarget(String(chatId), payload.reply_parameters);
    if (replyTo === 'gone') return bad('message to be replied not found');
    const wait = this.floodWait(String(chatId), Date.now());
    if (wait !== undefined) {
      this.floodRejections++;
      const retryAfter = Math.max(1, Math.ceil(wait / 1000));
      return answer(429, { ok: false, error_code: 429, description: `Too Many Requests: retry after ${retryAfter}`, parameters: { retry_after: retryAfter } });
    }
    const preview = payload.link_preview_options as { is_disabled?: boolean } | undefined;
    const messageId = this.nextMessageId++;
    this.remember(chatId, messageId);
    this.sent.push({ chatId: String(chatId), text, parseMode, linkPreviewDisabled: preview?.is_disabled === true, messageId, at: Date.now(), payload, ...(replyTo !== undefined ? { replyToId: replyTo } : {}) });
    answer(200, { ok: true, result: { ...this.messageBase(chatId, messageId, replyTo), text: visible } });
  }

  private messageBase(chatId: unknown, messageId: number, replyTo: number | undefined): Record<string, unknown> {
    const id = Number(chatId);
    const chat = Number.isFinite(id) ? { id, type: id < 0 ? 'supergroup' : 'private', title: 'fake chat' } : { id: -1000000000001, type: 'channel', username: String(chatId).replace(/^@/, '') };
    return {
      message_id: messageId,
      date: Math.floor(Date.now() / 1000),
      chat,
      from: { ...this.botUser, is_bot: true },
      ...(replyTo !== undefined ? { reply_to_message: { message_id: replyTo, date: 0, chat } } : {}),
    };
  }

  private remember(chatId: unknown, messageId: number): void {
    const key = String(chatId);
    const set = this.existing.get(key) ?? new Set<number>();
    set.add(messageId);
    this.existing.set(key, set);
  }

  /**
   * The message a send replies to; 'gone' when it does not exist and sending without it was not
   * allowed (2026-11, https://core.telegram.org/bots/api#replyparameters : allow_sending_without_reply
   * "Pass True if the message should be sent even if the specified message to be replied to is not found").
   */
  private replyTarget(chatId: string, params: unknown): number | undefined | 'gone' {
    if (!params || typeof params !== 'object') return undefined;
    const p = params as { message_id?: unknown; allow_sending_without_reply?: unknown };
    const id = toInt(p.message_id, NaN);
    if (Number.isFinite(id) && this.existing.get(chatId)?.has(id)) return id;
    return p.allow_sending_without_reply === true ? undefined : 'gone';
  }

  private sendPhotos(payload: Record<string, unknown>, uploads: Record<string, UploadedFile>, answer: Answer, group: boolean): undefined {
    const bad = (description: string) => answer(400, { ok: false, error_code: 400, description: `Bad Request: ${description}` });
    const chatId = payload.chat_id;
    if (chatId === undefined || chatId === '') return bad('chat_id is empty');
    type Item = { media: unknown; caption?: unknown; parse_mode?: unknown; type?: unknown };
    const items: Item[] = group ? (Array.isArray(payload.media) ? (payload.media as Item[]) : []) : [{ media: payload.photo, caption: payload.caption, parse_mode: payload.parse_mode, type: 'photo' }];
    // 2026-11: media "must include 2-10 items", https://core.telegram.org/bots/api#sendmediagroup
    if (group && (items.length < 2 || items.length > 10)) return bad('wrong number of media: 2-10 items');
    if (group && payload.reply_markup !== undefined) return bad('reply_markup is not supported in sendMediaGroup');
    const markupError = checkMarkup(payload.reply_markup);
    if (markupError) return bad(markupError);
    const accepted: Omit<PhotoRecord, 'messageId' | 'at'>[] = [];
    for (const item of items) {
      if (item.type !== 'photo') return bad('unsupported media type in this fake');
      const ref = typeof item.media === 'string' ? /^attach:\/\/(.+)$/.exec(item.media)?.[1] : undefined;
      const upload = ref ? uploads[ref] : undefined;
      if (!upload?.bytes.length) return bad('wrong file identifier/HTTP URL specified (no uploaded file)');
      // 2026-11: "The photo must be at most 10 MB in size", https://core.telegram.org/bots/api#sendphoto
      if (upload.bytes.length > 10 * 1024 * 1024) return bad('PHOTO_INVALID_DIMENSIONS');
      const caption = typeof item.caption === 'string' ? item.caption : undefined;
      const parseMode = typeof item.parse_mode === 'string' ? item.parse_mode : undefined;
      if (caption !== undefined) {
        let visible = caption;
        if (parseMode === 'HTML') {
          const parsed = parseTelegramHtml(caption);
          if ('error' in parsed) return bad(`can't parse entities: ${parsed.error}`);
          visible = parsed.text;
        }
        // 2026-11: "0-1024 characters after entities parsing", https://core.telegram.org/bots/api#sendphoto
        if (visible.length > 1024) return bad('message caption is too long');
      }
      accepted.push({ chatId: String(chatId), upload, payload, ...(caption !== undefined ? { caption } : {}), ...(parseMode ? { parseMode } : {}) });
    }
    const replyTo = this.replyTarget(String(chatId), payload.reply_parameters);
    if (replyTo === 'gone') return bad('message to be replied not found');
    const wait = this.floodWait(String(chatId), Date.now(), accepted.length);
    if (wait !== undefined) {
      this.floodRejections++;
      const retryAfter = Math.max(1, Math.ceil(wait / 1000));
      return answer(429, { ok: false, error_code: 429, description: `Too Many Requests: retry after ${retryAfter}`, parameters: { retry_after: retryAfter } });
    }
    const mediaGroupId = group ? `mg-${this.nextMediaGroup++}` : undefined;
    const results = accepted.map((a) => {
      const messageId = this.nextMessageId++;
      this.remember(chatId, messageId);
      this.photos.push({ ...a, messageId, at: Date.now(), ...(mediaGroupId ? { mediaGroupId } : {}), ...(replyTo !== undefined ? { replyToId: replyTo } : {}) });
      return {
        ...this.messageBase(chatId, messageId, replyTo),
        photo: [{ file_id: `sent-${messageId}`, file_unique_id: `u${messageId}`, width: 800, height: 600, file_size: a.upload.bytes.length }],
        ...(a.caption !== undefined ? { caption: a.caption } : {}),
        ...(mediaGroupId ? { media_group_id: mediaGroupId } : {}),
      };
    });
    answer(200, { ok: true, result: group ? results : results[0] });
  }

  private answerCallbackQuery(payload: Record<string, unknown>, answer: Answer): undefined {
    const record = this.callbacks.get(String(payload.callback_query_id ?? ''));
    // 2026-11: a late or repeated answer is refused like this by Telegram (its documented time limit is unstated).
    if (!record || record.answered || Date.now() - record.injectedAt > this.callbackAnswerWindowMs) {
      return answer(400, { ok: false, error_code: 400, description: 'Bad Request: query is too old and response timeout expired or query ID is invalid' });
    }
    const text = typeof payload.text === 'string' ? payload.text : undefined;
    // 2026-11: text "0-200 characters", https://core.telegram.org/bots/api#answercallbackquery
    if (text !== undefined && [...text].length > 200) return answer(400, { ok: false, error_code: 400, description: 'Bad Request: MESSAGE_TOO_LONG' });
    record.answered = { ...(text !== undefined ? { text } : {}), at: Date.now() };
    answer(200, { ok: true, result: true });
  }

  private getFile(payload: Record<string, unknown>, answer: Answer): undefined {
    const id = String(payload.file_id ?? '');
    const f = this.files.get(id);
    if (!f) return answer(400, { ok: false, error_code: 400, description: 'Bad Request: invalid file_id' });
    const size = f.declaredSize ?? f.bytes.length;
    // 2026-11: "bots can download files of up to 20MB in size", https://core.telegram.org/bots/api#getfile
    if (size > 20 * 1024 * 1024) return answer(400, { ok: false, error_code: 400, description: 'Bad Request: file is too big' });
    answer(200, { ok: true, result: { file_id: id, file_unique_id: `u-${id}`, file_size: size, file_path: f.path } });
  }

  private async download(token: string, path: string, res: ServerResponse): Promise<void> {
    const f = [...this.files.values()].find((x) => x.path === path);
    if (token !== this.token || !f) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('Not Found');
      return;
    }
    const record = { path, bytesWritten: 0, completed: false };
    this.downloads.push(record);
    res.writeHead(200, { 'content-type': 'application/octet-stream', ...(f.chunked ? {} : { 'content-length': f.bytes.length }) });
    for (let off = 0; off < f.bytes.length; off += 65_536) {
      if (res.destroyed) return;
      const chunk = f.bytes.subarray(off, off + 65_536);
      const ok = res.write(chunk);
      record.bytesWritten += chunk.length;
      if (!ok) {
        await new Promise<void>((r) => {
          res.once('drain', r);
          res.once('close', r);
        });
      }
      if (f.chunkDelayMs) await new Promise((r) => setTimeout(r, f.chunkDelayMs));
    }
    if (res.destroyed) return;
    res.end();
    record.completed = true;
  }

  /**
   * Milliseconds until `messages` sends to `chat` arriving at `now` would be within the flood limits;
   * undefined when they are (and they are counted). A media group counts as its number of pictures.
   */
  private floodWait(chat: string, now: number, messages = 1): number | undefined {
    const f = this.flood;
    if (!f) return undefined;
    const mine = this.arrivals.get(chat) ?? [];
    const waits: number[] = [];
    const last = mine.at(-1);
    if (last !== undefined && now - last < f.perChatMs) waits.push(last + f.perChatMs - now);
    const inMinute = mine.filter((t) => now - t < 60_000);
    if (Number(chat) < 0 && inMinute.length + messages > f.groupPerMinute) waits.push((inMinute[inMinute.length + messages - 1 - f.groupPerMinute] ?? now) + 60_000 - now);
    this.allArrivals = this.allArrivals.filter((t) => now - t < 1000);
    if (this.allArrivals.length + messages > f.globalPerSecond) waits.push((this.allArrivals[this.allArrivals.length + messages - 1 - f.globalPerSecond] ?? now) + 1000 - now);
    if (waits.length) return Math.max(...waits, 1);
    for (let i = 0; i < messages; i++) {
      inMinute.push(now);
      this.allArrivals.push(now);
    }
    this.arrivals.set(chat, inMinute);
    return undefined;
  }

  private reply(res: ServerResponse, status: number, body: unknown): void {
    if (res.writableEnded || res.destroyed) return;
    const json = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
    res.end(json);
  }
}
