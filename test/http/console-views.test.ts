// The pure parts behind 反馈 and 校友: the feedback view (per college, per post, last change after a
// reset), names per privacy.attribution and opt-out, mentor counts, and the pages' 2 s cache.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Contributor } from '../../src/alumni/compose.ts';
import { contributorLines, mentorCounts, shiftMonth } from '../../src/console/alumni-view.ts';
import { feedbackView, type FeedbackViewInput } from '../../src/console/feedback-view.ts';
import { alumniBody } from '../../src/console/pages/alumni.ts';
import { feedbackBody } from '../../src/console/pages/feedback.ts';
import { TtlCache } from '../../src/console/ttl-cache.ts';
import type { Vote } from '../../src/feedback/learn.ts';

const COLLEGES = [
  { id: 'a', name: '甲学院' },
  { id: 'b', name: '乙学院' },
];
const counts = (o: Partial<{ delivered: number; clicks: number; up: number; down: number }> = {}) => ({ delivered: 0, clicks: 0, up: 0, down: 0, ...o });

function input(over: Partial<FeedbackViewInput> = {}): FeedbackViewInput {
  return {
    colleges: COLLEGES,
    rows: [],
    counts: { colleges: [], posts: [], subscribers: 0 },
    resets: {},
    votes: [],
    keysOf: () => [],
    post: (id) => ({ label: `L-${id}`, receivedAt: '2026-11-01T00:00:00.000Z' }),
    postLimit: 50,
    ...over,
  };
}

describe('feedbackView', () => {
  it('dates each adjustment by the latest vote behind it, ignoring votes before the college’s reset', () => {
    const vote = (postId: string, at: string, collegeId = 'a'): Vote => ({ voter: `v-${at}`, collegeId, postId, value: -1, at });
    const keys: Record<string, string[]> = { p1: ['c:0806', 't:电网'], p2: ['c:0806'] };
    const v = feedbackView(
      input({
        rows: [
          { collegeId: 'a', key: 'c:0806', label: '专业类 0806', weight: -0.4, voters: 3, up: 0, down: 3 },
          { collegeId: 'a', key: 't:电网', label: '词「电网」', weight: -0.2, voters: 3, up: 0, down: 3 },
          { collegeId: 'b', key: 'c:0806', label: '专业类 0806', weight: 0.1, voters: 3, up: 3, down: 0 },
        ],
        resets: { b: '2026-11-10T00:00:00.000Z' },
        votes: [vote('p1', '2026-11-05T00:00:00.000Z'), vote('p2', '2026-11-07T00:00:00.000Z'), vote('p1', '2026-11-09T00:00:00.000Z', 'b'), vote('p2', '2026-11-11T00:00:00.000Z', 'b')],
        keysOf: (_c, p) => keys[p] ?? [],
      }),
    );
    const a = v.colleges.find((c) => c.id === 'a')!;
    expect(a.adjustments.map((r) => [r.key, r.lastAt])).toEqual([
      ['c:0806', '2026-11-07T00:00:00.000Z'],
      ['t:电网', '2026-11-05T00:00:00.000Z'],
    ]);
    const b = v.colleges.find((c) => c.id === 'b')!;
    expect(b.resetAt).toBe('2026-11-10T00:00:00.000Z');
    expect(b.adjustments[0]!.lastAt).toBe('2026-11-11T00:00:00.000Z');
  });

  it('property: totals are the colleges’ sums; posts are the limit’s most answered, of known colleges, filtered by college', () => {
    const post = fc.record({ postId: fc.constantFrom('p1', 'p2', 'p3', 'p4', 'p5', 'p6'), collegeId: fc.constantFrom('a', 'b', 'gone'), delivered: fc.nat(20), clicks: fc.nat(9), up: fc.nat(5), down: fc.nat(5) });
    fc.assert(
      fc.property(
        fc.uniqueArray(post, { selector: (p) => `${p.collegeId}|${p.postId}`, maxLength: 18 }),
        fc.array(fc.record({ collegeId: fc.constantFrom('a', 'b'), delivered: fc.nat(50), clicks: fc.nat(50), up: fc.nat(9), down: fc.nat(9), subscribers: fc.nat(9) }), { maxLength: 2 }),
        fc.nat(8),
        fc.constantFrom(undefined, 'a', 'b'),
        (posts, colleges, limit, college) => {
          const uniq = [...new Map(colleges.map((c) => [c.collegeId, c])).values()];
          const v = feedbackView(input({ counts: { colleges: uniq, posts, subscribers: 3 }, postLimit: limit, college }));
          const sum = (k: 'delivered' | 'clicks' | 'up' | 'down') => uniq.reduce((a, c) => a + c[k], 0);
          expect(v.totals).toEqual({ delivered: sum('delivered'), clicks: sum('clicks'), up: sum('up'), down: sum('down') });
          const eligible = posts.filter((p) => p.collegeId !== 'gone' && (!college || p.collegeId === college));
          expect(v.postTotal).toBe(eligible.length);
          expect(v.posts.length).toBe(Math.min(limit, eligible.length));
          const score = (p: { clicks: number; up: number; down: number }) => p.clicks + p.up + p.down;
          for (let i = 1; i < v.posts.length; i++) expect(score(v.posts[i - 1]!)).toBeGreaterThanOrEqual(score(v.posts[i]!));
          // Nothing shown ranks below something left out.
          const shown = new Set(v.posts.map((p) => `${p.collegeId}|${p.postId}`));
          const lowest = v.posts.length ? Math.min(...v.posts.map(score)) : Number.POSITIVE_INFINITY;
          for (const p of eligible) if (!shown.has(`${p.collegeId}|${p.postId}`)) expect(score(p)).toBeLessThanOrEqual(lowest);
          expect(v.colleges.map((c) => c.id)).toEqual(['a', 'b']);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('names a deleted post plainly instead of failing', () => {
    const v = feedbackView(input({ counts: { colleges: [], posts: [{ postId: 'x', collegeId: 'a', ...counts({ delivered: 2 }) }], subscribers: 0 }, post: () => undefined }));
    expect(v.posts[0]!.label).toBe('（已删除的内推）');
  });
});

describe('contributorLines', () => {
  const rows: Contributor[] = [
    { key: 'wechat:u1', name: '王磊（2012级电气）', referrals: 2, colleges: 1, channels: 2, clicks: 0, likes: 0 },
    { key: 'telegram:42:x', name: 'Li Na | 南网', referrals: 1, colleges: 1, channels: 1, clicks: 3, likes: 1 },
    { key: 'wechat:u3', name: '张伟', referrals: 1, colleges: 1, channels: 1, clicks: 0, likes: 0 },
  ];
  const out = new Set(['wechat:u3']);

  it('names as privacy.attribution says, never someone who opted out; keeps the sender id', () => {
    expect(contributorLines(rows, out, 'name').map((r) => r.shown)).toEqual(['王磊', 'Li Na', '不署名（本人选择）']);
    expect(contributorLines(rows, out, 'initials').map((r) => r.shown)).toEqual(['王校友', 'L. N. (alumni)', '不署名（本人选择）']);
    expect(contributorLines(rows, out, 'none').map((r) => [r.shown, r.named])).toEqual([
      ['不署名（隐私设置）', false],
      ['不署名（隐私设置）', false],
      ['不署名（本人选择）', false],
    ]);
    expect(contributorLines(rows, out, 'name').map((r) => [r.platform, r.senderId, r.optedOut])).toEqual([
      ['wechat', 'u1', false],
      ['telegram', '42:x', false],
      ['wechat', 'u3', true],
    ]);
  });

  it('property: an opted-out alumnus’s name never appears, whatever the attribution', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 12 }), fc.constantFrom('name', 'initials', 'none') as fc.Arbitrary<'name' | 'initials' | 'none'>, (name, mode) => {
        const [line] = contributorLines([{ key: 'lark:ou_1', name, referrals: 1, colleges: 0, channels: 0, clicks: 0, likes: 0 }], new Set(['lark:ou_1']), mode);
        expect(line!.shown).toBe('不署名（本人选择）');
        expect(line!.named).toBe(false);
      }),
    );
  });
});

describe('mentorCounts and months', () => {
  it('counts mentors and requests by state', () => {
    const person = (id: string) => ({ platform: 'telegram' as const, id, name: id, handle: `@${id}` });
    const req = (code: string, status: 'waiting' | 'proposed' | 'introduced' | 'closed') => ({ code, student: person(code), classes: [], terms: [], status, declined: [], createdAt: '' });
    expect(
      mentorCounts({
        mentors: { 'telegram:m1': { person: person('m1'), classes: [], terms: [], joinedAt: '' }, 'telegram:m2': { person: person('m2'), classes: [], terms: [], joinedAt: '' } },
        requests: { A: req('A', 'waiting'), B: req('B', 'proposed'), C: req('C', 'introduced'), D: req('D', 'introduced'), E: req('E', 'closed') },
      }),
    ).toEqual({ mentors: 2, waiting: 1, proposed: 1, introduced: 2, closed: 1 });
  });

  it('shifts months across years', () => {
    expect(shiftMonth('2026-01', -1)).toBe('2025-12');
    expect(shiftMonth('2026-12', 1)).toBe('2027-01');
    expect(shiftMonth('2026-11', 0)).toBe('2026-11');
  });
});

describe('TtlCache', () => {
  it('computes once within the time, again after it, and at once after clear()', () => {
    let t = 0;
    let computed = 0;
    const cache = new TtlCache<number>(2000, () => t);
    const get = () => cache.get('k', () => ++computed);
    expect(get()).toBe(1);
    t = 1999;
    expect(get()).toBe(1);
    t = 2000;
    expect(get()).toBe(2);
    cache.clear();
    expect(get()).toBe(3);
    expect(cache.get('other', () => 99)).toBe(99);
  });
});

describe('pages render every outside string as text', () => {
  const EVIL = '"><img src=x onerror=alert(1)><script>alert(2)</script>\u202Egpj.exe';
  const fmt = (d: Date) => d.toISOString();

  it('反馈: college names, labels, adjustment labels and ids', () => {
    const v = feedbackView(
      input({
        colleges: [{ id: `a${EVIL}`, name: EVIL }],
        rows: [{ collegeId: `a${EVIL}`, key: `t:${EVIL}`, label: `词「${EVIL}」`, weight: -0.5, voters: 3, up: 0, down: 3 }],
        counts: { colleges: [{ collegeId: `a${EVIL}`, ...counts({ delivered: 3, down: 3 }), subscribers: 0 }], posts: [{ postId: EVIL, collegeId: `a${EVIL}`, ...counts({ delivered: 1 }) }], subscribers: 0 },
        post: () => ({ label: EVIL, receivedAt: EVIL }),
      }),
    );
    const out = feedbackBody(v, EVIL, fmt).value;
    expect(out).not.toMatch(/<img|<script|\u202E/);
    expect(out).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(out).toContain('⟦U+202E⟧');
  });

  it('校友: names, sender ids, group names and message texts', () => {
    const line = contributorLines([{ key: `wechat:${EVIL}`, name: EVIL, referrals: 1, colleges: 1, channels: 1, clicks: 0, likes: 0 }], new Set(), 'name');
    const out = alumniBody({
      month: '2026-11',
      prev: '2026-10',
      next: '2026-12',
      rows: line,
      totals: { people: 1, referrals: 1, clicks: 0, likes: 0 },
      attribution: 'name',
      mentorsOn: true,
      mentors: { mentors: 0, waiting: 0, proposed: 0, introduced: 0, closed: 0 },
      groups: [{ key: `wechat:${EVIL}`, name: EVIL, platform: 'wechat', ack: 'reply', thanks: true, messages: [{ title: EVIL, text: EVIL, example: false, off: false }] }],
    }).value;
    expect(out).not.toMatch(/<img|<script|\u202E/);
    expect(out).toContain('&lt;script&gt;alert(2)&lt;/script&gt;');
  });
});
