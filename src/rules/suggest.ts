// "Did you mean …?" for the rules: the keys the schema allows at a given path, and the nearest spelling.
import { z } from 'zod';

/** Unwraps optional/default/pipe wrappers to the schema that holds the shape or element. */
function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (;;) {
    if (s instanceof z.ZodOptional || s instanceof z.ZodDefault || s instanceof z.ZodNullable) s = s.unwrap() as z.ZodType;
    else if (s instanceof z.ZodPipe) s = s.in as z.ZodType;
    else return s;
  }
}

/** The schema found by following `path` (object keys, array indices) from `root`, if the path exists in it. */
export function schemaAt(root: z.ZodType, path: readonly PropertyKey[]): z.ZodType | undefined {
  let s: z.ZodType | undefined = unwrap(root);
  for (const key of path) {
    if (!s) return undefined;
    if (s instanceof z.ZodObject && typeof key === 'string') s = (s.shape as Record<string, z.ZodType>)[key];
    else if (s instanceof z.ZodArray && typeof key === 'number') s = s.element as z.ZodType;
    else return undefined;
    s = s && unwrap(s);
  }
  return s;
}

/** The keys an object at `path` may have (empty when the path is not an object in the schema). */
export function keysAt(root: z.ZodType, path: readonly PropertyKey[]): string[] {
  const s = schemaAt(root, path);
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

/** The candidate nearest to `word`, if it is close enough to be a misspelling of it. */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  const w = word.toLowerCase();
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase());
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined;
}

/** Edit distance counting an insertion, deletion, substitution or swap of two neighbours as one (optimal string alignment). */
export function editDistance(a: string, b: string): number {
  // Three rows: a swap looks two rows back.
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2]! + 1);
      cur.push(d);
    }
    prev2 = prev;
    prev = cur;
  }
  return prev[b.length]!;
}
