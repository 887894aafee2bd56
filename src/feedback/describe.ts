// The learnt adjustments in an admin's words, for `feedback show` and the console.
import type { Catalog } from '../catalog.ts';
import type { AdjustmentTable } from './learn.ts';

export interface AdjustmentRow {
  collegeId: string;
  key: string;
  /** e.g. 词「运营」, 0503 新闻传播学类（次要，主类 1303）. */
  label: string;
  weight: number;
  voters: number;
  up: number;
  down: number;
}

export function keyLabel(key: string, catalog?: Catalog): string {
  const name = (code: string) => `${code}${catalog?.classes.get(code)?.name ? ` ${catalog.classes.get(code)!.name}` : ''}`;
  if (key === 'o') return '不限专业';
  const [kind, rest = ''] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
  if (kind === 'c') return `专业类 ${name(rest)}`;
  if (kind === 'c~') {
    const [code = '', main] = rest.split('|');
    if (main === undefined) return `专业类 ${name(code)}（作次要类时）`;
    return `专业类 ${name(code)}（次要，主类 ${name(main)}）`;
  }
  if (kind === 't') return `词「${rest}」`;
  if (kind === 't~') return `词「${rest}」（次要类）`;
  if (kind === 'k') return `学院关键词「${rest}」`;
  return key;
}

/** Rows of one college (or all), strongest first. */
export function adjustmentRows(table: AdjustmentTable, collegeId?: string, catalog?: Catalog): AdjustmentRow[] {
  const rows: AdjustmentRow[] = [];
  for (const [college, keys] of table) {
    if (collegeId && college !== collegeId) continue;
    for (const [key, w] of keys) rows.push({ collegeId: college, key, label: keyLabel(key, catalog), weight: Math.round(w.weight * 1000) / 1000, voters: w.voters, up: w.up, down: w.down });
  }
  return rows.sort((a, b) => a.collegeId.localeCompare(b.collegeId) || Math.abs(b.weight) - Math.abs(a.weight));
}
