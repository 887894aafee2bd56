// Pure: given the ledger, what has been sent (marks), the rules and `now`, which alumni messages are due.
// Each plan lists the requests and the marks to record once the requests are durable in the outbox;
// request ids are stable, so a plan made again after a crash queues nothing twice.
import { localDate, localDateTime } from '../time.ts';
import { ackText, dailyText, guideText, hintText, thanksText } from './compose.ts';
import { type LedgerEntry, senderKey, sourceMessageKey } from './ledger.ts';
import { type AlumniOutboxRequest, plain, requestId } from './requests.ts';
import { type AlumniConfig, groupKey } from './rules.ts';

export type Marks = ReadonlyMap<string, unknown>;

export interface Plan {
  requests: AlumniOutboxRequest[];
  /** Marks to set (value: ISO time or a small record) and to clear, after the requests are queued. */
  set: [string, unknown][];
  clear: string[];
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Acks are for fresh news: a referral first delivered longer ago than this is not acknowledged any more. */
export const ACK_FRESH_MS = 2 * DAY;
/** A reply ack waits for every routed college's digest, but not longer than this after the first. */
export const ACK_SETTLE_MS = DAY;
/** Hints go only to referrals posted this recently (a restart never hints at old posts). */
export const HINT_FRESH_MS = 6 * HOUR;
/** At most one hint per poster in this time, whatever they post. */
export const HINT_COOLDOWN_MS = 7 * DAY;
/** The monthly thanks goes out in the month's first days only; later it would be stale. */
export const THANKS_LAST_DAY = 7;

export const emptyPlan = (): Plan => ({ requests: [], set: [], clear: [] });
const ms = (iso: string | undefined) => (iso ? Date.parse(iso) : Number.NaN);
const afterSendAt = (now: Date, cfg: AlumniConfig) => localDateTime(now, cfg.timeZone).slice(11, 16) >= cfg.sendAt;

export function planAcks(entries: Iterable<LedgerEntry>, marks: Marks, cfg: AlumniConfig, now: Date): Plan {
  const plan = emptyPlan();
  const t = now.getTime();
  for (const e of entries) {
    const first = ms(e.reach.firstAt);
    if (!(t - first <= ACK_FRESH_MS)) continue;
    const routed = e.routedTo.filter((c) => cfg.colleges.has(c));
    const settled = routed.every((c) => e.reach.colleges.includes(c)) || t - first >= ACK_SETTLE_MS;
    if (!settled) continue;
    for (const s of e.sources) {
      if (cfg.sources.get(groupKey(s.platform, s.chat))?.ack !== 'reply') continue;
      const mark = `ack|${e.postId}|${sourceMessageKey(s)}`;
      if (marks.has(mark)) continue;
      plan.requests.push({
        id: requestId('ack', mark),
        kind: 'ack',
        channel: { platform: s.platform, chat: s.chat },
        message: plain(ackText(e, cfg)),
        replyTo: { messageId: s.messageId, senderId: s.senderId, senderName: s.senderName },
      });
      plan.set.push([mark, now.toISOString()]);
    }
  }
  return plan;
}

/** Clicks and 👍 a group's referrals got since its last summary: `fb|<group>`. */
export interface Feedback {
  clicks: number;
  likes: number;
}
export const feedbackMark = (group: string) => `fb|${group}`;

/** One summary per `ack: daily` group per local day, after `sendAt`, and only when there is news. */
export function planDaily(entries: readonly LedgerEntry[], marks: Marks, cfg: AlumniConfig, now: Date): Plan {
  const plan = emptyPlan();
  if (!afterSendAt(now, cfg)) return plan;
  const today = localDate(now, cfg.timeZone);
  const t = now.getTime();
  for (const [group, src] of cfg.sources) {
    if (src.ack !== 'daily') continue;
    const dayMark = `daily|${group}`;
    if ((marks.get(dayMark) as { day?: string } | undefined)?.day === today) continue;
    const included: LedgerEntry[] = [];
    const acked: string[] = [];
    for (const e of entries) {
      if (!(t - ms(e.reach.firstAt) <= ACK_FRESH_MS + DAY)) continue;
      const fresh = e.sources.filter((s) => groupKey(s.platform, s.chat) === group && !marks.has(`ack|${e.postId}|${sourceMessageKey(s)}`));
      if (!fresh.length) continue;
      included.push(e);
      for (const s of fresh) acked.push(`ack|${e.postId}|${sourceMessageKey(s)}`);
    }
    const fb = (marks.get(feedbackMark(group)) as Feedback | undefined) ?? { clicks: 0, likes: 0 };
    const text = dailyText({ entries: included, clicks: fb.clicks, likes: fb.likes }, cfg, today);
    if (!text) continue;
    plan.requests.push({ id: requestId('daily', `${group}|${today}`), kind: 'daily', channel: { platform: src.platform, chat: src.group }, message: plain(text) });
    plan.set.push([dayMark, { day: today, at: now.toISOString() }], ...acked.map((k): [string, unknown] => [k, now.toISOString()]));
    if (fb.clicks || fb.likes) plan.clear.push(feedbackMark(group));
  }
  return plan;
}

/** A hint once per poster per referral, to fresh referrals that lack how to apply or whom they suit. */
export function planHints(entries: Iterable<LedgerEntry>, marks: Marks, cfg: AlumniConfig, now: Date): Plan {
  const plan = emptyPlan();
  const t = now.getTime();
  const hintedNow = new Set<string>();
  for (const e of entries) {
    if (!e.missing.includes('apply') && !e.missing.includes('majors')) continue;
    for (const s of e.sources) {
      const posted = Math.max(ms(e.receivedAt), ms(s.sentAt) || 0);
      if (!(t - posted <= HINT_FRESH_MS)) continue;
      if (!cfg.sources.get(groupKey(s.platform, s.chat))?.hints) continue;
      const who = senderKey(s);
      const mark = `hint|${e.postId}|${who}`;
      if (marks.has(mark) || hintedNow.has(who)) continue;
      const last = ms(marks.get(`hintAt|${who}`) as string | undefined);
      if (t - last < HINT_COOLDOWN_MS) continue;
      hintedNow.add(who);
      plan.requests.push({
        id: requestId('hint', mark),
        kind: 'hint',
        channel: { platform: s.platform, chat: s.chat },
        message: plain(hintText(e.missing)),
        replyTo: { messageId: s.messageId, senderId: s.senderId, senderName: s.senderName },
      });
      plan.set.push([mark, now.toISOString()], [`hintAt|${who}`, now.toISOString()]);
    }
  }
  return plan;
}

/** ISO week of a local date: "2026-W47". */
export function isoWeek(day: string): { year: number; week: number } {
  const d = new Date(`${day}T00:00:00Z`);
  const dow = d.getUTCDay() || 7;
  d.setUTCDate(d.getUTCDate() + 4 - dow); // the Thursday of this week decides the year
  const year = d.getUTCFullYear();
  const week = Math.ceil(((d.getTime() - Date.UTC(year, 0, 1)) / DAY + 1) / 7);
  return { year, week };
}

/** The periodic guide: once per week, fortnight or month, after `sendAt`. */
export function planGuides(marks: Marks, cfg: AlumniConfig, now: Date): Plan {
  const plan = emptyPlan();
  if (!afterSendAt(now, cfg)) return plan;
  const today = localDate(now, cfg.timeZone);
  const { year, week } = isoWeek(today);
  for (const [group, src] of cfg.sources) {
    if (src.guideEvery === 'off') continue;
    const period = src.guideEvery === 'monthly' ? today.slice(0, 7) : src.guideEvery === 'weekly' ? `${year}-W${week}` : `${year}-F${Math.floor(week / 2)}`;
    const mark = `guide|${group}|${period}`;
    if (marks.has(mark)) continue;
    plan.requests.push({ id: requestId('guide', mark), kind: 'guide', channel: { platform: src.platform, chat: src.group }, message: plain(guideText(cfg)) });
    plan.set.push([mark, now.toISOString()]);
  }
  return plan;
}

export const previousMonth = (month: string): string => {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
};

/** The monthly thanks for last month, in each group that posted then, in the month's first days after `sendAt`. */
export function planThanks(entries: readonly LedgerEntry[], marks: Marks, cfg: AlumniConfig, optedOut: ReadonlySet<string>, now: Date): Plan {
  const plan = emptyPlan();
  const today = localDate(now, cfg.timeZone);
  if (Number(today.slice(8, 10)) > THANKS_LAST_DAY || !afterSendAt(now, cfg)) return plan;
  const month = previousMonth(today.slice(0, 7));
  for (const [group, src] of cfg.sources) {
    if (!src.thanks) continue;
    const mark = `thanks|${group}|${month}`;
    if (marks.has(mark)) continue;
    const text = thanksText(entries, month, group, cfg, optedOut);
    if (text) plan.requests.push({ id: requestId('thanks', mark), kind: 'thanks', channel: { platform: src.platform, chat: src.group }, message: plain(text) });
    plan.set.push([mark, now.toISOString()]);
  }
  return plan;
}

export function mergePlans(...plans: Plan[]): Plan {
  return { requests: plans.flatMap((p) => p.requests), set: plans.flatMap((p) => p.set), clear: plans.flatMap((p) => p.clear) };
}
