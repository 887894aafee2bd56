// Keeps the console's numbers current without scanning every post per request:
//  - archived months are read once (in the background, at start and after an erasure) into the aggregate;
//  - the hot posts (the store's recent window, the only ones that still change) are reconciled every
//    few seconds, or at once when the relay reports a change: a post whose stamp changed is subtracted
//    and added again;
//  - deliveries (hot only) are counted per status and per delivery day in the same pass.
// Requests read the results; they never walk the store.
import { join } from 'node:path';
import type { Delivery, Post } from '../domain.ts';
import type { Logger } from '../log.ts';
import type { Store } from '../store/store.ts';
import { localDate } from '../time.ts';
import { Aggregate } from './aggregate.ts';
import { contributionOf, stampOf, type Contribution } from './contribution.ts';
import { DailyCounters } from './daily-counters.ts';

export interface TrackerDeps {
  store: Store;
  timeZone: () => string;
  now: () => Date;
  dataDir: string;
  logger: Logger;
  /** How long the archive pass runs before the event loop's turn; default REBUILD_SLICE_MS (tests: 0, a slice per post). */
  sliceMs?: number;
}

/** How long the archive pass runs before it gives the event loop a turn. */
const REBUILD_SLICE_MS = 10;

interface HotEntry {
  stamp: string;
  c: Contribution;
  pass: number;
}

export interface DeadlineItem {
  postId: string;
  deadline: string;
  company?: string;
  city?: string;
  colleges: string[];
}

export interface TrackerEvents {
  /** A delivery seen delivered for the first time: seconds from the digest to the last part out. */
  delivered?(seconds: number): void;
  /** A digest seen for the first time, with its number of referrals. */
  digest?(items: number): void;
}

export class ConsoleTracker {
  agg = new Aggregate();
  readonly daily: DailyCounters;
  private hot = new Map<string, HotEntry>();
  private pass = 0;
  private tz: string;
  /** True until the archived months are in the aggregate. */
  building = true;
  ready: Promise<void> = Promise.resolve();
  readonly held = new Set<string>();
  undigested = new Map<string, number>();
  deliveryCounts = { pending: 0, delivered: 0, dead: 0 };
  deliveredByDay = new Map<string, number>();
  deadIds: string[] = [];
  private seenDelivered = new Set<string>();
  private seenDigests = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Bumped by each rebuild: an older one still running gives up. */
  private rebuilds = 0;
  private deadlineCache: { version: number; today: string; items: DeadlineItem[] } | undefined;
  /** ms the last reconcile pass took (for the bench and the log). */
  lastSyncMs = 0;

  constructor(
    private readonly deps: TrackerDeps,
    private readonly events: TrackerEvents = {},
  ) {
    this.tz = deps.timeZone();
    this.daily = new DailyCounters(join(deps.dataDir, 'console', 'daily-counters.json'));
    this.primeSeen();
  }

  /** Deliveries and digests that existed before the console started are not observed as new. */
  private primeSeen(): void {
    for (const d of this.deps.store.deliveries()) if (d.status === 'delivered') this.seenDelivered.add(d.id);
    for (const g of this.deps.store.digests()) this.seenDigests.add(g.id);
  }

  /** Reconciles now, reads the archive in the background, and keeps reconciling every `intervalMs`. */
  start(intervalMs = 2000): void {
    if (this.stopped) return;
    this.sync();
    this.ready = this.rebuild();
    const tick = () => {
      try {
        this.sync();
      } catch (err) {
        this.deps.logger.error({ err }, 'console: reconcile failed');
      }
    };
    this.timer = setInterval(tick, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    this.daily.flush();
  }

  private today(): string {
    return localDate(this.deps.now(), this.tz);
  }

  /** One pass over the hot posts and deliveries: O(hot), run by the timer, never per request. */
  sync(): void {
    const t0 = performance.now();
    const tz = this.deps.timeZone();
    if (tz !== this.tz) {
      this.tz = tz;
      this.ready = this.rebuild();
    }
    const { store } = this.deps;
    const pass = ++this.pass;
    const undigested = new Map<string, number>();
    this.held.clear();
    for (const p of store.posts()) {
      this.track(p, pass);
      if (p.status === 'review') this.held.add(p.id);
      else if (p.status === 'active') {
        for (const c of p.classification.colleges) if (!p.digestedFor.includes(c)) undigested.set(c, (undigested.get(c) ?? 0) + 1);
      }
    }
    this.undigested = undigested;
    const archived = new Set(store.archivedMonths().map((m) => m.month));
    for (const [id, e] of this.hot) {
      if (e.pass === pass) continue;
      this.hot.delete(id);
      // Moved to the archive: its contribution stays. Pruned or erased: it goes.
      // (Months are UTC in the store and local here: at worst a post of a month's last hours is misjudged.)
      if (!archived.has(e.c.day.slice(0, 7))) this.agg.apply(e.c, -1);
    }
    this.syncDeliveries();
    this.daily.sample(store.counters(), this.today());
    this.lastSyncMs = performance.now() - t0;
  }

  /** Applies one post now (the relay may call this on every store change; sync does the same later). */
  track(p: Post, pass = this.pass): void {
    const stamp = stampOf(p);
    const e = this.hot.get(p.id);
    if (e && e.stamp === stamp) {
      e.pass = pass;
      return;
    }
    const c = contributionOf(p, this.tz);
    if (e) this.agg.apply(e.c, -1);
    this.agg.apply(c, 1);
    this.hot.set(p.id, { stamp, c, pass });
  }

  private syncDeliveries(): void {
    const { store } = this.deps;
    const counts = { pending: 0, delivered: 0, dead: 0 };
    const byDay = new Map<string, number>();
    const dead: Delivery[] = [];
    for (const d of store.deliveries()) {
      counts[d.status]++;
      if (d.status === 'dead') dead.push(d);
      if (d.status === 'delivered' && d.deliveredAt) {
        const day = localDate(new Date(d.deliveredAt), this.tz);
        byDay.set(day, (byDay.get(day) ?? 0) + 1);
        if (!this.seenDelivered.has(d.id)) {
          this.seenDelivered.add(d.id);
          this.events.delivered?.((Date.parse(d.deliveredAt) - Date.parse(d.createdAt)) / 1000);
        }
      }
    }
    this.deliveryCounts = counts;
    this.deliveredByDay = byDay;
    this.deadIds = dead.sort((a, b) => b.createdAt.localeCompare(a.createdAt)).map((d) => d.id);
    for (const g of store.digests()) {
      if (this.seenDigests.has(g.id)) continue;
      this.seenDigests.add(g.id);
      if (g.collegeId.startsWith('@')) continue; // alumni messages ('@alumni') and personal digests ('@personal'): not college digests
      this.events.digest?.(g.postIds.length);
    }
    this.daily.flush();
  }

  /**
   * Reads every archived post into a fresh aggregate, ≈ 10 ms at a time with the event loop's turn in
   * between, then swaps it in with the current hot contributions added, in one synchronous step. (A
   * month in one go, 3k posts at 100k stored, held every message and page for 100–230 ms, 2026-12.)
   * A newer rebuild supersedes a running one; a month file rewritten or added during the pass starts it again.
   */
  async rebuild(): Promise<void> {
    const generation = ++this.rebuilds;
    this.building = true;
    const fresh = new Aggregate();
    const tz = this.tz;
    const store = this.deps.store;
    // What each month file was when it was read: the pass is over the files as they are when it ends.
    const stamps = new Map<string, string | undefined>();
    const unchanged = () => {
      const months = store.archivedMonths();
      return months.length === stamps.size && months.every(({ month }) => stamps.has(month) && store.archivedMonthStamp(month) === stamps.get(month));
    };
    let failed = false;
    try {
      // Archived posts are history (hot posts are reconciled by sync), read once at start, one parsed
      // line at a time: no month is ever whole in memory.
      for (const { month } of store.archivedMonths()) {
        const stamp = store.archivedMonthStamp(month);
        stamps.set(month, stamp);
        for (let from: number | undefined = 0; from !== undefined; ) {
          if (from > 0 && store.archivedMonthStamp(month) !== stamp) {
            this.ready = this.rebuild();
            return;
          }
          const until = performance.now() + (this.deps.sliceMs ?? REBUILD_SLICE_MS);
          from = store.forEachArchivedPost(
            month,
            (p) => {
              if (!store.postById(p.id)) fresh.apply(contributionOf(p, tz), 1);
              return performance.now() < until;
            },
            from,
          );
          await new Promise((r) => setImmediate(r));
          if (generation !== this.rebuilds || this.stopped) return;
        }
      }
    } catch (err) {
      failed = true;
      this.deps.logger.error({ err }, 'console: reading the archive failed; history charts show recent months only');
    }
    if (generation !== this.rebuilds || tz !== this.tz) return; // a newer rebuild is running
    if (!failed && !unchanged()) {
      // A month already read was rewritten, or a new one archived, while the pass went on.
      this.ready = this.rebuild();
      return;
    }
    for (const e of this.hot.values()) fresh.apply(e.c, 1);
    fresh.version = this.agg.version + 1;
    this.agg = fresh;
    this.building = false;
  }

  /** Active referrals whose deadline is today or later, soonest first (cached per aggregate version). */
  deadlines(limit = 50): DeadlineItem[] {
    const today = this.today();
    const c = this.deadlineCache;
    if (c && c.version === this.agg.version && c.today === today) return c.items.slice(0, limit);
    const items: DeadlineItem[] = [];
    for (const [postId, e] of this.hot) {
      if (e.c.kind === 'referral' && e.c.deadline && e.c.deadline >= today) {
        items.push({ postId, deadline: e.c.deadline, company: e.c.company, city: e.c.city, colleges: e.c.colleges });
      }
    }
    items.sort((a, b) => a.deadline.localeCompare(b.deadline));
    this.deadlineCache = { version: this.agg.version, today, items: items.slice(0, 500) };
    return items.slice(0, limit);
  }

  deliveredBetween(from: string, to: string): number {
    let n = 0;
    for (const [day, k] of this.deliveredByDay) if (day >= from && day <= to) n += k;
    return n;
  }
}
