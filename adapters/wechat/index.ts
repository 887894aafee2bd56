// WeChat through wechaty (default puppet: wechaty-puppet-wechat4u, the web/UOS protocol).
// A person logs the bot's WeChat account in by scanning a QR code; the session is kept under
// `${dataDir}/wechat/` so a restart resumes without a new scan until WeChat invalidates it.
// The pieces: config.ts (env), normalize.ts (pure), snapshot.ts (wechaty Message → plain data),
// ingest.ts (on disk first, arrival order, per-group queue), rooms.ts (topic → room), contacts.ts (private chat id →
// person), outbound.ts (a message → sends), send-queue.ts (pacing), media.ts (inbound pictures),
// errors.ts (wechat4u errors → AdapterError), login.ts (the QR banner). This file wires them to wechaty.
// No buttons on the web protocol: OutboundMessage.buttons are left out and there is no onAction.
// Private chats work only with the bot account's friends: WeChat lets only friends write to it.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Contact, Room, Wechaty } from 'wechaty';
// 2026-12: WechatyImpl from 'wechaty/impls' (what WechatyBuilder.build() constructs), not the main entry:
// that one also loads the Io client and wechaty-puppet-service (gRPC, protobuf descriptors), ≈ 10 MB of
// RSS a relay never uses; https://github.com/wechaty/wechaty/blob/main/src/mods/impls.ts
import { WechatyImpl } from 'wechaty/impls';
import type { AdapterStatus, ObservableAdapter } from '../../src/adapter-status.ts';
import type { InboundMessage, OutboundMessage } from '../../src/domain.ts';
import { inboundSpoolFile } from '../../src/inbound-spool.ts';
import { type Logger, RepeatGate } from '../../src/log.ts';
import { AdapterError, type MessageHandler, type SendOptions, type SendResult } from '../../src/ports.ts';
import { DEFAULT_PUPPET, DEFAULT_SEND_SPACING_MS, WECHAT_MAX_CHARS, type WechatConfig } from './config.ts';
import { MemberCountCache, type MemberCountOptions } from '../member-count.ts';
import { ContactDirectory, looksLikeContactId } from './contacts.ts';
import { DEFAULT_FREQUENCY_COOLDOWN_MS } from './errors.ts';
import { Ingest, safe } from './ingest.ts';
import { drawQr, loginInstructions, qrcodeValueToImageUrl, SCAN_STATUS, SCAN_TIMEOUT, SCAN_WAITING } from './login.ts';
import { DEFAULT_MEDIA_TIMEOUT_MS, fetchCapped, openPicture } from './media.ts';
import { normalize } from './normalize.ts';
import { planSends } from './outbound.ts';
import { addressing } from './mentions.ts';
import { RoomDirectory, roomSize } from './rooms.ts';
import { mentionFor, resolveDirect, resolveTarget, sendSteps } from './say.ts';
import { SendQueue } from './send-queue.ts';
import { snapshot } from './snapshot.ts';

export { DEFAULT_PUPPET, DEFAULT_SEND_SPACING_MS, WECHAT_MAX_CHARS, wechatConfigFromEnv, type WechatConfig } from './config.ts';
export { DEFAULT_FREQUENCY_COOLDOWN_MS, RET_TOO_FREQUENT, toAdapterError } from './errors.ts';
export { looksLikeContactId } from './contacts.ts';
export { fetchCapped } from './media.ts';
export { normalize, withoutQuote, type WechatRawMessage } from './normalize.ts';
export { planSends, type SendStep } from './outbound.ts';
export { SendQueue } from './send-queue.ts';

export interface WechatAdapterOptions {
  logger: Logger;
  /** An already-built puppet instance (e.g. PuppetMock in tests) instead of `config.puppet`. */
  puppet?: object;
  /** Where the login QR code and instructions go; default stdout. */
  print?: (s: string) => void;
  /** Jitter source for the send spacing (tests). */
  random?: () => number;
  /** How long group sizes (memberCount) are kept and how long a failed lookup is not retried; default 6 h / 10 min. */
  memberCounts?: Pick<MemberCountOptions, 'ttlMs' | 'failureTtlMs' | 'now'>;
}

export interface WechatAdapter extends ObservableAdapter {
  readonly platform: 'wechat';
  /** Resolves when the bot is logged in (after a QR scan, or at once with a kept session). */
  waitForLogin(timeoutMs?: number): Promise<void>;
  readonly isLoggedIn: boolean;
  status(): AdapterStatus;
  onStatusChange(listener: (status: AdapterStatus) => void): () => void;
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
/** How long stop() waits for messages being handled (store writes) before it goes on. */
const STOP_DRAIN_MS = 5000;

class WechatyAdapter implements WechatAdapter {
  readonly platform = 'wechat' as const;
  private readonly log: Logger;
  private readonly errorGate = new RepeatGate();
  private readonly print: (s: string) => void;
  private readonly maxChars: number;
  private readonly cooldownMs: number;
  private readonly loginWaitMs: number;
  private readonly reconnectDelayMs: number;
  private readonly sessionDir: string;
  private readonly rooms: RoomDirectory<Room>;
  /** Talkers seen in this login: private chats to answer, posters to @-mention. */
  private readonly contacts = new ContactDirectory<Contact>();
  /** Inbound messages: on disk first (the spool), then one group's in order, groups in parallel, bounded. */
  private readonly ingest: Ingest;
  private queue: SendQueue;
  /** Group sizes by the rules' name of the room. */
  private readonly memberCounts: MemberCountCache;
  private bot: Wechaty | undefined;
  private handler: MessageHandler | undefined;
  /** Between a successful start() and stop(). */
  private running = false;
  private stopped = false;
  private loggedInAt = 0;
  private roomListReady = false;
  private awaitingScan = false;
  private healthTimer: NodeJS.Timeout | undefined;
  private restarts = 0;
  private readonly loginWaiters = new Set<() => void>();
  private current: AdapterStatus = { state: 'connecting' };
  private readonly statusListeners = new Set<(status: AdapterStatus) => void>();

  constructor(
    private readonly config: WechatConfig,
    private readonly opts: WechatAdapterOptions,
  ) {
    this.log = opts.logger.child({ platform: 'wechat' });
    this.print = opts.print ?? ((s) => process.stdout.write(`${s}\n`));
    this.rooms = new RoomDirectory<Room>(config.aliases ?? {}, this.log);
    this.maxChars = config.maxChars ?? WECHAT_MAX_CHARS;
    this.cooldownMs = config.frequencyCooldownMs ?? DEFAULT_FREQUENCY_COOLDOWN_MS;
    this.loginWaitMs = config.loginWaitMs ?? 10_000;
    this.reconnectDelayMs = config.reconnectDelayMs ?? 30_000;
    this.sessionDir = resolve(config.dataDir, 'wechat');
    this.ingest = new Ingest(this.log, (m) => this.deliver(m), () => Boolean(this.handler) && !this.stopped, {
      concurrency: config.ingestConcurrency ?? 8,
      maxQueued: config.maxQueuedMessages ?? 10_000,
      spoolFile: inboundSpoolFile(resolve(config.dataDir), 'wechat'), // in sessionDir; `forget` finds it there too
      ...(config.handlerRetryDelaysMs && { retryDelaysMs: config.handlerRetryDelaysMs }),
      ...(config.spoolSweepMs && { sweepMs: config.spoolSweepMs }),
    });
    this.queue = new SendQueue(config.sendSpacingMs ?? DEFAULT_SEND_SPACING_MS, opts.random);
    this.memberCounts = new MemberCountCache((chat) => this.roomSize(chat), {
      ...opts.memberCounts,
      onError: (chat, err) => this.log.debug({ chat, err: err instanceof Error ? err.message : String(err) }, 'wechat group size unknown'),
    });
  }

  get isLoggedIn(): boolean {
    return this.running && Boolean(this.bot?.isLoggedIn);
  }

  status(): AdapterStatus {
    return { ...this.current };
  }

  onStatusChange(listener: (status: AdapterStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  private setStatus(next: AdapterStatus): void {
    this.current = next;
    for (const listener of [...this.statusListeners]) {
      try {
        listener({ ...next });
      } catch (e) {
        this.log.warn({ err: e }, 'a status listener failed');
      }
    }
  }

  async start(onMessage: MessageHandler): Promise<void> {
    this.handler = onMessage;
    if (this.running) return;
    this.running = true;
    this.stopped = false;
    this.setStatus({ state: 'connecting' });
    this.queue = new SendQueue(this.config.sendSpacingMs ?? DEFAULT_SEND_SPACING_MS, this.opts.random);
    // One Wechaty per adapter, started and stopped as often as needed: a puppet instance takes its
    // memory card only once (wechaty-puppet memory-mixin "Puppet memory can be only set once").
    let bot: Wechaty;
    try {
      bot = this.bot ??= await this.build();
    } catch (e) {
      this.running = false;
      this.stopped = true;
      throw new AdapterError('wechat', 'start', `could not load ${this.config.puppet}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    if (this.stopped) return; // stop() came while the puppet's module loaded: nothing was started
    try {
      await bot.start();
    } catch (e) {
      this.running = false;
      this.stopped = true;
      await bot.stop().catch(() => undefined); // let go of whatever half-started
      // wechaty marks its puppet set up before resolving it (puppet-mixin init()), so after a failed
      // start the next try needs a fresh Wechaty; a puppet instance we were given cannot be re-used that way.
      if (!this.opts.puppet) this.bot = undefined;
      const why = e instanceof Error ? e.message : String(e);
      throw new AdapterError('wechat', 'start', `wechaty did not start with ${this.opts.puppet ? 'the given puppet' : this.config.puppet}: ${why}`, { cause: e });
    }
    this.ingest.resume(); // what the last run read and did not handle, first
    if (bot.isLoggedIn && this.current.state !== 'up') this.setStatus({ state: 'up' });
    this.log.info({ puppet: this.opts.puppet ? 'instance' : this.config.puppet, session: this.sessionDir }, 'wechat listening; waiting for login');
  }

  private async build(): Promise<Wechaty> {
    mkdirSync(this.sessionDir, { recursive: true });
    // The memory card (wechat4u keeps its login cookies there) is `${name}.memory-card.json`, resolved
    // against the cwd unless absolute: https://github.com/huan/memory-card (StorageFile).
    const name = join(this.sessionDir, 'alumni-relay');
    const puppetOptions = this.config.puppetOptions ?? {};
    // The default puppet is imported by its literal name, not handed to wechaty as a string (which wechaty
    // imports by a computed name): the build can then bundle it with wechaty into one chunk
    // (scripts/build.mjs). A fresh instance per Wechaty, as wechaty makes from a name.
    const puppet = this.opts.puppet ?? (this.config.puppet === DEFAULT_PUPPET ? new (await import('wechaty-puppet-wechat4u')).PuppetWechat4u(puppetOptions) : undefined);
    const bot = puppet
      ? new WechatyImpl({ name, puppet: puppet as never })
      : new WechatyImpl({ name, puppet: this.config.puppet as never, puppetOptions });
    this.wire(bot);
    return bot;
  }

  private wire(bot: Wechaty): void {
    bot.on('scan', (qrcode: string, status: number) => this.onScan(qrcode, status));
    bot.on('login', (user: Contact) => {
      this.awaitingScan = false;
      this.loggedInAt = Date.now();
      this.restarts = 0;
      this.rooms.clear(); // room ids change at every login
      this.contacts.clear(); // and so do contact ids
      this.log.info({ user: user.name() }, `WeChat logged in as ${user.name()} / 微信已登录：${user.name()}`);
      this.setStatus({ state: 'up' });
      for (const wake of [...this.loginWaiters]) wake();
    });
    bot.on('logout', (user: Contact, reason?: string) => {
      if (this.stopped) return; // wechaty-puppet's stop() says 'logout' too (login-mixin stop())
      this.loggedInAt = 0;
      this.roomListReady = false;
      this.rooms.clear();
      this.contacts.clear();
      this.log.warn(
        { user: user.name(), reason },
        'WeChat logged out; a fresh QR code will be shown — scan it to log in again / 微信已退出登录，稍后会显示新的二维码，请重新扫码',
      );
      const why = reason ? ` (${reason})` : '';
      this.setStatus({ state: 'down', error: `WeChat logged the account out${why}; scan the new login QR code` });
    });
    bot.on('ready', () => {
      this.roomListReady = true;
      this.log.info('wechat contact and room list loaded');
    });
    bot.on('room-topic', (room: Room, newTopic: string, oldTopic: string) => this.rooms.renamed(room.id, newTopic, oldTopic));
    bot.on('error', (e: Error) => {
      // 2026-12: with WeChat unreachable, wechaty-puppet-wechat4u 1.14 keeps retrying the login by itself and
      // emits an error each time (72 in 25 s here, in bursts every 5 s; restart logic in
      // https://github.com/wechaty/puppet-wechat4u/blob/main/src/puppet-wechat4u.ts). So: one line, no stack
      // (that is at debug level), and the same error again at most once a minute, with its count.
      const what = (e?.message ?? String(e)).split('\n')[0]!;
      const gate = this.errorGate.pass(what);
      if (gate.log) this.log.warn({ error: what, ...(gate.held ? { heldBackSinceLastLine: gate.held } : {}) }, `wechaty error: ${what} (the same error is logged at most once a minute)`);
      this.log.debug({ err: e }, 'wechaty error');
      if (!bot.isLoggedIn && !this.awaitingScan && !this.stopped) {
        this.setStatus({ state: 'down', error: `wechaty error while logged out: ${e?.message ?? String(e)}; restarting it` });
      }
      this.scheduleHealthCheck();
    });
    // Messages are taken off the puppet, in arrival order (see ingest.ts); wechaty announces its puppet
    // with the private 'puppet' event in init(), before starting it.
    (bot as unknown as { on(event: 'puppet', listener: (puppet: PuppetEvents) => void): void }).on('puppet', (puppet) => {
      puppet.on('message', (payload) => this.ingest.arrived(payload.messageId, () => this.read(bot, payload.messageId)));
    });
  }

  private onScan(qrcode: string, status: number): void {
    if (status !== SCAN_WAITING && status !== SCAN_TIMEOUT) {
      this.log.info({ status: SCAN_STATUS[status] ?? status }, 'wechat QR code status');
      return;
    }
    this.awaitingScan = true;
    let drawing = '';
    try {
      drawing = drawQr(qrcode);
    } catch (e) {
      this.log.warn({ err: e }, 'could not draw the QR code in the terminal; use the link');
    }
    this.print(loginInstructions(qrcode, drawing, this.sessionDir));
    this.log.info({ url: qrcodeValueToImageUrl(qrcode) }, 'wechat waiting for a QR scan');
    // After a logout the account stays down (with its reason) until the new code is scanned.
    const state = this.current.state === 'down' ? 'down' : 'connecting';
    this.setStatus({ state, error: state === 'down' ? this.current.error : undefined, loginQr: qrcode });
  }

  /** The message as the relay takes it, or null for one it ignores (not text/link/picture, our own, …). */
  private async read(bot: Wechaty, messageId: string): Promise<InboundMessage | null> {
    const m = await bot.Message.find({ id: messageId });
    if (!m) {
      this.log.warn({ messageId }, 'wechat message not found after it arrived; skipped');
      return null;
    }
    const message = normalize(await snapshot(m), { aliases: this.rooms.aliases });
    if (!message) {
      this.log.debug({ type: safe(() => m.type()) }, 'wechat message ignored (not a text/link/picture, our own, or an official account)');
      return null;
    }
    const talker = safe(() => m.talker());
    if (talker) this.contacts.remember(talker);
    return { ...message, ...(await addressing(m)) };
  }

  /** Hands a read message to the relay; rejects (so it is tried again) when the relay could not store it. */
  private deliver(message: InboundMessage): Promise<void> {
    const handler = this.handler;
    if (!handler || this.stopped) return Promise.reject(new Error('the WeChat adapter is stopped'));
    return handler(message);
  }

  async waitForLogin(timeoutMs = this.loginWaitMs): Promise<void> {
    if (this.isLoggedIn) return;
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

  async send(chat: string, message: OutboundMessage, opts: SendOptions = {}): Promise<SendResult> {
    if (this.stopped || !this.running) throw new AdapterError('wechat', 'send', 'adapter is not started');
    if (!planSends(message, this.maxChars, undefined).length) {
      throw new AdapterError('wechat', 'send', 'nothing to send: the message is empty', { permanent: true });
    }
    return this.queue.run(async (pace) => {
      await this.waitForLogin();
      const bot = this.bot;
      if (!bot || !this.running) throw new AdapterError('wechat', 'send', 'adapter is not started');
      // A person's private chat goes to that friend, never to a room (a group may share their name).
      const target = opts.direct ? await resolveDirect(bot, this.contacts, chat) : await resolveTarget(bot, this.contacts, this.rooms, chat, this.roomListSettled);
      const reply = target.room && opts.replyTo ? await mentionFor(target.room, this.contacts, opts.replyTo) : undefined;
      const steps = planSends(message, this.maxChars, reply?.mention);
      return sendSteps(steps, target, reply?.contact, pace, {
        log: this.log,
        chat,
        cooldownMs: this.cooldownMs,
        // a stale room handle is one cause of a failure that is not ours; look it up afresh next time
        onFailure: (e) => {
          if (!(e instanceof AdapterError)) this.rooms.clear();
        },
      });
    });
  }

  /** People in a group (room.memberAll(), the bot not counted), cached for hours; undefined while logged out or unknown. */
  async memberCount(chat: string): Promise<number | undefined> {
    if (this.stopped || !this.running || !this.bot?.isLoggedIn || looksLikeContactId(chat)) return undefined; // not cached: try again once logged in
    return this.memberCounts.get(chat);
  }

  private roomSize(chat: string): Promise<number | undefined> {
    const bot = this.bot;
    if (!bot?.isLoggedIn) return Promise.resolve(undefined);
    return roomSize(bot, this.rooms, chat, this.roomListSettled);
  }

  /** The room list is complete, so an unknown topic is "never", not "not yet". */
  private get roomListSettled(): boolean {
    return this.roomListReady || (this.loggedInAt > 0 && Date.now() - this.loggedInAt > NOT_READY_GRACE_MS);
  }

  /** The bytes of an inbound picture; `ref` is its message id (see media.ts for how long it stays valid). */
  async fetchMedia(ref: string, opts: { maxBytes: number }): Promise<{ bytes: Buffer; mime?: string }> {
    const bot = this.bot;
    if (this.stopped || !this.running || !bot) throw new AdapterError('wechat', 'fetchMedia', 'adapter is not started');
    return fetchCapped(() => openPicture(bot, ref), opts.maxBytes, this.config.mediaTimeoutMs ?? DEFAULT_MEDIA_TIMEOUT_MS);
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
    if (this.stopped || !this.running || !bot || bot.isLoggedIn || this.awaitingScan) return;
    this.restarts += 1;
    this.log.warn({ attempt: this.restarts }, 'wechat is logged out after an error; restarting wechaty');
    try {
      await bot.stop();
      if (this.stopped) return;
      await bot.start();
    } catch (e) {
      this.log.error({ err: e }, 'wechaty restart failed; will try again');
      this.setStatus({ state: 'down', error: `wechaty restart failed: ${e instanceof Error ? e.message : String(e)}` });
      this.scheduleHealthCheck();
    }
  }

  async stop(): Promise<void> {
    const wasRunning = this.running;
    this.stopped = true;
    this.running = false;
    this.handler = undefined;
    this.awaitingScan = false;
    this.loggedInAt = 0;
    this.roomListReady = false;
    clearTimeout(this.healthTimer);
    this.healthTimer = undefined;
    this.queue.close();
    for (const wake of [...this.loginWaiters]) wake(); // they go on to fail with "not started"
    const bot = this.bot;
    this.rooms.clear();
    if (bot && wasRunning) {
      try {
        await bot.stop();
      } catch (e) {
        this.log.warn({ err: e }, 'wechaty did not stop cleanly');
      }
    }
    // Messages being handled finish their store writes before the relay closes the store; the rest wait
    // in the spool for the next start.
    this.ingest.pause();
    await settleWithin(this.ingest.idle(), STOP_DRAIN_MS);
  }
}

/** What this file uses of a wechaty puppet's events. */
interface PuppetEvents {
  on(event: 'message', listener: (payload: { messageId: string }) => void): unknown;
}

function settleWithin(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<void>((r) => (timer = setTimeout(r, ms)))]).finally(() => clearTimeout(timer));
}
