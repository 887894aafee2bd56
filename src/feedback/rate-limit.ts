// Token buckets keyed by a string (a voter's hash, a chat): `capacity` presses at once, refilled at
// `perMinute`. Time is a parameter. Idle buckets are forgotten so memory stays bounded by active keys.
export interface BucketOptions {
  capacity: number;
  perMinute: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly opts: BucketOptions) {}

  /** Takes one token for `key` at `nowMs`; false when the bucket is empty (the press is dropped). */
  take(key: string, nowMs: number): boolean {
    const { capacity, perMinute } = this.opts;
    const b = this.buckets.get(key);
    const tokens = b ? Math.min(capacity, b.tokens + ((nowMs - b.at) / 60_000) * perMinute) : capacity;
    if (this.buckets.size > 50_000) this.sweep(nowMs);
    if (tokens < 1) {
      this.buckets.set(key, { tokens, at: nowMs });
      return false;
    }
    this.buckets.set(key, { tokens: tokens - 1, at: nowMs });
    return true;
  }

  /** Drops buckets that have refilled completely (they behave as absent ones). */
  private sweep(nowMs: number): void {
    const full = (this.opts.capacity / this.opts.perMinute) * 60_000;
    for (const [k, b] of this.buckets) if (nowMs - b.at >= full) this.buckets.delete(k);
  }
}
