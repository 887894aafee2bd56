import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { localDate } from '../../src/time.ts';

/** What localDate must answer: Intl's date parts, with nothing remembered. */
function intlDate(t: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(new Date(t));
  const get = (type: string) => parts.find((p) => p.type === type)!.value;
  return `${get('year')}-${get('month')}-${get('day')}`;
}

// Zones whose days are not all 24 h of one offset: DST at midnight (Santiago, Havana), half-hour DST
// (Lord Howe), 45-minute offsets (Kathmandu, Chatham), a skipped day (Apia, 2011-12-30), seconds-offset
// local mean time before 1901 (Shanghai), and plain ones.
const ZONES = ['Asia/Shanghai', 'America/Santiago', 'America/Havana', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'Pacific/Chatham', 'Pacific/Apia', 'Europe/London', 'America/New_York', 'Asia/Kolkata', 'UTC'];
const HOUR = 3_600_000;

describe('localDate', () => {
  it('agrees with Intl for any instant and zone, over sequences that revisit the days it remembers', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES),
        fc.integer({ min: Date.UTC(1890, 0, 1), max: Date.UTC(2100, 0, 1) }),
        // Steps of up to ± 3 days from the start, in hours and odd milliseconds: they cross midnights and
        // DST changes, and come back to days asked before.
        fc.array(fc.integer({ min: -72 * HOUR, max: 72 * HOUR }), { minLength: 1, maxLength: 40 }),
        (zone, start, steps) => {
          for (const step of steps) {
            const t = start + step;
            expect(localDate(new Date(t), zone)).toBe(intlDate(t, zone));
          }
        },
      ),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 300) },
    );
  });

  it('is right on each side of the days where the offset changes', () => {
    const cases: [string, string][] = [
      ['Pacific/Apia', '2011-12-29T09:59:59.999Z'], // the last instant of 29 December; 30 December never happened there
      ['America/Santiago', '2026-09-06T03:59:59.999Z'], // clocks go from 24:00 to 01:00
      ['America/Havana', '2026-11-01T04:59:59.999Z'],
      ['Australia/Lord_Howe', '2026-10-03T15:29:59.999Z'],
    ];
    for (const [zone, iso] of cases) {
      const edge = Date.parse(iso);
      for (let t = edge - 26 * HOUR; t <= edge + 26 * HOUR; t += 15 * 60_000 + 1) {
        for (const u of [t, t - 1, edge, edge + 1]) expect(localDate(new Date(u), zone), `${zone} ${new Date(u).toISOString()}`).toBe(intlDate(u, zone));
      }
    }
  });

  it('still refuses an unknown zone and an invalid date', () => {
    expect(() => localDate(new Date(), 'Mars/Olympus_Mons')).toThrow(RangeError);
    expect(() => localDate(new Date(Number.NaN), 'Asia/Shanghai')).toThrow(RangeError);
  });
});
