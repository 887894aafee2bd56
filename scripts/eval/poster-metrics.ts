// Small pure helpers of the poster eval: seeded sampling, text normalisation, edit distance, installed fonts.
import { spawnSync } from 'node:child_process';
import { seededRandom } from '../../src/seeded-random.ts';

export interface EvalRow {
  id: string;
  text: string;
  isJob: boolean;
  majorClasses: string[];
  source: string;
}

export { seededRandom };

/** `n` rows, as evenly as possible from each source (a big file does not crowd out a small one), shuffled. */
export function sampleRows(rows: readonly EvalRow[], n: number, random: () => number): EvalRow[] {
  const bySource = new Map<string, EvalRow[]>();
  for (const r of rows) bySource.set(r.source, [...(bySource.get(r.source) ?? []), r]);
  const pools = [...bySource.values()].map((pool) => shuffle(pool, random));
  const out: EvalRow[] = [];
  while (out.length < n && pools.some((p) => p.length)) for (const p of pools) if (out.length < n && p.length) out.push(p.pop()!);
  return shuffle(out, random);
}

function shuffle<T>(xs: readonly T[], random: () => number): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** What is compared: NFKC (full-width forms folded), no whitespace, no bullet glyphs, no trailing ellipsis dots. */
export function normaliseForAccuracy(text: string): string {
  return text.normalize('NFKC').replace(/[\s·•●]+/gu, '');
}

/** Levenshtein distance over code points, two rows of memory. */
export function editDistance(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[y.length]!;
}

/** 1 − edit distance / length of the truth, floored at 0. */
export function charAccuracy(truth: string, read: string): number {
  const t = normaliseForAccuracy(truth);
  if (!t.length) return 1;
  return Math.max(0, 1 - editDistance(t, normaliseForAccuracy(read)) / [...t].length);
}

/** The fonts of `wanted` that fontconfig knows (all of them when fc-list is missing: sharp will say). */
export function fontsInstalled(wanted: readonly string[]): string[] {
  const r = spawnSync('fc-list', [':lang=zh', 'family'], { encoding: 'utf8' });
  if (r.status !== 0) return [...wanted];
  const families = new Set(r.stdout.split('\n').flatMap((l) => l.split(',').map((s) => s.trim())));
  return wanted.filter((f) => families.has(f));
}
