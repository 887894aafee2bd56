// Routing that learns, on its own (pure functions): the incomplete beta behind a key's weight, what
// moves a key and what never does, and how a side class is judged (adjust.ts).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Classification, ClassScore } from '../../src/domain.ts';
import { applyAdjustments } from '../../src/feedback/adjust.ts';
import { incompleteBeta } from '../../src/feedback/beta.ts';
import { keyLabel } from '../../src/feedback/describe.ts';
import { DEFAULT_LEARN, classKeys, keyWeight, learnAdjustments, routeKeys, type AdjustmentTable, type KeyWeight, type Vote } from '../../src/feedback/learn.ts';

/** P(Bin(n, ½) ≥ k), exactly, for the identity I_½(a, b) = P(Bin(a + b − 1, ½) ≥ a). */
function binomialTail(n: number, k: number): number {
  let c = 1;
  let sum = 0;
  for (let i = 0; i <= n; i++) {
    if (i >= k) sum += c;
    c = (c * (n - i)) / (i + 1);
  }
  return sum / 2 ** n;
}

/** One opinion per voter: +1 or −1, all recent. */
const opinions = (up: number, down: number) => [
  ...Array.from({ length: up }, () => ({ sum: 1, weight: 1, latest: 1 })),
  ...Array.from({ length: down }, () => ({ sum: -1, weight: 1, latest: 1 })),
];

describe('incompleteBeta', () => {
  it('matches the binomial tail at x = ½ for whole a, b (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 60 }), (a, b) => {
        expect(incompleteBeta(0.5, a, b)).toBeCloseTo(binomialTail(a + b - 1, a), 10);
      }),
    );
  });

  it('is a distribution function: in [0, 1], increasing in x, and I_x(a, b) = 1 − I_{1−x}(b, a) (property)', () => {
    const pos = fc.double({ min: 0.05, max: 200, noNaN: true });
    // x = k/2^20, so that 1 − x is exact: with x = 1e-180, 1 − x rounds to 1 and the identity is off by I_x itself.
    const unit = fc.integer({ min: 0, max: 2 ** 20 }).map((k) => k / 2 ** 20);
    fc.assert(
      fc.property(pos, pos, unit, unit, (a, b, x, y) => {
        const [lo, hi] = x <= y ? [x, y] : [y, x];
        const i = incompleteBeta(lo, a, b);
        expect(i).toBeGreaterThanOrEqual(-1e-12);
        expect(i).toBeLessThanOrEqual(1 + 1e-12);
        expect(incompleteBeta(hi, a, b)).toBeGreaterThanOrEqual(i - 1e-9);
        expect(incompleteBeta(lo, a, b) + incompleteBeta(1 - lo, b, a)).toBeCloseTo(1, 9);
      }),
    );
  });

  it('refuses a shape that is not positive', () => {
    expect(() => incompleteBeta(0.5, 0, 1)).toThrow(/must be > 0/);
  });
});

describe('keyWeight', () => {
  const o = DEFAULT_LEARN;

  it('moves nothing below three voters on the side it points to; three unanimous 👎 give −0.71·cap', () => {
    expect(keyWeight(opinions(0, 2), o)).toBeUndefined();
    expect(keyWeight(opinions(5, 2), o)?.weight).toBeGreaterThan(0); // points up: the two 👎 do not matter
    expect(keyWeight(opinions(0, 3), o)?.weight).toBeCloseTo(-0.711 * o.cap, 3);
  });

  it('grows surer with every consistent voter, even at 20% noise, where the posterior mean stalled', () => {
    const noisy = [5, 10, 20, 40].map((n) => keyWeight(opinions(n / 5, (4 * n) / 5), o)!.weight);
    for (let i = 1; i < noisy.length; i++) expect(noisy[i]!).toBeLessThan(noisy[i - 1]!);
    // 32 against 8: the old weight, cap·(2·mean − 1), was −0.51·cap; now the route is all but sure.
    expect(noisy[3]!).toBeLessThan(-0.99 * o.cap);
  });

  it('follows the majority and stays within the cap: noise pulls toward 0, never past it (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 60 }), (up, down) => {
        const w = keyWeight(opinions(up, down), o);
        if (up === down) {
          expect(w).toBeUndefined();
          return;
        }
        if (w === undefined) {
          expect(Math.max(up, down)).toBeLessThan(o.minVoters);
          return;
        }
        expect(Math.sign(w.weight)).toBe(Math.sign(up - down));
        expect(Math.abs(w.weight)).toBeLessThanOrEqual(o.cap);
        // One more voter on the majority's side never weakens it.
        const more = keyWeight(opinions(up > down ? up + 1 : up, down > up ? down + 1 : down), o)!;
        expect(Math.abs(more.weight)).toBeGreaterThanOrEqual(Math.abs(w.weight) - 1e-12);
      }),
    );
  });
});

describe('learnAdjustments', () => {
  const NOW = new Date('2026-11-21T12:00:00Z');
  const keysOf = () => ['c~:0502|0503', 'c~:0502', 't~:英语'];
  const vote = (voter: string, postId: string, value: 1 | -1, daysAgo = 1): Vote => ({
    voter,
    collegeId: '0502',
    postId,
    value,
    at: new Date(NOW.getTime() - daysAgo * 86_400_000).toISOString(),
  });

  it('counts students, not presses: one account on fifty posts moves nothing, two students neither', () => {
    const one = Array.from({ length: 50 }, (_, i) => vote('same', `p${i}`, -1));
    expect(learnAdjustments(one, keysOf, NOW).size).toBe(0);
    expect(learnAdjustments([...one, vote('other', 'p1', -1)], keysOf, NOW).size).toBe(0);
    const three = learnAdjustments([...one, vote('other', 'p1', -1), vote('third', 'p2', -1)], keysOf, NOW);
    expect(three.get('0502')?.get('c~:0502')?.voters).toBe(3);
  });

  it("one season's votes fade: the same votes weigh less a half-life later, and nothing after two", () => {
    const votes = (age: number) => ['a', 'b', 'c', 'd', 'e'].map((s) => vote(s, 'p1', -1, age));
    const w = (age: number) => learnAdjustments(votes(age), keysOf, NOW).get('0502')?.get('c~:0502')?.weight;
    expect(w(1)!).toBeLessThan(w(120)!);
    expect(w(120)!).toBeLessThan(0);
    expect(w(300)).toBeUndefined();
  });
});

// A post mainly for 0503 with 0502 as a side class (the shape the simulation's errors take).
const cls = (code: string, confidence: number, terms: string[]): ClassScore => ({ code, name: code, confidence, evidence: terms.map((term) => ({ term, weight: 1, kind: 'major-name' })) });
const post = (side: ClassScore, main = cls('0503', 0.95, ['新闻'])): Classification & { routing: { collegeId: string; evidence: { term: string; weight: number; kind: string }[] }[] } => ({
  isJob: true,
  jobScore: 0.9,
  isScam: false,
  scamScore: 0,
  detection: [],
  openToAll: false,
  classes: [main, side],
  colleges: [main.code, side.code],
  fields: { links: [], emails: [], degrees: [], roles: [] },
  routing: [main.code, side.code].map((code) => ({ collegeId: code, evidence: [{ term: code, weight: 1, kind: 'class' }] })),
});
const table = (entries: Record<string, number>): AdjustmentTable =>
  new Map([['0502', new Map(Object.entries(entries).map(([k, weight]): [string, KeyWeight] => [k, { weight, voters: 6, up: 0, down: 6 }]))]]);

describe('a side class under feedback', () => {
  it('has a key for the class as a side class next to any main class, shown to admins', () => {
    const p = post(cls('0502', 0.97, ['英语']));
    expect(classKeys(p.classes[1]!, '0503')).toEqual(['c~:0502|0503', 'c~:0502', 't~:英语']);
    expect(routeKeys(p, '0502')).toEqual(['c~:0502|0503', 'c~:0502', 't~:英语']);
    expect(classKeys(p.classes[0]!)).toEqual(['c:0503', 't:新闻']);
    expect(keyLabel('c~:0502')).toBe('专业类 0502（作次要类时）');
    expect(keyLabel('c~:0502|0503')).toBe('专业类 0502（次要，主类 0503）');
  });

  it('is dropped by its students’ verdict on it as a side class next to another main class', () => {
    // Students of 0502 said no to 0502 as a side of 0501 posts: no pair with 0503 learnt yet.
    const out = applyAdjustments(post(cls('0502', 0.97, ['英语']), cls('0503', 0.95, ['新闻'])), table({ 'c~:0502': -0.8 }));
    expect(out.colleges).toEqual(['0503']);
    expect(out.classes.map((k) => k.code)).toEqual(['0503']);
    expect(out.feedback).toEqual([{ collegeId: '0502', delta: -0.8, voters: 6, dropped: true }]);
  });

  it('takes the direction from the most specific reading: a pair the students liked is kept whatever the class does elsewhere', () => {
    const out = applyAdjustments(post(cls('0502', 0.6, ['英语'])), table({ 'c~:0502|0503': 0.3, 'c~:0502': -0.8, 't~:英语': -0.8 }));
    expect(out.colleges).toEqual(['0503', '0502']);
    expect(out.feedback).toEqual([{ collegeId: '0502', delta: 0.3, voters: 6, dropped: false }]);
  });

  it('takes the size from a stronger reading that agrees, without adding up the same votes twice', () => {
    const p = post(cls('0502', 0.97, ['英语']));
    const weak = applyAdjustments(p, table({ 'c~:0502|0503': -0.3 }));
    expect(weak.colleges).toEqual(['0503', '0502']);
    const agreed = applyAdjustments(p, table({ 'c~:0502|0503': -0.3, 't~:英语': -0.5, 'c~:0502': -0.7 }));
    expect(agreed.feedback).toEqual([{ collegeId: '0502', delta: -0.7, voters: 6, dropped: true }]);
    // Three readings of −0.3 stay −0.3: the same students are not counted three times.
    const same = applyAdjustments(p, table({ 'c~:0502|0503': -0.3, 't~:英语': -0.3, 'c~:0502': -0.3 }));
    expect(same.feedback).toEqual([{ collegeId: '0502', delta: -0.3, voters: 6, dropped: false }]);
  });

  it("never drops the post's main class, so a side reading never becomes the main one; the verdict is still shown", () => {
    const p = post(cls('0502', 0.6, ['英语']), cls('0503', 0.8, ['新闻']));
    const t: AdjustmentTable = new Map([
      ['0503', new Map<string, KeyWeight>([['c:0503', { weight: -0.85, voters: 9, up: 1, down: 8 }], ['t:新闻', { weight: -0.85, voters: 9, up: 1, down: 8 }]])],
    ]);
    const out = applyAdjustments(p, t);
    expect(out.classes.map((k) => k.code)).toEqual(['0503', '0502']);
    expect(out.colleges).toEqual(['0503', '0502']);
    expect(out.feedback).toEqual([{ collegeId: '0503', delta: expect.closeTo(-1.275, 3), voters: 9, dropped: false }]);
  });

  it('never makes a referral vanish, whatever the weights (property)', () => {
    const w = fc.double({ min: -DEFAULT_LEARN.cap, max: DEFAULT_LEARN.cap, noNaN: true });
    fc.assert(
      fc.property(w, w, w, fc.double({ min: 0.3, max: 1, noNaN: true }), (pair, any, term, conf) => {
        const p = post(cls('0502', conf, ['英语']));
        const out = applyAdjustments(p, table({ 'c~:0502|0503': pair, 'c~:0502': any, 't~:英语': term }));
        expect(out.colleges).toContain('0503'); // the main class's college learnt nothing
        expect(out.colleges.every((c) => p.colleges.includes(c))).toBe(true); // feedback never adds a route
      }),
    );
  });
});
