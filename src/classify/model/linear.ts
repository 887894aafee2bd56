// A sparse multinomial logistic model over post features (features.ts): for each feature, the classes
// it moves and by how much. Scoring a post is a sparse dot product: its ~200 features each add a
// handful of weights, so the cost per message is flat whatever the number of classes.
import { readFileSync } from 'node:fs';
import { projectPath } from '../../paths.ts';
import { TITLE_PREFIX } from './features.ts';

export const MODEL_FORMAT = 'alumni-relay/class-model@1';
export const DEFAULT_MODEL_PATH = projectPath('data', 'class-model.json');

/** The file: classes in a fixed order, a bias each, and per feature a flat [classIndex, weight, …] list. */
export interface ModelFile {
  format: typeof MODEL_FORMAT;
  /** What it was trained on and how, so a reader can tell which evaluation rows it has seen. */
  training: {
    seed: number;
    epochs: number;
    l2: number;
    rate: number;
    prune: number;
    sources: { name: string; rows: number; weight: number; ids?: string[] }[];
    /** Labelled posts per class among the training rows (the catalog and role terms not counted). */
    support?: Record<string, number>;
  };
  classes: string[];
  bias: number[];
  weights: Record<string, number[]>;
}

interface Row {
  cls: Uint8Array;
  w: Float32Array;
}

export interface ClassProbability {
  code: string;
  p: number;
}

export interface LinearModel {
  readonly classes: readonly string[];
  readonly file: ModelFile;
  /** How many of the post's features the model has weights for (0: it knows nothing about the post). */
  known(features: readonly string[]): number;
  /** Class probabilities for the post's features, highest first, down to `min`. */
  predict(features: readonly string[], min?: number): ClassProbability[];
  /** The features that raise `code` most in this post, as readable terms (bigrams, words), strongest first. */
  explain(features: readonly string[], code: string, n?: number): { term: string; weight: number }[];
  /**
   * predict, known and explain in one: the post's features are looked up once, and a class is explained
   * from the rows already found (classify explains every class it reports, so this is the hot path).
   */
  analyse(features: readonly string[], min?: number): Analysis;
  /** Labelled posts of the class the model was trained on (0 for a class it knows only from the catalog). */
  support(code: string): number;
}

export interface Analysis {
  /** How many of the features the model knows. */
  known: number;
  probabilities: ClassProbability[];
  explain(code: string, n?: number): { term: string; weight: number }[];
}

export function createLinearModel(file: ModelFile): LinearModel {
  if (file.format !== MODEL_FORMAT) throw new Error(`class model: format ${String(file.format)}, expected ${MODEL_FORMAT}`);
  const k = file.classes.length;
  if (k === 0 || k > 255 || file.bias.length !== k) throw new Error(`class model: ${k} classes and ${file.bias.length} biases`);
  const rows = new Map<string, Row>();
  for (const [feature, flat] of Object.entries(file.weights)) {
    if (!Array.isArray(flat) || flat.length % 2 !== 0) throw new Error(`class model: weights of '${feature}' are not [class, weight] pairs`);
    const n = flat.length / 2;
    const row: Row = { cls: new Uint8Array(n), w: new Float32Array(n) };
    for (let i = 0; i < n; i++) {
      const c = flat[2 * i]!;
      if (!Number.isInteger(c) || c < 0 || c >= k) throw new Error(`class model: class index ${c} of '${feature}' out of range`);
      row.cls[i] = c;
      row.w[i] = flat[2 * i + 1]!;
    }
    rows.set(feature, row);
  }
  const index = new Map(file.classes.map((c, i) => [c, i]));
  const bias = Float64Array.from(file.bias);

  const logits = (features: readonly string[]): Float64Array => {
    const z = Float64Array.from(bias);
    const x = features.length ? 1 / Math.sqrt(features.length) : 0;
    for (const f of features) {
      const row = rows.get(f);
      if (!row) continue;
      for (let i = 0; i < row.cls.length; i++) z[row.cls[i]!]! += row.w[i]! * x;
    }
    return z;
  };

  const support = file.training.support ?? {};

  const probabilities = (z: Float64Array, min: number): ClassProbability[] => {
    let max = -Infinity;
    for (const v of z) if (v > max) max = v;
    let sum = 0;
    for (let i = 0; i < k; i++) sum += z[i] = Math.exp(z[i]! - max);
    const out: ClassProbability[] = [];
    for (let i = 0; i < k; i++) {
      const p = z[i]! / sum;
      if (p >= min) out.push({ code: file.classes[i]!, p });
    }
    return out.sort((a, b) => b.p - a.p);
  };

  const explainFrom = (found: readonly string[], foundRows: readonly Row[], x: number, code: string, n: number): { term: string; weight: number }[] => {
    const c = index.get(code);
    if (c === undefined) return [];
    const best = new Map<string, number>();
    for (let j = 0; j < foundRows.length; j++) {
      const row = foundRows[j]!;
      for (let i = 0; i < row.cls.length; i++) {
        if (row.cls[i] !== c || row.w[i]! <= 0) continue;
        // A title bigram and the same bigram in the body are one term to a reader.
        const f = found[j]!;
        const term = f.startsWith(TITLE_PREFIX) ? f.slice(TITLE_PREFIX.length) : f;
        best.set(term, (best.get(term) ?? 0) + row.w[i]! * x);
        break;
      }
    }
    return [...best]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([term, weight]) => ({ term, weight: Math.round(weight * 1000) / 1000 }));
  };
  return {
    classes: file.classes,
    file,
    support: (code) => support[code] ?? 0,
    analyse(features, min = 0.01) {
      const found: string[] = [];
      const foundRows: Row[] = [];
      for (const f of features) {
        const row = rows.get(f);
        if (row) {
          found.push(f);
          foundRows.push(row);
        }
      }
      const z = Float64Array.from(bias);
      const x = features.length ? 1 / Math.sqrt(features.length) : 0;
      for (const row of foundRows) for (let i = 0; i < row.cls.length; i++) z[row.cls[i]!]! += row.w[i]! * x;
      return { known: found.length, probabilities: probabilities(z, min), explain: (code, n = 4) => explainFrom(found, foundRows, x, code, n) };
    },
    known(features) {
      let n = 0;
      for (const f of features) if (rows.has(f)) n++;
      return n;
    },
    predict(features, min = 0.01) {
      return probabilities(logits(features), min);
    },
    explain(features, code, n = 4) {
      const c = index.get(code);
      if (c === undefined || features.length === 0) return [];
      const x = 1 / Math.sqrt(features.length);
      const best = new Map<string, number>();
      for (const f of features) {
        const row = rows.get(f);
        if (!row) continue;
        for (let i = 0; i < row.cls.length; i++) {
          if (row.cls[i] !== c || row.w[i]! <= 0) continue;
          // A title bigram and the same bigram in the body are one term to a reader.
          const term = f.startsWith(TITLE_PREFIX) ? f.slice(TITLE_PREFIX.length) : f;
          best.set(term, (best.get(term) ?? 0) + row.w[i]! * x);
        }
      }
      return [...best]
        .sort((a, b) => b[1] - a[1])
        .slice(0, n)
        .map(([term, weight]) => ({ term, weight: Math.round(weight * 1000) / 1000 }));
    },
  };
}

let cached: LinearModel | null | undefined;

/** The shipped model (data/class-model.json), read once per process; null when the file is absent. */
export function loadClassModel(path = DEFAULT_MODEL_PATH): LinearModel | null {
  if (path !== DEFAULT_MODEL_PATH) return createLinearModel(JSON.parse(readFileSync(path, 'utf8')) as ModelFile);
  if (cached !== undefined) return cached;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return (cached = null);
    throw err;
  }
  return (cached = createLinearModel(JSON.parse(text) as ModelFile));
}
