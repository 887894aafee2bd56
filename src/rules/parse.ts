// YAML text → validated Rules, or a RulesError listing every problem with file:line:column.
import { readFileSync } from 'node:fs';
import { isMap, isPair, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { Catalog } from '../catalog.ts';
import { Rules } from './schema.ts';
import { checkRules } from './validate.ts';

export interface RulesProblem {
  file: string;
  line: number;
  col: number;
  /** Key path, e.g. colleges[2].digest; empty for syntax errors. */
  path: string;
  message: string;
}

export class RulesError extends Error {
  constructor(readonly problems: RulesProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'RulesError';
  }
}

export function formatProblem(p: RulesProblem): string {
  return `${p.file}:${p.line}:${p.col}${p.path ? ` ${p.path}` : ''}: ${p.message}`;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const k of path) out += typeof k === 'number' ? `[${k}]` : `${out ? '.' : ''}${String(k)}`;
  return out;
}

export function parseRules(text: string, file: string, catalog: Catalog): Rules {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, col };
  };
  const problems: RulesProblem[] = doc.errors.map((e) => ({
    ...at(e.pos[0]),
    path: '',
    message: `YAML syntax: ${firstLine(e.message)}`,
  }));
  // Validate what could be read even after a syntax error, so one run reports every problem.
  let raw: unknown = {};
  try {
    raw = doc.toJS() ?? {};
  } catch {
    // A document too broken to convert: the syntax errors above say why.
  }
  const parsed = Rules.safeParse(raw, {
    error: (iss) => (iss.code === 'invalid_type' && iss.input === undefined ? `required key is missing (expected ${iss.expected})` : undefined),
  });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) {
          problems.push({
            ...at(keyOffset(doc, issue.path, key)),
            path: formatPath([...issue.path, key]),
            message: `unknown key "${key}"${suggest(key, KNOWN_KEYS)}`,
          });
        }
      } else {
        problems.push({ ...at(valueOffset(doc, issue.path)), path: formatPath(issue.path), message: issue.message });
      }
    }
  }
  for (const issue of checkRules(raw, catalog)) {
    problems.push({ ...at(valueOffset(doc, issue.path)), path: formatPath(issue.path), message: issue.message });
  }
  if (problems.length > 0 || !parsed.success) {
    // Syntax errors first (what follows from them may be their echo), then in file order.
    const syntax = (p: RulesProblem) => (p.path ? 1 : 0);
    problems.sort((a, b) => syntax(a) - syntax(b) || a.line - b.line || a.col - b.col);
    throw new RulesError(problems);
  }
  return parsed.data;
}

export function loadRulesFile(file: string, catalog: Catalog): Rules {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new RulesError([{ file, line: 1, col: 1, path: '', message: `cannot read: ${(err as Error).message}` }]);
  }
  return parseRules(text, file, catalog);
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.trim();
}

/** Offset of the deepest node that exists along `path`, so a missing key points at its parent. */
function valueOffset(doc: Document, path: readonly PropertyKey[]): number {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n) as unknown[], true) as Node | undefined;
    if (node && typeof node === 'object' && 'range' in node && node.range) return node.range[0];
  }
  return 0;
}

function keyOffset(doc: Document, path: readonly PropertyKey[], key: string): number {
  const map = path.length ? doc.getIn(path as unknown[], true) : doc.contents;
  if (isMap(map)) {
    for (const pair of map.items) {
      if (isPair(pair) && isScalar(pair.key) && pair.key.value === key && pair.key.range) return pair.key.range[0];
    }
  }
  return valueOffset(doc, path);
}

// Every key the schema knows: a misspelt key is most likely one of these.
const KNOWN_KEYS = [
  'version', 'defaults', 'sources', 'colleges', 'admins', 'privacy', 'timezone', 'digest', 'detection', 'threshold',
  'maxItemsPerDigest', 'explain', 'maxSendAttempts', 'platform', 'group', 'name', 'id', 'classes', 'majors',
  'keywords', 'excludeKeywords', 'openToAll', 'channels', 'chat', 'user', 'attribution', 'maskContacts',
  'retentionDays',
];

/** "did you mean" for a misspelt key: the known key at the smallest edit distance, if close. */
function suggest(key: string, known: string[]): string {
  let best = '';
  let bestD = Infinity;
  for (const k of known) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase());
    if (d < bestD) [best, bestD] = [k, d];
  }
  return bestD <= Math.max(1, Math.floor(key.length / 3)) ? `; did you mean "${best}"?` : '';
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}
