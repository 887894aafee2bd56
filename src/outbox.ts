// Sends due deliveries through the adapters, in order per channel, with retries and a dead letter.
// A delivery's parts go out one by one and `sentParts` is saved after each, so a restart resumes
// where it stopped instead of sending the whole digest again.
//
// Exactly-once where the platform helps: every part carries `idempotencyKey = ${delivery.id}-${part}`
// (Lark sends it as `uuid` and drops a repeat). Elsewhere a crash after the platform accepted a part and
// before its mark is durable sends that one part again on restart; `markWindowsMs` measures that window
// (the store acknowledges the mark after its journal line is fdatasync'ed).
import type { Delivery, Platform } from './domain.ts';
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
}

/** Full-jitter exponential backoff: a random wait up to base·2^(attempt-1), capped. */
export function backoffMs(attempt: number, base: number, cap: number, random: () => number): number {
  const ceiling = Math.min(cap, base * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** How many recent mark windows `markWindowsMs` keeps. */
const WINDOW_SAMPLES = 10_000;

export class Outbox {
  /** Recent windows, in ms, between the platform accepting a part and its mark being durable. */
  readonly markWindowsMs: number[] = [];
  private draining: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Store,
    private readonly adapterFor: (platform: Platform) => ChatAdapter | undefined,
    private readonly logger: Logger,
    private readonly opts: OutboxOptions,
  ) {}

  /** Sends everything that is due now. Concurrent calls coalesce into one more pass. */
  drain(): Promise<void> {
    if (this.draining) {
      this.again = true;
      return this.draining;
    }
    this.draining = (async () => {
      do {
        this.again = false;
        await this.pass();
      } while (this.again);
    })().finally(() => (this.draining = undefined));
    return this.draining;
  }

  /** Drains every `intervalMs` (retries come due between digests). */
  start(intervalMs = 1000): void {
    const tick = () => {
      this.drain()
        .catch((err) => this.logger.error({ err }, 'outbox pass failed'))
        .finally(() => {
          if (this.timer) this.timer = setTimeout(tick, intervalMs);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.draining;
  }

  private now(): Date {
    return this.opts.now?.() ?? new Date();
  }

  /**
   * One lane per channel: in order within a channel (a waiting delivery holds back the later ones),
   * channels in parallel, so one slow or rate-limited chat never delays the others.
   */
  private async pass(): Promise<void> {
    const now = this.now().toISOString();
    const lanes = new Map<string, Delivery[]>();
    for (const d of this.store.pendingDeliveries()) {
      const channel = `${d.channel.platform}:${d.channel.chat}`;
      const lane = lanes.get(channel);
      if (lane) lane.push(d);
      else lanes.set(channel, [d]);
    }
    await Promise.all(
      [...lanes.values()].map(async (lane) => {
        for (const d of lane) {
          if (d.nextAttemptAt > now) return;
          if (!(await this.send(d))) return;
        }
      }),
    );
  }

  private async send(d: Delivery): Promise<boolean> {
    const log = this.logger.child({ delivery: d.id, channel: `${d.channel.platform}:${d.channel.chat}` });
    const adapter = this.adapterFor(d.channel.platform);
    if (!adapter) {
      await this.fail(d, new AdapterError(d.channel.platform, 'send', 'no adapter is running for this platform'), log);
      return false;
    }
    try {
      const done = () => ({ status: 'delivered' as const, deliveredAt: this.now().toISOString(), lastError: undefined });
      for (let i = d.sentParts; i < d.parts.length; i++) {
        await adapter.send(d.channel.chat, d.parts[i]!, { idempotencyKey: `${d.id}-${i}` });
        const accepted = performance.now();
        // The last part's mark also marks the delivery delivered: one durable write, not two.
        await this.store.updateDelivery(d.id, i === d.parts.length - 1 ? { sentParts: i + 1, ...done() } : { sentParts: i + 1 });
        this.markWindowsMs.push(performance.now() - accepted);
        if (this.markWindowsMs.length > WINDOW_SAMPLES) this.markWindowsMs.splice(0, this.markWindowsMs.length - WINDOW_SAMPLES);
      }
      if (d.status !== 'delivered') await this.store.updateDelivery(d.id, done());
      log.info({ parts: d.parts.length, attempts: d.attempts + 1 }, 'digest delivered');
      return true;
    } catch (err) {
      await this.fail(d, err, log);
      return false;
    }
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
