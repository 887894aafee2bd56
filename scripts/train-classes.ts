// npm run train [-- --out data/class-model.json] [--seed N]
// Trains the class model (src/classify/model/) and writes it as data/class-model.json. Training data,
// recorded in the file's `training` block: the catalog's job directions per class, the curated role
// terms (role-terms.ts), and the labelled job-site rows of ../shared/eval/zhaopin-*.jsonl (job ads whose
// majors are implied, not named) — their ids are listed, so `npm run eval` scores those rows by
// cross-validation instead of with this model. Deterministic: the same data and seed give the same file.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCatalog } from '../src/catalog.ts';
import { catalogDocs, classSupport, roleTermDocs, SOURCE_WEIGHTS, trainingDocs, type LabelledRow } from '../src/classify/model/data.ts';
import { createLinearModel, type ModelFile } from '../src/classify/model/linear.ts';
import { DEFAULT_TRAIN_OPTIONS, trainModel } from '../src/classify/model/train.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const out = resolve(flag('--out') ?? join(root, 'data/class-model.json'));
const evalDir = resolve(flag('--dir') ?? join(root, '../shared/eval'));
const options = { ...DEFAULT_TRAIN_OPTIONS, seed: Number(flag('--seed') ?? DEFAULT_TRAIN_OPTIONS.seed) };

const files = existsSync(evalDir) ? readdirSync(evalDir).filter((f) => /^zhaopin.*\.jsonl$/.test(f)).sort() : [];
if (files.length === 0) console.warn(`no zhaopin-*.jsonl in ${evalDir}: training on the catalog and role terms only`);
const labelled = files.map((f) => {
  const rows = readFileSync(join(evalDir, f), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as LabelledRow);
  return { name: basename(f), rows: rows.filter((r) => r.isJob && r.majorClasses.length > 0) };
});
const catalog = loadCatalog();
const classes = [...catalog.classes.keys()].sort();
const rows = labelled.flatMap((l) => l.rows);
const started = performance.now();
const model = trainModel(trainingDocs(catalog, rows), classes, options);
const file: ModelFile = {
  format: model.format,
  training: {
    seed: options.seed,
    epochs: options.epochs,
    l2: options.l2,
    rate: options.rate,
    prune: options.prune,
    sources: [
      { name: 'catalog job directions (data/major-catalog-2026.json)', rows: catalogDocs(catalog, 1).length, weight: SOURCE_WEIGHTS.catalog },
      { name: 'role terms (src/classify/role-terms.ts)', rows: roleTermDocs(1).length, weight: SOURCE_WEIGHTS.roleTerms },
      ...labelled.map((l) => ({ name: l.name, rows: l.rows.length, weight: SOURCE_WEIGHTS.rows, ids: l.rows.map((r) => r.id) })),
    ],
    support: classSupport(rows),
  },
  classes: model.classes,
  bias: model.bias,
  weights: model.weights,
};
createLinearModel(file); // the file must load
const text = `${JSON.stringify(file)}\n`;
writeFileSync(out, text);
const pairs = Object.values(file.weights).reduce((a, w) => a + w.length / 2, 0);
console.log(
  `trained in ${((performance.now() - started) / 1000).toFixed(1)} s: ${Object.keys(file.weights).length} features, ${pairs} weights, ` +
    `${(text.length / 1024).toFixed(0)} KB → ${out}`,
);
