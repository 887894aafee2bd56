// Telegram through grammY: long polling for group messages, sendMessage for digests.
// Retry (@grammyjs/auto-retry) and rate limits (@grammyjs/transformer-throttler) are grammY API
// transformers, so they wrap every call the adapter makes, written once.
import { autoRetry } from '@grammyjs/auto-retry';
import { apiThrottler } from '@grammyjs/transformer-throttler';
import { Bot, GrammyError, HttpError, type Transformer } from 'grammy';
import type { Message, MessageEntity, Update, UserFromGetMe } from 'grammy/types';
import type { InboundMessage, OutboundMessage } from '../../src/domain.ts';
import type { Logger } from '../../src/log.ts';
import { AdapterError, type ChatAdapter, type MessageHandler, type SendResult } from '../../src/ports.ts';
import { larkPostToText } from '../../src/plain-text.ts';
import { splitOnLines } from '../../src/split.ts';

// 2026-11: at most 4096 characters per message (counted after entity parsing, in UTF-16 units), https://core.telegram.org/bots/api#sendmessage
export const TELEGRAM_MAX_CHARS = 4096;

export const DEFAULT_API_ROOT = 'https://api.telegram.org';

export interface TelegramConfig {
  token: string;
  /** Bot API server; default https://api.telegram.org (a local Bot API server or a test fake otherwise). */
  apiRoot?: string;
}

export interface TelegramAdapterOptions {
  logger: Logger;
  /** Long-poll `timeout` of getUpdates; default 30 s. */
  pollTimeoutSeconds?: number;
  /** Client-side rate limits (20 msgs/min and 1/s per group, 30/s in all); default on. Tests turn it off. */
  throttle?: boolean;
  /** After a 409 Conflict (another instance polls with the same token), poll again after this long; default 15 000 ms. */
  conflictRetryMs?: number;
  /** Give up on one API attempt (other than the long poll) after this long; default 15 000 ms. */
  requestTimeoutMs?: number;
  retry?: {
    /** A 429 asking to wait at most this long is waited out in place; longer ones surface as AdapterError. Default 5. */
    maxDelaySeconds?: number;
    /**
     * Retries after a 429 or 5xx (auto-retry; its 5xx backoff is 3 s, 6 s, 12 s…, and it also sleeps
     * after the last attempt, so a 5xx that persists surfaces after ~21 s with the default 2). Default 2.
     */
    attempts?: number;
    /** Retries after a network error or timeout. Default 2. */
    networkAttempts?: number;
    /** First pause before a network retry, doubled each time. Default 500 ms. */
    networkBaseDelayMs?: number;
  };
}

/** TELEGRAM_BOT_TOKEN (required) and TELEGRAM_API_ROOT (optional); undefined when there is no token. */
export function telegramConfigFromEnv(env: NodeJS.ProcessEnv): TelegramConfig | undefined {
  const token = env.TELEGRAM_BOT_TOKEN?.trim();
  if (!token) return undefined;
  const apiRoot = env.TELEGRAM_API_ROOT?.trim().replace(/\/+$/, '');
  return apiRoot ? { token, apiRoot } : { token };
}

// ---- inbound ---------------------------------------------------------------------------------

const GROUP_TYPES = new Set(['group', 'supergroup', 'channel']);

/**
 * Pure: one Bot API Update → InboundMessage, or null when it is not a usable group text.
 * Reads `message` and `channel_post` (edits are ignored); text or a media caption; drops private
 * chats, the bot's own messages and messages sent through it as an inline bot, and anything malformed.
 */
export function normalize(update: Update, ctx: { botId: number }): InboundMessage | null {
  try {
    if (!update || typeof update !== 'object') return null;
    const isChannelPost = update.message === undefined && update.channel_post !== undefined;
    const msg = (update.message ?? update.channel_post) as Message | undefined;
    if (!msg || typeof msg !== 'object') return null;
    const chat = msg.chat;
    if (!chat || typeof chat !== 'object' || typeof chat.id !== 'number' || !GROUP_TYPES.has(chat.type)) return null;
    if (msg.from?.id === ctx.botId || msg.via_bot?.id === ctx.botId) return null;
    if (typeof msg.date !== 'number' || !Number.isFinite(msg.date)) return null;
    if (typeof msg.message_id !== 'number') return null;
    const raw = typeof msg.text === 'string' ? msg.text : typeof msg.caption === 'string' ? msg.caption : undefined;
    if (raw === undefined) return null;
    const entities = typeof msg.text === 'string' ? msg.entities : msg.caption_entities;
    const text = withHiddenLinks(raw, entities).trim();
    if (!text) return null;

    const title = 'title' in chat && typeof chat.title === 'string' ? chat.title : undefined;
    let senderId: string;
    let senderName: string;
    // Channel posts have no `from`; a group message sent "as a channel" or by an anonymous admin
    // carries the chat in `sender_chat`. 2026-11, https://core.telegram.org/bots/api#message
    const senderChat = msg.sender_chat;
    if (senderChat && typeof senderChat.id === 'number') {
      senderId = String(senderChat.id);
      const chatName = 'title' in senderChat && typeof senderChat.title === 'string' ? senderChat.title : undefined;
      senderName = (typeof msg.author_signature === 'string' && msg.author_signature) || chatName || title || senderId;
    } else if (msg.from && typeof msg.from.id === 'number') {
      senderId = String(msg.from.id);
      const full = [msg.from.first_name, msg.from.last_name].filter((s) => typeof s === 'string' && s.trim()).join(' ').trim();
      senderName = full || (typeof msg.from.username === 'string' && msg.from.username) || senderId;
    } else if (isChannelPost) {
      senderId = String(chat.id);
      senderName = (typeof msg.author_signature === 'string' && msg.author_signature) || title || senderId;
    } else {
      return null;
    }
    return {
      platform: 'telegram',
      id: String(msg.message_id),
      chatId: String(chat.id),
      ...(title ? { chatTitle: title } : {}),
      senderId,
      senderName,
      text,
      sentAt: new Date(msg.date * 1000).toISOString(),
    };
  } catch {
    return null;
  }
}

/**
 * Telegram hides the target of a `text_link` entity ("点此投递" → URL) outside the text; referrals
 * often link that way, so the URL is written after its label. Offsets count UTF-16 units, like JS strings.
 * 2026-11, https://core.telegram.org/bots/api#messageentity
 */
function withHiddenLinks(text: string, entities: MessageEntity[] | undefined): string {
  if (!Array.isArray(entities)) return text;
  const links = entities
    .filter((e): e is MessageEntity.TextLinkMessageEntity => e?.type === 'text_link' && typeof e.url === 'string' && Number.isInteger(e.offset) && Number.isInteger(e.length))
    .filter((e) => e.offset >= 0 && e.offset + e.length <= text.length)
    .sort((a, b) => b.offset - a.offset);
  let out = text;
  for (const e of links) {
    const end = e.offset + e.length;
    const label = out.slice(e.offset, end);
    if (label.includes(e.url)) continue;
    out = `${out.slice(0, end)} (${e.url})${out.slice(end)}`;
  }
  return out;
}

// ---- outbound --------------------------------------------------------------------------------


/**
 * Telegram refuses HTML with unclosed tags ("can't parse entities"), so a tag left open at a split
 * (a <blockquote> over many lines) is closed at the end of its part and reopened in the next. Tags do
 * not count towards the 4096 limit, so this cannot push a part over it.
 * 2026-11, https://core.telegram.org/bots/api#html-style
 */
export function balanceHtmlParts(parts: string[]): string[] {
  if (parts.length < 2) return parts;
  const open: { name: string; raw: string }[] = [];
  return parts.map((part) => {
    const prefix = open.map((t) => t.raw).join('');
    for (const m of part.matchAll(/<(\/?)([a-zA-Z][\w-]*)[^>]*>/g)) {
      const name = m[2]!.toLowerCase();
      if (!m[1]) open.push({ name, raw: m[0] });
      else {
        const i = open.map((t) => t.name).lastIndexOf(name);
        if (i >= 0) open.splice(i, 1);
      }
    }
    const suffix = [...open].reverse().map((t) => `</${t.name}>`).join('');
    return prefix + part + suffix;
  });
}

/** Maps a grammY failure to an AdapterError the outbox can act on. */
export function toAdapterError(op: string, err: unknown): AdapterError {
  if (err instanceof AdapterError) return err;
  if (err instanceof GrammyError) {
    const status = err.error_code;
    const retryAfter = err.parameters?.retry_after;
    if (status === 429) {
      return new AdapterError('telegram', op, err.description, { cause: err, status, retryAfterMs: typeof retryAfter === 'number' ? retryAfter * 1000 : 30_000 });
    }
    if (status >= 400 && status < 500) {
      // 2026-11: a group upgraded to a supergroup gets a new id; the old one answers 400 with
      // parameters.migrate_to_chat_id, https://core.telegram.org/bots/api#responseparameters
      const migrated = err.parameters?.migrate_to_chat_id;
      const hint = migrated !== undefined ? ` (the group is now ${migrated}: update the rules)` : status === 401 ? ' (check TELEGRAM_BOT_TOKEN with @BotFather)' : '';
      return new AdapterError('telegram', op, `${err.description}${hint}`, { cause: err, status, permanent: true });
    }
    return new AdapterError('telegram', op, err.description, { cause: err, status });
  }
  if (err instanceof HttpError) return new AdapterError('telegram', op, err.message, { cause: err });
  return new AdapterError('telegram', op, err instanceof Error ? err.message : String(err), { cause: err });
}

// Telegram chat ids fit in 52 bits, so a JS number is exact; "@channelname" stays a string.
// 2026-11, https://core.telegram.org/bots/api#chat
const chatIdParam = (chat: string): number | string => (/^-?\d{1,16}$/.test(chat) ? Number(chat) : chat);

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(new Error('aborted'));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/**
 * A time limit per attempt and a bounded retry of network errors, for every method but the long
 * poll (grammY's polling loop handles its own errors). auto-retry is told to rethrow HttpErrors
 * because it retries those with no bound (maxRetryAttempts only counts 429/5xx answers; 2026-11,
 * https://github.com/grammyjs/auto-retry/blob/main/src/mod.ts).
 */
type GrammySignal = Parameters<Transformer>[3];

function boundedNetworkRetry(timeoutMs: number, attempts: number, baseDelayMs: number): Transformer {
  return async (prev, method, payload, signal) => {
    if (method === 'getUpdates') return prev(method, payload, signal);
    let delay = baseDelayMs;
    for (let attempt = 0; ; attempt++) {
      // grammY types signals with the abort-controller polyfill; Node's own AbortSignal works the same.
      const outer = signal as unknown as AbortSignal | undefined;
      const timeout = AbortSignal.timeout(timeoutMs);
      const combined = outer ? AbortSignal.any([outer, timeout]) : timeout;
      try {
        return await prev(method, payload, combined as unknown as GrammySignal);
      } catch (err) {
        if (!(err instanceof HttpError) || outer?.aborted) throw err;
        const why = timeout.aborted ? new HttpError(`Request to '${method}' timed out after ${timeoutMs} ms`, err) : err;
        if (attempt >= attempts) throw why;
        await sleep(delay, outer);
        delay *= 2;
      }
    }
  };
}

/** auto-retry for everything but the long poll: grammY's polling loop already backs off on its own. */
function retryExceptPolling(t: Transformer): Transformer {
  return (prev, method, payload, signal) => (method === 'getUpdates' ? prev(method, payload, signal) : t(prev, method, payload, signal));
}

interface IdempotentProgress {
  parts: number;
  lastId?: string;
}

class TelegramAdapter implements ChatAdapter {
  readonly platform = 'telegram' as const;
  private readonly bot: Bot;
  private readonly log: Logger;
  private handler: MessageHandler | undefined;
  private polling: Promise<void> | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  /** Parts already sent per idempotency key (this process only), so a retried send does not repeat them. */
  private readonly progress = new Map<string, IdempotentProgress>();

  constructor(
    config: TelegramConfig,
    private readonly opts: TelegramAdapterOptions,
  ) {
    this.log = opts.logger.child({ platform: 'telegram' });
    const apiRoot = (config.apiRoot ?? DEFAULT_API_ROOT).replace(/\/+$/, '');
    const pollTimeout = this.pollTimeoutSeconds;
    // grammY's client timeout also bounds the long poll, so it must outlast the poll's own timeout.
    this.bot = new Bot(config.token, { client: { apiRoot, timeoutSeconds: pollTimeout + 15 } });
    const retry = opts.retry ?? {};
    // Innermost first: the per-attempt timeout and network retry, then auto-retry for 429/5xx,
    // then the throttler outermost, so a short retry_after is waited out inside the chat's slot.
    this.bot.api.config.use(boundedNetworkRetry(opts.requestTimeoutMs ?? 15_000, retry.networkAttempts ?? 2, retry.networkBaseDelayMs ?? 500));
    this.bot.api.config.use(
      retryExceptPolling(
        autoRetry({ maxDelaySeconds: retry.maxDelaySeconds ?? 5, maxRetryAttempts: retry.attempts ?? 2, rethrowHttpErrors: true }),
      ),
    );
    if (opts.throttle !== false) {
      // 2026-11: about 1 msg/s per chat, 20 msgs/min per group, 30 msgs/s in all (the plugin's
      // defaults), https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this
      this.bot.api.config.use(apiThrottler());
    }
    this.bot.use(async (ctx) => {
      const handler = this.handler;
      if (!handler) return;
      const message = normalize(ctx.update, { botId: ctx.me.id });
      if (!message) {
        this.log.debug({ updateId: ctx.update.update_id }, 'update ignored');
        return;
      }
      try {
        await handler(message);
      } catch (err) {
        this.log.error({ err: errInfo(err), chatId: message.chatId, messageId: message.id }, 'message handler failed; going on');
      }
    });
    this.bot.catch((err) => {
      this.log.error({ err: errInfo(err.error), updateId: err.ctx?.update?.update_id }, 'update processing failed; going on');
    });
  }

  private get pollTimeoutSeconds(): number {
    return Math.max(0, Math.floor(this.opts.pollTimeoutSeconds ?? 30));
  }

  async start(onMessage: MessageHandler): Promise<void> {
    this.handler = onMessage;
    if (this.polling) return;
    // getMe through our bounded transformers: bot.init() would retry network errors forever by design
    // (2026-11, https://github.com/grammyjs/grammY/pull/76), and start() must fail on a dead network.
    let me: UserFromGetMe;
    try {
      me = await this.bot.api.getMe();
    } catch (err) {
      this.handler = undefined;
      throw toAdapterError('start', err);
    }
    this.bot.botInfo = me;
    this.log.info({ bot: me.username, botId: me.id, canReadAllGroupMessages: me.can_read_all_group_messages }, 'connected');
    if (!me.can_read_all_group_messages) {
      // 2026-11: privacy mode hides ordinary group messages from bots that are not admins,
      // https://core.telegram.org/bots/features#privacy-mode
      this.log.warn(
        { bot: me.username },
        `privacy mode is on for @${me.username}: it only sees commands, replies and mentions in groups. ` +
          'Disable it in @BotFather with /setprivacy → Disable (then remove and re-add the bot to each group), ' +
          'or make the bot an admin of each alumni group.',
      );
    }
    try {
      await this.runPolling();
    } catch (err) {
      this.handler = undefined;
      throw err;
    }
    this.log.info({ pollTimeoutSeconds: this.pollTimeoutSeconds }, 'polling for group messages');
  }

  /** Starts grammY's long polling; resolves once it runs, rejects if it cannot start. */
  private runPolling(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let started = false;
      const polling = this.bot.start({
        // 2026-11: updates wait on Telegram's side for up to 24 h, so a restart catches up;
        // allowed_updates keeps edits and reactions away, https://core.telegram.org/bots/api#getupdates
        allowed_updates: ['message', 'channel_post'],
        timeout: this.pollTimeoutSeconds,
        drop_pending_updates: false,
        onStart: () => {
          started = true;
          resolve();
        },
      });
      this.polling = polling.then(
        () => {
          this.polling = undefined;
        },
        (err: unknown) => {
          this.polling = undefined;
          if (!started) {
            reject(toAdapterError('start', err));
            return;
          }
          // 2026-11: 409 Conflict means another getUpdates (another instance, e.g. during a deploy)
          // polls with this token; grammY's loop gives up on it, we try again later.
          // https://core.telegram.org/bots/api#getupdates
          if (this.handler && err instanceof GrammyError && err.error_code === 409) {
            this.log.warn({ err: errInfo(err), retryInMs: this.conflictRetryMs }, 'another instance is polling with this bot token; will poll again');
            this.scheduleRestart();
            return;
          }
          // 401: the token was revoked.
          this.log.error({ err: errInfo(err) }, 'polling stopped; no more Telegram messages until restart');
        },
      );
    });
  }

  private get conflictRetryMs(): number {
    return this.opts.conflictRetryMs ?? 15_000;
  }

  private scheduleRestart(): void {
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.handler || this.polling) return;
      this.runPolling().then(
        () => this.log.info('polling again'),
        (err: unknown) => this.log.error({ err: errInfo(err) }, 'could not restart polling; no more Telegram messages until restart'),
      );
    }, this.conflictRetryMs);
  }

  async send(chat: string, message: OutboundMessage, opts: { idempotencyKey?: string } = {}): Promise<SendResult> {
    const html = message.format === 'html';
    const text = message.format === 'lark-post' ? larkPostToText(message.body) : message.body;
    // Safety net: the digest renderer already splits on item boundaries. The HTML is split raw,
    // which is conservative since Telegram counts the limit after removing tags.
    const split = splitOnLines(text, TELEGRAM_MAX_CHARS).filter((p) => p.trim() !== '');
    const parts = html ? balanceHtmlParts(split) : split;
    const key = opts.idempotencyKey;
    const done = key ? this.progress.get(key) : undefined;
    let lastId = done?.lastId;
    for (let i = done?.parts ?? 0; i < parts.length; i++) {
      try {
        const sent = await this.bot.api.sendMessage(chatIdParam(chat), parts[i]!, {
          ...(html ? { parse_mode: 'HTML' as const } : {}),
          link_preview_options: { is_disabled: true },
        });
        lastId = String(sent.message_id);
      } catch (err) {
        const e = toAdapterError('send', err);
        this.log.warn({ chat, part: i + 1, parts: parts.length, status: e.opts.status, retryAfterMs: e.retryAfterMs, permanent: e.permanent, err: e.message }, 'send failed');
        throw e;
      }
      if (key) this.remember(key, { parts: i + 1, lastId });
    }
    this.log.debug({ chat, parts: parts.length }, 'sent');
    return lastId ? { messageId: lastId } : {};
  }

  private remember(key: string, p: IdempotentProgress): void {
    this.progress.delete(key);
    this.progress.set(key, p);
    if (this.progress.size > 1000) this.progress.delete(this.progress.keys().next().value!);
  }

  async stop(): Promise<void> {
    this.handler = undefined;
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const polling = this.polling;
    if (!polling) return;
    try {
      // Aborts the pending getUpdates and confirms the offset of what was handled.
      await this.bot.stop();
    } catch (err) {
      this.log.warn({ err: errInfo(err) }, 'could not confirm the last update on stop; it may be delivered again');
    }
    // The loop ends right after the abort, unless it sleeps after a polling error (3 s, no signal).
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([polling, new Promise<void>((r) => (timer = setTimeout(r, 3500)))]);
    clearTimeout(timer);
    this.polling = undefined;
    this.log.info('stopped');
  }
}

/** What of an error is safe to log: never the payload or the request URL (it holds the token). */
function errInfo(err: unknown): { name?: string; message: string; code?: number } {
  if (err instanceof GrammyError) return { name: err.name, message: `${err.method}: ${err.description}`, code: err.error_code };
  if (err instanceof Error) return { name: err.name, message: err.message };
  return { message: String(err) };
}

export function createTelegramAdapter(config: TelegramConfig, opts: TelegramAdapterOptions): ChatAdapter {
  if (!config.token) throw new AdapterError('telegram', 'config', 'TELEGRAM_BOT_TOKEN is empty', { permanent: true });
  return new TelegramAdapter(config, opts);
}
