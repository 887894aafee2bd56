// Counts for admins (`stats`, `/relay status`, the console's funnel): per college and per post,
// delivered, clicks, 👍, 👎; subscribers per college (those subscribed to one of its classes/majors).
import type { FeedbackService, RelayView } from './service.ts';

export interface Counts {
  delivered: number;
  clicks: number;
  up: number;
  down: number;
}

export interface FeedbackCounts {
  colleges: (Counts & { collegeId: string; subscribers: number })[];
  posts: (Counts & { postId: string; collegeId: string })[];
  subscribers: number;
}

const zero = (): Counts => ({ delivered: 0, clicks: 0, up: 0, down: 0 });

export function feedbackCounts(fb: Pick<FeedbackService, 'votes' | 'clicks' | 'subscriptions'>, view: RelayView): FeedbackCounts {
  const colleges = new Map<string, Counts>();
  const posts = new Map<string, Counts & { postId: string; collegeId: string }>();
  const college = (id: string) => colleges.get(id) ?? colleges.set(id, zero()).get(id)!;
  const post = (collegeId: string, postId: string) => {
    const k = `${collegeId}\u0000${postId}`;
    return posts.get(k) ?? posts.set(k, { ...zero(), postId, collegeId }).get(k)!;
  };
  const digests = new Map<string, string[]>();
  for (const d of view.digests()) digests.set(d.id, d.postIds);
  for (const d of view.deliveries()) {
    if (d.status !== 'delivered') continue;
    for (const id of digests.get(d.digestId) ?? []) {
      college(d.collegeId).delivered++;
      post(d.collegeId, id).delivered++;
    }
  }
  for (const c of fb.clicks()) {
    college(c.collegeId).clicks += c.n;
    post(c.collegeId, c.postId).clicks += c.n;
  }
  for (const v of fb.votes()) {
    const key = v.value > 0 ? 'up' : 'down';
    college(v.collegeId)[key]++;
    post(v.collegeId, v.postId)[key]++;
  }
  const rules = view.rules();
  const out: FeedbackCounts = { colleges: [], posts: [...posts.values()], subscribers: fb.subscriptions().length };
  for (const c of rules.colleges) {
    const owns = (code: string) => c.classes.some((k) => code.startsWith(k.slice(0, 4))) || c.majors.some((m) => m.slice(0, 4) === code.slice(0, 4));
    const subscribers = fb.subscriptions().filter((s) => s.codes.some(owns)).length;
    out.colleges.push({ collegeId: c.id, ...(colleges.get(c.id) ?? zero()), subscribers });
  }
  return out;
}
