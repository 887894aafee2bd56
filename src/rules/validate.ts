// Checks that need more than the schema: the catalog, cron syntax, time zones, uniqueness, loops.
import cron from 'node-cron';
import type { Catalog } from '../catalog.ts';
import type { Channel, College, Rules, Source } from './schema.ts';

export interface PathIssue {
  path: (string | number)[];
  message: string;
}

export function cronProblem(expr: string): string | undefined {
  const fields = expr.trim().split(/\s+/).length;
  if (fields !== 5 && fields !== 6) {
    return `"${expr}" has ${fields} fields; expected 5 (minute hour day month weekday) or 6 (second first)`;
  }
  const detail = cron.validateDetailed(expr);
  if (detail.valid) return undefined;
  const why = detail.errors.map((e) => `${e.field}: ${e.message}`).join('; ');
  return `"${expr}" is not a valid cron expression (${why})`;
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
    issues.push({ path: ['defaults', 'timezone'], message: `unknown time zone "${d.timezone}"; use an IANA name such as Asia/Shanghai` });
  }
  const defaultCron = str(d.digest) ? cronProblem(d.digest) : undefined;
  if (defaultCron) issues.push({ path: ['defaults', 'digest'], message: defaultCron });

  const sourceKeys = new Map<string, number>();
  objects<Loose<Source>>(rules.sources).forEach(([s, i]) => {
    const key = `${s.platform}:${s.group}`;
    if (sourceKeys.has(key)) {
      issues.push({ path: ['sources', i, 'group'], message: `duplicate source ${key} (also sources[${sourceKeys.get(key)}])` });
    } else sourceKeys.set(key, i);
  });

  const collegeIds = new Map<string, number>();
  objects<Loose<College>>(rules.colleges).forEach(([c, i]) => {
    const at = (...rest: (string | number)[]) => ['colleges', i, ...rest];
    if (!str(c.id)) return;
    if (collegeIds.has(c.id)) {
      issues.push({ path: at('id'), message: `duplicate college id "${c.id}" (also colleges[${collegeIds.get(c.id)}])` });
    } else collegeIds.set(c.id, i);
    const classes = list<unknown>(c.classes);
    const majors = list<unknown>(c.majors);
    if (classes.length === 0 && majors.length === 0 && list(c.keywords).length === 0 && c.openToAll !== true) {
      issues.push({ path: at('classes'), message: 'a college needs classes, majors, keywords or openToAll: true, or it receives nothing' });
    }
    classes.forEach((code, j) => {
      if (str(code) && !catalog.classes.has(code)) {
        issues.push({ path: at('classes', j), message: `unknown class code "${code}"; expected a 4-digit class of the 2026 catalog, e.g. "0806" (电气类)` });
      }
    });
    majors.forEach((code, j) => {
      if (str(code) && !catalog.majorByCode.has(code)) {
        issues.push({ path: at('majors', j), message: `unknown major code "${code}"; expected a major of the 2026 catalog, e.g. "080601" (电气工程及其自动化)` });
      }
    });
    if (str(c.digest)) {
      const problem = cronProblem(c.digest);
      if (problem) issues.push({ path: at('digest'), message: problem });
    }
    objects<Loose<Channel>>(c.channels).forEach(([ch, j]) => {
      const key = `${ch.platform}:${ch.chat}`;
      const src = sourceKeys.get(key);
      if (src !== undefined) {
        issues.push({
          path: at('channels', j, 'chat'),
          message: `${key} is also sources[${src}]: the relay would read its own digests back (a forwarding loop); use a separate student chat`,
        });
      }
    });
  });
  return issues;
}
