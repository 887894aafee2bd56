// Checks that need more than the schema: the catalog, cron syntax, time zones, uniqueness, loops.
import cron from 'node-cron';
import type { Catalog } from '../catalog.ts';
import type { Channel, College, Rules, Source } from './schema.ts';
import { nearest } from './suggest.ts';

export interface PathIssue {
  path: (string | number)[];
  message: string;
  hint: string;
}

const CRON_HINT = '5 段：分 时 日 月 星期，例如 "30 8 * * 1-5"（工作日 8:30）、"0 8,18 * * *"（每天 8:00 和 18:00）；6 段时第一段是秒';

export function cronProblem(expr: string): string | undefined {
  const fields = expr.trim().split(/\s+/).length;
  if (fields !== 5 && fields !== 6) {
    return `"${expr}" 有 ${fields} 段，cron 表达式应为 5 段（分 时 日 月 星期）或 6 段（秒在最前）`;
  }
  const detail = cron.validateDetailed(expr);
  if (detail.valid) return undefined;
  const why = detail.errors.map((e) => `${e.field}: ${e.message}`).join('; ');
  return `"${expr}" 不是有效的 cron 表达式（${why}）`;
}

export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

type Loose<T> = { [K in keyof T]?: T[K] extends (infer U)[] ? Loose<U>[] : T[K] extends object ? Loose<T[K]> : unknown };
/** The array's object elements; anything else in it (null, a string…) is the schema's to report. */
const list = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);
const objects = <T>(v: unknown): [T, number][] =>
  list<unknown>(v).flatMap((x, i) => (x && typeof x === 'object' && !Array.isArray(x) ? [[x as T, i] as [T, number]] : []));
const str = (v: unknown): v is string => typeof v === 'string';

/**
 * Runs on the raw YAML data, before or after the schema, so that one pass reports every problem
 * (a misspelt key elsewhere does not hide a bad cron). A value of the wrong type is skipped here:
 * the schema reports it.
 */
export function checkRules(raw: unknown, catalog: Catalog): PathIssue[] {
  const rules = (raw && typeof raw === 'object' ? raw : {}) as Loose<Rules>;
  const issues: PathIssue[] = [];
  const d = (rules.defaults ?? {}) as Loose<Rules['defaults']>;
  if (str(d.timezone) && !isValidTimeZone(d.timezone)) {
    const guess = nearest(d.timezone, Intl.supportedValuesOf('timeZone'));
    issues.push({
      path: ['defaults', 'timezone'],
      message: `未知时区 "${d.timezone}"`,
      hint: guess ? `是不是 "${guess}"？` : '用 IANA 时区名，例如 Asia/Shanghai',
    });
  }
  const defaultCron = str(d.digest) ? cronProblem(d.digest) : undefined;
  if (defaultCron) issues.push({ path: ['defaults', 'digest'], message: defaultCron, hint: CRON_HINT });

  const sourceKeys = new Map<string, number>();
  objects<Loose<Source>>(rules.sources).forEach(([s, i]) => {
    const key = `${s.platform}:${s.group}`;
    if (sourceKeys.has(key)) {
      issues.push({ path: ['sources', i, 'group'], message: `重复的来源 ${key}（sources[${sourceKeys.get(key)}] 已有）`, hint: '删掉其中一项' });
    } else sourceKeys.set(key, i);
  });

  const collegeIds = new Map<string, number>();
  objects<Loose<College>>(rules.colleges).forEach(([c, i]) => {
    const at = (...rest: (string | number)[]) => ['colleges', i, ...rest];
    if (!str(c.id)) return;
    if (collegeIds.has(c.id)) {
      issues.push({ path: at('id'), message: `学院 id "${c.id}" 重复（colleges[${collegeIds.get(c.id)}] 已用）`, hint: '每个学院的 id 必须不同，例如 electrical、electrical-grad' });
    } else collegeIds.set(c.id, i);
    const classes = list<unknown>(c.classes);
    const majors = list<unknown>(c.majors);
    if (classes.length === 0 && majors.length === 0 && list(c.keywords).length === 0 && c.openToAll !== true) {
      issues.push({
        path: at('classes'),
        message: '这个学院没有 classes、majors、keywords，也没有 openToAll: true，收不到任何内推',
        hint: '至少写一项，例如 classes: ["0806"]（电气类）',
      });
    }
    classes.forEach((code, j) => {
      if (str(code) && !catalog.classes.has(code)) {
        issues.push({ path: at('classes', j), message: `2026 年专业目录里没有专业类代码 "${code}"`, hint: classHint(code, catalog) });
      }
    });
    majors.forEach((code, j) => {
      if (str(code) && !catalog.majorByCode.has(code)) {
        issues.push({ path: at('majors', j), message: `2026 年专业目录里没有专业代码 "${code}"`, hint: majorHint(code, catalog) });
      }
    });
    if (str(c.digest)) {
      const problem = cronProblem(c.digest);
      if (problem) issues.push({ path: at('digest'), message: problem, hint: CRON_HINT });
    }
    objects<Loose<Channel>>(c.channels).forEach(([ch, j]) => {
      const key = `${ch.platform}:${ch.chat}`;
      const src = sourceKeys.get(key);
      if (src !== undefined) {
        issues.push({
          path: at('channels', j, 'chat'),
          message: `${key} 同时是 sources[${src}]：relay 会读回自己发的速递（转发循环）`,
          hint: '学生群和校友群要分开：换一个学生群，或从 sources 里去掉它',
        });
      }
    });
  });
  return issues;
}

/** Codes near `code`, up to `n`, with their names. */
function nearCodes(code: string, codes: Iterable<[string, string]>, n = 3): string {
  const num = Number.parseInt(code, 10);
  const all = [...codes];
  // Same class (4 digits), then same category (2 digits), then numerically closest.
  const tier = (c: string) => (c.slice(0, 4) === code.slice(0, 4) ? 0 : c.slice(0, 2) === code.slice(0, 2) ? 1e7 : 2e7);
  const ranked = all
    .map(([c, name]) => ({ c, name, d: tier(c) + Math.abs(Number.parseInt(c, 10) - num || 0) }))
    .sort((a, b) => a.d - b.d)
    .slice(0, n);
  return ranked.map((r) => `"${r.c}"（${r.name}）`).join('、');
}

function classHint(code: string, catalog: Catalog): string {
  if (catalog.majorByCode.has(code)) return `"${code}" 是专业代码（${catalog.majorByCode.get(code)!.name}），写到 majors 里`;
  if (!/^\d{4}$/.test(code)) return '专业类代码是 4 位数字，例如 "0806"（电气类）';
  return `相近的专业类：${nearCodes(code, [...catalog.classes].map(([c, k]) => [c, k.name]))}`;
}

function majorHint(code: string, catalog: Catalog): string {
  if (catalog.classes.has(code)) return `"${code}" 是专业类代码（${catalog.classes.get(code)!.name}），写到 classes 里`;
  if (!/^\d{6}[A-Z]{0,2}$/.test(code)) return '专业代码是 6 位数字（有的带 T 或 K），例如 "080601"（电气工程及其自动化）';
  return `相近的专业：${nearCodes(code.slice(0, 6), catalog.majors.map((m) => [m.code, m.name] as [string, string]))}`;
}
