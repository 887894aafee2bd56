// The Open Platform side: the SDK client (bounded requests, a logger that never prints secrets),
// sending one part with a short retry, the sender-name lookup, and failures mapped to AdapterError.
import * as lark from '@larksuiteoapi/node-sdk';
import type { Logger } from '../../src/log.ts';
import { AdapterError } from '../../src/ports.ts';
import { type LarkConfig, larkDomain, larkHost } from './config.ts';
import type { Part } from './render.ts';

// Rate limiting (checked 2026-11): the OpenAPI gateway answers code 99991400 — with HTTP 429 and an
// `x-ogw-ratelimit-reset` header (seconds), or, as many API docs in the SDK's own comments say, with
// HTTP 400 — https://open.feishu.cn/document/server-docs/api-call-guide/frequency-control .
// 230020 is message.create's per-chat "frequency limit" code (treated as a rate limit too).
const RATE_LIMIT_CODES = new Set([99991400, 230020]);
// Tenant token rejected (expired/revoked early): drop our cached token so the next call fetches one.
const BAD_TOKEN_CODES = new Set([99991661, 99991663, 99991668]);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** `p`, or `undefined` once `ms` passed (the request itself is bounded by the HTTP timeout). */
async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)));
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

// ───────────────────────────── logging ─────────────────────────────

/**
 * The SDK's own logger, routed to pino. The SDK passes whole axios errors (their config holds the
 * token request with app_secret), request URLs (the ws URL carries a ticket) and event payloads
 * (with the verification token): only messages and codes go through, and every known secret,
 * token-looking string and URL credential is redacted on top. `observe` sees each error line (ws start).
 */
export function sdkLogger(log: Logger, secrets: string[], observe?: (line: string) => void): lark.Logger {
  const known = secrets.filter((s) => s.length >= 4);
  const describe = (a: unknown, depth = 0): string => {
    if (typeof a === 'string') return a;
    if (a instanceof Error) return a.message;
    if (Array.isArray(a)) return depth > 2 ? '[array]' : a.map((x) => describe(x, depth + 1)).join(' ');
    if (isObject(a)) {
      const bits = ['message', 'msg', 'code', 'status'].filter((k) => a[k] !== undefined && typeof a[k] !== 'object').map((k) => `${k}=${String(a[k])}`);
      return bits.join(' ') || '[object]';
    }
    if (a instanceof Uint8Array) return '[bytes]';
    return String(a);
  };
  const fmt = (args: unknown[]) => {
    let s = args.map((a) => describe(a)).join(' ');
    for (const k of known) s = s.split(k).join('[redacted]');
    return s
      .replace(/(\bdata: ).*/s, '$1[omitted]') // ws "receive message … data: <event payload>"
      .replace(/([?&](?:access_key|ticket|token|secret)[^=&\s]*=)[^&\s]+/gi, '$1[redacted]')
      .replace(/\b(Bearer\s+)\S+/gi, '$1[redacted]')
      .replace(/\b([tua]-[0-9A-Za-z_.-]{12,})/g, '[redacted]')
      .slice(0, 1000);
  };
  const error = (...a: unknown[]) => {
    const line = fmt(a);
    observe?.(line);
    log.warn({ sdk: true }, line);
  };
  return {
    error,
    warn: (...a: unknown[]) => log.warn({ sdk: true }, fmt(a)),
    info: (...a: unknown[]) => log.debug({ sdk: true }, fmt(a)),
    debug: (...a: unknown[]) => log.trace({ sdk: true }, fmt(a)),
    trace: (...a: unknown[]) => log.trace({ sdk: true }, fmt(a)),
  };
}

/** The SDK's shared axios instance with a default timeout, so a hung platform call cannot stall a send forever. */
function timedHttp(timeoutMs: number): lark.HttpInstance {
  const base = lark.defaultHttpInstance as unknown as lark.HttpInstance;
  const t = <D>(o?: lark.HttpRequestOptions<D>): lark.HttpRequestOptions<D> => ({ ...o, timeout: o?.timeout ?? timeoutMs });
  return {
    request: (o) => base.request(t(o)),
    get: (url, o) => base.get(url, t(o)),
    delete: (url, o) => base.delete(url, t(o)),
    head: (url, o) => base.head(url, t(o)),
    options: (url, o) => base.options(url, t(o)),
    post: (url, data, o) => base.post(url, data, t(o)),
    put: (url, data, o) => base.put(url, data, t(o)),
    patch: (url, data, o) => base.patch(url, data, t(o)),
  };
}

// ───────────────────────────── failures ─────────────────────────────

export interface HttpFailure {
  status?: number;
  code?: number;
  msg?: string;
  resetSeconds?: number;
  network?: string;
}

/** What an SDK/axios failure says, without the request (which may hold secrets). */
export function describeFailure(e: unknown): HttpFailure {
  if (!isObject(e)) return { network: String(e) };
  const response = isObject(e.response) ? e.response : undefined;
  if (!response) {
    // The token manager throws a plain Error for an HTTP-200 answer without a token.
    const m = typeof e.message === 'string' ? /code: (-?\d+), msg: (.*)$/s.exec(e.message) : null;
    if (m) return { status: 200, code: Number(m[1]), msg: m[2] ?? '' };
    return { network: typeof e.code === 'string' ? e.code : typeof e.message === 'string' ? e.message : 'request failed' };
  }
  const data = isObject(response.data) ? response.data : {};
  const headers = isObject(response.headers) ? response.headers : {};
  const reset = Number(headers['x-ogw-ratelimit-reset']);
  const out: HttpFailure = {};
  if (typeof response.status === 'number') out.status = response.status;
  if (typeof data.code === 'number') out.code = data.code;
  if (typeof data.msg === 'string') out.msg = data.msg;
  if (Number.isFinite(reset) && reset >= 0) out.resetSeconds = reset;
  return out;
}

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim().slice(0, 160);

export function toAdapterError(op: string, f: HttpFailure, cause: unknown): AdapterError {
  const what = f.network ?? `HTTP ${f.status ?? 200}${f.code !== undefined ? ` code ${f.code}` : ''}${f.msg ? ` ${oneLine(f.msg)}` : ''}`;
  const status = f.status;
  if ((f.code !== undefined && RATE_LIMIT_CODES.has(f.code)) || status === 429) {
    return new AdapterError('lark', op, what, { cause, status: 429, retryAfterMs: (f.resetSeconds ?? 1) * 1000 });
  }
  if (f.network || status === undefined || status >= 500) {
    const opts: { cause: unknown; status?: number; retryAfterMs?: number } = { cause };
    if (status !== undefined) opts.status = status;
    if (f.resetSeconds !== undefined) opts.retryAfterMs = f.resetSeconds * 1000;
    return new AdapterError('lark', op, what, opts);
  }
  if (f.code !== undefined && BAD_TOKEN_CODES.has(f.code)) return new AdapterError('lark', op, what, { cause, status });
  // Any other 4xx, or HTTP 2xx with a non-zero business code.
  return new AdapterError('lark', op, what, { cause, status, permanent: true });
}

/**
 * A start-up failure as ONE line: what failed and what to check. No cause is attached (the SDK's
 * errors carry the request, token request included), no stack text, no secret.
 */
export function startupError(config: LarkConfig, step: 'token' | 'ws', e: unknown): AdapterError {
  const host = larkHost(config.domain);
  const f = describeFailure(e);
  const credentials = 'check LARK_APP_ID / LARK_APP_SECRET';
  let line: string;
  let permanent = false;
  if (f.network) {
    const why = /ECONNABORTED|timeout/i.test(f.network) ? 'timed out' : oneLine(f.network);
    line = `could not reach ${host} (${why}): check LARK_DOMAIN and the network (DNS, firewall, proxy)`;
  } else if (f.status !== undefined && f.status >= 500) {
    line = `${host} answered HTTP ${f.status} to the tenant token request: Lark may be down, retrying later`;
  } else {
    const detail = [f.status !== undefined && f.status !== 200 ? `HTTP ${f.status}` : '', f.code !== undefined ? `code ${f.code}` : '', f.msg ? oneLine(f.msg) : '']
      .filter(Boolean)
      .join(' ');
    line = `could not get a tenant token (${detail || 'no token in the answer'}): ${credentials}`;
    permanent = true;
  }
  if (step === 'ws') line = `${line} (long-connection mode)`;
  return new AdapterError('lark', 'start', redactAll(`飞书/Lark: ${line}`, config), { permanent });
}

/** Removes the configured secrets from a line, whatever produced it. */
export function redactAll(line: string, config: LarkConfig): string {
  let s = line;
  for (const k of [config.appSecret, config.encryptKey, config.verificationToken]) if (k && k.length >= 4) s = s.split(k).join('[redacted]');
  return s.replace(/[\r\n]+/g, ' ');
}

// ───────────────────────────── the API ─────────────────────────────

export interface LarkApiOptions {
  /** Timeout of one platform HTTP call. */
  requestTimeoutMs: number;
  /** Wait before the one in-adapter retry of a part. */
  retryDelayMs: number;
  /** Most time a sender-name lookup may take before the open_id is used instead. */
  nameTimeoutMs: number;
}

export class LarkApi {
  readonly client: lark.Client;
  private readonly cache = new lark.DefaultCache();
  private readonly names = new Map<string, { name: string; until: number }>();
  private readonly pendingNames = new Map<string, Promise<string>>();

  constructor(
    private readonly config: LarkConfig,
    private readonly log: Logger,
    private readonly opts: LarkApiOptions,
  ) {
    this.client = new lark.Client({
      appId: config.appId,
      appSecret: config.appSecret,
      domain: larkDomain(config.domain),
      logger: sdkLogger(log, secretsOf(config)),
      loggerLevel: lark.LoggerLevel.debug,
      cache: this.cache,
      httpInstance: timedHttp(opts.requestTimeoutMs),
    });
  }

  /** Fetches a tenant token (cached by the SDK): proves the domain is reachable and the credentials work. Throws a one-line AdapterError. */
  async checkCredentials(step: 'token' | 'ws'): Promise<void> {
    this.cache.values.clear(); // a start after a failure must really ask again
    try {
      // Client.tokenManager is public (typed `any`) in node-sdk 1.74 (lib/index.js, class Client); checked 2026-11.
      const token = (await (this.client.tokenManager as { getTenantAccessToken(): Promise<unknown> }).getTenantAccessToken()) as unknown;
      if (typeof token !== 'string' || !token) throw new Error('failed to get tenant_access_token, code: -1, msg: empty token');
    } catch (e) {
      throw startupError(this.config, step, e);
    }
  }

  /** The bot's open_id, to recognise its own messages; undefined (logged) when bot/v3/info does not say. */
  async botOpenId(): Promise<string | undefined> {
    try {
      const r = (await this.client.request({ method: 'GET', url: '/open-apis/bot/v3/info' })) as { code?: number; bot?: { open_id?: string; app_name?: string } };
      if (r?.bot?.open_id) {
        this.log.info({ bot: r.bot.app_name }, 'lark bot identity resolved');
        return r.bot.open_id;
      }
      this.log.warn({ code: r?.code }, 'lark bot/v3/info gave no open_id; own messages are recognised by sender_type only');
    } catch (e) {
      this.log.warn({ err: describeFailure(e) }, 'lark bot/v3/info failed; own messages are recognised by sender_type only');
    }
    return undefined;
  }

  /**
   * The contact API's name for an open_id, or the open_id itself: bounded by nameTimeoutMs (the
   * event must be acknowledged within 3 s), cached (misses too, so a missing permission costs one
   * call per user per 10 min), one call in flight per user.
   */
  async senderName(openId: string): Promise<string> {
    const now = Date.now();
    const hit = this.names.get(openId);
    if (hit && hit.until > now) return hit.name;
    let pending = this.pendingNames.get(openId);
    if (!pending) {
      pending = this.lookUpName(openId).finally(() => this.pendingNames.delete(openId));
      this.pendingNames.set(openId, pending);
    }
    const name = await within(pending, this.opts.nameTimeoutMs);
    if (name === undefined) {
      this.log.debug({ openId }, 'lark contact lookup slow; using open_id as the name');
      return openId;
    }
    return name;
  }

  private async lookUpName(openId: string): Promise<string> {
    let name = openId;
    let ttl = 10 * 60_000;
    try {
      const r = (await this.client.request({
        method: 'GET',
        url: `/open-apis/contact/v3/users/${encodeURIComponent(openId)}`,
        params: { user_id_type: 'open_id' },
        timeout: this.opts.nameTimeoutMs,
      } as Parameters<lark.Client['request']>[0])) as { code?: number; data?: { user?: { name?: unknown } } };
      const got = r?.data?.user?.name;
      if (r?.code === 0 && typeof got === 'string' && got) {
        name = got;
        ttl = 24 * 3600_000;
      }
    } catch (e) {
      this.log.debug({ err: describeFailure(e) }, 'lark contact lookup failed; using open_id as the name');
    }
    if (this.names.size >= 5000) this.names.delete(this.names.keys().next().value as string);
    this.names.set(openId, { name, until: Date.now() + ttl });
    return name;
  }

  /**
   * How many people are in a group: `user_count` of GET /open-apis/im/v1/chats/:chat_id (2026-11: a string;
   * bots are counted apart in bot_count; absent when the group hides its member count,
   * https://open.feishu.cn/document/server-docs/group/chat/get). Undefined when Lark does not say; throws
   * when the call fails (the caller keeps that as unknown).
   */
  async chatUserCount(chatId: string): Promise<number | undefined> {
    let r: { code?: number; msg?: string; data?: { user_count?: string } } | undefined;
    try {
      r = await this.client.im.v1.chat.get({ path: { chat_id: chatId } });
    } catch (e) {
      const f = describeFailure(e);
      throw new Error(`chat info failed: ${f.network ?? `HTTP ${f.status ?? '?'} code ${f.code ?? '?'} ${f.msg ?? ''}`.trim()}`);
    }
    if (r?.code !== undefined && r.code !== 0) throw new Error(`chat info failed: code ${r.code} ${r.msg ?? ''}`.trim());
    const raw = r?.data?.user_count;
    const n = typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw) : typeof raw === 'number' ? raw : Number.NaN;
    return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
  }

  /**
   * Sends one part — a new message to `target.chat`, or a reply to `target.replyTo` — and retries once
   * (≤ 2 s of waiting) on 5xx / network / a short rate limit; else throws AdapterError. A reply whose
   * original was withdrawn or deleted throws ReplyTargetGone (the caller sends a plain message).
   */
  async sendPart(target: SendTarget, part: Part, uuid: string): Promise<string | undefined> {
    for (let attempt = 1; ; attempt++) {
      let failure: HttpFailure;
      let cause: unknown;
      try {
        const data = { msg_type: part.msgType, content: part.content, uuid };
        const r =
          target.replyTo !== undefined
            ? await this.client.im.v1.message.reply({ path: { message_id: target.replyTo }, data })
            : await this.client.im.v1.message.create({ params: { receive_id_type: receiveIdType(target.chat) }, data: { ...data, receive_id: target.chat } });
        if (r?.code === 0 || r?.code === undefined) return r?.data?.message_id;
        failure = { status: 200, code: r.code };
        if (r.msg) failure.msg = r.msg;
        cause = r;
      } catch (e) {
        failure = describeFailure(e);
        cause = failure; // not the axios error: its config holds the message and the token header
      }
      if (target.replyTo !== undefined && failure.code !== undefined && REPLY_GONE_CODES.has(failure.code)) throw new ReplyTargetGone(target.replyTo, failure.code);
      const err = toAdapterError('send', failure, cause);
      if (failure.code !== undefined && BAD_TOKEN_CODES.has(failure.code)) this.cache.values.clear();
      const wait = err.permanent ? undefined : (err.retryAfterMs ?? this.opts.retryDelayMs);
      if (attempt >= 2 || wait === undefined || wait > 2000) {
        this.log.warn({ chat: target.chat, status: err.opts.status, retryAfterMs: err.retryAfterMs, permanent: err.permanent }, err.message);
        throw err;
      }
      this.log.debug({ chat: target.chat, wait }, 'lark send failed; retrying once');
      await sleep(wait);
    }
  }
}

export interface SendTarget {
  chat: string;
  /** Reply to this message (im.message.reply) instead of creating a new one in `chat`. */
  replyTo?: string;
}

// 2026-11, https://open.feishu.cn/document/server-docs/im-v1/message/reply (error codes): 230011 the
// message was withdrawn (recalled), 231003 the message is not found (deleted). Either way the reply
// cannot be threaded: the caller sends the same content as a plain message instead.
const REPLY_GONE_CODES = new Set([230011, 231003]);

export class ReplyTargetGone extends Error {
  constructor(
    readonly messageId: string,
    readonly code: number,
  ) {
    super(`the message replied to is gone (code ${code})`);
    this.name = 'ReplyTargetGone';
  }
}

/**
 * Which id `chat` is, by its prefix (2026-11, receive_id_type of
 * https://open.feishu.cn/document/server-docs/im-v1/message/create): ou_ an open_id (a person, for a
 * private message to someone who pressed a button or wrote to the bot), on_ a union_id; anything else a
 * chat_id (oc_…: groups and p2p chats alike).
 */
export function receiveIdType(chat: string): 'open_id' | 'union_id' | 'chat_id' {
  if (chat.startsWith('ou_')) return 'open_id';
  if (chat.startsWith('on_')) return 'union_id';
  return 'chat_id';
}

export const secretsOf = (config: LarkConfig): string[] => [config.appSecret, config.encryptKey ?? '', config.verificationToken ?? ''];
