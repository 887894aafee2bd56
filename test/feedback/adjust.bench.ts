// Cost of applying learnt adjustments per classified message (the ingest path): npx vitest bench test/feedback/adjust.bench.ts
import { bench, describe } from 'vitest';
import { applyAdjustments } from '../../src/feedback/adjust.ts';
import { learnAdjustments, routeKeys, type Vote } from '../../src/feedback/learn.ts';
import { classifier, NOW } from './rig.ts';

const texts = [
  '【内推】某电气公司招聘电气设计工程师，负责配电柜和PLC控制系统设计，自动化、电气工程及其自动化专业均可，上海',
  '【内推】某电力设备公司招聘PLC工程师，负责电气控制柜调试，自动化、电气专业均可，苏州',
  '【内推】国网江苏电力招聘电气工程及其自动化专业本科生，南京',
];
const classified = texts.map((t) => classifier.classify(t, NOW));
// A season of votes: 2,000 students × 5 votes over 500 posts.
const votes: Vote[] = [];
const keys = new Map<string, string[]>();
for (let i = 0; i < 10_000; i++) {
  const c = classified[i % 3]!;
  const college = c.colleges[i % c.colleges.length]!;
  keys.set(`${college}\u0000p${i % 500}`, routeKeys(c, college));
  votes.push({ voter: `s${i % 2000}`, collegeId: college, postId: `p${i % 500}`, value: i % 3 ? -1 : 1, at: NOW.toISOString() });
}
const table = learnAdjustments(votes, (c, p) => keys.get(`${c}\u0000${p}`), NOW);
const empty = new Map();

describe('applyAdjustments per message', () => {
  bench('no adjustments learnt', () => {
    for (const c of classified) applyAdjustments(c, empty);
  });
  bench('10,000 votes learnt', () => {
    for (const c of classified) applyAdjustments(c, table);
  });
  bench('learning the table from 10,000 votes (after a change, debounced; not per message)', () => {
    learnAdjustments(votes, (c, p) => keys.get(`${c}\u0000${p}`), NOW);
  });
  bench('classify alone (for scale)', () => {
    for (const t of texts) classifier.classify(t, NOW);
  });
});
