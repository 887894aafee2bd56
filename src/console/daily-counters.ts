// Messages received per local day. The store keeps only running totals, so the console samples them
// and books each increase on the day it saw it; the file survives restarts (atomic temp + rename).
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Counters } from '../store/store.ts';

export type CounterKey = 'received' | 'stored' | 'merged' | 'scams' | 'notJob' | 'ignored';
const KEYS: CounterKey[] = ['received', 'stored', 'merged', 'scams', 'notJob', 'ignored'];
type DayCounts = Partial<Record<CounterKey, number>>;

interface FileShape {
  version: 1;
  last: Partial<Counters>;
  days: Record<string, DayCounts>;
}

const KEEP_DAYS = 800;

export class DailyCounters {
  private data: FileShape;
  private dirty = false;

  constructor(private readonly file: string) {
    this.data = { version: 1, last: {}, days: {} };
    try {
      const read = JSON.parse(readFileSync(file, 'utf8')) as FileShape;
      if (read && read.version === 1 && typeof read.days === 'object') this.data = read;
    } catch {
      // First start, or an unreadable file: counting starts now.
    }
  }

  /** Books the increase since the last sample on `day`. The first sample ever is only a baseline. */
  sample(counters: Counters, day: string): void {
    const first = Object.keys(this.data.last).length === 0;
    for (const k of KEYS) {
      const before = this.data.last[k];
      const now = counters[k];
      // A smaller total means the store was reset or replaced: take it as the new baseline.
      if (!first && before !== undefined && now > before) {
        const d = (this.data.days[day] ??= {});
        d[k] = (d[k] ?? 0) + (now - before);
        this.dirty = true;
      }
      if (before !== now) this.dirty = true;
      this.data.last[k] = now;
    }
  }

  /** Sum of `key` over days from..to inclusive. */
  sum(key: CounterKey, from: string, to: string): number {
    let n = 0;
    for (const [day, c] of Object.entries(this.data.days)) if (day >= from && day <= to) n += c[key] ?? 0;
    return n;
  }

  byDay(key: CounterKey): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [day, c] of Object.entries(this.data.days)) if (c[key]) out[day] = c[key]!;
    return out;
  }

  /** Writes when anything changed (temp file + rename, so a crash leaves the old or the new file). */
  flush(): void {
    if (!this.dirty) return;
    const days = Object.keys(this.data.days).sort();
    for (const d of days.slice(0, Math.max(0, days.length - KEEP_DAYS))) delete this.data.days[d];
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.data));
    renameSync(tmp, this.file);
    this.dirty = false;
  }
}
