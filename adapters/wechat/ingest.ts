// Inbound WeChat messages, concurrently but in order within each group.
// Messages are taken off the puppet, not off wechaty's 'message' event: wechaty loads each message's
// payload (and its room's and sender's) before emitting it, so a first message from a new member can
// come out after that member's second one (puppet-mixin.ts __setupPuppetEvents, wechaty 1.20, 2026-11:
// https://github.com/wechaty/wechaty/blob/main/src/wechaty-mixins/puppet-mixin.ts). Here loads run in
// parallel, but each message joins its group's queue only after every message that arrived before it.
import { ChatQueue, QueueFullError } from '../../src/chat-queue.ts';
import type { Logger } from '../../src/log.ts';

/** A message whose payload takes longer than this to load is skipped (logged) so later ones are not held up. */
const LOAD_TIMEOUT_MS = 30_000;

/** What this file needs of a wechaty Message. */
export interface IngestMessage {
  readonly id: string;
  room(): { readonly id: string } | undefined;
  talker(): { readonly id: string };
}

export class Ingest<M extends IngestMessage> {
  private readonly queue: ChatQueue;
  /** The tail of the arrival chain. */
  private arrivals: Promise<void> = Promise.resolve();

  constructor(
    private readonly log: Logger,
    /** Handles one message; must not reject (the adapter logs and goes on). */
    private readonly handle: (m: M) => Promise<void>,
    /** False while the adapter is stopped: messages arriving then are not queued. */
    private readonly accepting: () => boolean,
    opts: { concurrency: number; maxQueued: number },
  ) {
    this.queue = new ChatQueue({ concurrency: opts.concurrency, maxQueued: opts.maxQueued });
  }

  /** A message arrived on the puppet: start loading it now, queue it in arrival order. */
  arrived(messageId: string, load: () => Promise<M | undefined>): void {
    if (!this.accepting()) return;
    const loading = withTimeout(load(), LOAD_TIMEOUT_MS, 'loading the message timed out');
    this.arrivals = this.arrivals.then(async () => {
      try {
        const m = await loading;
        if (m) this.enqueue(m);
        else this.log.warn({ messageId }, 'wechat message not found after it arrived; skipped');
      } catch (e) {
        this.log.warn({ err: e, messageId }, 'wechat message could not be read; skipped');
      }
    });
  }

  /** Resolves when no message is being handled or waiting. */
  idle(): Promise<void> {
    return this.queue.onIdle();
  }

  /** Queues a message behind the earlier ones of its group, keyed by room id (stable within a login). */
  private enqueue(m: M): void {
    if (!this.accepting()) return;
    const key = safe(() => m.room()?.id) ?? `direct:${safe(() => m.talker().id) ?? ''}`;
    this.queue.push(key, () => this.handle(m)).catch((e: unknown) => {
      // handle() never rejects; only a full queue lands here. WeChat does not deliver it again.
      const waiting = e instanceof QueueFullError ? e.limit : this.queue.size;
      this.log.error({ messageId: safe(() => m.id), room: key, waiting }, 'wechat inbound queue full; message dropped (the store is too slow or stuck)');
    });
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(what)), ms)))]).finally(() => clearTimeout(timer));
}

export function safe<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}
