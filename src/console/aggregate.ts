// Day-bucketed counts of referrals, kept incrementally: a post's contribution is added when it is first
// seen and subtracted/re-added when it changes. A query sums at most one bucket per day in its range
// (≤ a few hundred), never the posts themselves.
import type { Contribution } from './contribution.ts';

export type Counts = Map<string, number>;

export interface Bucket {
  referrals: number;
  /** Referrals some digest already carried (for the college scope: carried to that college). */
  digested: number;
  openToAll: number;
  /** Held as suspected scams (status review). */
  scams: number;
  classes: Counts;
  companies: Counts;
  cities: Counts;
  cohorts: Counts;
  degrees: Counts;
}

/** '*' is every referral once, whatever the number of colleges it went to. */
export const ALL = '*';

const emptyBucket = (): Bucket => ({
  referrals: 0,
  digested: 0,
  openToAll: 0,
  scams: 0,
  classes: new Map(),
  companies: new Map(),
  cities: new Map(),
  cohorts: new Map(),
  degrees: new Map(),
});

function bump(m: Counts, key: string | undefined, by: number): void {
  if (!key) return;
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
      for (const k of c.classes) bump(b.classes, k, sign);
      bump(b.companies, c.company, sign);
      bump(b.cities, c.city, sign);
      bump(b.cohorts, c.cohort, sign);
      for (const d of c.degrees) bump(b.degrees, d, sign);
    }
    this.version++;
  }

  clear(): void {
    this.days.clear();
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
    const sums = { classes: new Map(), companies: new Map(), cities: new Map(), cohorts: new Map(), degrees: new Map() } as Record<
      'classes' | 'companies' | 'cities' | 'cohorts' | 'degrees',
      Counts
    >;
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
      for (const key of Object.keys(sums) as (keyof typeof sums)[]) for (const [k, n] of b[key]) sums[key].set(k, (sums[key].get(k) ?? 0) + n);
    }
    daily.sort((a, b) => a.day.localeCompare(b.day));
    const topOf = (m: Counts, n: number): [string, number][] => [...m].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, n);
    return {
      from,
      to,
      scope,
      ...out,
      daily,
      classes: topOf(sums.classes, top),
      companies: topOf(sums.companies, top),
      cities: topOf(sums.cities, top),
      cohorts: topOf(sums.cohorts, 50),
      degrees: topOf(sums.degrees, 20),
    };
  }
}
