// Day-bucketed counts of referrals, kept incrementally: a post's contribution is added when it is first
// seen and subtracted/re-added when it changes. A query sums at most one bucket per day in its range
// (≤ a few hundred), never the posts themselves.
import type { Contribution } from './contribution.ts';

export type Counts = Map<string, number>;

/** The breakdowns a summary lists, in the order their index is written into a bucket's keys. */
const DIMS = ['classes', 'companies', 'cities', 'cohorts', 'degrees'] as const;
type Dim = (typeof DIMS)[number];

export interface Bucket {
  referrals: number;
  /** Referrals some digest already carried (for the college scope: carried to that college). */
  digested: number;
  openToAll: number;
  /** Held as suspected scams (status review). */
  scams: number;
  /**
   * Every breakdown in one map, keyed by the dimension's index in DIMS then the value ('1华为'), made
   * only when the bucket first counts one. WHY: a day has a bucket per scope, ≈ 7,400 over 100k posts;
   * five Maps each were 37k Maps and ≈ 12 MB of hash tables (heap snapshot, 2026-12-01).
   */
  counts?: Counts;
}

/** '*' is every referral once, whatever the number of colleges it went to. */
export const ALL = '*';

const emptyBucket = (): Bucket => ({ referrals: 0, digested: 0, openToAll: 0, scams: 0 });

/** One string per distinct key, shared by every bucket that counts it (a concatenation is a new string each time). */
function intern(keys: Map<string, string>, dim: Dim, value: string): string {
  const k = `${DIMS.indexOf(dim)}${value}`;
  const known = keys.get(k);
  if (known) return known;
  keys.set(k, k);
  return k;
}

function bump(keys: Map<string, string>, b: Bucket, dim: Dim, value: string | undefined, by: number): void {
  if (!value) return;
  const m = (b.counts ??= new Map());
  const key = intern(keys, dim, value);
  const n = (m.get(key) ?? 0) + by;
  if (n === 0) m.delete(key);
  else m.set(key, n);
}

export interface RangeSummary {
  from: string;
  to: string;
  scope: string;
  referrals: number;
  digested: number;
  openToAll: number;
  scams: number;
  /** One entry per day in range with any data: day → referrals per scope (ALL and each college). */
  daily: { day: string; referrals: number; digested: number; scams: number; byCollege: Record<string, number> }[];
  classes: [string, number][];
  companies: [string, number][];
  cities: [string, number][];
  cohorts: [string, number][];
  degrees: [string, number][];
}

export class Aggregate {
  private readonly days = new Map<string, Map<string, Bucket>>();
  private readonly keys = new Map<string, string>();
  /** Bumped on every change: query caches key on it. */
  version = 0;

  apply(c: Contribution, sign: 1 | -1): void {
    if (c.kind === 'none') return;
    let day = this.days.get(c.day);
    if (!day) this.days.set(c.day, (day = new Map()));
    const scopes = [ALL, ...c.colleges];
    for (const scope of scopes) {
      let b = day.get(scope);
      if (!b) day.set(scope, (b = emptyBucket()));
      if (c.kind === 'scam') {
        b.scams += sign;
        continue;
      }
      b.referrals += sign;
      if (scope === ALL ? c.digestedFor.length > 0 : c.digestedFor.includes(scope)) b.digested += sign;
      if (c.openToAll) b.openToAll += sign;
      for (const k of c.classes) bump(this.keys, b, 'classes', k, sign);
      bump(this.keys, b, 'companies', c.company, sign);
      bump(this.keys, b, 'cities', c.city, sign);
      bump(this.keys, b, 'cohorts', c.cohort, sign);
      for (const d of c.degrees) bump(this.keys, b, 'degrees', d, sign);
    }
    this.version++;
  }

  clear(): void {
    this.days.clear();
    this.keys.clear();
    this.version++;
  }

  /** Referrals per scope over every day held (no dimension maps touched: cheap enough per scrape). */
  totals(): Map<string, number> {
    const out = new Map<string, number>();
    for (const scopes of this.days.values()) for (const [s, b] of scopes) if (b.referrals) out.set(s, (out.get(s) ?? 0) + b.referrals);
    return out;
  }

  /** Days held, oldest first. */
  dayKeys(): string[] {
    return [...this.days.keys()].sort();
  }

  /** Sums the buckets of days from..to (inclusive, YYYY-MM-DD) for one scope; top lists cut to `top`. */
  summarize(from: string, to: string, scope: string, top = 20): RangeSummary {
    const out = { referrals: 0, digested: 0, openToAll: 0, scams: 0 };
    const sums = DIMS.map((): Counts => new Map());
    const daily: RangeSummary['daily'] = [];
    for (const [day, scopes] of this.days) {
      if (day < from || day > to) continue;
      const b = scopes.get(scope);
      const byCollege: Record<string, number> = {};
      for (const [s, cb] of scopes) if (s !== ALL && cb.referrals) byCollege[s] = cb.referrals;
      if (!b) continue;
      daily.push({ day, referrals: b.referrals, digested: b.digested, scams: b.scams, byCollege });
      out.referrals += b.referrals;
      out.digested += b.digested;
      out.openToAll += b.openToAll;
      out.scams += b.scams;
      for (const [key, n] of b.counts ?? []) {
        const sum = sums[Number(key[0])]!;
        const value = key.slice(1);
        sum.set(value, (sum.get(value) ?? 0) + n);
      }
    }
    daily.sort((a, b) => a.day.localeCompare(b.day));
    const topOf = (m: Counts, n: number): [string, number][] => [...m].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, n);
    return {
      from,
      to,
      scope,
      ...out,
      daily,
      classes: topOf(sums[0]!, top),
      companies: topOf(sums[1]!, top),
      cities: topOf(sums[2]!, top),
      cohorts: topOf(sums[3]!, 50),
      degrees: topOf(sums[4]!, 20),
    };
  }
}
