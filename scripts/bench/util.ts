// Small helpers shared by the bench's sections.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const t = () => performance.now();
export const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
};
export const r2 = (x: number) => Math.round(x * 100) / 100;
export const tmp = () => mkdtempSync(join(tmpdir(), 'alumni-relay-bench-'));
export const log = (s: string) => process.stderr.write(`${s}\n`);

/** Runs `work` over `items` with `concurrency` in flight. */
export async function pool<T>(items: T[], concurrency: number, work: (x: T, i: number) => Promise<unknown>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const i = next++;
        await work(items[i]!, i);
      }
    }),
  );
}

/** Cuts per second of `folded` over one window of ≈ `ms` (whole passes over the texts). */
export function cutRate(cut: (s: string) => unknown, folded: string[], ms: number): number {
  let cuts = 0;
  const start = t();
  while (t() - start < ms) {
    for (const s of folded) cut(s);
    cuts += folded.length;
  }
  return cuts / ((t() - start) / 1000);
}

/**
 * A shared VM's speed drifts by ±30% within seconds, so ingest is compared with jieba's raw cut under the
 * same conditions: rounds of [cut the chunk's texts for a while → ingest the chunk → cut them again], one
 * ratio per round (ingest ÷ the mean of the two cut windows around it); the ratio reported is the median.
 */
export async function interleavedRounds(
  chunks: string[][],
  fold: (s: string) => string,
  cut: (s: string) => unknown,
  windowMs: number,
  ingest: (chunk: string[]) => Promise<void>,
): Promise<{ cut: number; ingest: number; ratio: number }[]> {
  const out: { cut: number; ingest: number; ratio: number }[] = [];
  for (const chunk of chunks) {
    const folded = chunk.map(fold);
    const before = cutRate(cut, folded, windowMs);
    const a = t();
    await ingest(chunk);
    const ingestRate = chunk.length / ((t() - a) / 1000);
    const c = (before + cutRate(cut, folded, windowMs)) / 2;
    out.push({ cut: c, ingest: ingestRate, ratio: ingestRate / c });
  }
  return out;
}

export const median = (xs: number[]) => pct(xs, 50);
export const range = (xs: number[]) => `${r2(Math.min(...xs))}–${r2(Math.max(...xs))}`;
