// undigestedFor reads a per-college index of hot posts; whatever happens to the posts (stored, cross-posted,
// held, digested, a digest whose write failed, a sender forgotten, pruned, the store reopened), it must
// answer exactly what filtering every hot post would.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Post } from '../../src/domain.ts';
import { Store } from '../../src/store/store.ts';
import { post } from '../helpers/posts.ts';
import { tempDir } from '../helpers/tmp.ts';

const COLLEGES = ['electrical', 'power', 'cs'];
const NOW = new Date('2026-11-21T01:00:00.000Z');

const reference = (s: Store, college: string): string[] =>
  s.posts().filter((p) => p.status === 'active' && p.classification.colleges.includes(college) && !p.digestedFor.includes(college)).map((p) => p.id).sort();
const answered = (s: Store, college: string): string[] => s.undigestedFor(college).map((p) => p.id).sort();

type Op =
  | { op: 'add'; colleges: string[]; sender: string; daysAgo: number }
  | { op: 'source'; target: number; sender: string }
  | { op: 'status'; target: number; status: Post['status'] }
  | { op: 'digest'; college: string; targets: number[]; fail: boolean }
  | { op: 'forget'; sender: string }
  | { op: 'prune' }
  | { op: 'reopen' };

const sender = fc.constantFrom('alice', 'bob', 'carol');
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('add' as const), colleges: fc.subarray(COLLEGES), sender, daysAgo: fc.constantFrom(0, 1, 400) }) },
  fc.record({ op: fc.constant('source' as const), target: fc.nat(), sender }),
  fc.record({ op: fc.constant('status' as const), target: fc.nat(), status: fc.constantFrom('active' as const, 'review' as const, 'rejected' as const) }),
  { weight: 2, arbitrary: fc.record({ op: fc.constant('digest' as const), college: fc.constantFrom(...COLLEGES), targets: fc.array(fc.nat(), { maxLength: 4 }), fail: fc.boolean() }) },
  fc.record({ op: fc.constant('forget' as const), sender }),
  fc.record({ op: fc.constant('prune' as const) }),
  fc.record({ op: fc.constant('reopen' as const) }),
);

const RUNS = Number(process.env.PROPERTY_RUNS ?? 60);

describe('undigestedFor (per-college index)', () => {
  it('answers what a filter over every hot post answers, after any sequence of changes and a reopen', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
        const dir = tempDir();
        let s = await Store.open(dir, { now: () => NOW });
        let n = 0;
        const pick = (i: number) => s.posts()[i % Math.max(1, s.posts().length)];
        try {
          for (const o of ops) {
            if (o.op === 'add') {
              const at = new Date(NOW.getTime() - o.daysAgo * 86_400_000).toISOString();
              const p = post({ colleges: o.colleges, receivedAt: at });
              p.sources[0]!.senderId = o.sender;
              p.sources[0]!.messageId = `x${++n}`;
              await s.addPost(p);
            } else if (o.op === 'source') {
              const p = pick(o.target);
              if (p) await s.addSource(p.id, { platform: 'telegram', chatId: '-100', messageId: `s${++n}`, senderId: o.sender, senderName: 'x', sentAt: NOW.toISOString() });
            } else if (o.op === 'status') {
              const p = pick(o.target);
              if (p) await s.setStatus(p.id, o.status);
            } else if (o.op === 'digest') {
              const posts = [...new Set(o.targets.map(pick).filter((p): p is Post => !!p))];
              const d = { id: `dg${++n}`, collegeId: o.college, collegeName: o.college, createdAt: NOW.toISOString(), items: posts.map((p) => ({ post: p })) };
              if (o.fail) {
                // A write that fails is undone in memory (the disk is full under it).
                const store = s as unknown as { commit: () => Promise<void> };
                const commit = store.commit;
                store.commit = () => Promise.reject(new Error('disk full'));
                await expect(s.recordDigest(d, [])).rejects.toThrow('disk full');
                store.commit = commit;
              } else await s.recordDigest(d, []);
            } else if (o.op === 'forget') await s.forgetSender(o.sender);
            else if (o.op === 'prune') await s.prune(NOW, 180);
            else s = await reopen(s, dir);
            for (const c of COLLEGES) expect(answered(s, c), `${c} after ${o.op}`).toEqual(reference(s, c));
          }
        } finally {
          await s.close().catch(() => undefined);
        }
      }),
      { numRuns: RUNS },
    );
    // Each run opens stores and waits for fdatasync: a raised PROPERTY_RUNS gets the time it needs.
  }, 20_000 + RUNS * 50);
});

async function reopen(s: Store, dir: string): Promise<Store> {
  await s.close().catch(() => undefined);
  return Store.open(dir, { now: () => NOW });
}
