// Pure: what the 校友 page shows. The records are the alumni module's own (AlumniService.contributors, the
// same aggregation as `report contributors`); this only names people as the rules allow and counts mentors.
import type { Contributor } from '../alumni/compose.ts';
import type { MentorState, RequestStatus } from '../alumni/mentors.ts';
import type { AlumniConfig } from '../alumni/rules.ts';
import { attribute } from '../digest/privacy.ts';

export interface ContributorLine extends Contributor {
  platform: string;
  senderId: string;
  /** The name as the monthly thanks would print it (privacy.attribution), or why none is shown. */
  shown: string;
  named: boolean;
  optedOut: boolean;
}

/**
 * Names per `privacy.attribution` (name | initials | none) and `/relay optout`: the console shows what the
 * monthly thanks would print, not more. The sender id stays, as `report contributors` prints it: it is
 * what `forget` takes.
 */
export function contributorLines(rows: readonly Contributor[], optedOut: ReadonlySet<string>, attribution: AlumniConfig['attribution']): ContributorLine[] {
  return rows.map((r) => {
    const [platform = '', ...id] = r.key.split(':');
    const out = optedOut.has(r.key);
    const shown = out ? undefined : attribute(r.name, attribution);
    return { ...r, platform, senderId: id.join(':'), optedOut: out, named: shown !== undefined, shown: shown ?? (out ? '不署名（本人选择）' : '不署名（隐私设置）') };
  });
}

export interface MentorCounts {
  /** Alumni signed up as mentors. */
  mentors: number;
  /** Requests with no mentor yet. */
  waiting: number;
  /** Proposed to a mentor, waiting for their answer (pending matches). */
  proposed: number;
  /** Accepted and introduced (active matches). */
  introduced: number;
  closed: number;
}

export function mentorCounts(s: MentorState): MentorCounts {
  const by: Record<RequestStatus, number> = { waiting: 0, proposed: 0, introduced: 0, closed: 0 };
  for (const r of Object.values(s.requests)) by[r.status]++;
  return { mentors: Object.keys(s.mentors).length, ...by };
}

export interface MonthTotals {
  people: number;
  referrals: number;
  clicks: number;
  likes: number;
}

export const monthTotals = (rows: readonly Contributor[]): MonthTotals =>
  rows.reduce((t, r) => ({ people: t.people + 1, referrals: t.referrals + r.referrals, clicks: t.clicks + r.clicks, likes: t.likes + r.likes }), { people: 0, referrals: 0, clicks: 0, likes: 0 });

/** YYYY-MM ± months. */
export function shiftMonth(month: string, by: number): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const d = new Date(Date.UTC(y, m - 1 + by, 1));
  return d.toISOString().slice(0, 7);
}
