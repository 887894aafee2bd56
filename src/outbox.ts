// Sends due deliveries through the adapters, in order per channel, with retries and a dead letter.
// A delivery's parts go out one by one and `sentParts` is saved after each, so a restart resumes
// where it stopped instead of sending the whole digest again.
//
// One lane per channel (platform:chat), each running on its own: a lane starts as soon as a delivery
// for its channel is durable (`drain()`, which the relay calls right after recording a digest), sends
// that channel's deliveries in order with at most one send in flight, and when the first one is not due
// yet (a retry) it sleeps on its own timer until it is. No lane ever waits for another: a slow,
// rate-limited or failing chat delays nobody else, and a new digest does not wait for an earlier one.
//
// Exactly-once where the platform helps: every part carries `idempotencyKey = ${delivery.id}-${part}`
// (Lark sends it as `uuid` and drops a repeat). Elsewhere a crash after the platform accepted a part and
// before its mark is durable sends that one part again on restart; `markWindowsMs` measures that window
// (the store acknowledges the mark after its journal line is fdatasync'ed).
import { stat } from 'node:fs/promises';
import { basename, isAbsolute, join } from 'node:path';
import { isMediaName, PICTURE_POLICIES } from './digest/pictures.ts';
import type { Delivery, OutboundMessage, Platform } from './domain.ts';
import type { Logger } from './log.ts';
import { AdapterError, type ChatAdapter } from './ports.ts';
import type { Store } from './store/store.ts';

export interface OutboxOptions {
  maxAttempts: () => number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  random?: () => number;
  now?: () => Date;
  /** Told once when a delivery is given up on. */
  onDead?: (delivery: Delivery) => void;
  /** Told after a delivery's last part is marked (the alumni service acknowledges referrals then). */
  onDelivered?: (delivery: Delivery) => void;
}

/** Full-jitter exponential backoff: a random wait up to base·2^(attempt-1), capped. */
export function backoffMs(attempt: number, base: number, cap: number, random: () => number): number {
  const ceiling = Math.min(cap, base * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** How many recent mark windows `markWindowsMs` keeps. */
const WINDOW_SAMPLES = 10_000;
/** setTimeout's limit (≈ 24.8 days); a later retry is re-armed by the sweep or the next drain. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export const channelKey = (d: Pick<Delivery, 'channel'>) => `${d.channel.platform}:${d.channel.chat}`;

interface Lane {
  /** This channel's pending deliveries, oldest first, as of the last scan (objects the store patches in place). */
  queue: Delivery[];
  /** The lane's run while it sends; at most one per lane, so at most one send per channel. */
  running?: Promise<void>;
  /** Kicked while running: look at the queue once more before going idle. */
  again: boolean;
  /** Wakes the lane when its first delivery's retry comes due (only once start() was called). */
  timer?: NodeJS.Timeout;
}

type SendOutcome = 'delivered' | 'failed' | 'stopped';

export class Outbox {
  /** Recent windows, in ms, between the platform accepting a part and its mark being durable. */
  readonly markWindowsMs: number[] = [];
  private readonly lanes = new Map<string, Lane>();
  /** start() was called: lanes arm retry timers and a slow sweep runs. */
  private started = false;
  private stopping = false;
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Store,
    private readonly adapterFor: (platform: Platform) => ChatAdapter | undefined,
    private readonly logger: Logger,
    private readonly opts: OutboxOptions,
  ) {}

  /**
   * Starts (or refreshes) the lane of every channel with pending deliveries; lanes already sending pick
   * up the new work when they finish their current send. Resolves once every one of those lanes has
   * sent what is due now (a lane waiting for a retry counts as done).
   */
  drain(): Promise<void> {
    if (this.stopping) return Promise.resolve();
    const byChannel = new Map<string, Delivery[]>();
    for (const d of this.store.pendingDeliveries()) {
      const key = channelKey(d);
      const q = byChannel.get(key);
      if (q) q.push(d);
      else byChannel.set(key, [d]);
    }
    const runs: Promise<void>[] = [];
    for (const [key, queue] of byChannel) {
      let lane = this.lanes.get(key);
      if (lane) lane.queue = queue;
      else {
        lane = { queue, again: false };
        this.lanes.set(key, lane);
      }
      runs.push(this.kick(key, lane));
    }
    return Promise.all(runs).then(() => undefined);
  }

  /**
   * Runs drain() now, then every `sweepMs` as a safety net (a delivery added without a drain, a retry
   * later than a timer can wait). Retries do not need it: each lane wakes on its own timer.
   */
  start(sweepMs = 1000): void {
    this.started = true;
    this.stopping = false;
    const sweep = () => {
      this.drain().catch((err) => this.logger.error({ err }, 'outbox sweep failed'));
      if (this.started) this.sweepTimer = setTimeout(sweep, sweepMs);
    };
    this.sweepTimer = setTimeout(sweep, 0);
  }

  /** Stops starting sends and waits for those in flight (each ends with its part marked or its failure recorded). */
  async stop(): Promise<void> {
    this.started = false;
    this.stopping = true;
    clearTimeout(this.sweepTimer);
    this.sweepTimer = undefined;
    for (const lane of this.lanes.values()) {
      clearTimeout(lane.timer);
      lane.timer = undefined;
    }
    await Promise.all([...this.lanes.values()].map((l) => l.running));
    this.stopping = false;
  }

  private now(): Date {
    return this.opts.now?.() ?? new Date();
  }

  /** The lane's current run (told to look again before it ends), or a new one when it is idle. */
  private kick(key: string, lane: Lane): Promise<void> {
    clearTimeout(lane.timer);
    lane.timer = undefined;
    if (lane.running !== undefined) {
      lane.again = true;
      return lane.running;
    }
    let running: Promise<void> | undefined;
    running = (async () => {
      await null; // so that `running` and `lane.running` are set before the body can end
      try {
        do {
          lane.again = false;
          await this.run(key, lane);
        } while (lane.again && !this.stopping);
      } finally {
        // Synchronously after the last check of `again`: a kick lands either before it or on an idle lane.
        if (lane.running === running) lane.running = undefined;
        if (!lane.running && !lane.timer && lane.queue.length === 0 && this.lanes.get(key) === lane) this.lanes.delete(key);
      }
    })();
    lane.running = running;
    return running;
  }

  /** Sends the lane's deliveries in order until it is empty, the first one is not due, or the outbox stops. */
  private async run(key: string, lane: Lane): Promise<void> {
    while (!this.stopping) {
      while (lane.queue.length && lane.queue[0]!.status !== 'pending') lane.queue.shift();
      const d = lane.queue[0];
      if (!d) return;
      const waitMs = Date.parse(d.nextAttemptAt) - this.now().getTime();
      if (waitMs > 0) {
        // In order within a channel: a delivery waiting for its retry holds back the later ones.
        if (this.started) {
          clearTimeout(lane.timer);
          lane.timer = setTimeout(() => {
            lane.timer = undefined;
            this.kick(key, lane).catch((err) => this.logger.error({ err, channel: key }, 'outbox lane failed'));
          }, Math.min(waitMs, MAX_TIMER_MS));
          lane.timer.unref?.();
        }
        return;
      }
      if ((await this.send(d)) === 'stopped') return;
    }
  }

  private async send(d: Delivery): Promise<SendOutcome> {
    const log = this.logger.child({ delivery: d.id, channel: channelKey(d) });
    const adapter = this.adapterFor(d.channel.platform);
    if (!adapter) {
      await this.fail(d, new AdapterError(d.channel.platform, 'send', 'no adapter is running for this platform'), log);
      return 'failed';
    }
    try {
      const done = () => ({ status: 'delivered' as const, deliveredAt: this.now().toISOString(), lastError: undefined });
      for (let i = d.sentParts; i < d.parts.length; i++) {
        // Between parts, not mid-part: the marked parts are durable, a restart resumes from the next.
        if (this.stopping) return 'stopped';
        // Only the first part answers the original message: the rest follow it in the chat.
        const replyTo = i === 0 && d.replyTo ? { replyTo: d.replyTo } : {};
        const part = await this.withPictures(d.parts[i]!, d.channel.platform, log);
        // A part with nothing left to send (its only content was a picture since removed) counts as sent.
        if (part.body.trim() || part.images?.length) await adapter.send(d.channel.chat, part, { idempotencyKey: `${d.id}-${i}`, ...replyTo, ...(d.direct && { direct: true }) });
        const accepted = performance.now();
        // The last part's mark also marks the delivery delivered: one durable write, not two.
        await this.store.updateDelivery(d.id, i === d.parts.length - 1 ? { sentParts: i + 1, ...done() } : { sentParts: i + 1 });
        this.markWindowsMs.push(performance.now() - accepted);
        if (this.markWindowsMs.length > WINDOW_SAMPLES) this.markWindowsMs.splice(0, this.markWindowsMs.length - WINDOW_SAMPLES);
      }
      if (d.status !== 'delivered') await this.store.updateDelivery(d.id, done());
      log.info({ parts: d.parts.length, attempts: d.attempts + 1 }, 'digest delivered');
      try {
        this.opts.onDelivered?.(d);
      } catch (err) {
        log.error({ err }, 'onDelivered hook failed');
      }
      return 'delivered';
    } catch (err) {
      await this.fail(d, err, log);
      return 'failed';
    }
  }

  /**
   * The part as the adapter gets it: each picture at its absolute path (a bare name is a file under the
   * store's `media/`), and those no longer on disk (retention removed them, a disk was cleaned), empty, or
   * now over the platform's size limit left out, so the text still goes instead of the adapter refusing
   * the whole part for good (a dead letter). The part is otherwise sent as recorded, under the same
   * idempotency key, so a retry resumes it rather than repeating what went out.
   */
  private async withPictures(part: OutboundMessage, platform: Platform, log: Logger): Promise<OutboundMessage> {
    if (!part.images?.length) return part;
    const mediaDir = join(this.store.dir, 'media');
    const maxBytes = PICTURE_POLICIES[platform]?.maxBytes ?? Number.MAX_SAFE_INTEGER;
    const kept: NonNullable<OutboundMessage['images']> = [];
    const missing: string[] = [];
    for (const image of part.images) {
      const file = typeof image?.file === 'string' ? image.file : '';
      const path = isAbsolute(file) ? file : isMediaName(file) ? join(mediaDir, file) : undefined;
      const info = path ? await stat(path).catch(() => undefined) : undefined;
      if (path && info?.isFile() && info.size > 0 && info.size <= maxBytes) kept.push(path === file ? image : { ...image, file: path });
      else missing.push(basename(file) || '(no file name)');
    }
    if (missing.length) log.warn({ missing }, 'picture files gone (pruned or deleted), empty or over the platform limit: sending the part without them');
    if (kept.length === part.images.length && !missing.length && kept.every((k, i) => k === part.images![i])) return part;
    const { images: _all, ...rest } = part;
    return kept.length ? { ...rest, images: kept } : rest;
  }

  private async fail(d: Delivery, err: unknown, log: Logger): Promise<void> {
    const attempts = d.attempts + 1;
    const message = err instanceof Error ? err.message : String(err);
    const adapterErr = err instanceof AdapterError ? err : undefined;
    const dead = adapterErr?.permanent || attempts >= this.opts.maxAttempts();
    if (dead) {
      const deadLetter = await this.store.updateDelivery(d.id, { attempts, status: 'dead', lastError: message });
      log.error({ attempts, err: message }, 'delivery dead-lettered; admins are told');
      this.opts.onDead?.(deadLetter);
      return;
    }
    const wait =
      adapterErr?.retryAfterMs ??
      backoffMs(attempts, this.opts.baseDelayMs ?? 2000, this.opts.maxDelayMs ?? 10 * 60_000, this.opts.random ?? Math.random);
    const nextAttemptAt = new Date(this.now().getTime() + wait).toISOString();
    await this.store.updateDelivery(d.id, { attempts, nextAttemptAt, lastError: message });
    log.warn({ attempts, retryInMs: wait, err: message }, 'send failed; will retry');
  }
}
