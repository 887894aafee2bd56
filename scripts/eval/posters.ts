// npm run eval -- --posters   (or: npx tsx scripts/eval/posters.ts [--sample N] [--seed S] [--keep DIR])
// Renders a seeded sample of the dev set's referrals as posters (render-poster.ts: several layouts, fonts, sizes,
// colours, rotation, grain, JPEG), reads them back through the real OCR service, and reports:
//   - character accuracy: 1 − edit distance / length, on NFKC text without whitespace and bullet glyphs;
//   - routing agreement: the project's classifier (rules/routing.yaml) on the original text and on the OCR text
//     agree on isJob and the colleges (target ≥ 95 %), and on the top class;
//   - duplicates: the OCR text's SimHash is within the pipeline's near-duplicate distance of the original's
//     (the same referral posted as text and as a picture is merged into one);
// overall and by layout, font, size and artefact. Writes reports/posters.json. Needs no browser.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { classifierFor } from '../../src/app.ts';
import { loadCatalog } from '../../src/catalog.ts';
import { hammingDistance, NEAR_DUPLICATE_MAX_DISTANCE, simhash } from '../../src/dedupe.ts';
import { silentLogger } from '../../src/log.ts';
import { createOcrService } from '../../src/media/ocr-service.ts';
import { loadRulesFile } from '../../src/rules/index.ts';
import { charAccuracy, fontsInstalled, sampleRows, seededRandom, type EvalRow } from './poster-metrics.ts';
import { FONTS, renderPoster, styleFor, type PosterStyle } from './render-poster.ts';

export interface PosterEvalOptions {
  /** Posters to render (default 120). */
  sample?: number;
  seed?: number;
  /** Dev-set directory (default ../shared/eval next to the clone). */
  dir?: string;
  /** Where to write the report (default reports/posters.json). */
  out?: string;
  /** Also write every poster image here. */
  keepDir?: string;
  /** Engine threads (the service's option). */
  threads?: number;
  log?: (line: string) => void;
}

interface PosterCase {
  id: string;
  style: PosterStyle;
  bytes: number;
  ms: number;
  accuracy: number;
  isJobAgrees: boolean;
  routingAgrees: boolean;
  topClassAgrees: boolean;
  merged: boolean;
  original?: { isJob: boolean; colleges: string[]; top?: string };
  fromOcr?: { isJob: boolean; colleges: string[]; top?: string };
  ocrText?: string;
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const rate = (xs: PosterCase[], f: (c: PosterCase) => boolean): number => (xs.length ? xs.filter(f).length / xs.length : 0);
const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

function summary(cases: PosterCase[]) {
  const acc = cases.map((c) => c.accuracy).sort((a, b) => a - b);
  return {
    posters: cases.length,
    charAccuracy: mean(acc),
    charAccuracyP10: acc[Math.floor(acc.length * 0.1)] ?? 0,
    isJobAgreement: rate(cases, (c) => c.isJobAgrees),
    routingAgreement: rate(cases, (c) => c.routingAgrees),
    topClassAgreement: rate(cases, (c) => c.topClassAgrees),
    mergedAsDuplicate: rate(cases, (c) => c.merged),
    msPerPoster: mean(cases.map((c) => c.ms)),
  };
}

function groupBy(cases: PosterCase[], key: (c: PosterCase) => string) {
  const groups = new Map<string, PosterCase[]>();
  for (const c of cases) groups.set(key(c), [...(groups.get(key(c)) ?? []), c]);
  return Object.fromEntries([...groups].sort().map(([k, v]) => [k, summary(v)]));
}

export async function runPosterEval(opts: PosterEvalOptions = {}) {
  const log = opts.log ?? ((s: string) => console.log(s));
  const sample = opts.sample ?? 120;
  const seed = opts.seed ?? 15;
  const dirs = [opts.dir ?? join(ROOT, '../shared/eval'), join(ROOT, 'test/fixtures/eval')];
  const files = dirs.flatMap((d) => (existsSync(d) ? readdirSync(d).filter((f) => f.endsWith('.jsonl')).map((f) => join(d, f)) : []));
  const rows: EvalRow[] = files.flatMap((f) => readFileSync(f, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as EvalRow));
  const random = seededRandom(seed);
  const picked = sampleRows(rows.filter((r) => r.isJob), sample, random);
  const fonts = fontsInstalled(FONTS);
  if (fonts.length === 0) throw new Error('no CJK font installed: apt-get install fonts-wqy-microhei (or fonts-noto-cjk)');
  log(`posters: ${picked.length} job rows from ${files.length} files, fonts: ${fonts.join(', ')}, seed ${seed}`);

  const catalog = loadCatalog();
  const rules = loadRulesFile(join(ROOT, 'rules/routing.yaml'), catalog);
  const classifier = classifierFor(rules, catalog);
  const now = new Date('2026-11-21T12:00:00+08:00');
  const route = (text: string) => {
    const c = classifier.classify(text, now, rules.defaults.timezone);
    return { isJob: c.isJob, colleges: [...c.colleges].sort(), top: c.classes[0]?.code };
  };
  const ocr = createOcrService({ logger: silentLogger, threads: opts.threads, maxQueue: 4 });
  if (opts.keepDir) mkdirSync(opts.keepDir, { recursive: true });
  const cases: PosterCase[] = [];
  const started = performance.now();
  try {
    for (const [i, row] of picked.entries()) {
      const style = styleFor(i, random, fonts);
      const image = await renderPoster(row.text, style);
      if (opts.keepDir) writeFileSync(join(opts.keepDir, `${row.id}.${style.jpegQuality ? 'jpg' : 'png'}`), image);
      const result = await ocr.recognize(image, { messageId: row.id });
      const a = route(row.text);
      const b = route(result.text);
      const routingAgrees = a.isJob === b.isJob && a.colleges.join() === b.colleges.join();
      const c: PosterCase = {
        id: row.id,
        style,
        bytes: image.length,
        ms: result.ms,
        accuracy: charAccuracy(row.text, result.text),
        isJobAgrees: a.isJob === b.isJob,
        routingAgrees,
        topClassAgrees: a.isJob === b.isJob && a.top === b.top,
        merged: hammingDistance(simhash(row.text), simhash(result.text)) <= NEAR_DUPLICATE_MAX_DISTANCE,
      };
      if (!routingAgrees || c.accuracy < 0.9) Object.assign(c, { original: a, fromOcr: b, ocrText: result.text });
      cases.push(c);
      if ((i + 1) % 10 === 0) log(`  ${i + 1}/${picked.length}  accuracy ${pct(mean(cases.map((x) => x.accuracy)))}  routing ${pct(rate(cases, (x) => x.routingAgrees))}`);
    }
  } finally {
    await ocr.stop();
  }
  const overall = summary(cases);
  const target = { what: `routing agreement (isJob + colleges) ${pct(overall.routingAgreement)} >= 95%`, ok: overall.routingAgreement >= 0.95 };
  const report = {
    generatedAt: new Date().toISOString(),
    seed,
    cpus: cpus().length,
    fonts,
    wallSeconds: Math.round((performance.now() - started) / 1000),
    target,
    overall,
    byLayout: groupBy(cases, (c) => c.style.layout),
    byFont: groupBy(cases, (c) => c.style.font),
    byFontSize: groupBy(cases, (c) => String(c.style.fontSize).padStart(2, '0')),
    byArtefact: groupBy(cases, (c) => [c.style.rotate ? 'rotated' : '', c.style.noise ? 'noise' : '', c.style.jpegQuality ? 'jpeg' : ''].filter(Boolean).join('+') || 'clean'),
    disagreements: cases.filter((c) => !c.routingAgrees || c.accuracy < 0.9),
  };
  const out = opts.out ?? join(ROOT, 'reports/posters.json');
  mkdirSync(join(out, '..'), { recursive: true });
  writeFileSync(out, JSON.stringify(report, null, 2));
  log(`\nposters ${overall.posters}: character accuracy ${pct(overall.charAccuracy)} (p10 ${pct(overall.charAccuracyP10)}), isJob agrees ${pct(overall.isJobAgreement)}, routing agrees ${pct(overall.routingAgreement)}, top class agrees ${pct(overall.topClassAgreement)}, merged with the text post ${pct(overall.mergedAsDuplicate)}, ${overall.msPerPoster.toFixed(0)} ms/poster in the engine`);
  for (const [name, group] of Object.entries({ layout: report.byLayout, size: report.byFontSize, artefacts: report.byArtefact })) {
    log(`  by ${name}: ${Object.entries(group).map(([k, s]) => `${k} ${pct(s.charAccuracy)}/${pct(s.routingAgreement)} (${s.posters})`).join(', ')}`);
  }
  log(`target: ${target.ok ? 'ok  ' : 'MISS'} ${target.what}\nreport: ${out}`);
  return report;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const arg = (name: string): string | undefined => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const report = await runPosterEval({
    sample: arg('--sample') ? Number(arg('--sample')) : undefined,
    seed: arg('--seed') ? Number(arg('--seed')) : undefined,
    keepDir: arg('--keep'),
    threads: arg('--threads') ? Number(arg('--threads')) : undefined,
  });
  if (process.argv.includes('--check') && !report.target.ok) process.exit(1);
}
