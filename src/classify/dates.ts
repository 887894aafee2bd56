// Deadlines: absolute (2026年12月5日, 12月5日, 12.5, 2026-12-05) and relative (明天, 本周五, 下周一,
// 3天内) dates, resolved against `now` as seen in the rules' time zone. A date without a year and a
// weekday without 下/上 resolve forward: a deadline is posted before it passes (a month-day that
// passed at most 60 days ago stays in the past: that is a late repost of a closed referral).

export interface DayRef {
  y: number;
  m: number;
  d: number;
  /** 1 = Monday … 7 = Sunday */
  dow: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

let last: { key: string; day: DayRef } | undefined;

/** The calendar day `now` falls on in `timeZone`. Formatter and the last answer are cached: Intl is slow. */
export function dayIn(now: Date, timeZone: string): DayRef {
  const ms = now.getTime();
  const key = `${timeZone}|${Number.isFinite(ms) ? Math.floor(ms / 60_000) : 'invalid'}`;
  if (last?.key === key) return last.day;
  const day = computeDayIn(now, timeZone);
  last = { key, day };
  return day;
}

function computeDayIn(now: Date, timeZone: string): DayRef {
  let f = formatters.get(timeZone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: 'numeric', day: 'numeric' });
    } catch {
      f = new Intl.DateTimeFormat('en-US', { timeZone: 'Asia/Shanghai', year: 'numeric', month: 'numeric', day: 'numeric' });
    }
    formatters.set(timeZone, f);
  }
  const parts = f.formatToParts(Number.isFinite(now.getTime()) ? now : new Date(0));
  const get = (t: string): number => Number(parts.find((p) => p.type === t)?.value ?? 1);
  return fromUtc(Date.UTC(get('year'), get('month') - 1, get('day')));
}

function fromUtc(ms: number): DayRef {
  const dt = new Date(ms);
  const dow = dt.getUTCDay();
  return { y: dt.getUTCFullYear(), m: dt.getUTCMonth() + 1, d: dt.getUTCDate(), dow: dow === 0 ? 7 : dow };
}

export function addDays(day: DayRef, n: number): DayRef {
  return fromUtc(Date.UTC(day.y, day.m - 1, day.d) + n * 86_400_000);
}

export function iso(day: DayRef): string {
  return `${String(day.y).padStart(4, '0')}-${String(day.m).padStart(2, '0')}-${String(day.d).padStart(2, '0')}`;
}

function valid(y: number, m: number, d: number): DayRef | undefined {
  if (m < 1 || m > 12 || d < 1 || d > 31 || y < 1970 || y > 2100) return undefined;
  const day = fromUtc(Date.UTC(y, m - 1, d));
  return day.m === m ? day : undefined;
}

/** Most days a year-less date may lie in the past: a late repost of a closed referral, not next year's. */
const RECENTLY_PASSED_DAYS = 60;

/**
 * A month-day without a year is the next such day, unless it passed at most 60 days ago (a late
 * repost). Across New Year too: on 2027-01-05 '12月28日' is eight days ago, not 2027-12-28.
 * 2月29日 is the next leap day.
 */
function withYear(today: DayRef, m: number, d: number): DayRef | undefined {
  const todayMs = Date.UTC(today.y, today.m - 1, today.d);
  for (let y = today.y - 1; y <= today.y + 4; y++) {
    const day = valid(y, m, d);
    if (day && todayMs - Date.UTC(day.y, day.m - 1, day.d) <= RECENTLY_PASSED_DAYS * 86_400_000) return day;
  }
  return undefined;
}

const WEEKDAY: Record<string, number> = { 一: 1, 二: 2, 三: 3, 四: 4, 五: 5, 六: 6, 日: 7, 天: 7, 末: 6 };
const CN_NUM: Record<string, number> = { 一: 1, 两: 2, 二: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9, 十: 10 };

export interface DateMention {
  start: number;
  end: number;
  day: DayRef;
  /** '3天内' is a deadline by itself. */
  isDeadline: boolean;
}

const DATE_RE = new RegExp(
  [
    String.raw`(?<y1>20\d{2})\s*[年\-/.]\s*(?<m1>\d{1,2})\s*[月\-/.]\s*(?<d1>\d{1,2})\s*[日号]?`,
    String.raw`(?<m2>\d{1,2})\s*月\s*(?<d2>\d{1,2})\s*[日号]?`,
    String.raw`(?<![\d.])(?<m3>\d{1,2})[./](?<d3>\d{1,2})(?![\d.%万千kK])`,
    String.raw`(?<rel>今天|今日|明天|明日|后天)`,
    String.raw`(?<wk>本|这|下下|下|上)?(?:周|星期|礼拜)(?<wd>[一二三四五六日天末])`,
    String.raw`(?<n>\d{1,2}|[一两二三四五六七八九十])\s*(?<unit>天|日|个工作日|周)[之以]?内`,
  ].join('|'),
  'g',
);

/** Every date mentioned in `text`, resolved against `today`. */
export function findDates(text: string, today: DayRef): DateMention[] {
  const out: DateMention[] = [];
  DATE_RE.lastIndex = 0;
  for (let m = DATE_RE.exec(text); m; m = DATE_RE.exec(text)) {
    const g = m.groups ?? {};
    let day: DayRef | undefined;
    let isDeadline = false;
    if (g.y1) day = valid(Number(g.y1), Number(g.m1), Number(g.d1));
    else if (g.m2) day = withYear(today, Number(g.m2), Number(g.d2));
    else if (g.m3) day = withYear(today, Number(g.m3), Number(g.d3));
    else if (g.rel) day = addDays(today, g.rel.startsWith('后') ? 2 : g.rel.startsWith('明') ? 1 : 0);
    else if (g.wd) {
      const target = WEEKDAY[g.wd]!;
      const weekStart = addDays(today, 1 - today.dow);
      if (g.wk === '下') day = addDays(weekStart, 7 + target - 1);
      else if (g.wk === '下下') day = addDays(weekStart, 14 + target - 1);
      else if (g.wk === '上') day = addDays(weekStart, target - 1 - 7);
      // 本周五 / 这周五 / 周五: the coming one (today included). Nobody posts a deadline that has
      // already passed, so on Saturday '截止本周五' means next Friday, not yesterday.
      else day = addDays(today, (target - today.dow + 7) % 7);
    } else if (g.n) {
      const n = /\d/.test(g.n) ? Number(g.n) : (CN_NUM[g.n] ?? 0);
      const days = g.unit === '周' ? n * 7 : g.unit === '个工作日' ? Math.ceil((n * 7) / 5) : n;
      if (n > 0 && days <= 366) day = addDays(today, days);
      isDeadline = true;
    }
    if (day) out.push({ start: m.index, end: m.index + m[0].length, day, isDeadline });
  }
  return out;
}

const DEADLINE_BEFORE = /(截止|截至|deadline|ddl|报名时间|投递时间|网申时间|结束时间|有效期)[^。\n]{0,12}$/i;
const DEADLINE_AFTER = /^\s*(前|之前|以前|为止|截止|截至|结束|止|\d{1,2}:\d{2}前|\d{1,2}点前)/;

/** The deadline: a date a deadline cue points at; the last one if several (a range ends there). */
export function findDeadline(text: string, today: DayRef): string | undefined {
  let found: DayRef | undefined;
  for (const dm of findDates(text, today)) {
    const before = text.slice(Math.max(0, dm.start - 24), dm.start);
    const after = text.slice(dm.end, dm.end + 8);
    if (dm.isDeadline || DEADLINE_BEFORE.test(before) || DEADLINE_AFTER.test(after)) found = dm.day;
  }
  return found && found.y >= 1000 && found.y <= 9999 ? iso(found) : undefined;
}
