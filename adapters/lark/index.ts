// Feishu / Lark adapter (@larksuiteoapi/node-sdk).
// Receives im.message.receive_v1 through the SDK's EventDispatcher, either over the long connection
// (WSClient, no public URL needed) or through a webhook (its own node:http server on webhookPort, or
// webhookHandler() mounted elsewhere); sends through client.im.v1.message.create. An event is
// acknowledged only once the core's handler resolved, i.e. once it is durably stored.
// Never imports the classifier, the store or another adapter.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as lark from '@larksuiteoapi/node-sdk';
import type { OutboundMessage } from '../../src/domain.ts';
import { type AdapterStatus, StatusBox } from '../../src/adapter-status.ts';
import type { Logger } from '../../src/log.ts';
import { type ActionHandler, AdapterError, type ChatAdapter, type MessageHandler, type SendOptions, type SendResult } from '../../src/ports.ts';
import { MemberCountCache, type MemberCountOptions } from '../member-count.ts';
import { ActionDesk, type CardActionData } from './action.ts';
import { LarkApi, redactAll, sdkLogger, secretsOf } from './client.ts';
import { type LarkConfig, larkDomain, larkHost } from './config.ts';
import { EventIntake } from './ingest.ts';
import { fetchMedia, ImageUploader } from './media.ts';
import { addressing } from './mentions.ts';
import { normalize, type LarkMessageEvent, type NormalizeContext } from './normalize.ts';
import { BODY_MARGIN_BYTES, LARK_POST_MAX_BYTES, LARK_TEXT_MAX_BYTES, LARK_TEXT_MAX_CHARS } from './render.ts';
import { sendMessage } from './send.ts';
import { createWebhookHandler, NotAcknowledged, nodeWebhookHandler, type WebhookHeaders, type WebhookReply } from './webhook.ts';

export { larkConfigFromEnv, larkDomain, type LarkConfig } from './config.ts';
export { normalize, elementText, parseImageRef, type LarkMention, type LarkMessageEvent, type NormalizeContext } from './normalize.ts';
export { normalizeAction, toastReply, BUTTON_DATA_KEY, NEUTRAL_TOAST } from './action.ts';
export { buttonsCard, cardParts } from './card.ts';
export { receiveIdType } from './client.ts';
export { LARK_IMAGE_MAX_BYTES } from './media.ts';
export { LARK_POST_MAX_BYTES, LARK_TEXT_MAX_BYTES, LARK_TEXT_MAX_CHARS, larkUuid, postParts, textParts } from './render.ts';
export { larkDecrypt, larkEncrypt, larkSignature, type WebhookHeaders, type WebhookReply } from './webhook.ts';
export { sdkLogger } from './client.ts';

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
  /** Most time a sender-name lookup may take before the open_id stands in; default 800 ms. */
  nameTimeoutMs?: number;
  /** ws mode: how long start() waits for the long connection; default 30 s. */
  wsReadyTimeoutMs?: number;
  /** Most events waiting to be handled before new ones are refused (Lark delivers them again later); default 1000. */
  maxQueue?: number;
  /** Most events handled at once (different chats); default 16. */
  concurrency?: number;
  /** An event not handled within this is answered "not handled" so Lark redelivers it; default 2500 ms (Lark waits 3 s). */
  ackDeadlineMs?: number;
  /** A card press whose handler took longer than this is answered with a neutral toast; default 2000 ms (Lark waits 3 s). */
  actionDeadlineMs?: number;
  /** Most time fetchMedia may take in all; default 20 s. */
  mediaTimeoutMs?: number;
  /** How long group sizes (memberCount) are kept and how long a failed lookup is not retried; default 6 h / 10 min. */
  memberCounts?: Pick<MemberCountOptions, 'ttlMs' | 'failureTtlMs' | 'now'>;
}

export type LarkAdapter = ChatAdapter & {
  /** The port the adapter's own webhook server listens on (webhook mode with webhookPort set). */
  readonly webhookPort?: number;
  /** Events taken in for handling since creation (a gauge for the backlog, next to the handler's own count). */
  readonly eventsAccepted: number;
  /** The webhook for another HTTP server to mount under a path (webhook mode). Answers 503 until start(). */
  webhookHandler(): (req: IncomingMessage, res: ServerResponse) => void;
  /** The same, framework-agnostic. */
  handleWebhook(rawBody: string, headers: WebhookHeaders): Promise<WebhookReply>;
};

export function createLarkAdapter(config: LarkConfig, opts: LarkAdapterOptions): LarkAdapter {
  return new LarkChatAdapter(config, opts);
}

type ReceiveData = LarkMessageEvent & { event_id?: string; uuid?: string };

class LarkChatAdapter implements LarkAdapter {
  readonly platform = 'lark' as const;
  private readonly log: Logger;
  private readonly state = new StatusBox();
  private readonly api: LarkApi;
  private readonly dispatcher: lark.EventDispatcher;
  private readonly intake: EventIntake;
  private readonly webhook: (rawBody: string, headers: WebhookHeaders) => Promise<WebhookReply>;
  private readonly maxChars: number;
  private readonly maxPostBytes: number;
  private handler: MessageHandler | undefined;
  private actionHandler: ActionHandler | undefined;
  private readonly desk: ActionDesk;
  private readonly uploader: ImageUploader;
  private readonly memberCounts: MemberCountCache;
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
    this.api = new LarkApi(config, this.log, {
      requestTimeoutMs: opts.requestTimeoutMs ?? 10_000,
      retryDelayMs: opts.retryDelayMs ?? 500,
      nameTimeoutMs: opts.nameTimeoutMs ?? 800,
    });
    this.uploader = new ImageUploader(this.api);
    this.memberCounts = new MemberCountCache((chat) => this.api.chatUserCount(chat), {
      ...opts.memberCounts,
      onError: (chat, err) => this.log.debug({ chat, err: redactAll(err instanceof Error ? err.message : String(err), config) }, 'lark group size unknown'),
    });
    this.desk = new ActionDesk({ deadlineMs: opts.actionDeadlineMs ?? 2000, log: this.log });
    this.intake = new EventIntake({ maxQueued: opts.maxQueue ?? 1000, concurrency: opts.concurrency ?? 16, deadlineMs: opts.ackDeadlineMs ?? 2500 });
    const dispatcherParams: ConstructorParameters<typeof lark.EventDispatcher>[0] = {
      logger: sdkLogger(this.log, secretsOf(config)),
      loggerLevel: lark.LoggerLevel.debug,
    };
    if (config.encryptKey) dispatcherParams.encryptKey = config.encryptKey;
    if (config.verificationToken) dispatcherParams.verificationToken = config.verificationToken;
    // The dispatcher awaits this promise; the webhook and WSClient answer only after it settles.
    this.dispatcher = new lark.EventDispatcher(dispatcherParams).register({
      'im.message.receive_v1': (data: ReceiveData) => this.receive(data),
      // Its answer (a toast) goes back as the webhook's response body, or in the ws response frame's `data`.
      'card.action.trigger': (data: CardActionData) => this.desk.answer(data, this.actionHandler),
    });
    this.webhook = createWebhookHandler({
      encryptKey: config.encryptKey,
      verificationToken: config.verificationToken,
      log: this.log,
      dispatch: async (data) => {
        if (!this.handler) throw new NotAcknowledged(503, 'stopped');
        // Already decrypted and verified: let the dispatcher route it without its own (re-serialising) check.
        return (await this.dispatcher.invoke(data, { needCheck: false })) as unknown;
      },
    });
  }

  get webhookPort(): number | undefined {
    return this.boundPort;
  }

  get eventsAccepted(): number {
    return this.intake.accepted;
  }

  webhookHandler(): (req: IncomingMessage, res: ServerResponse) => void {
    return nodeWebhookHandler(this.webhook, this.log);
  }

  handleWebhook(rawBody: string, headers: WebhookHeaders): Promise<WebhookReply> {
    return this.webhook(rawBody, headers);
  }

  /** Rejects with a one-line AdapterError (what failed, what to check); may be called again after a failure. */
  /** up after start; connecting while the long connection is being re-established (shown on /healthz). */
  status(): AdapterStatus {
    return this.state.get();
  }

  onStatusChange(listener: (status: AdapterStatus) => void): () => void {
    return this.state.onChange(listener);
  }

  async start(onMessage: MessageHandler, onAction?: ActionHandler): Promise<void> {
    if (this.handler) await this.stop();
    this.handler = onMessage;
    this.actionHandler = onAction;
    try {
      // WSClient.start() only logs and returns on an appId that is not cli_ + 16 hex digits
      // (node-sdk 1.74 lib/index.js, WSClient.start), so check it ourselves, before any request.
      if (this.config.mode === 'ws' && !/^cli_[0-9a-fA-F]{16}$/.test(this.config.appId)) {
        throw new AdapterError('lark', 'start', '飞书/Lark: long-connection mode needs an app id of the form cli_ + 16 hex digits: check LARK_APP_ID', { permanent: true });
      }
      await this.api.checkCredentials(this.config.mode === 'ws' ? 'ws' : 'token');
      this.botOpenId = await this.api.botOpenId();
      if (this.config.mode === 'webhook') {
        if (this.config.webhookPort !== undefined) await this.listen(this.config.webhookPort);
      } else await this.startWs();
    } catch (e) {
      this.handler = undefined;
      this.actionHandler = undefined;
      await this.closeTransports();
      if (e instanceof AdapterError) throw e;
      throw new AdapterError('lark', 'start', redactAll(`飞书/Lark: ${e instanceof Error ? e.message : String(e)}`, this.config));
    }
  }

  async stop(): Promise<void> {
    this.handler = undefined;
    this.actionHandler = undefined;
    await this.closeTransports();
    // Let events being handled finish (bounded); waiting ones find no handler and are not acknowledged.
    await this.intake.idle(2000);
  }

  private async closeTransports(): Promise<void> {
    const ws = this.ws;
    this.ws = undefined;
    ws?.close({ force: true });
    const server = this.server;
    this.server = undefined;
    this.boundPort = undefined;
    if (server) {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    }
  }

  // ── receiving ──

  /** Resolves once the event is durably handled (or needs no handling); rejects when Lark should deliver it again. */
  private receive(data: ReceiveData): Promise<void> {
    const ctx: NormalizeContext = { appId: this.config.appId };
    if (this.botOpenId) ctx.botOpenId = this.botOpenId;
    const normalized = normalize(data, ctx);
    const message = normalized && { ...normalized, ...addressing(data, this.botOpenId) };
    if (!message) {
      this.log.debug('lark message ignored (not a text, post or picture, or our own)');
      return Promise.resolve();
    }
    const eventId = typeof data?.event_id === 'string' ? data.event_id : typeof data?.uuid === 'string' ? data.uuid : undefined;
    return this.intake
      .accept(eventId, message.chatId, async () => {
        const handler = this.handler;
        if (!handler) throw new NotAcknowledged(503, 'stopped');
        if (this.opts.resolveNames !== false) message.senderName = await this.api.senderName(message.senderId);
        await handler(message);
      })
      .catch((e: unknown) => {
        if (e instanceof NotAcknowledged) this.log.warn({ eventId, chat: message.chatId, status: e.status }, `lark event not acknowledged: ${e.message}`);
        else this.log.error({ eventId, chat: message.chatId, err: e instanceof Error ? e.message : String(e) }, 'lark message handler failed; event not acknowledged');
        throw e;
      });
  }

  private async listen(port: number): Promise<void> {
    const server = createServer(this.webhookHandler());
    server.requestTimeout = 10_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.config.webhookHost ?? '0.0.0.0', () => {
        server.off('error', reject);
        resolve();
      });
    }).catch((e: unknown) => {
      const code = (e as { code?: string })?.code ?? 'error';
      throw new AdapterError('lark', 'start', `飞书/Lark: the webhook server could not listen on port ${port} (${code}): check LARK_WEBHOOK_PORT / LARK_WEBHOOK_HOST`);
    });
    server.on('error', (e) => this.log.error({ err: e.message }, 'lark webhook server error'));
    this.server = server;
    this.boundPort = (server.address() as AddressInfo).port;
    this.log.info({ port: this.boundPort }, 'lark webhook listening');
  }

  private async startWs(): Promise<void> {
    const timeoutMs = this.opts.wsReadyTimeoutMs ?? 30_000;
    const host = larkHost(this.config.domain);
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (err?: AdapterError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      };
      const timer = setTimeout(
        () => settle(new AdapterError('lark', 'start', `飞书/Lark: the long connection to ${host} did not open within ${Math.round(timeoutMs / 1000)} s: check LARK_DOMAIN and the network (proxy, firewall)`)),
        timeoutMs,
      );
      // node-sdk 1.74 (lib/index.js, WSClient.reConnect/connect, checked 2026-11): a refused WebSocket
      // handshake is only logged ("ws connect failed") and retried forever in the background; an
      // endpoint refusal (bad credentials, long connection not enabled) comes to onError. The first
      // attempt's failure ends start() here; the caller's supervisor retries start() with backoff.
      const observe = (line: string) => {
        if (/ws connect failed|handshake timeout/.test(line)) {
          settle(new AdapterError('lark', 'start', `飞书/Lark: the long-connection WebSocket handshake with ${host} failed: check LARK_DOMAIN, the network and any proxy`));
        }
      };
      this.ws = new lark.WSClient({
        appId: this.config.appId,
        appSecret: this.config.appSecret,
        domain: larkDomain(this.config.domain),
        logger: sdkLogger(this.log, secretsOf(this.config), observe),
        loggerLevel: lark.LoggerLevel.debug,
        handshakeTimeoutMs: 10_000,
        onReady: () => {
          this.log.info('lark long connection ready');
          settle();
        },
        onError: (err) => {
          const m = /code=(-?\d+), msg=(.*)$/s.exec(err.message);
          const why = m ? `code ${m[1]} ${m[2]}` : err.message;
          settle(
            new AdapterError('lark', 'start', redactAll(`飞书/Lark: the long connection was refused (${why.slice(0, 160)}): check LARK_APP_ID / LARK_APP_SECRET and that the app receives events through the long connection (长连接)`, this.config), {
              permanent: true,
            }),
          );
        },
        onReconnecting: () => {
          this.log.warn('lark long connection lost; reconnecting');
          this.state.set({ state: 'connecting', error: 'the Lark long connection dropped; reconnecting' });
        },
        onReconnected: () => {
          this.log.info('lark long connection re-established');
          this.state.set({ state: 'up' });
        },
      });
      // 2026-11, node-sdk 1.74 (lib/index.js, WSClient.handleEventData): the response frame is sent
      // after `await eventDispatcher.invoke(…)`, i.e. after our handler's promise settled — code 200
      // when it resolved, 500 when it threw. So the ack waits for the durable write, as in webhook mode.
      this.ws.start({ eventDispatcher: this.dispatcher }).catch((e: unknown) => settle(new AdapterError('lark', 'start', redactAll(`飞书/Lark: ${e instanceof Error ? e.message : String(e)}`, this.config))));
    });
  }

  // ── sending ──

  async send(chat: string, message: OutboundMessage, opts: SendOptions = {}): Promise<SendResult> {
    const limits = { maxChars: this.maxChars, maxPostBytes: this.maxPostBytes, maxTextBytes: LARK_TEXT_MAX_BYTES - BODY_MARGIN_BYTES };
    return sendMessage({ api: this.api, uploader: this.uploader, log: this.log, limits }, chat, message, opts);
  }

  /** People in a group (Lark's user_count, bots not counted), cached for hours; undefined when unknown. */
  memberCount(chat: string): Promise<number | undefined> {
    return this.memberCounts.get(chat);
  }

  fetchMedia(ref: string, opts: { maxBytes: number }): Promise<{ bytes: Buffer; mime?: string }> {
    return fetchMedia(this.api, ref, { maxBytes: opts.maxBytes, timeoutMs: this.opts.mediaTimeoutMs ?? 20_000 });
  }
}
