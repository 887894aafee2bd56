// Calendar dates in a time zone. Digests and deadlines speak in the university's local dates.

// Intl.DateTimeFormat construction costs ≈ 20–50 µs (locale and zone data lookups): build one per zone.
const dateFormats = new Map<string, Intl.DateTimeFormat>();
const dateTimeFormats = new Map<string, Intl.DateTimeFormat>();

function formatFor(cache: Map<string, Intl.DateTimeFormat>, timeZone: string, make: () => Intl.DateTimeFormat): Intl.DateTimeFormat {
  let f = cache.get(timeZone);
  if (!f) {
    f = make(); // throws RangeError on an unknown zone, as before (nothing is cached then)
    cache.set(timeZone, f);
  }
  return f;
}

/** YYYY-MM-DD of `date` in `timeZone`, straight from Intl (≈ 5–6.6 µs a call, 2026-12). */
function formatLocalDate(date: Date, timeZone: string): string {
  const f = formatFor(dateFormats, timeZone, () => new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }));
  let y = '', m = '', d = '';
  for (const p of f.formatToParts(date)) {
    if (p.type === 'year') y = p.value;
    else if (p.type === 'month') m = p.value;
    else if (p.type === 'day') d = p.value;
  }
  return `${y}-${m}-${d}`;
}

const DAY_MS = 86_400_000;
const clockFormats = new Map<string, Intl.DateTimeFormat>();
/** Per zone, the local days looked up last: [from, to) in epoch ms, newest first. */
const knownDays = new Map<string, { from: number; to: number; date: string }[]>();
const KNOWN_DAYS = 8;

/**
 * YYYY-MM-DD of `date` in `timeZone`. Callers ask about the same few days over and over (every message
 * and post of today; a store's posts in date order at start), so each zone remembers its last days as
 * intervals of epoch time and answers those without Intl.
 */
export function localDate(date: Date, timeZone: string): string {
  const t = date.getTime();
  const days = knownDays.get(timeZone);
  if (days) for (const k of days) if (t >= k.from && t < k.to) return k.date;
  const today = formatLocalDate(date, timeZone);
  // The day's interval from the wall clock's time of day, if the zone's offset holds all day: both ends
  // are checked, and a day with an offset change (DST, Samoa's skipped day) is simply not remembered.
  const clock = formatFor(clockFormats, timeZone, () => new Intl.DateTimeFormat('en-CA', { timeZone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit', second: '2-digit' }));
  let sinceMidnight = ((t % 1000) + 1000) % 1000;
  for (const p of clock.formatToParts(date)) {
    if (p.type === 'hour') sinceMidnight += Number(p.value) * 3_600_000;
    else if (p.type === 'minute') sinceMidnight += Number(p.value) * 60_000;
    else if (p.type === 'second') sinceMidnight += Number(p.value) * 1000;
  }
  const from = t - sinceMidnight;
  const to = from + DAY_MS;
  if (formatLocalDate(new Date(from), timeZone) === today && formatLocalDate(new Date(to - 1), timeZone) === today) {
    const list = days ?? [];
    list.unshift({ from, to, date: today });
    if (list.length > KNOWN_DAYS) list.pop();
    if (!days) knownDays.set(timeZone, list);
  }
  return today;
}

/** Whole days from local date `from` to local date `to` (both YYYY-MM-DD). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

const WEEKDAYS = ['日', '一', '二', '三', '四', '五', '六'];

/** e.g. 11月21日 周六 */
export function chineseDay(isoDate: string): string {
  const d = new Date(`${isoDate}T00:00:00Z`);
  return `${d.getUTCMonth() + 1}月${d.getUTCDate()}日 周${WEEKDAYS[d.getUTCDay()]}`;
}

/** e.g. 2026-11-21 08:30 in the zone, for logs and the start banner. */
export function localDateTime(date: Date, timeZone: string): string {
  const f = formatFor(dateTimeFormats, timeZone, () => new Intl.DateTimeFormat('sv-SE', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }));
  const s = f.format(date);
  return s.slice(0, 19);
}
