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
import { combineWithModel, DEFAULT_COMBINE, type CombineOptions, type VetoedClass } from './model/combine.ts';
import type { LinearModel } from './model/linear.ts';
import { lazyWords } from './word-spans.ts';
import { foldWidth } from './normalize.ts';
import { createRouter, type CollegeRoute, type Route, type RoutingConfig } from './routing.ts';

export type { CollegeRoute, Route, RoutingConfig };

/** A Classification plus why each college was chosen. */
export interface ExplainedClassification extends Classification {
  routing: Route[];
  /** Classes the lexicon found and the class model removed, with its probability: the explanation of a veto. */
  modelVetoed?: VetoedClass[];
}

export interface Classifier {
  classify(text: string, now: Date, timeZone?: string): ExplainedClassification;
}

/** Referrals are short; a pasted 1 MB log is judged on its head, which keeps classify O(1) in the worst case. */
export const MAX_CLASSIFIED_CHARS = 20_000;

/**
 * `model`: a class model (model/, e.g. loadClassModel()) as a second opinion on the classes a post
 * implies without naming them: it keeps the lexicon's first class and every class it saw too few
 * labelled posts of, vetoes or adds only classes it knows (model/combine.ts), and says so
 * (`model` evidence, `modelVetoed`). Off by default: on grouped 5-fold CV it lifts the job-site ads
 * (npm run eval -- --cv) without changing the group-chat, power or civil-service files, but it costs
 * about as much again per job post as the lexicon (npm run eval -- --bench), and the relay's ingest
 * budget has no room for that yet.
 */
export function createClassifier(
  catalog: Catalog,
  config: RoutingConfig,
  tokenizer: Tokenizer,
  model: LinearModel | null = null,
  combine: CombineOptions = DEFAULT_COMBINE,
): Classifier {
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
  const classNames = new Map([...catalog.classes].map(([code, c]) => [code, c.name]));

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
      const wordsOf = (): WordSpans => lazyWords(folded, tokenizer);
      const major = majors(folded, wordsOf, scan);
      const combined = model ? combineWithModel(major, model, folded, classNames, combine) : undefined;
      const ranked = combined ? combined.classes : major.classes;
      // 不限专业: no guessed classes, only the ones the post itself names ('电气优先，其他专业不限').
      const classes = openToAll ? ranked.filter((c) => major.named.includes(c.code)) : ranked;
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
        ...(combined?.vetoed.length ? { modelVetoed: combined.vetoed } : {}),
      };
    },
  };
}

const round = (x: number): number => Math.round(x * 1e4) / 1e4;
