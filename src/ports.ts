// Interfaces the core owns and the edges implement. The core never imports a platform SDK.
import type { InboundMessage, OutboundMessage, Platform } from './domain.ts';

export type MessageHandler = (message: InboundMessage) => Promise<void>;

export interface SendResult {
  /** The platform's id of the (last) message sent, when it returns one. */
  messageId?: string;
}

/** One chat platform. Adapters never import each other, the classifier, or the store. */
export interface ChatAdapter {
  readonly platform: Platform;
  /** Connect and deliver every group message (own messages excluded) to `onMessage`. Resolves once listening. */
  start(onMessage: MessageHandler): Promise<void>;
  /**
   * Send one message to a chat. A body longer than the platform's limit is split on line boundaries.
   * Throws AdapterError; `retryAfterMs` is set when the platform asked us to slow down (429).
   */
  send(chat: string, message: OutboundMessage, opts?: { idempotencyKey?: string }): Promise<SendResult>;
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
