// Telegram through grammY's Api client: long polling for group and private messages and button
// presses (poller.ts: acknowledged only once handled), sendMessage / sendPhoto / sendMediaGroup for
// digests and answers (send.ts), getFile for pictures (media.ts). Retry (@grammyjs/auto-retry) and
// rate limits (throttle.ts) are grammY API transformers, so they wrap every call the adapter makes.
import { autoRetry } from '@grammyjs/auto-retry';
import { Api, GrammyError, HttpError, type Transformer } from 'grammy';
import type { Update, UserFromGetMe } from 'grammy/types';
import type { InboundAction, OutboundMessage } from '../../src/domain.ts';
import { type AdapterStatus, StatusBox } from '../../src/adapter-status.ts';
import type { Logger } from '../../src/log.ts';
import { type ActionHandler, AdapterError, type ChatAdapter, type MessageHandler, type SendOptions, type SendResult } from '../../src/ports.ts';
import { answerText, normalizeAction, raceAnswer } from './actions.ts';
import { MemberCountCache, type MemberCountOptions } from '../member-count.ts';
import { errInfo, startError } from './errors.ts';
import { fetchTelegramMedia } from './media.ts';
import { addressing } from './mentions.ts';
import { normalize } from './normalize.ts';
import { Poller } from './poller.ts';
import { TelegramSender } from './send.ts';
import { skipStandIns, type TelegramThrottleOptions, throttleTransformers } from './throttle.ts';

export { normalize, withHiddenLinks } from './normalize.ts';
export { normalizeAction, CALLBACK_ANSWER_MAX_CHARS } from './actions.ts';
export { TELEGRAM_DOWNLOAD_MAX_BYTES } from './inbound-parts.ts';
export { TELEGRAM_CAPTION_MAX_CHARS, TELEGRAM_CALLBACK_DATA_MAX_BYTES, TELEGRAM_MEDIA_GROUP_MAX } from './outbound-plan.ts';
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
  /**
   * A button press is answered with the action handler's text if it comes within this long, else with
   * `slowAnswer`; default 5000 ms (Telegram shows a spinner until answered and refuses late answers:
   * "query is too old and response timeout expired").
   */
  actionAnswerMs?: number;
  /** The toast while the handler is still working; default '已收到，正在处理'. */
  slowAnswer?: string;
  /** The toast when the handler failed; default '暂时无法处理，请稍后再试'. */
  failedAnswer?: string;
  /** fetchMedia gives up on a download after this long; default 30 000 ms. */
  mediaTimeoutMs?: number;
  /** How long group sizes (memberCount) are kept and how long a failed lookup is not retried; default 6 h / 10 min. */
  memberCounts?: Pick<MemberCountOptions, 'ttlMs' | 'failureTtlMs' | 'now'>;
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

type Chatty = { chat?: { id?: unknown } } | undefined;

/**
 * The order key of an update: its chat for messages; for button presses, the chat's own press lane,
 * so a press is answered at once even while that group's messages wait on a slow store, and presses
 * in one chat stay in order. The update id when it has none.
 */
function chatOf(u: Update): string {
  const x = u as { message?: Chatty; channel_post?: Chatty; callback_query?: { message?: Chatty }; update_id?: unknown };
  const press = x.callback_query && typeof x.callback_query === 'object' ? x.callback_query.message : undefined;
  const m = press ?? x.message ?? x.channel_post;
  const id = m && typeof m === 'object' ? m.chat?.id : undefined;
  if (typeof id !== 'number') return `update:${String(x.update_id)}`;
  return press ? `press:${id}` : String(id);
}

class TelegramAdapter implements ChatAdapter {
  readonly platform = 'telegram' as const;
  private readonly api: Api;
  private readonly log: Logger;
  private readonly state = new StatusBox();
  private readonly token: string;
  private readonly apiRoot: string;
  private handler: MessageHandler | undefined;
  private actionHandler: ActionHandler | undefined;
  private readonly sender: TelegramSender;
  /** Callback queries already answered (a press handed over again after a handler failure is not answered twice). */
  private readonly answered = new Set<string>();
  private poller: Poller | undefined;
  private me: UserFromGetMe | undefined;
  private readonly memberCounts: MemberCountCache;

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
    this.api.config.use(skipStandIns());
    this.api.config.use(boundedNetworkRetry(opts.requestTimeoutMs ?? 15_000, retry.networkAttempts ?? 2, retry.networkBaseDelayMs ?? 500));
    this.api.config.use(retryExceptPolling(autoRetry({ maxDelaySeconds: retry.maxDelaySeconds ?? 5, maxRetryAttempts: retry.attempts ?? 2, rethrowHttpErrors: true })));
    if (opts.throttle !== false) {
      for (const t of throttleTransformers(typeof opts.throttle === 'object' ? opts.throttle : {})) this.api.config.use(t);
    }
    this.sender = new TelegramSender(this.api, this.log, this.token);
    // 2026-11: getChatMemberCount "Returns Int on success"; the count includes the bot itself (it is a
    // member of every chat it sends to), so one less, https://core.telegram.org/bots/api#getchatmembercount
    this.memberCounts = new MemberCountCache(async (chat) => Math.max(0, (await this.api.getChatMemberCount(chat)) - 1), {
      ...opts.memberCounts,
      onError: (chat, err) => this.log.debug({ chat, err: this.safeErr(err) }, 'getChatMemberCount failed; the group size stays unknown'),
    });
  }

  private get pollTimeoutSeconds(): number {
    return Math.max(0, Math.floor(this.opts.pollTimeoutSeconds ?? 30));
  }

  private safeErr = (err: unknown) => errInfo(err, this.token);

  /**
   * Checks the token (getMe), removes a webhook, and starts polling. Rejects with a one-line
   * AdapterError (no token, no stack of the SDK) and can be called again after a failure.
   */
  /** up after start; down while getUpdates fails or after polling stopped for good (a revoked token). */
  status(): AdapterStatus {
    return this.state.get();
  }

  onStatusChange(listener: (status: AdapterStatus) => void): () => void {
    return this.state.onChange(listener);
  }

  async start(onMessage: MessageHandler, onAction?: ActionHandler): Promise<void> {
    if (this.poller) {
      this.handler = onMessage;
      this.actionHandler = onAction;
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
    this.actionHandler = onAction;
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
      // allowed_updates keeps edits and reactions away and asks for button presses,
      // 2026-11, https://core.telegram.org/bots/api#getupdates
      getUpdates: (p, signal) => this.api.getUpdates({ ...p, allowed_updates: ['message', 'channel_post', 'callback_query'] }, signal as unknown as GrammySignal),
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
      // A stopped or failing poller shows on /healthz and the console, not only in a log line.
      onPoll: (ok, why) => this.state.set(ok ? { state: 'up' } : { state: 'down', error: why ?? 'getUpdates failed' }),
    });
    this.poller.start();
    this.state.set({ state: 'up' });
    this.log.info({ pollTimeoutSeconds: this.pollTimeoutSeconds }, 'polling for group messages');
  }

  private async handleUpdate(u: Update): Promise<void> {
    const handler = this.handler;
    const me = this.me;
    if (!handler || !me) throw new Error('adapter stopped');
    const press = normalizeAction(u, new Date());
    if (press) return this.handlePress(press.queryId, press.action);
    const message = normalize(u, { botId: me.id });
    if (!message) {
      this.log.debug({ updateId: (u as { update_id?: unknown }).update_id }, 'update ignored');
      return;
    }
    await handler({ ...message, ...addressing(u, me) });
  }

  send(chat: string, message: OutboundMessage, opts: SendOptions = {}): Promise<SendResult> {
    return this.sender.send(chat, message, opts);
  }

  /** Members of a group (cached for hours); undefined when Telegram cannot tell (not a member, chat gone). */
  memberCount(chat: string): Promise<number | undefined> {
    return this.memberCounts.get(chat);
  }

  fetchMedia(ref: string, opts: { maxBytes: number }): Promise<{ bytes: Buffer; mime?: string }> {
    return fetchTelegramMedia({ api: this.api, apiRoot: this.apiRoot, token: this.token, timeoutMs: this.opts.mediaTimeoutMs ?? 30_000 }, ref, opts);
  }

  /**
   * A button press: passed to the action handler (whatever chat or message it came from: the core
   * decides), and always answered, once: the handler's text, or a neutral one when it failed or is
   * slow. The update is acknowledged only once the handler settled; a failure is handed over again
   * by the poller (and not answered again).
   */
  private async handlePress(queryId: string | undefined, action: InboundAction | undefined): Promise<void> {
    const onAction = this.actionHandler;
    if (!action || !onAction) {
      if (queryId) await this.answer(queryId, undefined);
      if (!action) this.log.debug({ queryId }, 'button press without a message or data; answered, not passed on');
      return;
    }
    const { outcome, done } = raceAnswer(() => onAction(action), this.opts.actionAnswerMs ?? 5000);
    if (queryId && !this.answered.has(queryId)) {
      void outcome.then((o) => {
        const text = o.kind === 'answered' ? answerText(o.text) : o.kind === 'slow' ? (this.opts.slowAnswer ?? '已收到，正在处理') : (this.opts.failedAnswer ?? '暂时无法处理，请稍后再试');
        return this.answer(queryId, text);
      });
    }
    await done;
  }

  /** answerCallbackQuery; its failure (e.g. too late) is logged, never thrown: the press itself was handled. */
  private async answer(queryId: string, text: string | undefined): Promise<void> {
    if (this.answered.has(queryId)) return;
    this.answered.add(queryId);
    if (this.answered.size > 5000) this.answered.delete(this.answered.values().next().value!);
    try {
      // 2026-11: answerCallbackQuery text "0-200 characters"; without text nothing is shown, the
      // spinner just stops, https://core.telegram.org/bots/api#answercallbackquery
      await this.api.answerCallbackQuery(queryId, text ? { text } : {});
    } catch (err) {
      this.log.warn({ err: this.safeErr(err) }, 'could not answer a button press');
    }
  }

  async stop(): Promise<void> {
    const poller = this.poller;
    this.poller = undefined;
    if (!poller) {
      this.handler = undefined;
      this.actionHandler = undefined;
      return;
    }
    // Handlers already running finish (and are confirmed); nothing new is handed over.
    const stopping = poller.stop(this.opts.stopGraceMs ?? 5000);
    this.handler = undefined;
    this.actionHandler = undefined;
    await stopping;
    this.log.info('stopped');
  }
}

export function createTelegramAdapter(config: TelegramConfig, opts: TelegramAdapterOptions): ChatAdapter {
  if (!config.token) throw new AdapterError('telegram', 'config', 'TELEGRAM_BOT_TOKEN is empty', { permanent: true });
  return new TelegramAdapter(config, opts);
}

