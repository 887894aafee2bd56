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

/** YYYY-MM-DD of `date` in `timeZone`. */
export function localDate(date: Date, timeZone: string): string {
  const f = formatFor(dateFormats, timeZone, () => new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }));
  let y = '', m = '', d = '';
  for (const p of f.formatToParts(date)) {
    if (p.type === 'year') y = p.value;
    else if (p.type === 'month') m = p.value;
    else if (p.type === 'day') d = p.value;
  }
  return `${y}-${m}-${d}`;
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
