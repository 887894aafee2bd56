// YAML text → validated Rules, or a RulesError listing every problem with file:line:column.
import { readFileSync } from 'node:fs';
import { isMap, isPair, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { Catalog } from '../catalog.ts';
import { explainIssue, unknownKey } from './messages.ts';
import { Rules } from './schema.ts';
import { checkRules } from './validate.ts';

export interface RulesProblem {
  file: string;
  line: number;
  col: number;
  /** Key path, e.g. colleges[2].digest; empty for syntax errors. */
  path: string;
  /** What is wrong (Chinese, for the careers-office admin). */
  message: string;
  /** How to fix it: the value to write, the key meant, where to read more. Never empty. */
  hint: string;
}

export class RulesError extends Error {
  constructor(readonly problems: RulesProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'RulesError';
  }
}

export function formatProblem(p: RulesProblem): string {
  return `${p.file}:${p.line}:${p.col}${p.path ? ` ${p.path}` : ''}: ${p.message}。提示：${p.hint}`;
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
    message: `YAML 语法错误：${firstLine(e.message)}`,
    hint: yamlHint(e.code),
  }));
  // Validate what could be read even after a syntax error, so one run reports every problem.
  let raw: unknown = {};
  try {
    raw = doc.toJS() ?? {};
  } catch {
    // A document too broken to convert: the syntax errors above say why.
  }
  const parsed = Rules.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) {
          problems.push({ ...at(keyOffset(doc, issue.path, key)), path: formatPath([...issue.path, key]), ...unknownKey(key, issue.path, Rules) });
        }
      } else {
        problems.push({ ...at(valueOffset(doc, issue.path)), path: formatPath(issue.path), ...explainIssue(issue, raw, Rules) });
      }
    }
  }
  for (const issue of checkRules(raw, catalog)) {
    problems.push({ ...at(valueOffset(doc, issue.path)), path: formatPath(issue.path), message: issue.message, hint: issue.hint });
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
    const code = (err as NodeJS.ErrnoException).code;
    throw new RulesError([
      {
        file,
        line: 1,
        col: 1,
        path: '',
        message: code === 'ENOENT' ? '文件不存在' : `无法读取（${code ?? (err as Error).message}）`,
        hint: code === 'ENOENT' ? '检查路径；规则文件默认是项目里的 rules/routing.yaml，也可以用 --rules 或环境变量 RELAY_RULES 指定' : '检查文件权限',
      },
    ]);
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

/** How to fix a YAML syntax error, by the yaml library's error code. */
function yamlHint(code: string): string {
  switch (code) {
    case 'TAB_AS_INDENT':
      return 'YAML 不能用 Tab 缩进，改用空格';
    case 'DUPLICATE_KEY':
      return '同一层里这个键写了两次，删掉一个';
    case 'MISSING_CHAR':
    case 'MISSING_CLOSING':
      return '检查括号和引号是否成对：[ ]、{ }、" "';
    case 'BAD_ALIAS':
    case 'BAD_DIRECTIVE':
      return '以 *、& 或 ! 开头的值要加引号，例如 digest: "*/30 * * * *"';
    case 'BAD_INDENT':
    case 'BLOCK_AS_IMPLICIT_KEY':
    case 'MULTILINE_IMPLICIT_KEY':
    case 'MULTIPLE_ANCHORS':
      return '检查缩进：同一层的键左边对齐，列表项以 "- " 开头，"key:" 后面要有空格';
    default:
      return '检查这一行和上一行的缩进、冒号、引号和括号';
  }
}
