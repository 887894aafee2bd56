// The class model's part in a post's classes: a second opinion on the lexicon. Named majors always win:
// a post whose requirement names majors keeps exactly the lexicon's classes, and a class named anywhere
// stays. For the classes inferred from roles and duties, the lexicon's confidence and the model's
// probability are blended to rank them; the model may add a class the lexicon missed and veto one it
// finds implausible, but only a class it has seen enough real posts of (`support`, counted at
// training): on a class it knows only from the catalog and the role terms (most engineering classes)
// its low probability means "never saw this", not "wrong", and the lexicon's evidence stands.
// Every change is explained: an added class carries `model` evidence, a vetoed one is returned in
// `vetoed` with the model's probability. The constants were chosen on out-of-fold predictions
// (npm run eval -- --cv) and checked on the files the model never saw.
import type { ClassScore, Evidence } from '../../domain.ts';
import { EXPLICIT_ELSEWHERE } from '../majors.ts';
import { postFeatures } from './features.ts';
import type { LinearModel } from './linear.ts';

export interface CombineOptions {
  /** Weight of the model's probability in the blend (the lexicon's confidence has 1 − this). */
  modelShare: number;
  /** A further class needs this share of the leader's blended score... */
  relativeCutoff: number;
  /** ...and at least this blended score. */
  minBlended: number;
  /** The model alone adds a class from this probability. */
  modelAdds: number;
  /** A lexicon-only class of a supported class below this model probability is dropped. */
  modelVeto: number;
  /** With no lexicon evidence at all, the model's first class needs this probability. */
  modelAlone: number;
  /** The model adds classes only to posts that name no major: one that names majors has said whom it wants. */
  addOnlyUnnamed: boolean;
  /** The lexicon's first class stays first: the model is a second opinion on the further classes. */
  keepLeader: boolean;
  /** Labelled posts of a class the model must have been trained on before it may add or veto that class. */
  minSupport: number;
  maxClasses: number;
}

export const DEFAULT_COMBINE: CombineOptions = {
  modelShare: 0.5,
  relativeCutoff: 0.5,
  minBlended: 0.1,
  modelAdds: 0.25,
  modelVeto: 0.03,
  modelAlone: 0.2,
  keepLeader: true,
  addOnlyUnnamed: true,
  minSupport: 8,
  maxClasses: 4,
};

/** Evidence kinds of a name the post states (majors.ts). */
const NAME_KINDS = /^(?:major-name|class-name|alias)/;
/** Top features shown as a model class's evidence. */
const EXPLAINED_TERMS = 4;

export interface LexiconClasses {
  classes: ClassScore[];
  /** The classes came from a requirement naming majors ('专业要求：…'). */
  requirement: boolean;
}

/** A class the lexicon found and the model removed, with the model's probability for it. */
export interface VetoedClass extends ClassScore {
  modelProbability: number;
}

export interface Combined {
  classes: ClassScore[];
  vetoed: VetoedClass[];
}

export function combineWithModel(
  lexicon: LexiconClasses,
  model: LinearModel,
  folded: string,
  classNames: ReadonlyMap<string, string>,
  options: CombineOptions = DEFAULT_COMBINE,
): Combined {
  const unchanged: Combined = { classes: lexicon.classes, vetoed: [] };
  if (lexicon.requirement) return unchanged;
  const analysis = model.analyse(postFeatures(folded), 0.001);
  // With no feature it knows, the model's probabilities are its prior: they say nothing about the post.
  if (analysis.known === 0) return unchanged;
  const probs = analysis.probabilities;
  if (probs.length === 0) return unchanged;
  const o = options;
  const supported = (code: string): boolean => (model.support(code) ?? 0) >= o.minSupport;
  const p = new Map(probs.map((x) => [x.code, x.p]));
  const lex = new Map(lexicon.classes.map((c) => [c.code, c]));
  const blended = new Map<string, number>();
  for (const x of probs) if (x.p >= 0.01) blended.set(x.code, o.modelShare * x.p);
  for (const c of lexicon.classes) {
    // On a class it has not learnt, the model abstains: the lexicon's confidence stands alone.
    const share = supported(c.code) ? 1 - o.modelShare : 1;
    blended.set(c.code, (supported(c.code) ? (blended.get(c.code) ?? 0) : 0) + share * c.confidence);
  }
  const leader = o.keepLeader ? lexicon.classes[0]?.code : undefined;
  const ranked = [...blended].sort((a, b) => (a[0] === leader ? -1 : b[0] === leader ? 1 : b[1] - a[1]));
  const top = Math.max(...blended.values());

  // Classes the post names (a major, a class, an alias; preferred or not) are kept whatever the model
  // says, in blended order. A broad list's classes carry no name evidence (majors.ts makes them
  // preferences the duties choose among), so the blend chooses among them too.
  const stated = new Set(lexicon.classes.filter((c) => c.confidence >= EXPLICIT_ELSEWHERE || c.evidence.some((e) => NAME_KINDS.test(e.kind))).map((c) => c.code));
  const out: ClassScore[] = [];
  const vetoed: VetoedClass[] = [];
  for (const [code, score] of ranked) {
    const mp = p.get(code) ?? 0;
    const fromLexicon = lex.get(code);
    const knows = supported(code);
    let take: boolean;
    if (stated.has(code)) take = true;
    else if (out.length >= o.maxClasses) take = false;
    else if (code === leader) take = true;
    else if (fromLexicon && knows && mp < o.modelVeto) take = false;
    else if (out.length === 0) take = fromLexicon !== undefined || (knows && mp >= o.modelAlone);
    else if (!fromLexicon) take = knows && mp >= o.modelAdds && (stated.size === 0 || !o.addOnlyUnnamed);
    else if (!knows) take = true; // the lexicon's cutoff already chose it; the model has no opinion
    else take = (knows && mp >= o.modelAdds) || (score >= top * o.relativeCutoff && score >= o.minBlended);
    if (!take) {
      if (fromLexicon) vetoed.push({ ...fromLexicon, modelProbability: round(mp) });
      continue;
    }
    const evidence: Evidence[] = [...(fromLexicon?.evidence ?? [])];
    if (knows && mp >= 0.01) {
      for (const t of analysis.explain(code, EXPLAINED_TERMS)) evidence.push({ term: t.term, weight: t.weight, kind: 'model' });
    }
    out.push({ code, name: classNames.get(code) ?? fromLexicon?.name ?? code, confidence: stated.has(code) ? fromLexicon!.confidence : round(Math.min(1, score)), evidence });
  }
  return { classes: out, vetoed };
}

const round = (x: number): number => Math.round(x * 1000) / 1000;
