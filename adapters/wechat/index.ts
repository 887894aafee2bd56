// WeChat through wechaty (default puppet: wechaty-puppet-wechat4u, the web/UOS protocol).
// A person logs the bot's WeChat account in by scanning a QR code; the session is kept under
// `${dataDir}/wechat/` so a restart resumes without a new scan until WeChat invalidates it.
//
// Platform quirks this file relies on (checked 2026-11):
// - Room ids change at every login with the web protocol, so rooms are addressed by TOPIC and an
//   alias table maps topics the rules still name to the current ones.
//   https://github.com/wechaty/puppet-wechat4u (UserName "@@…" is session-scoped)
// - The protocol is unmaintained and ban-prone: one serial send queue with 1.5–3 s jittered spacing.
//   https://github.com/Urinx/WeixinBot/issues/149 (bursts trigger "发送消息过于频繁")
// - Send failures come from wechat4u as a Node AssertionError `actual: <Ret>, expected: 0` with the
//   axios `response` attached; Ret 1205 means "too frequent". WeChat sends no Retry-After.
//   https://github.com/danni-cool/wechatbot-webhook/issues/256 (the error shape, actual: 1205)
//   https://github.com/youfou/wxpy/issues/58 ("1205 错误通常表示请求频率过高，需要暂缓")
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { WechatyBuilder, ScanStatus, qrcodeValueToImageUrl, types, type Contact, type Message, type Room, type Wechaty } from 'wechaty';
import type { InboundMessage, OutboundMessage } from '../../src/domain.ts';
import type { Logger } from '../../src/log.ts';
import { AdapterError, type ChatAdapter, type MessageHandler, type SendResult } from '../../src/ports.ts';
import { toPlainText } from '../../src/plain-text.ts';
import { splitOnLines } from '../../src/split.ts';

/**
 * Longest text sent as one WeChat message, in UTF-16 units (2026-11).
 * Personal WeChat documents no limit for the web protocol; the WeChat surfaces that do document one
 * cut at 2048 (WeCom app messages: "最长不超过2048个字节，超过将截断",
 * https://developer.work.weixin.qq.com/document/path/90236) and bots on the newer iLink API split at
 * 2000 after silent truncation (https://github.com/NousResearch/hermes-agent/pull/16757). Clients also
 * fold long texts behind "全文". 2000 keeps every part whole and readable on a phone.
 */
export const WECHAT_MAX_CHARS = 2000;
export const DEFAULT_PUPPET = 'wechaty-puppet-wechat4u';
export const DEFAULT_SEND_SPACING_MS: [number, number] = [1500, 3000];
/** WeChat's "too frequent" (Ret 1205) carries no retry hint; stay quiet this long before trying again. */
export const DEFAULT_FREQUENCY_COOLDOWN_MS = 10 * 60_000;
/** wechat4u's webwxsendmsg Ret for "sending too frequently" (see the links at the top). */
export const RET_TOO_FREQUENT = 1205;

const MESSAGE_TEXT = 7; // types.Message.Text
const MESSAGE_URL = 14; // types.Message.Url

export interface WechatConfig {
  /** WECHATY_PUPPET; default 'wechaty-puppet-wechat4u'. */
  puppet: string;
  /** RELAY_DATA_DIR (default ./data); the session/memory card is kept in `${dataDir}/wechat/`. */
  dataDir: string;
  /** Jittered pause between two sends, ms; default [1500, 3000]. */
  sendSpacingMs?: [min: number, max: number];
  /** Old topic (as the rules name it) → current topic of the WeChat group. */
  aliases?: Record<string, string>;
  /** Longest part sent as one message; default WECHAT_MAX_CHARS. */
  maxChars?: number;
  /** retryAfterMs for a "too frequent" error that carries no hint; default 10 min. */
  frequencyCooldownMs?: number;
  /** How long a send waits for a login in progress before failing (retryable); default 10 s. */
  loginWaitMs?: number;
  /** First delay before restarting wechaty after an error left it logged out; doubles up to 5 min. Default 30 s. */
  reconnectDelayMs?: number;
  /** Options for the puppet module (WECHATY_PUPPET_TOKEN → token). */
  puppetOptions?: Record<string, unknown>;
}

/** WeChat is opt-in (a person has to scan a QR): undefined unless WECHATY_PUPPET is set or RELAY_WECHAT=1. */
export function wechatConfigFromEnv(env: NodeJS.ProcessEnv, dataDir: string): WechatConfig | undefined {
  const puppet = env.WECHATY_PUPPET?.trim();
  if (!puppet && env.RELAY_WECHAT !== '1') return undefined;
  const config: WechatConfig = { puppet: puppet || DEFAULT_PUPPET, dataDir };
  const spacing = env.RELAY_WECHAT_SEND_SPACING_MS?.trim();
  if (spacing) {
    const m = /^(\d+)\s*[-,]\s*(\d+)$/.exec(spacing);
    if (!m || Number(m[1]) > Number(m[2])) throw new Error(`RELAY_WECHAT_SEND_SPACING_MS must look like "1500-3000" (min-max ms), got "${spacing}"`);
    config.sendSpacingMs = [Number(m[1]), Number(m[2])];
  }
  const aliases = env.RELAY_WECHAT_ALIASES?.trim();
  if (aliases) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(aliases);
    } catch {
      parsed = undefined;
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || Object.values(parsed).some((v) => typeof v !== 'string')) {
      throw new Error('RELAY_WECHAT_ALIASES must be a JSON object of old topic → current topic, e.g. {"东电校友会":"东电校友会·2026"}');
    }
    config.aliases = parsed as Record<string, string>;
  }
  if (env.WECHATY_PUPPET_TOKEN) config.puppetOptions = { token: env.WECHATY_PUPPET_TOKEN };
  return config;
}

/** One raw message as read off wechaty: everything `normalize` needs, nothing async. */
export interface WechatRawMessage {
  id: string;
  /** wechaty `types.Message`: 7 Text, 14 Url, others ignored. */
  type: number;
  text: string;
  /** `message.self()`: the bot's own account said it. */
  self: boolean;
  roomId?: string;
  roomTopic?: string;
  talkerId: string;
  /** The member's group nickname, else their WeChat name. */
  talkerName: string;
  date: Date;
  url?: { title?: string; description?: string; url?: string };
}

/**
 * Pure: one WeChat message snapshot → InboundMessage, or null for the bot's own messages, private
 * chats, non-text types, empty text, rooms without a topic and malformed input.
 * `chatId` is the room topic, or the old topic an alias maps to it (the name the rules use).
 */
export function normalize(msg: WechatRawMessage, ctx: { aliases?: Record<string, string> } = {}): InboundMessage | null {
  if (!msg || typeof msg !== 'object') return null;
  if (msg.self) return null;
  if (!msg.roomId || typeof msg.roomTopic !== 'string' || !msg.roomTopic.trim()) return null;
  if (typeof msg.id !== 'string' || !msg.id || typeof msg.talkerId !== 'string') return null;
  if (!(msg.date instanceof Date) || Number.isNaN(msg.date.getTime())) return null;
  let text: string;
  if (msg.type === MESSAGE_TEXT) {
    text = typeof msg.text === 'string' ? msg.text.trim() : '';
  } else if (msg.type === MESSAGE_URL) {
    const u = msg.url ?? {};
    text = [u.title, u.description, u.url]
      .filter((s): s is string => typeof s === 'string' && s.trim() !== '')
      .map((s) => s.trim())
      .join('\n');
  } else {
    return null;
  }
  if (!text) return null;
  const topic = msg.roomTopic.trim();
  return {
    platform: 'wechat',
    id: msg.id,
    chatId: ruleNameOf(topic, ctx.aliases ?? {}),
    chatTitle: topic,
    senderId: msg.talkerId,
    senderName: (typeof msg.talkerName === 'string' && msg.talkerName.trim()) || msg.talkerId,
    text,
    sentAt: msg.date.toISOString(),
  };
}

/** The topic the rules know a room by: the alias key pointing at `topic`, else `topic`. */
function ruleNameOf(topic: string, aliases: Record<string, string>): string {
  for (const [old, current] of Object.entries(aliases)) if (current === topic && old !== topic) return old;
  return topic;
}


/** Reads a wechat4u/axios error: the webwxsendmsg Ret code, and a Retry-After header if a gateway sent one. */
function wechatErrorFacts(err: unknown): { ret?: number; retryAfterMs?: number; text: string } {
  const e = (err ?? {}) as {
    message?: unknown;
    actual?: unknown;
    code?: unknown;
    tips?: unknown;
    response?: { data?: { BaseResponse?: { Ret?: unknown; ErrMsg?: unknown } }; headers?: Record<string, unknown> };
  };
  const fromBody = e.response?.data?.BaseResponse?.Ret;
  const ret = typeof fromBody === 'number' ? fromBody : e.code === 'ERR_ASSERTION' && typeof e.actual === 'number' ? e.actual : undefined;
  const headers = e.response?.headers ?? {};
  const header = Object.entries(headers).find(([k]) => k.toLowerCase() === 'retry-after')?.[1];
  let retryAfterMs: number | undefined;
  if (typeof header === 'string' || typeof header === 'number') {
    const s = String(header).trim();
    if (/^\d+(\.\d+)?$/.test(s)) retryAfterMs = Math.round(Number(s) * 1000);
    else if (!Number.isNaN(Date.parse(s))) retryAfterMs = Math.max(0, Date.parse(s) - Date.now());
  }
  const errMsg = e.response?.data?.BaseResponse?.ErrMsg;
  const text = [typeof e.message === 'string' ? e.message : String(err), typeof e.tips === 'string' ? e.tips : '', typeof errMsg === 'string' ? errMsg : '']
    .filter(Boolean)
    .join(' ');
  return { ret, retryAfterMs, text };
}

/**
 * A failed WeChat send → AdapterError. "Too frequent" (Ret 1205, or 频繁 / too frequent in the text)
 * → retryAfterMs from a Retry-After header when one is present, else `cooldownMs`; everything
 * else is retryable (network, session hiccups; a logged-out session gets a new QR).
 */
export function toAdapterError(err: unknown, op: string, cooldownMs = DEFAULT_FREQUENCY_COOLDOWN_MS): AdapterError {
  if (err instanceof AdapterError) return err;
  const { ret, retryAfterMs, text } = wechatErrorFacts(err);
  const frequent = ret === RET_TOO_FREQUENT || /频繁|too frequent|frequency/i.test(text);
  if (frequent) {
    return new AdapterError('wechat', op, `WeChat says too frequent (Ret ${ret ?? '?'}): ${text}`, {
      cause: err,
      retryAfterMs: retryAfterMs ?? cooldownMs,
      status: 429,
    });
  }
  return new AdapterError('wechat', op, ret === undefined ? text : `Ret ${ret}: ${text}`, { cause: err, retryAfterMs });
}

/** Sends one at a time, with a jittered pause between the end of one send and the start of the next. */
export class SendQueue {
  private tail: Promise<void> = Promise.resolve();
  private lastEnd = 0;
  private closed = false;
  private readonly sleepers = new Set<{ timer: NodeJS.Timeout; done: () => void }>();

  constructor(
    private readonly spacingMs: [number, number],
    private readonly random: () => number = Math.random,
  ) {
    if (!(spacingMs[0] >= 0 && spacingMs[1] >= spacingMs[0])) throw new RangeError('sendSpacingMs must be [min, max] with 0 ≤ min ≤ max');
  }

  /** Runs `job` after every earlier job; `pace(fn)` waits out the spacing, then runs one platform call. */
  run<T>(job: (pace: <R>(call: () => Promise<R>) => Promise<R>) => Promise<T>): Promise<T> {
    const result = this.tail.then(() => {
      if (this.closed) throw new AdapterError('wechat', 'send', 'adapter stopped');
      return job((call) => this.pace(call));
    });
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  private async pace<R>(call: () => Promise<R>): Promise<R> {
    if (this.lastEnd) {
      const [min, max] = this.spacingMs;
      const gap = min + Math.round(this.random() * (max - min));
      const wait = this.lastEnd + gap - Date.now();
      if (wait > 0) await this.sleep(wait);
    }
    if (this.closed) throw new AdapterError('wechat', 'send', 'adapter stopped');
    try {
      return await call();
    } finally {
      this.lastEnd = Date.now(); // a failed call counts towards WeChat's frequency too
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const sleeper = {
        timer: setTimeout(() => sleeper.done(), ms),
        done: () => {
          clearTimeout(sleeper.timer);
          this.sleepers.delete(sleeper);
          resolve();
        },
      };
      this.sleepers.add(sleeper);
    });
  }

  /** Rejects queued and waiting sends; a call already on the wire finishes. */
  close(): void {
    this.closed = true;
    for (const s of [...this.sleepers]) s.done();
  }
}

export interface WechatAdapterOptions {
  logger: Logger;
  /** An already-built puppet instance (e.g. PuppetMock in tests) instead of `config.puppet`. */
  puppet?: object;
  /** Where the login QR code and instructions go; default stdout. */
  print?: (s: string) => void;
  /** Jitter source for the send spacing (tests). */
  random?: () => number;
}

export interface WechatAdapter extends ChatAdapter {
  readonly platform: 'wechat';
  /** Resolves when the bot is logged in (after a QR scan, or at once with a kept session). */
  waitForLogin(timeoutMs?: number): Promise<void>;
  readonly isLoggedIn: boolean;
}

export function createWechatAdapter(config: WechatConfig, opts: WechatAdapterOptions): WechatAdapter {
  return new WechatyAdapter(config, opts);
}

/**
 * Right after login wechat4u's room list is still filling in: it emits 'ready' only once the contact
 * count has stayed the same for 5 checks 4 s apart (waitStable, puppet-wechat4u 1.14, checked 2026-11:
 * https://github.com/wechaty/puppet-wechat4u/blob/main/src/puppet-wechat4u.ts). Until then (or this
 * long after login, whichever is first) an unknown topic is "not yet", not "never".
 */
const NOT_READY_GRACE_MS = 2 * 60_000;

class WechatyAdapter implements WechatAdapter {
  readonly platform = 'wechat' as const;
  private readonly log: Logger;
  private readonly print: (s: string) => void;
  private readonly aliases: Record<string, string>;
  private readonly maxChars: number;
  private readonly cooldownMs: number;
  private readonly loginWaitMs: number;
  private readonly reconnectDelayMs: number;
  private readonly sessionDir: string;
  private queue: SendQueue;
  private bot: Wechaty | undefined;
  private handler: MessageHandler | undefined;
  private stopped = false;
  /** Current topic → room, valid for this login only. */
  private readonly rooms = new Map<string, Room>();
  private loggedInAt = 0;
  private roomListReady = false;
  private awaitingScan = false;
  private healthTimer: NodeJS.Timeout | undefined;
  private restarts = 0;
  private loginWaiters = new Set<() => void>();

  constructor(
    private readonly config: WechatConfig,
    private readonly opts: WechatAdapterOptions,
  ) {
    this.log = opts.logger.child({ platform: 'wechat' });
    this.print = opts.print ?? ((s) => process.stdout.write(`${s}\n`));
    this.aliases = { ...(config.aliases ?? {}) };
    this.maxChars = config.maxChars ?? WECHAT_MAX_CHARS;
    this.cooldownMs = config.frequencyCooldownMs ?? DEFAULT_FREQUENCY_COOLDOWN_MS;
    this.loginWaitMs = config.loginWaitMs ?? 10_000;
    this.reconnectDelayMs = config.reconnectDelayMs ?? 30_000;
    this.sessionDir = resolve(config.dataDir, 'wechat');
    this.queue = new SendQueue(config.sendSpacingMs ?? DEFAULT_SEND_SPACING_MS, opts.random);
  }

  get isLoggedIn(): boolean {
    return Boolean(this.bot?.isLoggedIn);
  }

  async start(onMessage: MessageHandler): Promise<void> {
    this.handler = onMessage;
    if (this.bot) return;
    this.stopped = false;
    this.queue = new SendQueue(this.config.sendSpacingMs ?? DEFAULT_SEND_SPACING_MS, this.opts.random);
    mkdirSync(this.sessionDir, { recursive: true });
    // The memory card (wechat4u keeps its login cookies there) is `${name}.memory-card.json`, resolved
    // against the cwd unless absolute: https://github.com/huan/memory-card (StorageFile).
    const name = join(this.sessionDir, 'alumni-relay');
    const bot = this.opts.puppet
      ? WechatyBuilder.build({ name, puppet: this.opts.puppet as never })
      : WechatyBuilder.build({ name, puppet: this.config.puppet as never, puppetOptions: this.config.puppetOptions ?? {} });
    this.bot = bot;
    this.wire(bot);
    try {
      await bot.start();
    } catch (e) {
      this.bot = undefined;
      throw new AdapterError('wechat', 'start', `wechaty did not start with ${this.opts.puppet ? 'the given puppet' : this.config.puppet}: ${(e as Error).message}`, { cause: e });
    }
    this.log.info({ puppet: this.opts.puppet ? 'instance' : this.config.puppet, session: this.sessionDir }, 'wechat listening; waiting for login');
  }

  private wire(bot: Wechaty): void {
    bot.on('scan', (qrcode: string, status: ScanStatus) => this.onScan(qrcode, status));
    bot.on('login', (user: Contact) => {
      this.awaitingScan = false;
      this.loggedInAt = Date.now();
      this.restarts = 0;
      this.rooms.clear(); // room ids change at every login
      this.log.info({ user: user.name() }, `WeChat logged in as ${user.name()} / 微信已登录：${user.name()}`);
      for (const wake of [...this.loginWaiters]) wake();
    });
    bot.on('logout', (user: Contact, reason?: string) => {
      this.loggedInAt = 0;
      this.roomListReady = false;
      this.rooms.clear();
      this.log.warn(
        { user: user.name(), reason },
        'WeChat logged out; a fresh QR code will be shown — scan it to log in again / 微信已退出登录，稍后会显示新的二维码，请重新扫码',
      );
    });
    bot.on('ready', () => {
      this.roomListReady = true;
      this.log.info('wechat contact and room list loaded');
    });
    bot.on('room-topic', (room: Room, newTopic: string, oldTopic: string) => this.onTopicChange(room, newTopic, oldTopic));
    bot.on('error', (e: Error) => {
      this.log.warn({ err: e }, 'wechaty error');
      this.scheduleHealthCheck();
    });
    bot.on('message', (m: Message) => {
      void this.onMessage(m);
    });
  }

  private onScan(qrcode: string, status: ScanStatus): void {
    if (status !== ScanStatus.Waiting && status !== ScanStatus.Timeout) {
      this.log.info({ status: ScanStatus[status] }, 'wechat QR code status');
      return;
    }
    this.awaitingScan = true;
    const url = qrcodeValueToImageUrl(qrcode);
    let drawing = '';
    try {
      const qrcodeTerminal = createRequire(import.meta.url)('qrcode-terminal') as {
        generate(text: string, opts: { small?: boolean }, cb: (qr: string) => void): void;
      };
      qrcodeTerminal.generate(qrcode, { small: true }, (qr) => {
        drawing = qr;
      });
    } catch (e) {
      this.log.warn({ err: e }, 'could not draw the QR code in the terminal; use the link');
    }
    this.print(
      [
        '',
        '==== 微信登录 / WeChat login ====',
        drawing,
        '请用机器人要使用的微信号扫描上面的二维码：手机微信 → 右上角「+」→「扫一扫」，再在手机上点「登录」。',
        'Scan the code above with the WeChat account the bot will use: WeChat on the phone → "+" (top right) → "Scan", then tap "Log In" on the phone.',
        `二维码显示不全？在浏览器打开 / If the code does not show properly, open: ${url}`,
        `登录信息保存在 ${this.sessionDir}，重启后一般无需再扫码。 / The session is kept in ${this.sessionDir}; restarts usually need no new scan.`,
        '',
      ].join('\n'),
    );
    this.log.info({ url }, 'wechat waiting for a QR scan');
  }

  private onTopicChange(room: Room, newTopic: string, oldTopic: string): void {
    this.rooms.delete(oldTopic);
    this.rooms.delete(newTopic);
    if (!oldTopic || oldTopic === newTopic) return;
    // Keep sending to a renamed group under the name the rules use, until someone updates them.
    let learned = false;
    for (const [old, current] of Object.entries(this.aliases)) {
      if (current === oldTopic) {
        this.aliases[old] = newTopic;
        learned = true;
      }
    }
    if (!learned && !(oldTopic in this.aliases)) this.aliases[oldTopic] = newTopic;
    this.log.warn(
      { roomId: room.id, oldTopic, newTopic },
      `WeChat group renamed "${oldTopic}" → "${newTopic}"; following it for now. Update the rules or add the alias "${oldTopic}" → "${newTopic}" to keep it after a restart.`,
    );
  }

  private async onMessage(m: Message): Promise<void> {
    const handler = this.handler;
    if (!handler || this.stopped) return;
    let message: InboundMessage | null = null;
    try {
      message = normalize(await this.snapshot(m), { aliases: this.aliases });
    } catch (e) {
      this.log.warn({ err: e, messageId: safe(() => m.id) }, 'wechat message could not be read; skipped');
      return;
    }
    if (!message) {
      this.log.debug({ type: safe(() => m.type()) }, 'wechat message ignored (not a group text/url, or our own)');
      return;
    }
    try {
      await handler(message);
    } catch (e) {
      this.log.error({ err: e, messageId: message.id, chatId: message.chatId }, 'message handler failed; going on');
    }
  }

  private async snapshot(m: Message): Promise<WechatRawMessage> {
    const type = m.type();
    const room = m.room();
    const self = m.self();
    const talker = m.talker();
    const wanted = !self && room !== undefined && (type === types.Message.Text || type === types.Message.Url);
    let talkerName = talker.name();
    let roomTopic: string | undefined;
    let url: WechatRawMessage['url'];
    if (wanted && room) {
      roomTopic = await room.topic();
      talkerName = (await room.alias(talker).catch(() => undefined)) || talkerName;
      if (type === types.Message.Url) {
        const link = await m.toUrlLink();
        url = { title: link.title(), description: link.description(), url: link.url() };
      }
    }
    const date = m.date();
    return {
      id: m.id,
      type,
      text: m.text(),
      self,
      roomId: room?.id,
      roomTopic,
      talkerId: talker.id,
      talkerName,
      date: Number.isNaN(date.getTime()) ? new Date() : date,
      url,
    };
  }

  async waitForLogin(timeoutMs = this.loginWaitMs): Promise<void> {
    if (this.bot?.isLoggedIn) return;
    await new Promise<void>((resolve, reject) => {
      const wake = () => {
        clearTimeout(timer);
        this.loginWaiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(() => {
        this.loginWaiters.delete(wake);
        reject(
          new AdapterError('wechat', 'send', 'not logged in to WeChat: scan the login QR code (see the terminal) / 微信未登录，请扫码', {
            retryAfterMs: 60_000,
          }),
        );
      }, timeoutMs);
      this.loginWaiters.add(wake);
    });
  }

  async send(chat: string, message: OutboundMessage): Promise<SendResult> {
    if (this.stopped || !this.bot) throw new AdapterError('wechat', 'send', 'adapter is not started');
    const text = toPlainText(message);
    const parts = splitOnLines(text, this.maxChars).filter((p) => p.trim() !== '');
    if (!parts.length) throw new AdapterError('wechat', 'send', 'nothing to send: the message is empty', { permanent: true });
    return this.queue.run(async (pace) => {
      await this.waitForLogin();
      const room = await this.resolveRoom(chat);
      let sent = 0;
      let messageId: string | undefined;
      for (const part of parts) {
        try {
          const said = await pace(() => room.say(part));
          if (said) messageId = said.id;
        } catch (e) {
          if (!(e instanceof AdapterError)) this.rooms.clear(); // a stale room handle is one cause; look it up afresh next time
          const err = toAdapterError(e, 'send', this.cooldownMs);
          this.log.warn({ chat, roomId: room.id, part: sent + 1, parts: parts.length, retryAfterMs: err.retryAfterMs, err: e }, 'wechat send failed');
          if (sent > 0) {
            throw new AdapterError('wechat', 'send', `${err.message} (after ${sent} of ${parts.length} parts went out)`, err.opts);
          }
          throw err;
        }
        sent += 1;
      }
      this.log.debug({ chat, roomId: room.id, parts: parts.length, chars: text.length }, 'wechat message sent');
      return messageId ? { messageId } : {}; // wechat4u returns no id for texts
    });
  }

  /** Topic (or an alias of it) → the one room with that topic in this login. */
  private async resolveRoom(chat: string): Promise<Room> {
    const bot = this.bot;
    if (!bot) throw new AdapterError('wechat', 'send', 'adapter is not started');
    const topic = this.aliases[chat] ?? chat;
    const cached = this.rooms.get(topic);
    if (cached) {
      const current = await cached.topic().catch(() => undefined);
      if (current === topic) return cached;
      this.rooms.delete(topic);
    }
    const found = await bot.Room.findAll({ topic });
    if (found.length > 1) {
      throw new AdapterError(
        'wechat',
        'send',
        `two or more WeChat groups are called "${topic}" (room ids ${found.map((r) => r.id).join(' and ')}); rename one so the topic is unique`,
        { permanent: true },
      );
    }
    const room = found[0];
    if (!room) {
      const settled = this.roomListReady || (this.loggedInAt > 0 && Date.now() - this.loggedInAt > NOT_READY_GRACE_MS);
      const via = topic === chat ? '' : ` (alias of "${chat}")`;
      if (!settled) {
        throw new AdapterError('wechat', 'send', `no WeChat group "${topic}"${via} yet; the room list is still loading`, { retryAfterMs: 30_000 });
      }
      throw new AdapterError('wechat', 'send', `the bot is in no WeChat group called "${topic}"${via}`, { permanent: true });
    }
    this.rooms.set(topic, room);
    return room;
  }

  private scheduleHealthCheck(): void {
    if (this.stopped || this.healthTimer) return;
    const delay = Math.min(this.reconnectDelayMs * 2 ** this.restarts, 5 * 60_000);
    this.healthTimer = setTimeout(() => {
      this.healthTimer = undefined;
      void this.checkHealth();
    }, delay);
    this.healthTimer.unref?.();
  }

  /** After an error: if wechaty is neither logged in nor showing a QR for a person to scan, restart it. */
  private async checkHealth(): Promise<void> {
    const bot = this.bot;
    if (this.stopped || !bot || bot.isLoggedIn || this.awaitingScan) return;
    this.restarts += 1;
    this.log.warn({ attempt: this.restarts }, 'wechat is logged out after an error; restarting wechaty');
    try {
      await bot.stop();
      if (this.stopped) return;
      await bot.start();
    } catch (e) {
      this.log.error({ err: e }, 'wechaty restart failed; will try again');
      this.scheduleHealthCheck();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.handler = undefined;
    clearTimeout(this.healthTimer);
    this.healthTimer = undefined;
    this.queue.close();
    for (const wake of [...this.loginWaiters]) wake(); // they go on to fail with "not started"
    const bot = this.bot;
    this.bot = undefined;
    this.rooms.clear();
    if (bot) {
      try {
        await bot.stop();
      } catch (e) {
        this.log.warn({ err: e }, 'wechaty did not stop cleanly');
      }
    }
  }
}

function safe<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}
