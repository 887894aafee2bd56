// Inbound WeChat messages: on disk as soon as they are read, then handled concurrently but in order
// within each group.
//
// WeChat's web protocol hands a message over once: the puppet's sync moves past it whether or not we
// handled it, and nothing delivers it again (2026-12: wechat4u's webwxsync advances its SyncKey with
// every batch, https://github.com/nodeWechat/wechat4u/blob/master/src/core.js). So a message is spooled
// (a DurableQueue, `<dataDir>/wechat/inbound.jsonl`) before it waits in memory, and leaves the spool only
// once the relay's handler resolved (its post durable, or the message deliberately skipped). A handler
// that rejects (the store could not make it durable) is retried with backoff, holding its group's lane;
// after the last try, or when the in-memory queue is full, the message waits on disk: each sweep tries it
// once more (without holding the lane for long), a restart handles what the last run left before anything
// new, and after a day of failures it is given up (logged), as Telegram keeps an update for a day.
//
// Messages are taken off the puppet, not off wechaty's 'message' event: wechaty loads each message's
// payload (and its room's and sender's) before emitting it, so a first message from a new member can
// come out after that member's second one (puppet-mixin.ts __setupPuppetEvents, wechaty 1.20, 2026-11:
// https://github.com/wechaty/wechaty/blob/main/src/wechaty-mixins/puppet-mixin.ts). Here loads run in
// parallel, but each message is spooled and queued only after every message that arrived before it.
import { ChatQueue, QueueFullError } from '../../src/chat-queue.ts';
import type { InboundMessage } from '../../src/domain.ts';
import { DurableQueue } from '../../src/durable-queue.ts';
import { isSpooledMessage, type SpooledMessage } from '../../src/inbound-spool.ts';
import type { Logger } from '../../src/log.ts';

/** A message whose payload takes longer than this to load is skipped (logged) so later ones are not held up. */
const LOAD_TIMEOUT_MS = 30_000;
/** A message still failing this long after it arrived is given up. */
const GIVE_UP_MS = 24 * 3600_000;

export interface IngestOptions {
  concurrency: number;
  maxQueued: number;
  /** The spool file. */
  spoolFile: string;
  /** fdatasync each spool change (default true). */
  fsync?: boolean;
  /** Pauses before retrying a message whose handler rejected; default [500, 2000, 5000, 15000, 60000]. */
  retryDelaysMs?: number[];
  /** How often messages waiting on disk are queued again; default 30 s. */
  sweepMs?: number;
}

export class Ingest {
  private readonly queue: ChatQueue;
  private readonly spool: DurableQueue<SpooledMessage>;
  /** Spool ids queued in memory or being handled. */
  private readonly inMemory = new Set<string>();
  /** Spool ids whose first round of tries failed: a sweep tries them once. */
  private readonly failedOnce = new Set<string>();
  /** The tail of the arrival chain. */
  private arrivals: Promise<void> = Promise.resolve();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly log: Logger,
    /** Handles one message; rejects when it could not be made durable (then it is tried again). */
    private readonly handle: (m: InboundMessage) => Promise<void>,
    /** False while the adapter is stopped: nothing new is read, nothing is handled. */
    private readonly accepting: () => boolean,
    private readonly opts: IngestOptions,
  ) {
    this.queue = new ChatQueue({ concurrency: opts.concurrency, maxQueued: opts.maxQueued });
    this.spool = DurableQueue.open(opts.spoolFile, isSpooledMessage, { fsync: opts.fsync });
  }

  /** Messages read and not yet handled (on disk). */
  get waiting(): number {
    return this.spool.size;
  }

  /** At start: queues what the spool holds (the last run's leftovers first), and sweeps from now on. */
  resume(): void {
    if (this.spool.size) this.log.info({ messages: this.spool.size }, 'wechat messages read before the last stop and not yet handled: handling them first');
    this.sweep();
    clearInterval(this.sweeper);
    this.sweeper = setInterval(() => this.sweep(), this.opts.sweepMs ?? 30_000);
    this.sweeper.unref();
  }

  /** At stop: no more sweeps (what waits stays on disk for the next start). */
  pause(): void {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  /** A message arrived on the puppet: start loading it now; spool and queue it in arrival order. */
  arrived(messageId: string, load: () => Promise<InboundMessage | undefined | null>): void {
    if (!this.accepting()) return;
    const loading = withTimeout(load(), LOAD_TIMEOUT_MS, 'loading the message timed out');
    loading.catch(() => {}); // handled in turn below; until then a rejection is not an unhandled one
    this.arrivals = this.arrivals.then(async () => {
      let message: InboundMessage | undefined | null;
      try {
        message = await loading;
      } catch (e) {
        this.log.warn({ err: e, messageId }, 'wechat message could not be read; skipped');
        return;
      }
      if (!message) return;
      const item: SpooledMessage = { id: `${message.chatId}\u0000${message.id}`, message, arrivedAt: new Date().toISOString() };
      try {
        await this.spool.put(item);
      } catch (e) {
        // The disk refused: handled from memory still, but a crash before that would lose it.
        this.log.error({ err: e, messageId }, 'wechat message could not be written to the inbound spool; handling it from memory');
      }
      this.enqueue(item);
    });
  }

  /** Resolves when no message is being handled or waiting in memory. */
  async idle(): Promise<void> {
    await this.arrivals;
    await this.queue.onIdle();
  }

  async close(): Promise<void> {
    this.pause();
    await this.spool.close();
  }

  /** Queues a message behind the earlier ones of its group. */
  private enqueue(item: SpooledMessage): void {
    if (!this.accepting() || this.inMemory.has(item.id)) return;
    this.inMemory.add(item.id);
    this.queue.push(item.message.chatId, () => this.run(item)).catch((e: unknown) => {
      this.inMemory.delete(item.id);
      const waiting = e instanceof QueueFullError ? e.limit : this.queue.size;
      this.log.warn({ messageId: item.message.id, room: item.message.chatId, waiting }, 'wechat inbound queue full; the message waits on disk and is queued again later');
    });
  }

  /** Handles one message, retrying a rejection; it leaves the spool once handled (or given up). */
  private async run(item: SpooledMessage): Promise<void> {
    const delays = this.failedOnce.has(item.id) ? [] : (this.opts.retryDelaysMs ?? [500, 2000, 5000, 15_000, 60_000]);
    const done = (why?: string) => {
      this.failedOnce.delete(item.id);
      if (why) this.log.error({ messageId: item.message.id, room: item.message.chatId, arrivedAt: item.arrivedAt }, why);
      return this.spool.remove(item.id).catch((e: unknown) => this.log.warn({ err: e }, 'wechat inbound spool: could not mark a message handled; it may be handled again (the store sees it as seen)'));
    };
    try {
      for (let attempt = 0; this.accepting(); attempt++) {
        try {
          await this.handle(item.message);
          await done();
          return;
        } catch (e) {
          if (attempt >= delays.length) {
            if (Date.now() - Date.parse(item.arrivedAt) > GIVE_UP_MS) return void (await done('wechat message still not stored a day after it arrived; given up'));
            if (!this.failedOnce.has(item.id)) this.log.error({ err: e, messageId: item.message.id, attempts: attempt + 1 }, 'wechat message handler failed; the message waits on disk and is tried again later');
            this.failedOnce.add(item.id);
            return;
          }
          this.log.warn({ err: e, messageId: item.message.id, retryInMs: delays[attempt] }, 'wechat message handler failed; retrying');
          await new Promise((r) => setTimeout(r, delays[attempt]));
        }
      }
    } finally {
      this.inMemory.delete(item.id);
    }
  }

  private sweep(): void {
    for (const item of this.spool.list()) this.enqueue(item);
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
