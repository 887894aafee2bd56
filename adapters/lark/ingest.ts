// Taking in events so that an acknowledgement means "stored": per-chat order, chats in parallel
// (ChatQueue), event_id dedupe that counts an event as seen only once it was handled, a redelivery
// that arrives while the first copy is in flight sharing its outcome, and a deadline inside Lark's 3 s.
import { ChatQueue, QueueFullError } from '../../src/chat-queue.ts';
import { NotAcknowledged } from './webhook.ts';

export interface IntakeOptions {
  /** Most events waiting across all chats; past it new events are refused (Lark retries later). */
  maxQueued: number;
  /** Most events handled at once (different chats). */
  concurrency: number;
  /** Answer "not handled" once an event took this long (Lark waits 3 s). */
  deadlineMs: number;
}

/** A bounded insertion-ordered set (oldest evicted). */
class BoundedSet {
  private readonly items = new Set<string>();
  constructor(private readonly max: number) {}
  has(key: string): boolean {
    return this.items.has(key);
  }
  add(key: string): void {
    this.items.add(key);
    if (this.items.size > this.max) this.items.delete(this.items.values().next().value as string);
  }
}

export class EventIntake {
  private readonly queue: ChatQueue;
  /** Handled durably (event_id); a redelivery of one of these is acknowledged at once. */
  private readonly seen = new BoundedSet(10_000);
  /** Being handled now (event_id → its outcome). */
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Events taken into the queue since creation (redeliveries of one in flight not counted). */
  accepted = 0;

  constructor(private readonly opts: IntakeOptions) {
    this.queue = new ChatQueue({ concurrency: opts.concurrency, maxQueued: opts.maxQueued });
  }

  /**
   * Runs `work` behind the earlier events of `chat`; resolves once it resolved. Rejects with
   * NotAcknowledged when the queue is full (503) or the deadline passed first (503; the work goes on,
   * and a redelivery later finds it done or still in flight), and with the work's own error when it
   * failed (the event is not recorded as seen, so a redelivery runs it again).
   */
  accept(eventId: string | undefined, chat: string, work: () => Promise<void>): Promise<void> {
    if (eventId && this.seen.has(eventId)) return Promise.resolve();
    let outcome = eventId ? this.inFlight.get(eventId) : undefined;
    if (!outcome) {
      if (this.queue.size >= this.opts.maxQueued) return Promise.reject(new NotAcknowledged(503, new QueueFullError(this.opts.maxQueued).message));
      this.accepted++;
      outcome = this.queue.push(chat, work);
      if (eventId) {
        this.inFlight.set(eventId, outcome);
        outcome.then(
          () => {
            this.seen.add(eventId);
            this.inFlight.delete(eventId);
          },
          () => this.inFlight.delete(eventId),
        );
      }
    }
    return withDeadline(outcome, this.opts.deadlineMs);
  }

  /** Whether `eventId` was handled durably already. */
  handled(eventId: string): boolean {
    return this.seen.has(eventId);
  }

  /** Resolves when nothing is running or waiting, or after `ms`. */
  async idle(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.queue.onIdle(), new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
    clearTimeout(timer);
  }

  get waiting(): number {
    return this.queue.size;
  }
}

function withDeadline(p: Promise<void>, ms: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new NotAcknowledged(503, `not handled within ${ms} ms`)), ms);
    p.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
