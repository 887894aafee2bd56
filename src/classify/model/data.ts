// Training documents for the class model, and the grouped folds its honest evaluation uses.
// Sources: the catalog's job directions per class (every class, none of it evaluation text) and
// labelled job posts (rows of the evaluation files' format) — which rows went in is written into the
// model file, so the evaluation can tell which rows the shipped model has seen.
import type { Catalog } from '../../catalog.ts';
import { foldWidth } from '../normalize.ts';
import { ROLE_TERMS } from '../role-terms.ts';
import { postFeatures } from './features.ts';
import { seededRandom, shuffle, type TrainingDoc } from './train.ts';

export interface LabelledRow {
  id: string;
  text: string;
  isJob: boolean;
  majorClasses: string[];
}

/** Directions every kind of graduate takes: they say nothing about a class. */
const GENERIC_JOBS = new Set(['招聘', '培训', '公务员', '事业单位', '考研', '出国', '参军', '科研', '大学教师', '教师', '管理', '销售代表', '公司业务', '个人业务']);
/** A direction listed for more classes than this says little about any of them. */
const MAX_CLASSES_PER_JOB = 6;

/**
 * One document per job direction the catalog lists ('软件工程师', '会计/会计师'), labelled with every
 * class whose majors list it (at most MAX_CLASSES_PER_JOB), read as a post's title.
 */
export function catalogDocs(catalog: Catalog, weight: number): TrainingDoc[] {
  const perJob = new Map<string, Set<string>>();
  for (const m of catalog.majors) {
    for (const job of m.jobs) {
      const name = foldWidth(job.replace(/[(（].*?[)）]/g, '').trim());
      if (name.length < 2 || GENERIC_JOBS.has(name.replace(/(人员|专员|助理)$/, ''))) continue;
      let set = perJob.get(name);
      if (!set) perJob.set(name, (set = new Set()));
      set.add(m.classCode);
    }
  }
  const docs: TrainingDoc[] = [];
  for (const [job, classes] of [...perJob].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (classes.size > MAX_CLASSES_PER_JOB) continue;
    docs.push({ features: postFeatures(job), labels: [...classes].sort(), weight });
  }
  return docs;
}

/**
 * One document per curated role term (role-terms.ts: '剪辑师', 'PLC', '继电保护') and class it names,
 * weighted by the term's weight there (3 = the role itself): the model learns the lexicon's knowledge
 * for every class, in bigrams, so a variant the lexicon lacks ('视频剪辑' for '剪辑师') still counts.
 */
export function roleTermDocs(weight: number): TrainingDoc[] {
  const docs: TrainingDoc[] = [];
  for (const [code, terms] of Object.entries(ROLE_TERMS).sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    for (const [term, w] of Object.entries(terms)) {
      const features = postFeatures(foldWidth(term));
      if (features.length) docs.push({ features, labels: [code], weight: (weight * w) / 3 });
    }
  }
  return docs;
}

/** Job rows with at least one gold class. */
export function rowDocs(rows: readonly LabelledRow[], weight: number): TrainingDoc[] {
  return rows
    .filter((r) => r.isJob && r.majorClasses.length > 0)
    .map((r) => ({ features: postFeatures(foldWidth(r.text)), labels: r.majorClasses, weight }));
}

/** Character 4-grams of a text's Chinese and Latin characters, for near-duplicate grouping. */
function shingles(text: string): Set<string> {
  const s = foldWidth(text).replace(/[^\p{Script=Han}a-z0-9]/gu, '');
  const out = new Set<string>();
  for (let i = 0; i + 4 <= s.length; i++) out.add(s.slice(i, i + 4));
  return out;
}

function jaccard(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 || b.size === 0) return 0;
  let common = 0;
  for (const x of a.size < b.size ? a : b) if ((a.size < b.size ? b : a).has(x)) common++;
  return common / (a.size + b.size - common);
}

/**
 * A fold (0..k-1) per row. Job sites repost the same ad under several titles or for several cities;
 * rows that share most of their text (4-gram Jaccard ≥ `similar`) are one group and always land in
 * the same fold, so no fold is scored on a copy of what it was trained on.
 */
export function groupedFolds(texts: readonly string[], k: number, seed: number, similar = 0.4): number[] {
  const parent = texts.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  const sh = texts.map(shingles);
  for (let i = 0; i < texts.length; i++) {
    for (let j = i + 1; j < texts.length; j++) {
      if (find(i) !== find(j) && jaccard(sh[i]!, sh[j]!) >= similar) parent[find(i)] = find(j);
    }
  }
  const groups = new Map<number, number[]>();
  texts.forEach((_, i) => {
    const g = find(i);
    const list = groups.get(g);
    if (list) list.push(i);
    else groups.set(g, [i]);
  });
  // Largest groups first, each to the fold with the fewest rows so far; ties broken by the seeded order.
  const ordered = shuffle([...groups.values()], seededRandom(seed)).sort((a, b) => b.length - a.length);
  const sizes = new Array<number>(k).fill(0);
  const fold = new Array<number>(texts.length).fill(0);
  for (const g of ordered) {
    let best = 0;
    for (let f = 1; f < k; f++) if (sizes[f]! < sizes[best]!) best = f;
    sizes[best]! += g.length;
    for (const i of g) fold[i] = best;
  }
  return fold;
}

/** How much each source counts: a real post 1, a catalog direction or a curated role term less. */
export const SOURCE_WEIGHTS = { catalog: 0.3, roleTerms: 0.3, rows: 1 } as const;

/** The shipped model's recipe: the catalog's directions, the role terms, and the labelled rows given. */
export function trainingDocs(catalog: Catalog, rows: readonly LabelledRow[]): TrainingDoc[] {
  return [...catalogDocs(catalog, SOURCE_WEIGHTS.catalog), ...roleTermDocs(SOURCE_WEIGHTS.roleTerms), ...rowDocs(rows, SOURCE_WEIGHTS.rows)];
}

/** Labelled posts per class: how much real evidence the model has for each (combine.ts trusts it only above a floor). */
export function classSupport(rows: readonly LabelledRow[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rows) if (r.isJob) for (const c of new Set(r.majorClasses)) out[c] = (out[c] ?? 0) + 1;
  return Object.fromEntries(Object.entries(out).sort((a, b) => (a[0] < b[0] ? -1 : 1)));
}
