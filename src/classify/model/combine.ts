// The class model's part in a post's classes. Named majors always win: a post whose requirement names
// majors keeps exactly the lexicon's classes, and a class named anywhere stays. For the rest (classes
// inferred from roles and duties) the lexicon's confidence and the model's probability are blended;
// the model can add a class the lexicon missed, and veto a weak lexicon-only second class it finds
// implausible. The constants were chosen on out-of-fold predictions (npm run eval -- --cv), for
// precision first, and checked not to hurt the group-chat and power fixtures.
import type { ClassScore, Evidence } from '../../domain.ts';
import { EXPLICIT_ELSEWHERE } from '../majors.ts';
import { postFeatures } from './features.ts';
import type { LinearModel } from './linear.ts';

/** Weight of the model's probability in the blend (the lexicon's confidence has 1 − this). */
export const MODEL_SHARE = 0.5;
/** A further class needs this share of the leader's blended score... */
const RELATIVE_CUTOFF = 0.5;
/** ...and at least this blended score. */
const MIN_BLENDED = 0.1;
/** The model alone adds a class from this probability. */
const MODEL_ADDS = 0.15;
/** A lexicon-only further class below this model probability is dropped. */
const MODEL_VETO = 0.03;
/** With no lexicon evidence at all, the model's first class needs this probability. */
const MODEL_ALONE = 0.2;
const MAX_CLASSES = 4;
/** Evidence kinds of a name the post states (majors.ts). */
const NAME_KINDS = /^(?:major-name|class-name|alias)/;
/** Top features shown as a model class's evidence. */
const EXPLAINED_TERMS = 4;

export interface LexiconClasses {
  classes: ClassScore[];
  /** The classes came from a requirement naming majors ('专业要求：…'). */
  requirement: boolean;
}

export function combineWithModel(lexicon: LexiconClasses, model: LinearModel, folded: string, classNames: ReadonlyMap<string, string>): ClassScore[] {
  if (lexicon.requirement) return lexicon.classes;
  const features = postFeatures(folded);
  // With no feature it knows, the model's probabilities are its prior: they say nothing about the post.
  if (model.known(features) === 0) return lexicon.classes;
  const probs = model.predict(features, 0.01);
  if (probs.length === 0) return lexicon.classes;
  const p = new Map(probs.map((x) => [x.code, x.p]));
  const lex = new Map(lexicon.classes.map((c) => [c.code, c]));
  const blended = new Map<string, number>();
  for (const x of probs) blended.set(x.code, MODEL_SHARE * x.p);
  for (const c of lexicon.classes) blended.set(c.code, (blended.get(c.code) ?? 0) + (1 - MODEL_SHARE) * c.confidence);
  const ranked = [...blended].sort((a, b) => b[1] - a[1]);
  const top = ranked[0]![1];

  // Classes the post names (a major, a class, an alias; preferred or not) are kept whatever the model
  // says, in blended order. A broad list's classes carry no name evidence (majors.ts makes them
  // preferences the duties choose among), so the blend chooses among them too.
  const stated = new Set(lexicon.classes.filter((c) => c.confidence >= EXPLICIT_ELSEWHERE || c.evidence.some((e) => NAME_KINDS.test(e.kind))).map((c) => c.code));
  const out: ClassScore[] = [];
  for (const [code, score] of ranked) {
    const mp = p.get(code) ?? 0;
    const fromLexicon = lex.get(code);
    let take: boolean;
    if (stated.has(code)) take = true;
    else if (out.length >= MAX_CLASSES) take = false;
    else if (out.length === 0) take = fromLexicon !== undefined || mp >= MODEL_ALONE;
    else take = mp >= MODEL_ADDS || (fromLexicon !== undefined && mp >= MODEL_VETO && score >= top * RELATIVE_CUTOFF && score >= MIN_BLENDED);
    if (!take) continue;
    const evidence: Evidence[] = [...(fromLexicon?.evidence ?? [])];
    if (mp >= 0.01) {
      for (const t of model.explain(features, code, EXPLAINED_TERMS)) evidence.push({ term: t.term, weight: t.weight, kind: 'model' });
    }
    out.push({ code, name: classNames.get(code) ?? fromLexicon?.name ?? code, confidence: stated.has(code) ? fromLexicon!.confidence : Math.round(Math.min(1, score) * 1000) / 1000, evidence });
  }
  return out;
}
