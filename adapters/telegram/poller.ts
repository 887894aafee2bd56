// Long polling with acknowledgement only after handling. Telegram confirms an update when getUpdates
// is called with an offset above its update_id (2026-11, https://core.telegram.org/bots/api#getupdates),
// and keeps unconfirmed ones for 24 h, so an update whose message was not yet stored durably must
// never be passed by the offset: after a crash Telegram hands it over again.
//
// 2026-11 choice: our own loop, not @grammyjs/runner. The runner's source (createSource in
// node_modules/@grammyjs/runner/out/source.js, fed by bot.api.getUpdates with offset = last id + 1)
// confirms a batch as soon as it fetches the next one, before the sink has handled it. Waiting for a
// whole batch before fetching the next would keep that guarantee but let one slow group hold up every
// other group. So: each poll asks from the lowest update not yet handled; updates already in hand are
// skipped; new ones go to a ChatQueue (each chat in order, chats in parallel). While something is in
// hand Telegram answers at once (unconfirmed updates are pending), so the loop polls with timeout 0,
// and long-polls again once everything is handled. Each such poll serves again every unconfirmed update
// from the offset on (handled ones above the lowest unhandled too), so it polls only when it can bring
// new ones: after a full batch, once handlers have freed half a batch of room above the offset; else
// every `busyPollMs` (what arrived meanwhile). Re-polling whenever any handler finished served each
// update 4–6 times in the bench (scripts/bench/ingest-real.ts).
import type { Update } from 'grammy/types';
import { ChatQueue } from '../../src/chat-queue.ts';
import type { Logger } from '../../src/log.ts';

/** Pure bookkeeping of which fetched updates are handled, and the offset that confirms only those. */
export class AckTracker {
  private readonly inHand = new Set<number>();
  private maxSeen: number | undefined;

  /** True for an update not fetched before (fetched ones come back until confirmed). */
  isNew(id: number): boolean {
    return !this.inHand.has(id) && (this.maxSeen === undefined || id > this.maxSeen);
  }
  fetched(id: number): void {
    this.inHand.add(id);
    if (this.maxSeen === undefined || id > this.maxSeen) this.maxSeen = id;
  }
  handled(id: number): void {
    this.inHand.delete(id);
  }
  /** Updates fetched and not yet handled. */
  get pending(): number {
    return this.inHand.size;
  }
  /**
   * How many fetched updates a poll from `offset` gets again (handled ones above the lowest unhandled
   * are unconfirmed too): exact for consecutive update ids, an overestimate across gaps.
   */
  get unconfirmedSpan(): number {
    return this.inHand.size && this.maxSeen !== undefined ? this.maxSeen - this.offset + 1 : 0;
  }
  /** The offset to poll with: every update below it is handled; 0 before anything was fetched. */
  get offset(): number {
    if (this.inHand.size) return Math.min(...this.inHand);
    return this.maxSeen === undefined ? 0 : this.maxSeen + 1;
  }
}

export interface PollerOptions {
  getUpdates(params: { offset: number; limit: number; timeout: number }, signal: AbortSignal): Promise<Update[]>;
  /** Handles one update; resolves once it is durable (or deliberately ignored). May reject. */
  handle(update: Update): Promise<void>;
  /** The order key: updates with the same key are handled one after another. */
  chatOf(update: Update): string;
  /** How a failed poll is to be treated. */
  classify(err: unknown): { kind: 'conflict' } | { kind: 'fatal' } | { kind: 'wait'; ms: number } | { kind: 'retry' };
  safeErr(err: unknown): object;
  log: Logger;
  pollTimeoutSeconds: number;
  conflictRetryMs: number;
  /** While updates are being handled, poll for other chats' updates this often; default 250 ms. */
  busyPollMs?: number;
  /**
   * Pauses before retrying an update whose handler failed; after the last, it is logged and acknowledged.
   * The relay's handler rejects only when the store could not make the message durable (a message it
   * cannot understand is logged and skipped, not rejected), so the default waits out a short storage
   * outage (≈ 80 s); it is bounded because an unconfirmed update holds back the offset of every later one.
   * Default [500, 2000, 5000, 15000, 60000].
   */
  handlerRetryDelaysMs?: number[];
  /** Polling stopped for good (e.g. the token was revoked). */
  onFatal?(err: unknown): void;
  /** Each poll's outcome: true when Telegram answered, false with a one-line reason when it did not. */
  onPoll?(ok: boolean, why?: string): void;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** Updates asked for per poll: getUpdates' maximum (2026-11, https://core.telegram.org/bots/api#getupdates). */
const POLL_LIMIT = 100;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

export class Poller {
  private readonly tracker = new AckTracker();
  private readonly queue = new ChatQueue({ concurrency: 32 });
  private readonly controller = new AbortController();
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  /** The offset the last successful poll was made with: everything below it is confirmed. */
  private confirmed = 0;

  constructor(private readonly o: PollerOptions) {}

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops polling, lets running handlers finish (up to `graceMs`), and confirms what was handled. */
  async stop(graceMs = 5000): Promise<void> {
    this.controller.abort();
    await this.loop;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.queue.onIdle(), new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
    const offset = this.tracker.offset;
    if (offset > this.confirmed) {
      try {
        await this.o.getUpdates({ offset, limit: 1, timeout: 0 }, AbortSignal.timeout(5000));
        this.confirmed = offset;
      } catch (err) {
        this.o.log.warn({ err: this.o.safeErr(err) }, 'could not confirm the last updates on stop; they will be delivered again');
      }
    }
  }

  private get stopped(): boolean {
    return this.controller.signal.aborted;
  }

  private async run(): Promise<void> {
    const signal = this.controller.signal;
    let backoff = 1000;
    while (!this.stopped) {
      const offset = this.tracker.offset;
      const busy = this.tracker.pending > 0;
      let updates: Update[];
      try {
        updates = await this.o.getUpdates({ offset, limit: POLL_LIMIT, timeout: busy ? 0 : this.o.pollTimeoutSeconds }, signal);
        this.confirmed = Math.max(this.confirmed, offset);
        backoff = 1000;
        this.o.onPoll?.(true);
      } catch (err) {
        if (this.stopped) return;
        const what = this.o.classify(err);
        this.o.onPoll?.(false, what.kind === 'fatal' ? 'polling stopped: Telegram refused the bot token; check TELEGRAM_BOT_TOKEN and restart' : what.kind === 'conflict' ? 'another process polls with this bot token (409 Conflict)' : 'getUpdates failed; polling again');
        if (what.kind === 'fatal') {
          this.o.log.error({ err: this.o.safeErr(err) }, 'polling stopped; no more Telegram messages until restart');
          this.o.onFatal?.(err);
          return;
        }
        if (what.kind === 'conflict') {
          // 2026-11: 409 Conflict: another getUpdates (another instance, e.g. during a deploy) polls
          // with this token, https://core.telegram.org/bots/api#getupdates
          this.o.log.warn({ err: this.o.safeErr(err), retryInMs: this.o.conflictRetryMs }, 'another instance is polling with this bot token; will poll again');
          await sleep(this.o.conflictRetryMs, signal);
        } else {
          const ms = what.kind === 'wait' ? what.ms : backoff;
          this.o.log.warn({ err: this.o.safeErr(err), retryInMs: ms }, 'polling failed; will poll again');
          await sleep(ms, signal);
          if (what.kind === 'retry') backoff = Math.min(backoff * 2, 30_000);
        }
        continue;
      }
      for (const u of Array.isArray(updates) ? updates : []) {
        const id = isObj(u) ? u.update_id : undefined;
        if (typeof id !== 'number' || !Number.isSafeInteger(id) || !this.tracker.isNew(id)) continue;
        this.tracker.fetched(id);
        void this.queue
          .push(this.o.chatOf(u), () => this.handle(u, id))
          .catch((err: unknown) => this.o.log.error({ err: this.o.safeErr(err), updateId: id }, 'update processing failed'));
      }
      if (this.tracker.pending === 0) continue;
      // A full batch: more may be waiting past it, reachable once half a batch of room is free above the
      // offset. Otherwise everything there was is in hand: look again after busyPollMs for what arrived.
      const room = () => POLL_LIMIT - this.tracker.unconfirmedSpan;
      if (Array.isArray(updates) && updates.length >= POLL_LIMIT) {
        if (room() < POLL_LIMIT / 2) await this.progressOr(this.o.busyPollMs ?? 250, signal, () => room() >= POLL_LIMIT / 2);
      } else await this.progressOr(this.o.busyPollMs ?? 250, signal, () => false);
    }
  }

  /** Runs the handler (retrying a failure a few times); marks the update handled unless stopped first. */
  private async handle(u: Update, id: number): Promise<void> {
    const delays = this.o.handlerRetryDelaysMs ?? [500, 2000, 5000, 15_000, 60_000];
    for (let attempt = 0; ; attempt++) {
      if (this.stopped) return; // not handled: stays unconfirmed, Telegram delivers it again
      try {
        await this.o.handle(u);
        break;
      } catch (err) {
        if (attempt >= delays.length) {
          this.o.log.error({ err: this.o.safeErr(err), updateId: id, attempts: attempt + 1 }, 'message handler failed; going on without it');
          break;
        }
        this.o.log.warn({ err: this.o.safeErr(err), updateId: id, retryInMs: delays[attempt] }, 'message handler failed; retrying');
        await sleep(delays[attempt]!, this.controller.signal);
      }
    }
    this.tracker.handled(id);
    this.wake?.();
  }

  /** Waits `ms`, or less: until a handler finishes with `enough()` true, or nothing is left in hand. */
  private progressOr(ms: number, signal: AbortSignal, enough: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        signal.removeEventListener('abort', done);
        this.wake = undefined;
        resolve();
      };
      const t = setTimeout(done, ms);
      this.wake = () => {
        if (this.tracker.pending === 0 || enough()) done();
      };
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
