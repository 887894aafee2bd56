// Trains the class model: multinomial logistic regression by AdaGrad SGD with L2, over binary features
// scaled by 1/√(features in the post). Deterministic: a seeded shuffle, no clock, no randomness else.
// Pure (no I/O): scripts/train-classes.ts writes the result, scripts/eval.ts --cv trains per fold.
import { MODEL_FORMAT, type ModelFile } from './linear.ts';
import { seededRandom } from '../../seeded-random.ts';

export interface TrainingDoc {
  features: readonly string[];
  /** Gold classes; a post suiting two classes counts half for each. */
  labels: readonly string[];
  /** How much this document counts (catalog entries count less than a real post). */
  weight: number;
}

export interface TrainOptions {
  seed: number;
  epochs: number;
  /** L2 penalty per update of a weight. */
  l2: number;
  /** AdaGrad's base step. */
  rate: number;
  /** Weights smaller than this are left out of the file (the model stays small; the loss of accuracy is measured by --cv). */
  prune: number;
}

export const DEFAULT_TRAIN_OPTIONS: TrainOptions = { seed: 14, epochs: 25, l2: 1e-4, rate: 0.3, prune: 0.3 };

export { seededRandom };

export function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

export function trainModel(docs: readonly TrainingDoc[], classes: readonly string[], options: TrainOptions = DEFAULT_TRAIN_OPTIONS): Omit<ModelFile, 'training'> {
  const k = classes.length;
  const classIndex = new Map(classes.map((c, i) => [c, i]));
  const vocab = new Map<string, number>();
  const encoded: { f: Int32Array; y: Float64Array; x: number; weight: number }[] = [];
  for (const d of docs) {
    const labels = d.labels.filter((l) => classIndex.has(l));
    if (labels.length === 0 || d.features.length === 0 || !(d.weight > 0)) continue;
    const f = Int32Array.from(d.features, (name) => {
      let i = vocab.get(name);
      if (i === undefined) vocab.set(name, (i = vocab.size));
      return i;
    });
    const y = new Float64Array(k);
    for (const l of labels) y[classIndex.get(l)!]! += 1 / labels.length;
    encoded.push({ f, y, x: 1 / Math.sqrt(d.features.length), weight: d.weight });
  }
  const w = new Float64Array(vocab.size * k);
  const gw = new Float64Array(vocab.size * k);
  const bias = new Float64Array(k);
  const gb = new Float64Array(k);
  const z = new Float64Array(k);
  const random = seededRandom(options.seed);
  const order = encoded.map((_, i) => i);
  const eps = 1e-8;
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    shuffle(order, random);
    for (const di of order) {
      const d = encoded[di]!;
      z.set(bias);
      for (const fi of d.f) {
        const base = fi * k;
        for (let c = 0; c < k; c++) z[c]! += w[base + c]! * d.x;
      }
      let max = -Infinity;
      for (let c = 0; c < k; c++) if (z[c]! > max) max = z[c]!;
      let sum = 0;
      for (let c = 0; c < k; c++) sum += z[c] = Math.exp(z[c]! - max);
      // z becomes the gradient of the loss with respect to the logits: weight · (p − y).
      for (let c = 0; c < k; c++) z[c] = d.weight * (z[c]! / sum - d.y[c]!);
      for (let c = 0; c < k; c++) {
        const g = z[c]!;
        gb[c]! += g * g;
        bias[c]! -= (options.rate * g) / Math.sqrt(gb[c]! + eps);
      }
      for (const fi of d.f) {
        const base = fi * k;
        for (let c = 0; c < k; c++) {
          const i = base + c;
          const g = z[c]! * d.x + options.l2 * w[i]!;
          if (g === 0) continue;
          gw[i]! += g * g;
          w[i]! -= (options.rate * g) / Math.sqrt(gw[i]! + eps);
        }
      }
    }
  }
  const weights: Record<string, number[]> = {};
  // Features in a stable order, so the same data and seed give the same file byte for byte.
  for (const [name, fi] of [...vocab].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    // A feature pushes the classes it does not name down by about the same amount. Adding one constant to
    // all of a feature's weights leaves every probability unchanged (softmax is shift-invariant), so each
    // row is centred on its median first: the common push becomes 0 and is not stored.
    const row = w.subarray(fi * k, fi * k + k);
    const median = Float64Array.from(row).sort()[k >> 1]!;
    const flat: number[] = [];
    for (let c = 0; c < k; c++) {
      const v = row[c]! - median;
      if (Math.abs(v) >= options.prune) flat.push(c, Math.round(v * 100) / 100);
    }
    if (flat.length) weights[name] = flat;
  }
  return { format: MODEL_FORMAT, classes: [...classes], bias: [...bias].map((b) => Math.round(b * 1000) / 1000), weights };
}
