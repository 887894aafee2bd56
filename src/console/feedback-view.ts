// Pure: what the 反馈 page shows, from the feedback module's own numbers (adjustmentRows, feedbackCounts,
// resets, votes). Nothing here recomputes the learning: it only arranges it per college and adds when each
// adjustment last moved (the latest counted vote on a post routed by that key).
import type { AdjustmentRow } from '../feedback/describe.ts';
import type { Vote } from '../feedback/learn.ts';
import type { Counts, FeedbackCounts } from '../feedback/stats.ts';

export interface AdjustmentLine extends AdjustmentRow {
  /** ISO time of the latest vote (after the last reset) behind this key; undefined if none is known. */
  lastAt?: string;
}

export interface CollegeFeedback {
  id: string;
  name: string;
  counts: Counts & { subscribers: number };
  /** ISO time of the last reset, if any. */
  resetAt?: string;
  adjustments: AdjustmentLine[];
}

export interface PostFeedback extends Counts {
  postId: string;
  collegeId: string;
  label: string;
  receivedAt?: string;
}

export interface FeedbackPageView {
  colleges: CollegeFeedback[];
  /** The posts with the most student response first (clicks and votes, then deliveries), at most `postLimit`. */
  posts: PostFeedback[];
  /** All posts with any count, before the limit. */
  postTotal: number;
  subscribers: number;
  totals: Counts;
}

export interface FeedbackViewInput {
  colleges: readonly { id: string; name: string }[];
  rows: readonly AdjustmentRow[];
  counts: FeedbackCounts;
  resets: Readonly<Record<string, string>>;
  votes: Iterable<Vote>;
  /** The evidence keys a vote on (college, post) spoke about (the feedback module's routeKeys). */
  keysOf(collegeId: string, postId: string): readonly string[];
  post(id: string): { label: string; receivedAt: string } | undefined;
  /** Only this college's posts (undefined: all). */
  college?: string;
  postLimit: number;
}

const response = (c: Counts) => c.clicks + c.up + c.down;

export function feedbackView(i: FeedbackViewInput): FeedbackPageView {
  // Latest counted vote per college × key; keys are looked up once per (college, post).
  const last = new Map<string, string>();
  const keyCache = new Map<string, readonly string[]>();
  for (const v of i.votes) {
    const reset = i.resets[v.collegeId];
    if (reset && v.at <= reset) continue;
    const ck = `${v.collegeId}\u0000${v.postId}`;
    let keys = keyCache.get(ck);
    if (!keys) keyCache.set(ck, (keys = i.keysOf(v.collegeId, v.postId)));
    for (const k of keys) {
      const lk = `${v.collegeId}\u0000${k}`;
      if ((last.get(lk) ?? '') < v.at) last.set(lk, v.at);
    }
  }
  const byCollege = new Map(i.counts.colleges.map((c) => [c.collegeId, c]));
  const colleges: CollegeFeedback[] = i.colleges.map((c) => {
    const n = byCollege.get(c.id);
    return {
      id: c.id,
      name: c.name,
      counts: { delivered: n?.delivered ?? 0, clicks: n?.clicks ?? 0, up: n?.up ?? 0, down: n?.down ?? 0, subscribers: n?.subscribers ?? 0 },
      ...(i.resets[c.id] ? { resetAt: i.resets[c.id] } : {}),
      adjustments: i.rows.filter((r) => r.collegeId === c.id).map((r) => ({ ...r, ...(last.has(`${c.id}\u0000${r.key}`) ? { lastAt: last.get(`${c.id}\u0000${r.key}`) } : {}) })),
    };
  });
  const known = new Set(i.colleges.map((c) => c.id));
  const all = i.counts.posts.filter((p) => known.has(p.collegeId) && (!i.college || p.collegeId === i.college));
  // Ties by id in code-unit order: localeCompare (ICU collation) was most of this sort over 8k posts.
  all.sort((a, b) => response(b) - response(a) || b.delivered - a.delivered || (a.postId < b.postId ? -1 : a.postId > b.postId ? 1 : 0));
  const posts = all.slice(0, i.postLimit).map((p) => {
    const info = i.post(p.postId);
    return { ...p, label: info?.label ?? '（已删除的内推）', ...(info ? { receivedAt: info.receivedAt } : {}) };
  });
  const totals = colleges.reduce((t, c) => ({ delivered: t.delivered + c.counts.delivered, clicks: t.clicks + c.counts.clicks, up: t.up + c.counts.up, down: t.down + c.counts.down }), { delivered: 0, clicks: 0, up: 0, down: 0 });
  return { colleges, posts, postTotal: all.length, subscribers: i.counts.subscribers, totals };
}
