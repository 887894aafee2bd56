// Interfaces the core owns and the edges implement. The core never imports a platform SDK.
import type { InboundAction, InboundMessage, OutboundMessage, Platform } from './domain.ts';
import type { StatusReporting } from './adapter-status.ts';

/** Resolves once the message is durable (adapters acknowledge to the platform only then); rejects when it is not. */
export type MessageHandler = (message: InboundMessage) => Promise<void>;
/** Resolves with the short text to show the presser (e.g. "已记录，谢谢"), or undefined for none. */
export type ActionHandler = (action: InboundAction) => Promise<string | undefined>;

export interface SendOptions {
  /** Makes a retried send safe where the platform helps (Lark `uuid`); the adapter remembers parts sent. */
  idempotencyKey?: string;
  /**
   * Answer this message: Telegram reply_parameters, Lark's reply API, WeChat an @-mention of `senderName`.
   * When the original is gone, the adapter sends a plain message instead.
   */
  replyTo?: { messageId: string; senderId?: string; senderName?: string };
  /**
   * `chat` is a person's private chat (Delivery.direct), never a group: WeChat then sends to the friend
   * with that contact id (or, failing that, the one friend with that remark/name), never to a room.
   * Platforms whose chat address already tells (Telegram, Lark) ignore it.
   */
  direct?: boolean;
}

export interface SendResult {
  /** The platform's id of the (last) message sent, when it returns one. */
  messageId?: string;
}

/** One chat platform. Adapters never import each other, the classifier, or the store. */
export interface ChatAdapter extends StatusReporting {
  readonly platform: Platform;
  /**
   * Connect and deliver every group message (own messages excluded) to `onMessage`, and private messages
   * (chatType 'private') where the platform has them; button presses go to `onAction` when given.
   * Resolves once listening.
   */
  start(onMessage: MessageHandler, onAction?: ActionHandler): Promise<void>;
  /**
   * Send one message to a chat (or, for a private chat, to a user id). A body longer than the platform's
   * limit is split outside markup. Throws AdapterError; `retryAfterMs` is set when the platform asked us to slow down (429).
   */
  send(chat: string, message: OutboundMessage, opts?: SendOptions): Promise<SendResult>;
  /** The bytes of an inbound picture (`InboundMedia.ref`); refuses more than `maxBytes` without reading it all. */
  fetchMedia?(ref: string, opts: { maxBytes: number }): Promise<{ bytes: Buffer; mime?: string }>;
  /**
   * How many people are in a group chat, the bot itself not counted (other bots are, where the platform
   * cannot tell them apart), for "约 N 人". Cached by the adapter (hours); undefined when unknown or the
   * lookup failed. Never throws.
   */
  memberCount?(chat: string): Promise<number | undefined>;
  stop(): Promise<void>;
}

/** Word segmentation; the classifier only sees this, so tests can swap it. */
export interface Tokenizer {
  cut(text: string): string[];
}

/** Why a platform call failed, with enough to decide whether to retry. */
export class AdapterError extends Error {
  constructor(
    readonly platform: Platform,
    readonly op: string,
    message: string,
    readonly opts: { cause?: unknown; retryAfterMs?: number; permanent?: boolean; status?: number } = {},
  ) {
    super(`${platform} ${op}: ${message}`, { cause: opts.cause });
    this.name = 'AdapterError';
  }
  get retryAfterMs(): number | undefined {
    return this.opts.retryAfterMs;
  }
  get permanent(): boolean {
    return this.opts.permanent ?? false;
  }
}

/** How one platform connection is doing, for /healthz, the console and `/relay status`. */
export interface PlatformHealth {
  platform: Platform;
  /** connecting: starting or reconnecting; up: receiving and sending; down: failed, retried with backoff; stopped: shut down on purpose. */
  state: 'connecting' | 'up' | 'down' | 'stopped';
  /** ISO time of the last change of `state`. */
  since: string;
  /** One line, no secrets: what failed and what to check. */
  lastError?: string;
  /** ISO time of the last group message received. */
  lastMessageAt?: string;
  /** WeChat: the login QR code's content while the account waits for a scan. */
  loginQr?: string;
}
