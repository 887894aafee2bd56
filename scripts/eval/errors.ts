// npm run eval -- --why [--file zhaopin] [--kind extra|missing|top1] [--limit N]
// Error study: for every job row whose classes differ from the gold set, prints the classes it got,
// each with its evidence (term × weight, kind), marks wrong ones (✗) and missed ones (?), and at the
// end counts the false-positive classes by the evidence kind that put them there, so errors can be
// grouped by mechanism rather than fixed row by row.
import { readFileSync } from 'node:fs';
import type { ExplainedClassification } from '../../src/classify/index.ts';

interface Row {
  id: string;
  text: string;
  isJob: boolean;
  majorClasses: string[];
}

export interface ErrorStudyOptions {
  file: string;
  classify: (text: string) => ExplainedClassification;
  kind?: 'extra' | 'missing' | 'top1' | 'all';
  limit?: number;
  classNames: ReadonlyMap<string, string>;
}

export function studyErrors(o: ErrorStudyOptions): void {
  const rows = readFileSync(o.file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Row).filter((r) => r.isJob);
  const byKind = new Map<string, number>();
  const byPair = new Map<string, number>();
  let shown = 0;
  for (const r of rows) {
    const c = o.classify(r.text);
    const got = c.classes.map((x) => x.code);
    const gold = new Set(r.majorClasses);
    const extra = got.filter((g) => !gold.has(g));
    const missing = r.majorClasses.filter((g) => !got.includes(g));
    const top1 = gold.size > 0 && !gold.has(got[0] ?? '');
    for (const cls of c.classes) {
      if (gold.has(cls.code) || gold.size === 0) continue;
      const strongest = [...cls.evidence].sort((a, b) => b.weight - a.weight)[0];
      const kind = strongest?.kind ?? 'none';
      byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
      const pair = `${cls.code}${o.classNames.get(cls.code) ?? ''} for ${[...gold].join('+')}`;
      byPair.set(pair, (byPair.get(pair) ?? 0) + 1);
    }
    const want = o.kind ?? 'all';
    const show = want === 'extra' ? extra.length > 0 : want === 'missing' ? missing.length > 0 : want === 'top1' ? top1 : extra.length + missing.length > 0 || top1;
    if (!show || shown >= (o.limit ?? Infinity)) continue;
    shown++;
    console.log(`\n${r.id} gold=${[...gold].map((g) => `${g}${o.classNames.get(g) ?? ''}`).join(',')}${top1 ? '  TOP-1 WRONG' : ''}`);
    console.log(`  ${r.text.slice(0, 220).replace(/\s+/g, ' ')}`);
    for (const cls of c.classes) {
      const mark = gold.has(cls.code) ? '✓' : '✗';
      const ev = cls.evidence.map((e) => `${e.term}×${e.weight}(${e.kind})`).join(' ');
      console.log(`  ${mark} ${cls.code}${cls.name} ${cls.confidence}: ${ev}`);
    }
    for (const m of missing) console.log(`  ? ${m}${o.classNames.get(m) ?? ''} missed`);
  }
  const table = (title: string, m: Map<string, number>): void => {
    console.log(`\n${title}`);
    for (const [k, n] of [...m].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`  ${String(n).padStart(4)}  ${k}`);
  };
  table('false-positive classes by the kind of their strongest evidence:', byKind);
  table('false-positive class for gold set:', byPair);
}
