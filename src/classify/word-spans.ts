// Word boundaries from jieba for the few places that need them (a short term inside a longer word or
// straddling two), cut lazily and only where asked.
import type { Tokenizer } from '../ports.ts';
import type { WordSpans } from './majors.ts';

/**
 * jieba's words of `text`, cut lazily one run at a time. cppjieba splits its input at spaces, tabs,
 * newlines, '，' and '。' (SPECIAL_SEPARATORS in cppjieba's SegmentBase.hpp) and segments each run on
 * its own, so cutting only the run around an offset gives the words the whole text's cut would: a
 * post whose short terms sit in two sentences cuts those two, not all of it. A run the tokenizer
 * fails on (or answers with text not in the run) is taken character by character, which contradicts
 * no match.
 */
export function lazyWords(text: string, tokenizer: Tokenizer): WordSpans {
  // Run boundaries once per text: each run is [bounds[i] + 1, bounds[i + 1]).
  const bounds: number[] = [-1];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0xff0c || c === 0x3002) bounds.push(i);
  }
  bounds.push(text.length);
  const cuts = new Array<Int32Array | undefined>(bounds.length - 1);
  return {
    wordAt(at) {
      let lo = 0;
      let hi = bounds.length - 2;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (bounds[mid]! < at) lo = mid;
        else hi = mid - 1;
      }
      const start = bounds[lo]! + 1;
      const end = bounds[lo + 1]!;
      const starts = (cuts[lo] ??= cutRun(text.slice(start, end), tokenizer, start));
      let a = 0;
      let b = starts.length - 1;
      while (a < b) {
        const mid = (a + b + 1) >> 1;
        if (starts[mid]! <= at) a = mid;
        else b = mid - 1;
      }
      return [starts[a] ?? start, a + 1 < starts.length ? starts[a + 1]! : end];
    },
  };
}

/** Start offsets (shifted by `offset`) of the jieba words of one run; a gap the tokenizer skipped counts as a word. */
function cutRun(run: string, tokenizer: Tokenizer, offset: number): Int32Array {
  let tokens: string[];
  try {
    tokens = tokenizer.cut(run);
  } catch {
    return everyChar(run.length, offset);
  }
  const starts: number[] = [];
  let pos = 0;
  for (const t of tokens) {
    if (!t) continue;
    const at = run.startsWith(t, pos) ? pos : run.indexOf(t, pos);
    if (at < 0) return everyChar(run.length, offset);
    if (at > pos) starts.push(offset + pos);
    starts.push(offset + at);
    pos = at + t.length;
  }
  if (pos < run.length) starts.push(offset + pos);
  return Int32Array.from(starts);
}

const everyChar = (length: number, offset: number): Int32Array => Int32Array.from({ length }, (_, i) => offset + i);
