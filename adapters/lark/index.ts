// Feishu / Lark adapter (@larksuiteoapi/node-sdk).
// Receives im.message.receive_v1 through the SDK's EventDispatcher, either over the long connection
// (WSClient, no public URL needed) or through a small node:http webhook server; sends through
// client.im.v1.message.create. Never imports the classifier, the store or another adapter.
import { createCipheriv, createDecipheriv, createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as lark from '@larksuiteoapi/node-sdk';
import type { InboundMessage, OutboundMessage } from '../../src/domain.ts';
import type { Logger } from '../../src/log.ts';
import { AdapterError, type ChatAdapter, type MessageHandler, type SendResult } from '../../src/ports.ts';
import { htmlToText } from '../../src/plain-text.ts';
import { splitOnLines } from '../../src/split.ts';

// ───────────────────────────── config ─────────────────────────────

export interface LarkConfig {
  appId: string;
  appSecret: string;
  /** 'feishu' (open.feishu.cn), 'lark' (open.larksuite.com) or a base URL (tests: a loopback fake). */
  domain: string;
  mode: 'ws' | 'webhook';
  webhookPort?: number;
  /** Default 0.0.0.0 in production; tests use 127.0.0.1. */
  webhookHost?: string;
  encryptKey?: string;
  verificationToken?: string;
}

/** Reads LARK_APP_ID, LARK_APP_SECRET, LARK_DOMAIN, LARK_MODE, LARK_WEBHOOK_PORT, LARK_WEBHOOK_HOST, LARK_ENCRYPT_KEY, LARK_VERIFICATION_TOKEN. */
export function larkConfigFromEnv(env: NodeJS.ProcessEnv): LarkConfig | undefined {
  const appId = env.LARK_APP_ID?.trim();
  const appSecret = env.LARK_APP_SECRET?.trim();
  if (!appId || !appSecret) return undefined;
  const mode = (env.LARK_MODE?.trim().toLowerCase() || 'ws') as string;
  if (mode !== 'ws' && mode !== 'webhook') throw new Error(`LARK_MODE must be 'ws' or 'webhook', not '${mode}'`);
  const port = env.LARK_WEBHOOK_PORT?.trim();
  const webhookPort = port ? Number(port) : mode === 'webhook' ? 8787 : undefined;
  if (webhookPort !== undefined && (!Number.isInteger(webhookPort) || webhookPort < 0 || webhookPort > 65535)) {
    throw new Error(`LARK_WEBHOOK_PORT must be a port number, not '${port}'`);
  }
  const config: LarkConfig = { appId, appSecret, domain: env.LARK_DOMAIN?.trim() || 'feishu', mode };
  if (webhookPort !== undefined) config.webhookPort = webhookPort;
  if (env.LARK_WEBHOOK_HOST?.trim()) config.webhookHost = env.LARK_WEBHOOK_HOST.trim();
  if (env.LARK_ENCRYPT_KEY) config.encryptKey = env.LARK_ENCRYPT_KEY;
  if (env.LARK_VERIFICATION_TOKEN) config.verificationToken = env.LARK_VERIFICATION_TOKEN;
  return config;
}

/** What the SDK's Client / WSClient accept as `domain`. */
export function larkDomain(domain: string): lark.Domain | string {
  const d = domain.trim().toLowerCase();
  if (d === 'feishu' || d === '') return lark.Domain.Feishu;
  if (d === 'lark' || d === 'larksuite') return lark.Domain.Lark;
  if (!/^https?:\/\//.test(domain)) throw new Error(`Lark domain must be 'feishu', 'lark' or a base URL, not '${domain}'`);
  return domain.replace(/\/+$/, '');
}

// ───────────────────────────── limits ─────────────────────────────

// Request-body limits of POST /open-apis/im/v1/messages (checked 2026-11 against the "发送消息" doc,
// https://open.feishu.cn/document/server-docs/im-v1/message/create): a text message's request body
// at most 150 KB, a post (rich text) or card at most 30 KB. We count the UTF-8 bytes of the whole JSON
// body we send (content is a JSON string inside JSON, so it is escaped twice) and keep a margin.
export const LARK_TEXT_MAX_BYTES = 150 * 1024;
export const LARK_POST_MAX_BYTES = 30 * 1024;
const BODY_MARGIN_BYTES = 1024;
/** A first guess at characters per text part; parts that still encode too big are split again. */
export const LARK_TEXT_MAX_CHARS = 30_000;
// `uuid` on message.create: at most 50 characters; the same uuid sends at most one message within an
// hour (checked 2026-11, same doc). We use the caller's idempotencyKey (or a random one, so the
// in-adapter retry can never double-post).
const UUID_MAX = 50;

// Rate limiting (checked 2026-11): the OpenAPI gateway answers code 99991400 — with HTTP 429 and an
// `x-ogw-ratelimit-reset` header (seconds), or, as many API docs in the SDK's own comments say, with
// HTTP 400 — https://open.feishu.cn/document/server-docs/api-call-guide/frequency-control .
// 230020 is message.create's per-chat "frequency limit" code (treated as a rate limit too).
const RATE_LIMIT_CODES = new Set([99991400, 230020]);
// Tenant token rejected (expired/revoked early): drop our cached token so the next call fetches one.
const BAD_TOKEN_CODES = new Set([99991661, 99991663, 99991668]);

// ───────────────────────────── normalize ─────────────────────────────

export interface LarkMention {
  key: string;
  id?: { open_id?: string; union_id?: string; user_id?: string };
  name?: string;
  tenant_key?: string;
}

/** The body of an im.message.receive_v1 event (the `event` object, or the SDK dispatcher's flattened header+event). */
export interface LarkMessageEvent {
  event_id?: string;
  app_id?: string;
  sender?: {
    sender_id?: { open_id?: string; union_id?: string; user_id?: string; app_id?: string };
    sender_type?: string;
    tenant_key?: string;
  };
  message?: {
    message_id?: string;
    root_id?: string;
    parent_id?: string;
    create_time?: string;
    chat_id?: string;
    chat_type?: string;
    message_type?: string;
    content?: string;
    mentions?: LarkMention[];
  };
}

export interface NormalizeContext {
  /** The bot's own open_id (from /open-apis/bot/v3/info). */
  botOpenId?: string;
  appId?: string;
}

interface PostElement {
  tag?: string;
  text?: string;
  href?: string;
  user_id?: string;
  user_name?: string;
  language?: string;
}
interface PostBody {
  title?: string;
  content?: PostElement[][];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Pure: one im.message.receive_v1 event body → InboundMessage, or null when it is not a usable group text. */
export function normalize(event: LarkMessageEvent, ctx: NormalizeContext = {}): InboundMessage | null {
  if (typeof event !== 'object' || event === null) return null;
  const { sender, message } = event;
  if (typeof message !== 'object' || message === null || typeof sender !== 'object' || sender === null) return null;
  // Only group chats (chat_type 'p2p' is a private chat with the bot).
  if (message.chat_type !== 'group') return null;
  if (typeof message.chat_id !== 'string' || !message.chat_id || typeof message.message_id !== 'string' || !message.message_id) return null;
  // The bot's own messages (and other bots'): sender_type 'app', or the sender is us.
  const senderId: NonNullable<NonNullable<LarkMessageEvent['sender']>['sender_id']> = isObject(sender.sender_id) ? sender.sender_id : {};
  if (sender.sender_type === 'app') return null;
  if (ctx.botOpenId && senderId.open_id === ctx.botOpenId) return null;
  if (ctx.appId && senderId.app_id === ctx.appId) return null;
  if (typeof message.content !== 'string') return null;
  let content: unknown;
  try {
    content = JSON.parse(message.content);
  } catch {
    return null;
  }
  let text: string | undefined;
  if (message.message_type === 'text') {
    if (isObject(content) && typeof content.text === 'string') text = textWithMentions(content.text, message.mentions, ctx);
  } else if (message.message_type === 'post') {
    text = postToText(content, ctx);
  }
  if (text === undefined) return null;
  text = tidy(text);
  if (!text) return null;
  const openId = [senderId.open_id, senderId.user_id, senderId.union_id].find((v): v is string => typeof v === 'string' && v !== '');
  if (!openId) return null;
  const ms = typeof message.create_time === 'string' || typeof message.create_time === 'number' ? Number(message.create_time) : Number.NaN;
  return {
    platform: 'lark',
    id: message.message_id,
    chatId: message.chat_id,
    senderId: openId,
    senderName: openId,
    text,
    sentAt: Number.isFinite(ms) && ms > 0 && ms <= 8.64e15 ? new Date(ms).toISOString() : new Date().toISOString(),
  };
}

/** Text content carries @mentions as `@_user_1` placeholders (and `@_all`); `mentions` maps them to names. */
function textWithMentions(text: string, mentions: LarkMention[] | undefined, ctx: NormalizeContext): string {
  const byKey = new Map((Array.isArray(mentions) ? mentions : []).filter((m): m is LarkMention => isObject(m)).map((m) => [m.key, m]));
  return text.replace(/@_(?:user_\d+|all)/g, (key) => {
    const m = byKey.get(key);
    if (!m || typeof m.name !== 'string' || !m.name || (ctx.botOpenId && m.id?.open_id === ctx.botOpenId)) return '';
    return `@${m.name}`;
  });
}

/** A post is `{title, content}` — in events usually bare, in other places wrapped in a locale key (zh_cn, en_us, …). */
function postToText(content: unknown, ctx: NormalizeContext): string | undefined {
  if (!isObject(content)) return undefined;
  let body: PostBody | undefined;
  if (Array.isArray(content.content) || typeof content.title === 'string') body = content as PostBody;
  else {
    const locale = ['zh_cn', 'en_us', 'ja_jp'].find((k) => isObject(content[k])) ?? Object.keys(content).find((k) => isObject(content[k]));
    if (locale) body = content[locale] as PostBody;
  }
  if (!body) return undefined;
  const lines: string[] = [];
  if (typeof body.title === 'string' && body.title.trim()) lines.push(body.title.trim());
  for (const para of Array.isArray(body.content) ? body.content : []) {
    if (!Array.isArray(para)) continue;
    lines.push(para.map((el) => elementText(el, ctx)).join(''));
  }
  return lines.join('\n');
}

function elementText(el: PostElement, ctx: NormalizeContext): string {
  if (!isObject(el)) return '';
  const text = typeof el.text === 'string' ? el.text : '';
  switch (el.tag) {
    case 'text':
    case 'code_block':
    case 'md':
      return text;
    case 'a': {
      const href = typeof el.href === 'string' ? el.href : '';
      if (!href) return text;
      if (!text.trim() || text.trim() === href) return href;
      return `${text} (${href})`;
    }
    case 'at':
      if (el.user_id === 'all' || (ctx.botOpenId && el.user_id === ctx.botOpenId)) return '';
      return el.user_name ? `@${el.user_name}` : '';
    default:
      return ''; // img, media, emotion, hr, …
  }
}

function tidy(text: string): string {
  return text
    .split('\n')
    .map((l) => l.replace(/[ \t]{2,}/g, ' ').trimEnd())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

// ───────────────────────────── outbound rendering ─────────────────────────────


interface Part {
  msgType: 'text' | 'post';
  content: string;
}

const bodyBytes = (chat: string, p: Part): number =>
  Buffer.byteLength(JSON.stringify({ receive_id: chat, msg_type: p.msgType, content: p.content, uuid: 'x'.repeat(UUID_MAX) }));

function textParts(chat: string, text: string, maxChars: number, maxBytes: number): Part[] {
  const out: Part[] = [];
  const push = (piece: string, max: number) => {
    const part: Part = { msgType: 'text', content: JSON.stringify({ text: piece }) };
    if (bodyBytes(chat, part) <= maxBytes || max <= 64) out.push(part);
    else for (const p of splitOnLines(piece, Math.floor(max / 2))) push(p, Math.floor(max / 2));
  };
  for (const piece of splitOnLines(text, maxChars)) push(piece, maxChars);
  return out;
}

function postParts(chat: string, body: string, maxBytes: number, maxChars: number): Part[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (cause) {
    throw new AdapterError('lark', 'send', 'lark-post body is not JSON', { cause, permanent: true });
  }
  if (!isObject(parsed)) throw new AdapterError('lark', 'send', 'lark-post body is not an object', { permanent: true });
  const whole: Part = { msgType: 'post', content: body };
  if (bodyBytes(chat, whole) <= maxBytes) return [whole];
  // Too big: split the paragraphs of the (first) locale over several posts; the title goes on the first.
  const locale = Object.keys(parsed).find((k) => isObject(parsed[k]) && Array.isArray((parsed[k] as PostBody).content));
  const post: PostBody = locale ? (parsed[locale] as PostBody) : (parsed as PostBody);
  const key = locale ?? 'zh_cn';
  const make = (title: string | undefined, content: PostElement[][]): Part => ({
    msgType: 'post',
    content: JSON.stringify({ [key]: title === undefined ? { content } : { title, content } }),
  });
  const out: Part[] = [];
  let title: string | undefined = post.title;
  let current: PostElement[][] = [];
  const flush = () => {
    if (!current.length) return;
    out.push(make(title, current));
    title = undefined;
    current = [];
  };
  for (const para of post.content ?? []) {
    if (bodyBytes(chat, make(title, [...current, para])) <= maxBytes) {
      current.push(para);
      continue;
    }
    flush();
    if (bodyBytes(chat, make(title, [para])) <= maxBytes) {
      current.push(para);
      continue;
    }
    // One paragraph alone is too big: flatten it to text lines.
    const flat = para.map((el) => elementText(el, {})).join('');
    for (const piece of splitOnLines(flat, Math.max(64, Math.floor(maxChars / 4)))) {
      const candidate = make(title, [[{ tag: 'text', text: piece }]]);
      if (bodyBytes(chat, candidate) > maxBytes) throw new AdapterError('lark', 'send', 'post paragraph too large to split', { permanent: true });
      out.push(candidate);
      title = undefined;
    }
  }
  flush();
  return out.length ? out : [whole];
}

/** Lark's uuid for part `index` of `count`: the key itself for a single part, key-index when split; ≤ 50 chars. */
export function larkUuid(key: string, index: number, count: number): string {
  if (count === 1 && key.length <= UUID_MAX) return key;
  const suffix = count === 1 ? '' : `-${index}`;
  const room = UUID_MAX - suffix.length;
  const base = key.length <= room ? key : createHash('sha256').update(key).digest('hex').slice(0, room);
  return `${base}${suffix}`;
}

// ───────────────────────────── webhook crypto ─────────────────────────────

/** The X-Lark-Signature Lark puts on event requests when an Encrypt Key is set: sha256(timestamp + nonce + encryptKey + raw body). */
export function larkSignature(timestamp: string, nonce: string, encryptKey: string, rawBody: string): string {
  return createHash('sha256').update(timestamp + nonce + encryptKey + rawBody).digest('hex');
}

/** AES-256-CBC with key sha256(encryptKey), a random IV prepended, base64 — the inverse of what the SDK's AESCipher decrypts. */
export function larkEncrypt(plain: string, encryptKey: string, iv: Buffer): string {
  const key = createHash('sha256').update(encryptKey).digest();
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  return Buffer.concat([iv, cipher.update(plain, 'utf8'), cipher.final()]).toString('base64');
}

export function larkDecrypt(encrypted: string, encryptKey: string): string {
  const buf = Buffer.from(encrypted, 'base64');
  if (buf.length < 32) throw new Error('encrypted payload too short');
  const key = createHash('sha256').update(encryptKey).digest();
  const decipher = createDecipheriv('aes-256-cbc', key, buf.subarray(0, 16));
  return Buffer.concat([decipher.update(buf.subarray(16)), decipher.final()]).toString('utf8');
}

const safeEqual = (a: string, b: string): boolean => {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
};

// ───────────────────────────── small helpers ─────────────────────────────

/** A bounded insertion-ordered set (oldest evicted). */
class BoundedSet {
  private readonly items = new Set<string>();
  constructor(private readonly max: number) {}
  /** True when `key` was new. */
  add(key: string): boolean {
    if (this.items.has(key)) return false;
    this.items.add(key);
    if (this.items.size > this.max) {
      const oldest = this.items.values().next().value;
      if (oldest !== undefined) this.items.delete(oldest);
    }
    return true;
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The SDK's own logger, routed to pino; only messages, never request configs (they carry app_secret / content). */
function sdkLogger(log: Logger): lark.Logger {
  const describe = (a: unknown): string => {
    if (typeof a === 'string') return a;
    if (a instanceof Error) return a.message;
    if (Array.isArray(a)) return a.map(describe).join(' ');
    if (isObject(a)) {
      const bits = ['message', 'msg', 'code', 'status'].filter((k) => a[k] !== undefined && typeof a[k] !== 'object').map((k) => `${k}=${String(a[k])}`);
      return bits.join(' ') || '[object]';
    }
    return String(a);
  };
  const fmt = (args: unknown[]) =>
    args
      .map(describe)
      .join(' ')
      .replace(/([?&](?:access_key|ticket|token|secret)[^=&\s]*=)[^&\s]+/gi, '$1[redacted]')
      .slice(0, 1000);
  return {
    error: (...a: unknown[]) => log.warn({ sdk: true }, fmt(a)),
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

interface HttpFailure {
  status?: number;
  code?: number;
  msg?: string;
  resetSeconds?: number;
  network?: string;
}

function describeFailure(e: unknown): HttpFailure {
  if (!isObject(e)) return { network: String(e) };
  const response = isObject(e.response) ? e.response : undefined;
  if (!response) return { network: typeof e.code === 'string' ? e.code : typeof e.message === 'string' ? e.message : 'request failed' };
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

function toAdapterError(op: string, f: HttpFailure, cause: unknown): AdapterError {
  const what = f.network ?? `HTTP ${f.status ?? 200}${f.code !== undefined ? ` code ${f.code}` : ''}${f.msg ? ` ${f.msg}` : ''}`;
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
  if (status >= 400) return new AdapterError('lark', op, what, { cause, status, permanent: true });
  // HTTP 2xx with a non-zero business code.
  return new AdapterError('lark', op, what, { cause, status, permanent: true });
}

// ───────────────────────────── the adapter ─────────────────────────────

export interface LarkAdapterOptions {
  logger: Logger;
  /** Characters per text part before the byte check (tests make this small). */
  maxChars?: number;
  /** Override the post body byte limit (tests). */
  maxPostBytes?: number;
  /** Timeout of one platform HTTP call; default 10 s. */
  requestTimeoutMs?: number;
  /** In-adapter retries of one part on 5xx / network / short rate limits (≤ 2 tries in all, ≤ 2 s waiting). */
  retryDelayMs?: number;
  /** Resolve sender names through the contact API (cached); default true. */
  resolveNames?: boolean;
  /** ws mode: how long start() waits for the long connection; default 30 s. */
  wsReadyTimeoutMs?: number;
  /** Largest event queue before new events are dropped (logged). */
  maxQueue?: number;
}

export type LarkAdapter = ChatAdapter & { readonly webhookPort?: number };

export function createLarkAdapter(config: LarkConfig, opts: LarkAdapterOptions): LarkAdapter {
  return new LarkChatAdapter(config, opts);
}

type ReceiveData = LarkMessageEvent & { event_id?: string; uuid?: string };

class LarkChatAdapter implements ChatAdapter {
  readonly platform = 'lark' as const;
  private readonly log: Logger;
  private readonly client: lark.Client;
  private readonly cache = new lark.DefaultCache();
  private readonly dispatcher: lark.EventDispatcher;
  private readonly seenEvents = new BoundedSet(5000);
  private readonly names = new Map<string, { name: string; until: number }>();
  private readonly maxChars: number;
  private readonly maxPostBytes: number;
  private readonly retryDelayMs: number;
  private handler: MessageHandler | undefined;
  private chain: Promise<void> = Promise.resolve();
  private queued = 0;
  private botOpenId: string | undefined;
  private server: Server | undefined;
  private ws: lark.WSClient | undefined;
  private boundPort: number | undefined;

  constructor(
    private readonly config: LarkConfig,
    private readonly opts: LarkAdapterOptions,
  ) {
    this.log = opts.logger.child({ platform: 'lark' });
    this.maxChars = opts.maxChars ?? LARK_TEXT_MAX_CHARS;
    this.maxPostBytes = opts.maxPostBytes ?? LARK_POST_MAX_BYTES - BODY_MARGIN_BYTES;
    this.retryDelayMs = opts.retryDelayMs ?? 500;
    const sdkLog = sdkLogger(this.log);
    this.client = new lark.Client({
      appId: config.appId,
      appSecret: config.appSecret,
      domain: larkDomain(config.domain),
      logger: sdkLog,
      loggerLevel: lark.LoggerLevel.debug,
      cache: this.cache,
      httpInstance: timedHttp(opts.requestTimeoutMs ?? 10_000),
    });
    const dispatcherParams: ConstructorParameters<typeof lark.EventDispatcher>[0] = { logger: sdkLog, loggerLevel: lark.LoggerLevel.debug, cache: this.cache };
    if (config.encryptKey) dispatcherParams.encryptKey = config.encryptKey;
    if (config.verificationToken) dispatcherParams.verificationToken = config.verificationToken;
    this.dispatcher = new lark.EventDispatcher(dispatcherParams).register({
      // Must return fast: Lark redelivers an event that is not acknowledged within 3 s
      // (https://open.feishu.cn/document/server-docs/event-subscription-guide/event-subscription-configure-/request-url-configuration-case , checked 2026-11).
      'im.message.receive_v1': (data: ReceiveData) => {
        this.enqueue(data);
      },
    });
  }

  get webhookPort(): number | undefined {
    return this.boundPort;
  }

  async start(onMessage: MessageHandler): Promise<void> {
    this.handler = onMessage;
    await this.fetchBotIdentity();
    if (this.config.mode === 'webhook') await this.startWebhook();
    else await this.startWs();
  }

  async stop(): Promise<void> {
    this.handler = undefined;
    const ws = this.ws;
    this.ws = undefined;
    ws?.close({ force: true });
    const server = this.server;
    this.server = undefined;
    if (server) {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    }
    // Let an in-flight handler finish (bounded); queued events are dropped since handler is unset.
    await Promise.race([this.chain, sleep(2000)]);
  }

  // ── receiving ──

  private async fetchBotIdentity(): Promise<void> {
    try {
      const r = (await this.client.request({ method: 'GET', url: '/open-apis/bot/v3/info' })) as { code?: number; bot?: { open_id?: string; app_name?: string } };
      if (r?.bot?.open_id) {
        this.botOpenId = r.bot.open_id;
        this.log.info({ bot: r.bot.app_name }, 'lark bot identity resolved');
      } else this.log.warn({ code: r?.code }, 'lark bot/v3/info gave no open_id; own messages are recognised by sender_type only');
    } catch (e) {
      this.log.warn({ err: describeFailure(e) }, 'lark bot/v3/info failed; own messages are recognised by sender_type only');
    }
  }

  private enqueue(data: ReceiveData): void {
    const eventId = data?.event_id ?? data?.uuid;
    if (eventId && !this.seenEvents.add(eventId)) {
      this.log.debug({ eventId }, 'duplicate lark event ignored');
      return;
    }
    if (this.queued >= (this.opts.maxQueue ?? 1000)) {
      this.log.error({ eventId }, 'lark event queue full; event dropped');
      return;
    }
    this.queued++;
    this.chain = this.chain
      .then(() => this.process(data))
      .catch((e: unknown) => this.log.error({ err: e, eventId }, 'lark message handler failed'))
      .finally(() => {
        this.queued--;
      });
  }

  private async process(data: ReceiveData): Promise<void> {
    if (!this.handler) return;
    const ctx: NormalizeContext = { appId: this.config.appId };
    if (this.botOpenId) ctx.botOpenId = this.botOpenId;
    const message = normalize(data, ctx);
    if (!message) {
      this.log.debug({ type: (data as { message?: { message_type?: string } })?.message?.message_type }, 'lark message ignored (not a group text/post, or our own)');
      return;
    }
    if (this.opts.resolveNames !== false) message.senderName = await this.senderName(message.senderId);
    const handler = this.handler;
    if (handler) await handler(message);
  }

  /** The contact API's name for an open_id, cached (misses too, so a missing permission costs one call per user per 10 min). */
  private async senderName(openId: string): Promise<string> {
    const now = Date.now();
    const hit = this.names.get(openId);
    if (hit && hit.until > now) return hit.name;
    let name = openId;
    let ttl = 10 * 60_000;
    try {
      const r = await this.client.contact.v3.user.get({ path: { user_id: openId }, params: { user_id_type: 'open_id' } });
      const got = r?.data?.user?.name;
      if (r?.code === 0 && got) {
        name = got;
        ttl = 24 * 3600_000;
      }
    } catch (e) {
      this.log.debug({ err: describeFailure(e) }, 'lark contact lookup failed; using open_id as the name');
    }
    if (this.names.size >= 5000) this.names.delete(this.names.keys().next().value as string);
    this.names.set(openId, { name, until: now + ttl });
    return name;
  }

  private async startWs(): Promise<void> {
    // WSClient.start() only logs and returns on an appId that is not cli_ + 16 hex digits
    // (node-sdk 1.74 lib/index.js, WSClient.start), so check it ourselves.
    if (!/^cli_[0-9a-fA-F]{16}$/.test(this.config.appId)) {
      throw new AdapterError('lark', 'start', 'ws mode needs an app id of the form cli_ + 16 hex digits', { permanent: true });
    }
    const timeoutMs = this.opts.wsReadyTimeoutMs ?? 30_000;
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (err?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) {
          this.ws?.close({ force: true });
          this.ws = undefined;
          reject(err);
        } else resolve();
      };
      const timer = setTimeout(
        () => settle(new AdapterError('lark', 'start', `long connection not ready after ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.ws = new lark.WSClient({
        appId: this.config.appId,
        appSecret: this.config.appSecret,
        domain: larkDomain(this.config.domain),
        logger: sdkLogger(this.log),
        loggerLevel: lark.LoggerLevel.debug,
        handshakeTimeoutMs: 10_000,
        onReady: () => {
          this.log.info('lark long connection ready');
          settle();
        },
        onError: (err) => settle(new AdapterError('lark', 'start', err.message, { cause: err, permanent: true })),
        onReconnecting: () => this.log.warn('lark long connection lost; reconnecting'),
        onReconnected: () => this.log.info('lark long connection re-established'),
      });
      this.ws.start({ eventDispatcher: this.dispatcher }).catch((e: unknown) => settle(e instanceof Error ? e : new Error(String(e))));
    });
  }

  private async startWebhook(): Promise<void> {
    const server = createServer((req, res) => {
      this.onWebhook(req, res).catch((e: unknown) => {
        this.log.error({ err: e }, 'lark webhook request failed');
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
    server.requestTimeout = 10_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.webhookPort ?? 0, this.config.webhookHost ?? '0.0.0.0', () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (e) => this.log.error({ err: e }, 'lark webhook server error'));
    this.server = server;
    this.boundPort = (server.address() as AddressInfo).port;
    this.log.info({ port: this.boundPort }, 'lark webhook listening');
  }

  private async onWebhook(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const reply = (status: number, body: unknown = {}) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.method !== 'POST') return reply(405, { msg: 'POST only' });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > 1024 * 1024) return reply(413, { msg: 'too large' });
      chunks.push(chunk);
    }
    const raw = Buffer.concat(chunks).toString('utf8');
    const { encryptKey, verificationToken } = this.config;

    // Signature: present when an Encrypt Key is configured; sha256(timestamp + nonce + encryptKey + raw body).
    // Checked over the raw body (the SDK's own check re-serialises the parsed JSON, which breaks on any
    // formatting difference) — https://open.feishu.cn/document/server-docs/event-subscription-guide/event-subscription-configure-/encrypt-key-encryption-configuration-case (checked 2026-11).
    const signature = header(req, 'x-lark-signature');
    let signed = false;
    if (encryptKey && signature) {
      const expected = larkSignature(header(req, 'x-lark-request-timestamp') ?? '', header(req, 'x-lark-request-nonce') ?? '', encryptKey, raw);
      if (!safeEqual(expected, signature)) {
        this.log.warn('lark webhook: bad signature');
        return reply(401, { msg: 'bad signature' });
      }
      signed = true;
    }

    let data: Record<string, unknown>;
    try {
      const outer: unknown = JSON.parse(raw);
      if (!isObject(outer)) throw new Error('not an object');
      if (typeof outer.encrypt === 'string') {
        if (!encryptKey) throw new Error('encrypted event but no encrypt key configured');
        const inner: unknown = JSON.parse(larkDecrypt(outer.encrypt, encryptKey));
        if (!isObject(inner)) throw new Error('decrypted event is not an object');
        data = inner;
      } else data = outer;
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'lark webhook: unreadable body');
      return reply(400, { msg: 'bad request' });
    }

    const eventHeader = isObject(data.header) ? data.header : undefined;
    const token = eventHeader ? eventHeader.token : data.token;
    if (verificationToken && token !== verificationToken) {
      this.log.warn('lark webhook: bad verification token');
      return reply(401, { msg: 'bad token' });
    }
    // URL verification (the challenge) is not signed (https://github.com/larksuite/node-sdk/issues/67, 2023-12);
    // every other request must be when an Encrypt Key is configured.
    if (data.type === 'url_verification') return reply(200, { challenge: data.challenge });
    if (encryptKey && !signed) {
      this.log.warn('lark webhook: unsigned event');
      return reply(401, { msg: 'missing signature' });
    }
    if (!this.handler) return reply(503, { msg: 'stopped' });
    // Already decrypted and verified: let the dispatcher route it without its own (re-serialising) check.
    await this.dispatcher.invoke(data, { needCheck: false });
    reply(200, {});
  }

  // ── sending ──

  async send(chat: string, message: OutboundMessage, opts: { idempotencyKey?: string } = {}): Promise<SendResult> {
    let parts: Part[];
    if (message.format === 'lark-post') parts = postParts(chat, message.body, this.maxPostBytes, this.maxChars);
    else {
      const text = message.format === 'html' ? htmlToText(message.body) : message.body;
      parts = textParts(chat, text, this.maxChars, LARK_TEXT_MAX_BYTES - BODY_MARGIN_BYTES);
    }
    const key = opts.idempotencyKey ?? randomUUID();
    let messageId: string | undefined;
    for (const [i, part] of parts.entries()) {
      messageId = await this.sendPart(chat, part, larkUuid(key, i, parts.length));
    }
    return messageId ? { messageId } : {};
  }

  private async sendPart(chat: string, part: Part, uuid: string): Promise<string | undefined> {
    for (let attempt = 1; ; attempt++) {
      let failure: HttpFailure;
      let cause: unknown;
      try {
        const r = await this.client.im.v1.message.create({
          params: { receive_id_type: 'chat_id' },
          data: { receive_id: chat, msg_type: part.msgType, content: part.content, uuid },
        });
        if (r?.code === 0 || r?.code === undefined) return r?.data?.message_id;
        failure = { status: 200, code: r.code };
        if (r.msg) failure.msg = r.msg;
        cause = r;
      } catch (e) {
        failure = describeFailure(e);
        cause = e;
      }
      const err = toAdapterError('send', failure, cause);
      if (failure.code !== undefined && BAD_TOKEN_CODES.has(failure.code)) this.cache.values.clear();
      // One short in-adapter retry (≤ 2 tries, ≤ 2 s of waiting); anything longer goes back to the outbox.
      const wait = err.permanent ? undefined : (err.retryAfterMs ?? this.retryDelayMs);
      if (attempt >= 2 || wait === undefined || wait > 2000) {
        this.log.warn({ chat, status: err.opts.status, retryAfterMs: err.retryAfterMs, permanent: err.permanent }, err.message);
        throw err;
      }
      this.log.debug({ chat, wait }, 'lark send failed; retrying once');
      await sleep(wait);
    }
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
