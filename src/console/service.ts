// What the pages and the JSON API show, computed from the tracker (aggregates) and the store's point
// lookups. Nothing here iterates every post: ranges sum day buckets, lists come from tracked id sets.
import { composeDigest } from '../digest/compose.ts';
import type { Delivery, OutboundMessage, Platform, Post } from '../domain.ts';
import type { ConsoleDeps } from '../http/deps.ts';
import type { Rules } from '../rules/schema.ts';
import { localDate, localDateTime } from '../time.ts';
import { ALL, type RangeSummary } from './aggregate.ts';
import type { ConsoleTracker } from './tracker.ts';

const DAY = 86_400_000;

export function shiftDay(day: string, by: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + by * DAY).toISOString().slice(0, 10);
}

export interface Funnel {
  label: string;
  from: string;
  to: string;
  messages: number;
  referrals: number;
  digested: number;
  delivered: number;
  scams: number;
}

export interface PreviewCollege {
  id: string;
  name: string;
  items: number;
  channels: { platform: Platform; chat: string; name?: string; parts: OutboundMessage[] }[];
}

export class ConsoleService {
  private cache = new Map<string, { version: number; value: RangeSummary }>();

  constructor(
    readonly deps: ConsoleDeps,
    readonly tracker: () => ConsoleTracker,
  ) {}

  get tz(): string {
    return this.deps.rules().defaults.timezone;
  }

  today(): string {
    return localDate(this.deps.now(), this.tz);
  }

  collegeName(id: string): string {
    return this.deps.rules().colleges.find((c) => c.id === id)?.name ?? id;
  }

  /** Day buckets summed for a range and scope; cached until the aggregate changes. */
  summary(from: string, to: string, scope = ALL, top = 20): RangeSummary {
    const t = this.tracker();
    const key = `${from}|${to}|${scope}|${top}`;
    const hit = this.cache.get(key);
    if (hit && hit.version === t.agg.version) return hit.value;
    const value = t.agg.summarize(from, to, scope, top);
    if (this.cache.size > 200) this.cache.clear();
    this.cache.set(key, { version: t.agg.version, value });
    return value;
  }

  funnels(): Funnel[] {
    const today = this.today();
    const t = this.tracker();
    return [
      ['今日', 0],
      ['近 7 天', 6],
      ['近 30 天', 29],
    ].map(([label, back]) => {
      const from = shiftDay(today, -(back as number));
      const s = this.summary(from, today);
      return {
        label: label as string,
        from,
        to: today,
        messages: t.daily.sum('received', from, today),
        referrals: s.referrals,
        digested: s.digested,
        delivered: t.deliveredBetween(from, today),
        scams: s.scams,
      };
    });
  }

  colleges(): { id: string; name: string; backlog: number; next: string | null; channels: number }[] {
    const runs = new Map(this.deps.nextRuns().map((r) => [r.collegeId, r.next]));
    const t = this.tracker();
    return this.deps.rules().colleges.map((c) => {
      const next = runs.get(c.id);
      return { id: c.id, name: c.name, backlog: t.undigested.get(c.id) ?? 0, next: next ? localDateTime(next, this.tz) : null, channels: c.channels.length };
    });
  }

  held(): Post[] {
    const out: Post[] = [];
    for (const id of this.tracker().held) {
      const p = this.deps.store.postById(id);
      if (p && p.status === 'review') out.push(p);
    }
    return out.sort((a, b) => b.receivedAt.localeCompare(a.receivedAt));
  }

  deadLetters(limit = 100): Delivery[] {
    const byId = new Map<string, Delivery>();
    // deliveries() is the hot outbox (hundreds to a few thousand rows), not the posts.
    for (const d of this.deps.store.deliveries()) if (d.status === 'dead') byId.set(d.id, d);
    return this.tracker()
      .deadIds.map((id) => byId.get(id))
      .filter((d): d is Delivery => Boolean(d))
      .slice(0, limit);
  }

  /** The next digest of each college (or one), rendered for each of its channels' platforms. */
  preview(collegeId?: string): PreviewCollege[] {
    // Composing walks each college's backlog and renders it: cached until a post changes, the rules are
    // reloaded, or the minute turns (deadline flags and "today" depend on the clock).
    const rules = this.deps.rules();
    const now = this.deps.now();
    const key = `${this.tracker().agg.version}|${Math.floor(now.getTime() / 60_000)}|${collegeId ?? ''}`;
    const hit = this.previewCache;
    if (hit && hit.key === key && hit.rules === rules) return hit.value;
    const value = this.composePreview(rules, now, collegeId);
    this.previewCache = { key, rules, value };
    return value;
  }

  private previewCache: { key: string; rules: Rules; value: PreviewCollege[] } | undefined;

  private composePreview(rules: Rules, now: Date, collegeId?: string): PreviewCollege[] {
    return rules.colleges
      .filter((c) => !collegeId || c.id === collegeId)
      .map((c) => {
        const composed = composeDigest(rules, c, this.deps.store.undigestedFor(c.id), now, 'preview');
        return {
          id: c.id,
          name: c.name,
          items: composed?.digest.items.length ?? 0,
          channels: composed ? c.channels.map((ch) => ({ platform: ch.platform, chat: ch.chat, name: ch.name, parts: composed.render(ch.platform) })) : [],
        };
      });
  }

  /** Senders of recent posts whose id or display name is `query` (hot window; ids reach the archive too). */
  findSenders(query: string): { senderId: string; names: string[]; posts: number; platforms: string[] }[] {
    const q = query.trim();
    if (!q) return [];
    const found = new Map<string, { names: Set<string>; posts: number; platforms: Set<string> }>();
    for (const p of this.deps.store.posts()) {
      for (const s of p.sources) {
        if (s.senderId !== q && s.senderName !== q) continue;
        const f = found.get(s.senderId) ?? { names: new Set(), posts: 0, platforms: new Set() };
        f.names.add(s.senderName);
        f.posts++;
        f.platforms.add(s.platform);
        found.set(s.senderId, f);
      }
    }
    return [...found].map(([senderId, f]) => ({ senderId, names: [...f.names], posts: f.posts, platforms: [...f.platforms] }));
  }
}
