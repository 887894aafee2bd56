// Personal subscriptions: a student's majors and the time of their own digest. Pure functions over
// plain data; state.ts keeps them. Stored minimally: platform, the platform's user id (needed to
// write to them), the codes, the time — no name.
import type { Catalog } from '../catalog.ts';
import { foldWidth } from '../classify/normalize.ts';
import type { Delivery, Platform, Post } from '../domain.ts';
import { localDate } from '../time.ts';

export interface Subscription {
  platform: Platform;
  userId: string;
  /** 4-digit class codes and 6-character major codes, e.g. ['0806', '080601']. */
  codes: string[];
  /** HH:MM in the rules' time zone. */
  time: string;
  createdAt: string;
  /** ISO time of the last personal digest (absent: none yet). */
  lastSentAt?: string;
}

export const DEFAULT_TIME = '20:00';

export type Resolution =
  | { ok: true; code: string; name: string }
  | { ok: false; query: string; suggestions: { code: string; name: string }[] };

interface Entry {
  code: string;
  name: string;
  folded: string;
}

/** Character bigrams of a folded name (a one-character name is its own bigram). */
function bigrams(s: string): Set<string> {
  const out = new Set<string>();
  if (s.length === 1) out.add(s);
  for (let i = 0; i + 1 < s.length; i++) out.add(s.slice(i, i + 2));
  return out;
}

/** Dice coefficient of two bigram sets. */
function dice(a: Set<string>, b: Set<string>): number {
  if (!a.size || !b.size) return 0;
  let n = 0;
  for (const x of a) if (b.has(x)) n++;
  return (2 * n) / (a.size + b.size);
}

/** A name holding the query scores ½; a query holding a name, ½ × the name's share of it (自动化 in 电气工程自动化 less than the longer match). */
const containment = (q: string, name: string): number => (name.includes(q) ? 0.5 : q.length >= 2 && q.includes(name) ? (0.5 * name.length) / q.length : 0);

/** Resolves `订阅` arguments against the catalog: codes, then exact names, then a did-you-mean list. */
export function createResolver(catalog: Catalog): (query: string) => Resolution {
  const entries: Entry[] = [
    ...[...catalog.classes.values()].map((c) => ({ code: c.code, name: c.name, folded: foldWidth(c.name) })),
    ...catalog.majors.map((m) => ({ code: m.code, name: m.name, folded: foldWidth(m.name) })),
  ];
  const byCode = new Map(entries.map((e) => [e.code.toLowerCase(), e]));
  const byName = new Map(entries.map((e) => [e.folded, e]));
  const grams = entries.map((e) => bigrams(e.folded));
  return (query) => {
    const q = foldWidth(query.trim());
    const exact = byCode.get(q) ?? byName.get(q) ?? byName.get(q.replace(/专业$/, ''));
    if (exact) return { ok: true, code: exact.code, name: exact.name };
    const qg = bigrams(q);
    const scored = entries
      .map((e, i) => ({ e, s: dice(qg, grams[i]!) + containment(q, e.folded) }))
      .filter((x) => x.s >= 0.3)
      .sort((a, b) => b.s - a.s || a.e.code.localeCompare(b.e.code))
      .slice(0, 3);
    return { ok: false, query, suggestions: scored.map((x) => ({ code: x.e.code, name: x.e.name })) };
  };
}

/** Minutes since local midnight and the local date of `now` in `timeZone`. */
function localClock(now: Date, timeZone: string): { date: string; minutes: number } {
  const f = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const [h, m] = f.format(now).split(':').map(Number) as [number, number];
  return { date: localDate(now, timeZone), minutes: h * 60 + m };
}

const minutesOf = (time: string): number => Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));

/**
 * Subscriptions whose personal digest is due at `now`: their local time has come today and nothing
 * was sent to them since it did. A relay that was down at 20:00 sends at its next check the same day.
 * A new subscription counts from its creation: made at 20:30 for 20:00, its first digest is tomorrow's
 * (not one at once, which would not be "at a time of their choice").
 */
export function dueSubscriptions(now: Date, subs: readonly Subscription[], timeZone = 'Asia/Shanghai'): Subscription[] {
  const { date, minutes } = localClock(now, timeZone);
  return subs.filter((s) => {
    const at = minutesOf(s.time);
    if (minutes < at) return false;
    // Due unless the last one went out (or the subscription was made) at or after today's time.
    const l = localClock(new Date(s.lastSentAt ?? s.createdAt), timeZone);
    return l.date < date || (l.date === date && l.minutes < at);
  });
}

/** Whether a post suits a subscription: one of its classes or named majors is subscribed. */
export function suits(post: Post, sub: Pick<Subscription, 'codes'>): boolean {
  const c = post.classification;
  for (const code of sub.codes) {
    if (code.length === 4 && c.classes.some((k) => k.code === code)) return true;
    if (code.length > 4 && c.classes.some((k) => k.code === code.slice(0, 4))) return true;
  }
  return false;
}

/**
 * The posts of one personal digest: active referrals that suit it, received since the last one
 * (for a first digest: since the subscription, and at least the last day), not yet closed; oldest
 * first, at most `max`.
 */
export function postsForSubscription(sub: Subscription, posts: Iterable<Post>, now: Date, timeZone: string, max = 20): Post[] {
  // A first digest holds what came since the subscription was made, and at least the last day: a turn
  // taken late (the relay was down at 20:00) must not lose the posts of the hours before it.
  const since = sub.lastSentAt ?? new Date(Math.min(now.getTime() - 86_400_000, Date.parse(sub.createdAt))).toISOString();
  const today = localDate(now, timeZone);
  const out: Post[] = [];
  for (const p of posts) {
    if (p.status !== 'active' || !p.classification.isJob || p.receivedAt <= since || p.receivedAt > now.toISOString()) continue;
    const deadline = p.classification.fields.deadline;
    if (deadline !== undefined && deadline < today) continue;
    if (suits(p, sub)) out.push(p);
  }
  out.sort((a, b) => a.receivedAt.localeCompare(b.receivedAt));
  return out.slice(0, max);
}

/** The collegeId of a personal digest's record (composed in personal-digest.ts): no college id starts with '@'. */
export const PERSONAL_DIGEST = '@personal';

/** Personal digests in a row that could not be delivered before a subscription is ended. */
export const UNREACHABLE_AFTER = 2;

/**
 * The subscriptions (of `subs`) nobody can reach: the last `after` personal digests sent to them since
 * they subscribed all died in the outbox (the person blocked the bot, left the platform, or — WeChat's
 * web protocol — a new login made their session-scoped id mean nobody). One failure is not enough: an
 * outage that outlasted the retries must not end anyone's subscription.
 */
export function unreachable(subs: readonly Subscription[], deliveries: Iterable<Delivery>, after = UNREACHABLE_AFTER): Subscription[] {
  if (!subs.length) return [];
  const key = (platform: string, chat: string) => `${platform}\u0000${chat}`;
  const mine = new Map(subs.map((s) => [key(s.platform, s.userId), [] as Delivery[]]));
  for (const d of deliveries) {
    if (d.collegeId === PERSONAL_DIGEST && d.direct) mine.get(key(d.channel.platform, d.channel.chat))?.push(d);
  }
  return subs.filter((s) => {
    const last = mine
      .get(key(s.platform, s.userId))!
      .filter((d) => Date.parse(d.createdAt) >= Date.parse(s.createdAt))
      .sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt))
      .slice(-after);
    return last.length >= after && last.every((d) => d.status === 'dead');
  });
}
