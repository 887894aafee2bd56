// npm run eval [-- --dir <dir>] [--check] [--errors N]
// Runs the classifier over every *.jsonl in ../shared/eval (or --dir) and test/fixtures/eval, prints
// per-file metrics, writes reports/eval.json, and with --check exits 1 when a dev target is missed.
import { mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCatalog } from '../src/catalog.ts';
import { createClassifier, type RoutingConfig } from '../src/classify/index.ts';
import { createJiebaTokenizer } from '../src/classify/tokenizer.ts';

interface Row {
  id: string;
  text: string;
  isJob: boolean;
  majorClasses: string[];
  source: string;
}

interface FileMetrics {
  file: string;
  rows: number;
  jobRows: number;
  detectionRecall: number | null;
  notJobRows: number;
  falsePositiveRate: number | null;
  falsePositives: number;
  scamRows: number;
  scamTakenForJobs: number;
  scamFlagged: number;
  /** Genuine referrals held as scams. */
  jobsHeldAsScam: number;
  classPrecision: number | null;
  classRecall: number | null;
  classF1: number | null;
  top1: number | null;
  openRows: number;
  openAccuracy: number | null;
  msPerRow: number;
  errors: { id: string; kind: string; text: string; gold: string[]; got: string[]; jobScore: number }[];
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const check = args.includes('--check');
const showErrors = Number(flag('--errors') ?? 0);
const evalDir = resolve(flag('--dir') ?? join(root, '../shared/eval'));
const fixtureDir = join(root, 'test/fixtures/eval');

// Other measurements of the same data: recruitment posters read by OCR (issue 15), and routing that
// learns from simulated student feedback (issue 12). Each has its own report and targets.
if (args.includes('--posters')) {
  const r = await (await import('./eval/posters.ts')).runPosterEval({ sample: flag('--sample') ? Number(flag('--sample')) : undefined });
  process.exit(check && !r.target.ok ? 1 : 0);
}
if (args.includes('--simulate-feedback')) {
  const r = await (await import('./eval/simulate-feedback.ts')).runFeedbackSimulation({ dirs: [evalDir, fixtureDir] });
  process.exit(check && r.targets.some((t) => !t.ok) ? 1 : 0);
}

const catalog = loadCatalog();
// Routing-independent metrics: every class is its own college.
const config: RoutingConfig = {
  threshold: 0.5,
  colleges: [...catalog.classes.keys()].map((code) => ({ id: code, classes: [code], majors: [], keywords: [], excludeKeywords: [], openToAll: false })),
};
const classifier = createClassifier(catalog, config, createJiebaTokenizer([]));
const now = new Date('2026-11-21T12:00:00+08:00');

const files = [evalDir, fixtureDir].flatMap((dir) =>
  existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort().map((f) => join(dir, f)) : [],
);
if (files.length === 0) {
  console.error(`no *.jsonl in ${evalDir} or ${fixtureDir}`);
  process.exit(2);
}

const ratio = (a: number, b: number): number | null => (b === 0 ? null : a / b);
const results: FileMetrics[] = [];

for (const file of files) {
  const rows = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Row);
  const name = basename(file);
  let jobRows = 0, detected = 0, notJobRows = 0, fp = 0, scamRows = 0, scamTaken = 0, scamFlagged = 0, heldAsScam = 0;
  let tp = 0, predicted = 0, gold = 0, top1Hits = 0, top1Rows = 0, openRows = 0, openOk = 0;
  const errors: FileMetrics['errors'] = [];
  const started = performance.now();
  rows.forEach((row, i) => {
    if (rows.length > 300 && i % 100 === 0) process.stderr.write(`\r${name} ${i}/${rows.length}`);
    const c = classifier.classify(row.text, now);
    const got = c.classes.map((x) => x.code);
    const miss = (kind: string): void => {
      errors.push({ id: row.id, kind, text: row.text.slice(0, 160), gold: row.majorClasses, got, jobScore: c.jobScore });
    };
    if (!row.isJob) {
      notJobRows++;
      const isScamRow = row.source.includes('scam');
      if (isScamRow) scamRows++;
      if (isScamRow && c.isScam) scamFlagged++;
      if (c.isJob) {
        fp++;
        if (isScamRow) scamTaken++;
        miss(isScamRow ? 'scam-taken-for-job' : 'false-positive');
      }
      return;
    }
    jobRows++;
    if (c.isJob) detected++;
    else miss(c.isScam ? 'missed-as-scam' : 'missed');
    if (c.isScam) heldAsScam++;
    const goldSet = new Set(row.majorClasses);
    if (goldSet.size === 0) {
      openRows++;
      if (c.colleges.length === 0) openOk++;
      else miss('open-routed');
    } else {
      top1Rows++;
      if (got[0] && goldSet.has(got[0])) top1Hits++;
      else miss('top1');
    }
    if (got.some((g) => !goldSet.has(g))) miss('extra-class');
    if (row.majorClasses.some((g) => !got.includes(g))) miss('missing-class');
    predicted += got.length;
    gold += goldSet.size;
    tp += got.filter((g) => goldSet.has(g)).length;
  });
  if (rows.length > 300) process.stderr.write(`\r${' '.repeat(40)}\r`);
  const precision = ratio(tp, predicted);
  const recall = ratio(tp, gold);
  results.push({
    file: name,
    rows: rows.length,
    jobRows,
    detectionRecall: ratio(detected, jobRows),
    notJobRows,
    falsePositiveRate: ratio(fp, notJobRows),
    falsePositives: fp,
    scamRows,
    scamTakenForJobs: scamTaken,
    scamFlagged,
    jobsHeldAsScam: heldAsScam,
    classPrecision: precision,
    classRecall: recall,
    classF1: precision !== null && recall !== null && precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : null,
    top1: ratio(top1Hits, top1Rows),
    openRows,
    openAccuracy: ratio(openOk, openRows),
    msPerRow: (performance.now() - started) / Math.max(1, rows.length),
    errors,
  });
}

const pct = (x: number | null, digits = 1): string => (x === null ? '   -  ' : `${(x * 100).toFixed(digits).padStart(5)}%`);
for (const r of results) {
  console.log(`\n${r.file}  (${r.rows} rows, ${r.msPerRow.toFixed(3)} ms/row)`);
  if (r.jobRows) {
    console.log(`  detection recall ${pct(r.detectionRecall, 2)}   classes P ${pct(r.classPrecision)} R ${pct(r.classRecall)} F1 ${pct(r.classF1)}   top-1 ${pct(r.top1)}` +
      (r.openRows ? `   open-to-any ${pct(r.openAccuracy)} of ${r.openRows}` : ''));
  }
  if (r.notJobRows) {
    console.log(`  false positives ${r.falsePositives}/${r.notJobRows} = ${pct(r.falsePositiveRate, 2)}   scam rows taken for jobs ${r.scamTakenForJobs}/${r.scamRows} (flagged as scam ${r.scamFlagged})`);
  }
  if (showErrors) for (const e of r.errors.slice(0, showErrors)) console.log(`    ${e.kind} ${e.id} gold=${e.gold} got=${e.got} job=${e.jobScore} ${e.text}`);
}

// Dev targets (issues #3 and #14), by kind of file so held-out files of the same kind are held to them too.
const targets: { what: string; ok: boolean }[] = [];
const jobFiles = results.filter((r) => r.jobRows > 0);
const allJob = jobFiles.reduce((a, r) => a + r.jobRows, 0);
const allDetected = jobFiles.reduce((a, r) => a + (r.detectionRecall ?? 0) * r.jobRows, 0);
if (allJob) targets.push({ what: `detection recall ${pct(allDetected / allJob, 2)} >= 99%`, ok: allDetected / allJob >= 0.99 - 1e-9 });
for (const r of results) {
  if (r.notJobRows) {
    targets.push({ what: `${r.file}: false-positive rate ${pct(r.falsePositiveRate, 2)} <= 0.3%`, ok: (r.falsePositiveRate ?? 0) <= 0.003 });
    targets.push({ what: `${r.file}: scam rows taken for jobs ${r.scamTakenForJobs} = 0`, ok: r.scamTakenForJobs === 0 });
  }
  const atLeast = (what: string, x: number | null, min: number): void => {
    targets.push({ what: `${r.file}: ${what} ${pct(x)} >= ${(min * 100).toFixed(1)}%`, ok: (x ?? 0) >= min - 1e-9 });
  };
  if (r.file.startsWith('zhaopin')) {
    atLeast('top-1', r.top1, 0.93);
    atLeast('class precision', r.classPrecision, 0.88);
    atLeast('class recall', r.classRecall, 0.85);
  }
  if (r.file.startsWith('civil-service')) atLeast('class F1', r.classF1, 0.995);
  if (r.file.startsWith('group-chat')) {
    atLeast('top-1', r.top1, 0.95);
    atLeast('class precision', r.classPrecision, 0.92);
    targets.push({ what: `${r.file}: genuine referrals held as scams ${r.jobsHeldAsScam} = 0`, ok: r.jobsHeldAsScam === 0 });
  }
}
console.log('\ntargets:');
for (const t of targets) console.log(`  ${t.ok ? 'ok  ' : 'MISS'} ${t.what}`);

mkdirSync(join(root, 'reports'), { recursive: true });
const reportPath = join(root, 'reports/eval.json');
writeFileSync(reportPath, JSON.stringify({ evalDir, generatedAt: new Date().toISOString(), targets, files: results }, null, 2));
console.log(`\nreport: ${reportPath}`);
if (check && targets.some((t) => !t.ok)) process.exit(1);
