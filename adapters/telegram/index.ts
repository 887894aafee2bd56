// Telegram through grammY's Api client: long polling for group messages (poller.ts: acknowledged only
// once handled), sendMessage for digests. Retry (@grammyjs/auto-retry) and rate limits (throttle.ts)
// are grammY API transformers, so they wrap every call the adapter makes, written once.
import { autoRetry } from '@grammyjs/auto-retry';
import { Api, GrammyError, HttpError, type Transformer } from 'grammy';
import type { Update, UserFromGetMe } from 'grammy/types';
import type { OutboundMessage } from '../../src/domain.ts';
import type { Logger } from '../../src/log.ts';
import { AdapterError, type ChatAdapter, type MessageHandler, type SendResult } from '../../src/ports.ts';
import { errInfo, startError, toAdapterError } from './errors.ts';
import { normalize } from './normalize.ts';
import { Poller } from './poller.ts';
import { isFormattingRejected, plainFallback, TELEGRAM_MAX_CHARS, telegramParts } from './render.ts';
import { type TelegramThrottleOptions, throttleTransformers } from './throttle.ts';

export { normalize, withHiddenLinks } from './normalize.ts';
export { redact, toAdapterError } from './errors.ts';
export { plainFallback, TELEGRAM_MAX_CHARS, telegramParts } from './render.ts';
export { AckTracker } from './poller.ts';
export { DEFAULT_PER_CHAT_GAP_MS, DEFAULT_PLUGIN_LIMITS, type TelegramThrottleOptions } from './throttle.ts';

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
  /** Client-side rate limits (throttle.ts); default on. `false` turns them off (tests); an object tunes them (benchmarks). */
  throttle?: boolean | TelegramThrottleOptions;
  /** After a 409 Conflict (another instance polls with the same token), poll again after this long; default 15 000 ms. */
  conflictRetryMs?: number;
  /** Give up on one API attempt (other than the long poll) after this long; default 15 000 ms. */
  requestTimeoutMs?: number;
  /** While group messages are being handled, poll for other groups' messages this often; default 250 ms. */
  busyPollMs?: number;
  /** Pauses before handing a message to a failed handler (the store could not keep it) again; after the last it is logged and acknowledged. Default ≈ 80 s in all (see poller.ts). */
  handlerRetryDelaysMs?: number[];
  /** stop() waits this long for running handlers before confirming what was handled; default 5000 ms. */
  stopGraceMs?: number;
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

// Telegram chat ids fit in 52 bits, so a JS number is exact; "@channelname" stays a string.
// 2026-11, https://core.telegram.org/bots/api#chat
const chatIdParam = (chat: string): number | string => (/^-?\d{1,16}$/.test(chat) ? Number(chat) : chat);

type GrammySignal = Parameters<Transformer>[3];

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
 * poll (the poller handles its own errors). auto-retry is told to rethrow HttpErrors because it
 * retries those with no bound (maxRetryAttempts only counts 429/5xx answers; 2026-11,
 * https://github.com/grammyjs/auto-retry/blob/main/src/mod.ts).
 */
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

/** auto-retry for everything but the long poll: the poller backs off on its own. */
function retryExceptPolling(t: Transformer): Transformer {
  return (prev, method, payload, signal) => (method === 'getUpdates' ? prev(method, payload, signal) : t(prev, method, payload, signal));
}

interface IdempotentProgress {
  /** Parts fully sent. */
  parts: number;
  /** Of the next part, plain-text fallback pieces already sent. */
  pieces?: number;
  lastId?: string;
}

/** The chat an update belongs to (its order key); the update id when it has none. */
function chatOf(u: Update): string {
  const m = (u as { message?: { chat?: { id?: unknown } }; channel_post?: { chat?: { id?: unknown } } }).message ?? u.channel_post;
  const id = m && typeof m === 'object' ? m.chat?.id : undefined;
  return typeof id === 'number' ? String(id) : `update:${String((u as { update_id?: unknown }).update_id)}`;
}

class TelegramAdapter implements ChatAdapter {
  readonly platform = 'telegram' as const;
  private readonly api: Api;
  private readonly log: Logger;
  private readonly token: string;
  private readonly apiRoot: string;
  private handler: MessageHandler | undefined;
  private poller: Poller | undefined;
  private me: UserFromGetMe | undefined;
  /** Parts already sent per idempotency key (this process only), so a retried send does not repeat them. */
  private readonly progress = new Map<string, IdempotentProgress>();

  constructor(
    config: TelegramConfig,
    private readonly opts: TelegramAdapterOptions,
  ) {
    this.log = opts.logger.child({ platform: 'telegram' });
    this.token = config.token;
    this.apiRoot = (config.apiRoot ?? DEFAULT_API_ROOT).replace(/\/+$/, '');
    // grammY's client timeout also bounds the long poll, so it must outlast the poll's own timeout.
    this.api = new Api(config.token, { apiRoot: this.apiRoot, timeoutSeconds: this.pollTimeoutSeconds + 15 });
    const retry = opts.retry ?? {};
    // Innermost first: the per-attempt timeout and network retry, then auto-retry for 429/5xx, then
    // the throttler, so a short retry_after is waited out inside the chat's slot.
    this.api.config.use(boundedNetworkRetry(opts.requestTimeoutMs ?? 15_000, retry.networkAttempts ?? 2, retry.networkBaseDelayMs ?? 500));
    this.api.config.use(retryExceptPolling(autoRetry({ maxDelaySeconds: retry.maxDelaySeconds ?? 5, maxRetryAttempts: retry.attempts ?? 2, rethrowHttpErrors: true })));
    if (opts.throttle !== false) {
      for (const t of throttleTransformers(typeof opts.throttle === 'object' ? opts.throttle : {})) this.api.config.use(t);
    }
  }

  private get pollTimeoutSeconds(): number {
    return Math.max(0, Math.floor(this.opts.pollTimeoutSeconds ?? 30));
  }

  private safeErr = (err: unknown) => errInfo(err, this.token);

  /**
   * Checks the token (getMe), removes a webhook, and starts polling. Rejects with a one-line
   * AdapterError (no token, no stack of the SDK) and can be called again after a failure.
   */
  async start(onMessage: MessageHandler): Promise<void> {
    if (this.poller) {
      this.handler = onMessage;
      return;
    }
    let me: UserFromGetMe;
    try {
      // getMe through our bounded transformers: grammY's bot.init() would retry network errors for
      // ever by design (2026-11, https://github.com/grammyjs/grammY/pull/76).
      me = await this.api.getMe();
      // 2026-11: getUpdates fails while a webhook is set; updates wait for up to 24 h, so they are
      // kept (drop_pending_updates false), https://core.telegram.org/bots/api#deletewebhook
      await this.api.deleteWebhook({ drop_pending_updates: false });
    } catch (err) {
      const e = startError(err, this.apiRoot, this.token);
      this.log.error({ err: this.safeErr(err), status: e.opts.status, permanent: e.permanent }, e.message);
      throw e;
    }
    this.me = me;
    this.handler = onMessage;
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
    this.poller = new Poller({
      // allowed_updates keeps edits and reactions away, 2026-11, https://core.telegram.org/bots/api#getupdates
      getUpdates: (p, signal) => this.api.getUpdates({ ...p, allowed_updates: ['message', 'channel_post'] }, signal as unknown as GrammySignal),
      handle: (u) => this.handleUpdate(u),
      chatOf,
      classify: (err) => {
        if (err instanceof GrammyError) {
          if (err.error_code === 409) return { kind: 'conflict' };
          if (err.error_code === 429) return { kind: 'wait', ms: (err.parameters?.retry_after ?? 5) * 1000 };
          // 401: the token was revoked; 404: it no longer exists.
          if (err.error_code === 401 || err.error_code === 404) return { kind: 'fatal' };
        }
        return { kind: 'retry' };
      },
      safeErr: this.safeErr,
      log: this.log,
      pollTimeoutSeconds: this.pollTimeoutSeconds,
      conflictRetryMs: this.opts.conflictRetryMs ?? 15_000,
      ...(this.opts.busyPollMs !== undefined ? { busyPollMs: this.opts.busyPollMs } : {}),
      ...(this.opts.handlerRetryDelaysMs ? { handlerRetryDelaysMs: this.opts.handlerRetryDelaysMs } : {}),
    });
    this.poller.start();
    this.log.info({ pollTimeoutSeconds: this.pollTimeoutSeconds }, 'polling for group messages');
  }

  private async handleUpdate(u: Update): Promise<void> {
    const handler = this.handler;
    const me = this.me;
    if (!handler || !me) throw new Error('adapter stopped');
    const message = normalize(u, { botId: me.id });
    if (!message) {
      this.log.debug({ updateId: (u as { update_id?: unknown }).update_id }, 'update ignored');
      return;
    }
    await handler(message);
  }

  async send(chat: string, message: OutboundMessage, opts: { idempotencyKey?: string } = {}): Promise<SendResult> {
    const parts = telegramParts(message);
    const key = opts.idempotencyKey;
    const done = key ? this.progress.get(key) : undefined;
    let lastId = done?.lastId;
    for (let i = done?.parts ?? 0; i < parts.length; i++) {
      const part = parts[i]!;
      try {
        lastId = await this.sendText(chat, part.text, part.html);
      } catch (err) {
        if (!part.html || !isFormattingRejected(err)) throw this.sendFailed(chat, i, parts.length, err);
        // Telegram refused this part's HTML: it goes as plain text rather than not at all.
        this.log.warn({ chat, part: i + 1, parts: parts.length, err: this.safeErr(err) }, 'Telegram refused the formatting; sending this part as plain text');
        const pieces = plainFallback(part.text);
        const from = done && done.parts === i ? (done.pieces ?? 0) : 0;
        for (let j = from; j < pieces.length; j++) {
          try {
            lastId = await this.sendText(chat, pieces[j]!, false);
          } catch (e) {
            throw this.sendFailed(chat, i, parts.length, e);
          }
          if (key) this.remember(key, { parts: i, pieces: j + 1, lastId });
        }
      }
      if (key) this.remember(key, { parts: i + 1, lastId });
    }
    this.log.debug({ chat, parts: parts.length }, 'sent');
    return lastId ? { messageId: lastId } : {};
  }

  private async sendText(chat: string, text: string, html: boolean): Promise<string> {
    const sent = await this.api.sendMessage(chatIdParam(chat), text, {
      ...(html ? { parse_mode: 'HTML' as const } : {}),
      link_preview_options: { is_disabled: true },
    });
    return String(sent.message_id);
  }

  private sendFailed(chat: string, i: number, parts: number, err: unknown): AdapterError {
    const e = toAdapterError('send', err, this.token);
    this.log.warn({ chat, part: i + 1, parts, status: e.opts.status, retryAfterMs: e.retryAfterMs, permanent: e.permanent, err: e.message }, 'send failed');
    return e;
  }

  private remember(key: string, p: IdempotentProgress): void {
    this.progress.delete(key);
    this.progress.set(key, p);
    if (this.progress.size > 1000) this.progress.delete(this.progress.keys().next().value!);
  }

  async stop(): Promise<void> {
    const poller = this.poller;
    this.poller = undefined;
    if (!poller) {
      this.handler = undefined;
      return;
    }
    // Handlers already running finish (and are confirmed); nothing new is handed over.
    const stopping = poller.stop(this.opts.stopGraceMs ?? 5000);
    this.handler = undefined;
    await stopping;
    this.log.info('stopped');
  }
}

export function createTelegramAdapter(config: TelegramConfig, opts: TelegramAdapterOptions): ChatAdapter {
  if (!config.token) throw new AdapterError('telegram', 'config', 'TELEGRAM_BOT_TOKEN is empty', { permanent: true });
  return new TelegramAdapter(config, opts);
}

