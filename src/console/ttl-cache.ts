// A page's numbers, computed at most once per `ttlMs` per key. The feedback funnel and the alumni records
// walk every delivery, vote and ledger entry (tens of ms with a busy year); the console's other numbers
// are reconciled every 2 s too, so an admin never waits for that walk twice in a row. An action that
// changes what is shown (a reset) calls clear().
export class TtlCache<V> {
  private readonly entries = new Map<string, { at: number; value: V }>();

  constructor(
    private readonly ttlMs: number,
    private readonly clock: () => number = () => performance.now(),
    private readonly maxKeys = 32,
  ) {}

  get(key: string, compute: () => V): V {
    const now = this.clock();
    const hit = this.entries.get(key);
    if (hit && now - hit.at < this.ttlMs) return hit.value;
    const value = compute();
    if (this.entries.size >= this.maxKeys) this.entries.clear(); // keys are a few months or colleges: no LRU needed
    this.entries.set(key, { at: now, value });
    return value;
  }

  clear(): void {
    this.entries.clear();
  }
}
