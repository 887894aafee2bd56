import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Classification } from '../../src/domain.ts';
import { classify, NOW } from './helpers.ts';

function wellFormed(c: Classification): void {
  expect(c.jobScore).toBeGreaterThanOrEqual(0);
  expect(c.jobScore).toBeLessThanOrEqual(1);
  expect(c.scamScore).toBeGreaterThanOrEqual(0);
  expect(c.scamScore).toBeLessThanOrEqual(1);
  expect(c.isJob && c.isScam).toBe(false);
  for (const k of c.classes) {
    expect(k.code).toMatch(/^\d{4}$/);
    expect(k.confidence).toBeGreaterThan(0);
    expect(k.confidence).toBeLessThanOrEqual(1);
  }
  if (c.fields.deadline) expect(c.fields.deadline).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  expect(Array.isArray(c.fields.roles)).toBe(true);
}

const pieces = fc.constantFrom(
  '招聘', '内推', '电气', '专业要求：', '计算机类', '不限专业', '日结', '兼职', '12月5日', '截止', '本周五',
  '下周一', '3天内', '🔥', '😀', '\u0000', '\u200b', '\r\n', '【', '】', 'https://a.cn/?utm_source=x', 'a@b.cn', '（', '）',
  '２０２６届', 'ＱＱ', '\ud800', '\udfff', '求内推', '？', '.', '12.', '.5', '2026-13-45', '99月99日',
);

describe('classifier properties', () => {
  it('never throws and keeps scores in 0..1 for any string', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (s) => wellFormed(classify(s))), { numRuns: 300 });
  });

  it('never throws on job-shaped noise (terms, emoji, control chars, lone surrogates)', () => {
    fc.assert(fc.property(fc.array(pieces, { maxLength: 60 }).map((a) => a.join('')), (s) => wellFormed(classify(s))), { numRuns: 500 });
  });

  it('never throws for any instant or time zone', () => {
    fc.assert(
      fc.property(fc.date({ noInvalidDate: false }), fc.constantFrom('Asia/Shanghai', 'UTC', 'America/New_York', 'bogus/zone', ''), (d, tz) =>
        wellFormed(classify('明天截止，本周五前投递，12月5日截止', d, tz)),
      ),
    );
  });

  it('handles a 1 MB message quickly', () => {
    const big = '招聘电气工程师🔥，专业要求：电气类。\u0000'.repeat(40_000).slice(0, 1_000_000);
    const started = performance.now();
    wellFormed(classify(big));
    wellFormed(classify('我'.repeat(1_000_000)));
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('tolerates non-string input from a sloppy caller', () => {
    wellFormed(classify(undefined as unknown as string));
    wellFormed(classify(12345 as unknown as string));
  });

  it('is deterministic', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => {
      expect(classify(s, NOW)).toEqual(classify(s, NOW));
    }), { numRuns: 100 });
  });
});
