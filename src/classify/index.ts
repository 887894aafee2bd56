// The classifier: text → Classification. Pure (no I/O), explainable (every score lists its
// evidence), and fast: all term tables are built once in createClassifier.
import type { Catalog } from '../catalog.ts';
import type { Classification } from '../domain.ts';
import type { Tokenizer } from '../ports.ts';
import { TermTables } from './aho-corasick.ts';
import { createDetector } from './detect.ts';
import { OPEN_TO_ALL_TERMS } from './detect-terms.ts';
import { createFieldExtractor } from './extract.ts';
import { MAJOR_ALIASES } from './major-aliases.ts';
import { createMajorClassifier, type WordSpans } from './majors.ts';
import { foldWidth } from './normalize.ts';
import { createRouter, type CollegeRoute, type Route, type RoutingConfig } from './routing.ts';

export type { CollegeRoute, Route, RoutingConfig };

/** A Classification plus why each college was chosen. */
export interface ExplainedClassification extends Classification {
  routing: Route[];
}

export interface Classifier {
  classify(text: string, now: Date, timeZone?: string): ExplainedClassification;
}

/** Referrals are short; a pasted 1 MB log is judged on its head, which keeps classify O(1) in the worst case. */
export const MAX_CLASSIFIED_CHARS = 20_000;

export function createClassifier(catalog: Catalog, config: RoutingConfig, tokenizer: Tokenizer): Classifier {
  // Every stage's term tables in one automaton: each message is scanned once, up front.
  const terms = new TermTables();
  const detect = createDetector(terms);
  const majors = createMajorClassifier(catalog, terms);
  const route = createRouter(config, terms);
  const openTable = terms.add(OPEN_TO_ALL_TERMS.map((t) => [foldWidth(t), true] as const));
  const threshold = Number.isFinite(config.threshold) ? config.threshold : 0.5;
  const extractFields = createFieldExtractor(
    [...catalog.majors.map((m) => m.name), ...[...catalog.classes.values()].map((c) => c.name)],
    Object.keys(MAJOR_ALIASES),
    terms,
  );
  terms.build(); // here, not at the first message

  return {
    classify(input, now, timeZone = 'Asia/Shanghai') {
      const text = (typeof input === 'string' ? input : String(input ?? '')).slice(0, MAX_CLASSIFIED_CHARS);
      const folded = foldWidth(text);
      const scan = terms.scan(folded);
      const detection = detect(folded, scan);
      const openToAll = scan.any(openTable);
      // Chit-chat, most of the traffic, stops here: clearly not a job and nothing scam-like, so
      // nothing is routed or shown, and majors and fields would be work for no reader. (A
      // borderline text keeps them, for an admin asking why it was not taken.)
      if (detection.jobScore < threshold / 2 && !detection.isScam && !detection.evidence.some((e) => e.kind === 'scam-term')) {
        return {
          isJob: false,
          jobScore: round(detection.jobScore),
          isScam: false,
          scamScore: round(detection.scamScore),
          detection: detection.evidence,
          openToAll,
          classes: [],
          colleges: [],
          fields: { roles: [], links: [], emails: [], degrees: [] },
          routing: [],
        };
      }
      // jieba is the costliest step: cut only the runs where a short term needs its word boundaries.
      const wordsOf = (): WordSpans => words(folded, tokenizer);
      const major = majors(folded, wordsOf, scan);
      // 不限专业: no guessed classes, only the ones the post itself names ('电气优先，其他专业不限').
      const classes = openToAll ? major.classes.filter((c) => major.named.includes(c.code)) : major.classes;
      const isJob = !detection.isScam && detection.jobScore >= threshold;
      // Chat and news go nowhere; a suspected scam keeps its routes so an admin can release it.
      const routing =
        isJob || detection.isScam
          ? route({ folded, classCodes: classes.map((c) => c.code), majorCodes: major.majorCodes, openToAll, scan })
          : [];

      return {
        isJob,
        jobScore: round(detection.jobScore),
        isScam: detection.isScam,
        scamScore: round(detection.scamScore),
        detection: detection.evidence,
        openToAll,
        classes,
        colleges: routing.map((r) => r.collegeId),
        fields: extractFields(text, folded, now, timeZone, scan),
        routing,
      };
    },
  };
}

const round = (x: number): number => Math.round(x * 1e4) / 1e4;

/**
 * jieba's words of `text`, cut lazily one run at a time. cppjieba splits its input at spaces, tabs,
 * newlines, '，' and '。' (SPECIAL_SEPARATORS in cppjieba's SegmentBase.hpp) and segments each run on
 * its own, so cutting only the run around an offset gives the words the whole text's cut would: a
 * post whose short terms sit in two sentences cuts those two, not all of it. A run the tokenizer
 * fails on (or answers with text not in the run) is taken character by character, which contradicts
 * no match.
 */
function words(text: string, tokenizer: Tokenizer): WordSpans {
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
