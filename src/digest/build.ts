// Pure: which posts go into a college's digest now, in what order.
import type { Digest, Post } from '../domain.ts';
import { daysBetween, localDate } from '../time.ts';

export interface BuildOptions {
  now: Date;
  timeZone: string;
  maxItems: number;
  /** Posts older than this are left out (a college added today does not get last year's referrals). */
  maxAgeDays?: number;
}

export function isExpired(post: Post, today: string): boolean {
  const deadline = post.classification.fields.deadline;
  return deadline !== undefined && deadline < today;
}

/** Days left until the deadline (0 = closes today), or undefined without one. */
export function daysLeft(post: Post, now: Date, timeZone: string): number | undefined {
  const deadline = post.classification.fields.deadline;
  return deadline === undefined ? undefined : daysBetween(localDate(now, timeZone), deadline);
}

/**
 * The posts for one digest: not yet carried to this college, not expired, not too old; soonest
 * deadline first among those closing within 3 days, then oldest first so nothing waits forever.
 */
export function selectPosts(candidates: readonly Post[], opts: BuildOptions): Post[] {
  const today = localDate(opts.now, opts.timeZone);
  const oldest = new Date(opts.now.getTime() - (opts.maxAgeDays ?? 30) * 86_400_000).toISOString();
  // Each post's sort key is computed once (not in the comparator: that is n log n date computations).
  const keyed: { post: Post; urgent: number }[] = [];
  for (const post of candidates) {
    if (isExpired(post, today) || post.receivedAt < oldest) continue;
    const deadline = post.classification.fields.deadline;
    const d = deadline === undefined ? undefined : daysBetween(today, deadline);
    keyed.push({ post, urgent: d !== undefined && d <= 3 ? d : 99 });
  }
  keyed.sort((a, b) => a.urgent - b.urgent || (a.post.receivedAt < b.post.receivedAt ? -1 : a.post.receivedAt > b.post.receivedAt ? 1 : 0));
  return keyed.slice(0, opts.maxItems).map((k) => k.post);
}

export function buildDigest(college: { id: string; name: string }, posts: readonly Post[], opts: BuildOptions & { id: string; explain?: boolean }): Digest {
  return {
    id: opts.id,
    collegeId: college.id,
    collegeName: college.name,
    createdAt: opts.now.toISOString(),
    items: posts.map((post) => ({ post, why: opts.explain ? explainRouting(post, college.id) : undefined })),
  };
}

/** One short line: the classes (and their strongest terms) that sent this post to the college. */
export function explainRouting(post: Post, collegeId: string): string | undefined {
  const c = post.classification;
  if (!c.colleges.includes(collegeId)) return undefined;
  if (c.classes.length === 0) return c.openToAll ? '不限专业' : undefined;
  return c.classes
    .slice(0, 3)
    .map((k) => {
      const terms = [...new Set(k.evidence.map((e) => e.term))].slice(0, 2);
      return terms.length ? `${k.name}（${terms.join('、')}）` : k.name;
    })
    .join('；');
}
