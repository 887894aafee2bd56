import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { feedbackCounts } from '../../src/feedback/stats.ts';

type Row = { delivered: number; clicks: number; up: number; down: number };
const COLLEGES = ['electrical', 'energy', 'computer'];

/** The counts by their definition: every delivered channel counts each post of its digest once. */
function reference(digests: { id: string; postIds: string[] }[], deliveries: { digestId: string; collegeId: string; status: string }[], clicks: { collegeId: string; postId: string; n: number }[], votes: { collegeId: string; postId: string; value: number }[]) {
  const posts = new Map<string, Row>();
  const colleges = new Map<string, Row>();
  const row = (m: Map<string, Row>, k: string) => m.get(k) ?? m.set(k, { delivered: 0, clicks: 0, up: 0, down: 0 }).get(k)!;
  for (const d of deliveries) {
    if (d.status !== 'delivered') continue;
    for (const id of digests.find((g) => g.id === d.digestId)?.postIds ?? []) {
      row(posts, `${d.collegeId}/${id}`).delivered++;
      row(colleges, d.collegeId).delivered++;
    }
  }
  for (const c of clicks) {
    row(posts, `${c.collegeId}/${c.postId}`).clicks += c.n;
    row(colleges, c.collegeId).clicks += c.n;
  }
  for (const v of votes) {
    row(posts, `${v.collegeId}/${v.postId}`)[v.value > 0 ? 'up' : 'down']++;
    row(colleges, v.collegeId)[v.value > 0 ? 'up' : 'down']++;
  }
  return { posts, colleges };
}

describe('feedbackCounts', () => {
  it('counts each delivered channel once per post of its digest, and every click and vote (model)', () => {
    const postId = fc.constantFrom('p1', 'p2', 'p3', 'p4', 'p5', 'p6');
    const collegeId = fc.constantFrom(...COLLEGES);
    fc.assert(
      fc.property(
        fc.array(fc.array(postId, { maxLength: 5 }), { maxLength: 6 }),
        fc.array(fc.record({ digest: fc.nat(7), collegeId, status: fc.constantFrom('delivered', 'pending', 'dead') }), { maxLength: 15 }),
        fc.array(fc.record({ collegeId, postId, n: fc.integer({ min: 1, max: 3 }) }), { maxLength: 8 }),
        fc.array(fc.record({ collegeId, postId, value: fc.constantFrom(1, -1) }), { maxLength: 8 }),
        (postLists, rawDeliveries, clicks, votes) => {
          const digests = postLists.map((postIds, i) => ({ id: `d${i}`, postIds }));
          // Digest ids past the list stand for digests no longer in the hot window.
          const deliveries = rawDeliveries.map((d) => ({ digestId: `d${d.digest}`, collegeId: d.collegeId, status: d.status }));
          const view = { digests: () => digests, deliveries: () => deliveries, rules: () => ({ colleges: COLLEGES.map((id) => ({ id, classes: [], majors: [] })) }) };
          const fb = { votes: () => votes, clicks: () => clicks, subscriptions: () => [] };
          const got = feedbackCounts(fb as never, view as never);
          const want = reference(digests, deliveries, clicks, votes);
          const row = (r: Row) => ({ delivered: r.delivered, clicks: r.clicks, up: r.up, down: r.down });
          expect(new Map(got.posts.map((p) => [`${p.collegeId}/${p.postId}`, row(p)]))).toEqual(want.posts);
          expect(got.posts.length).toBe(want.posts.size); // no post twice
          for (const c of got.colleges) expect(row(c)).toEqual(want.colleges.get(c.collegeId) ?? { delivered: 0, clicks: 0, up: 0, down: 0 });
        },
      ),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 300) },
    );
  });
});
