// Routing that learns from students' votes: per college × piece of routing evidence, a weight in
// [−cap, +cap] that applyAdjustments (adjust.ts) adds to that evidence's support after classification.
//
// WHY THIS SHAPE
// - Keys are the evidence that routed a post to a college: the class it was routed by (`c:0806`), the
//   terms behind that class (`t:运营`), a college keyword (`k:继电保护`), an open-to-all route (`o`).
//   A side class (not the post's first) has its own keys: the pair with the main class (`c~:0503|1303`),
//   the class as a side class next to any main class (`c~:0503`) and side terms (`t~:剪辑`). A vote on (college, post) speaks about every key of that route; a later
//   post routed by the same keys is judged by them. Nothing is learnt per post id or per text.
// - Distinct voters, not votes: each voter's votes on a key are averaged into one opinion s ∈ [−1, 1]
//   (weight r = the recency of their latest vote), so 50 presses by one account weigh as one student.
//   A key moves only when at least `minVoters` students (decayed) lean the same way: nothing changes
//   from one voter.
// - Bayesian, on the question that matters: is this route useful to MOST of the college's students?
//   With U and D the recency-weighted sums of positive and negative opinions and a Beta(α, α) prior
//   on the share of students who find it useful, the weight is cap × (2·P(share > ½ | votes) − 1).
//   Three unanimous 👎 give −0.71·cap, twelve −0.998·cap. Unlike the posterior MEAN of the share
//   (used before 2026-12), certainty keeps growing with consistent voters, so 20% noisy votes only
//   slow it (4 against 1 give −0.66·cap, 16 against 4 −0.985·cap) where the mean stalled at
//   (1 − 2·noise)·cap; an even split stays near 0, so noise pulls toward 0 and never flips a key.
//   Measured with npm run eval -- --simulate-feedback (scripts/eval/simulate-feedback.ts).
// - Exponential decay: a vote weighs 0.5^(age / halfLife) (default 120 days, about one recruiting
//   season) in U and D; a student counts toward `minVoters` only while their latest vote is within two
//   half-lives, so once a season's voters age out the key stops moving anything: one season's votes
//   do not rule forever. Votes older than 6 half-lives are dropped (service.ts).
// - Cost: learning is O(votes × keys per item), run after a change (debounced), never per message.
//   The result is a Map college → Map key → weight: applying it costs one lookup per evidence term of
//   a routed class (bounded by the classifier's evidence lists), whatever the number of votes.
import type { Classification, ClassScore } from '../domain.ts';
import { incompleteBeta } from './beta.ts';

export interface LearnOptions {
  /** Distinct students (with a vote in the last two half-lives) who must lean one way before a key moves. Default 3. */
  minVoters: number;
  /** Largest |weight| of one key. Default 0.85: three unanimous 👎 leave a class the classifier is 0.97 sure of just above adjust.ts's floor, a fourth (or five against one) drops it. */
  cap: number;
  /** Half-life of a vote's weight, in days. Default 120. */
  halfLifeDays: number;
  /** Beta prior strength α (pseudo-voters on each side), > 0. Default 3. */
  prior: number;
}

export const DEFAULT_LEARN: LearnOptions = { minVoters: 3, cap: 0.85, halfLifeDays: 120, prior: 3 };

/** One student's opinion of one digest item (1 = 有用, −1 = 不对口). `voter` is a salted hash. */
export interface Vote {
  voter: string;
  collegeId: string;
  postId: string;
  value: 1 | -1;
  /** ISO time of the latest change. */
  at: string;
}

/** A voter counts toward `minVoters` while their latest vote is within two half-lives (decay ≥ ¼). */
const RECENT = 0.25;

export interface KeyWeight {
  weight: number;
  /** Distinct voters behind it (not decayed), for the explanation. */
  voters: number;
  up: number;
  down: number;
}

/** college → evidence key → weight. Only keys that moved are present. */
export type AdjustmentTable = Map<string, Map<string, KeyWeight>>;

interface RouteLike {
  collegeId: string;
  evidence: { term: string; kind: string }[];
}

/**
 * Evidence keys of a class. As the post's main class: the class (`c:0806`) and its terms (`t:继电保护`).
 * As a side class next to main class M: the pair (`c~:0806|0808`) and its terms (`t~:…`), kept apart
 * because classifiers over-route on side classes and students judge those on their own: "a job mainly
 * for 自动化 is not for 电气 students" says nothing about posts mainly for 电气.
 */
export function classKeys(cls: ClassScore, main?: string): string[] {
  const side = main !== undefined && main !== cls.code;
  const keys = new Set<string>([classKey(cls.code, side ? main : undefined)]);
  if (side) keys.add(sideKey(cls.code));
  for (const e of cls.evidence) if (e.kind !== 'feedback') keys.add(termKey(e.term, side));
  return [...keys];
}

export const classKey = (code: string, main: string | undefined): string => (main !== undefined && main !== code ? `c~:${code}|${main}` : `c:${code}`);
/** The class as a side class next to any main class: students' verdict on the classifier's side routes of it. */
export const sideKey = (code: string): string => `c~:${code}`;
export const termKey = (term: string, side: boolean): string => `${side ? 't~' : 't'}:${term}`;

/**
 * The keys that routed a classified post to `collegeId`. Uses the classifier's routing explanation
 * when the classification carries it (posts stored by the pipeline do); otherwise every class counts.
 */
export function routeKeys(c: Classification & { routing?: RouteLike[] }, collegeId: string): string[] {
  const route = c.routing?.find((r) => r.collegeId === collegeId);
  const keys = new Set<string>();
  const addClass = (code: string) => {
    const i = c.classes.findIndex((k) => k.code === code);
    if (i >= 0) for (const k of classKeys(c.classes[i]!, i > 0 ? c.classes[0]!.code : undefined)) keys.add(k);
    else keys.add(classKey(code, undefined));
  };
  if (!route) {
    c.classes.forEach((cls, i) => {
      for (const k of classKeys(cls, i > 0 ? c.classes[0]!.code : undefined)) keys.add(k);
    });
    if (c.classes.length === 0 && c.openToAll) keys.add('o');
    return [...keys];
  }
  for (const e of route.evidence) {
    if (e.kind === 'class') addClass(e.term);
    else if (e.kind === 'major') addClass(e.term.slice(0, 4));
    else if (e.kind === 'keyword') keys.add(`k:${e.term}`);
    else if (e.kind === 'open-to-all') keys.add('o');
  }
  return [...keys];
}

/** 0.5^(age / halfLife); a vote from the future counts fully. */
export function decay(atMs: number, nowMs: number, halfLifeDays: number): number {
  const age = Math.max(0, nowMs - atMs) / 86_400_000;
  return 0.5 ** (age / halfLifeDays);
}

interface Opinion {
  sum: number;
  weight: number;
  latest: number;
}

/**
 * The table learnt from `votes` at `now`. `keysOf(collegeId, postId)` gives the keys of the voted
 * route (recorded with the item when it was first voted on); an item without keys teaches nothing.
 */
export function learnAdjustments(
  votes: Iterable<Vote>,
  keysOf: (collegeId: string, postId: string) => readonly string[] | undefined,
  now: Date,
  options: Partial<LearnOptions> = {},
): AdjustmentTable {
  const o = { ...DEFAULT_LEARN, ...options };
  const nowMs = now.getTime();
  // college → key → voter → opinion
  const acc = new Map<string, Map<string, Map<string, Opinion>>>();
  for (const v of votes) {
    const keys = keysOf(v.collegeId, v.postId);
    if (!keys?.length) continue;
    const d = decay(Date.parse(v.at), nowMs, o.halfLifeDays);
    if (!(d > 1e-6)) continue;
    let byKey = acc.get(v.collegeId);
    if (!byKey) {
      byKey = new Map();
      acc.set(v.collegeId, byKey);
    }
    for (const key of keys) {
      let byVoter = byKey.get(key);
      if (!byVoter) {
        byVoter = new Map();
        byKey.set(key, byVoter);
      }
      const op = byVoter.get(v.voter);
      if (op) {
        op.sum += d * v.value;
        op.weight += d;
        op.latest = Math.max(op.latest, d);
      } else byVoter.set(v.voter, { sum: d * v.value, weight: d, latest: d });
    }
  }
  const table: AdjustmentTable = new Map();
  for (const [college, byKey] of acc) {
    const out = new Map<string, KeyWeight>();
    for (const [key, byVoter] of byKey) {
      const w = keyWeight(byVoter.values(), o);
      if (w) out.set(key, w);
    }
    if (out.size) table.set(college, out);
  }
  return table;
}

/** The smoothed weight of one key from its voters' opinions, or undefined while it must not move. */
export function keyWeight(opinions: Iterable<Opinion>, o: LearnOptions): KeyWeight | undefined {
  let up = 0, down = 0, upVoters = 0, downVoters = 0, voters = 0, nUp = 0, nDown = 0;
  for (const op of opinions) {
    voters++;
    const s = op.sum / op.weight;
    if (s > 0) {
      up += op.latest * s;
      if (op.latest >= RECENT) upVoters++;
      nUp++;
    } else if (s < 0) {
      down += op.latest * -s;
      if (op.latest >= RECENT) downVoters++;
      nDown++;
    }
  }
  // How sure the votes make it that most of the college's students find the route useful, on [−1, 1].
  const prior = Math.max(o.prior, 0.01); // the Beta needs shapes > 0 even with no vote on one side
  const raw = 1 - 2 * incompleteBeta(0.5, up + prior, down + prior);
  // The side the weight points to must have enough distinct students with a recent vote behind it.
  if (raw < 0 && downVoters < o.minVoters) return undefined;
  if (raw > 0 && upVoters < o.minVoters) return undefined;
  // An even split is 0 in exact arithmetic; the incomplete beta leaves ~1e-16 of either sign.
  if (Math.abs(raw) < 1e-9) return undefined;
  return { weight: o.cap * raw, voters, up: nUp, down: nDown };
}
