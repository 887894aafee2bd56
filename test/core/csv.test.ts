import { describe, expect, it } from 'vitest';
import { contributorsCsv } from '../../src/cli/alumni.ts';
import { csvCell, toCsv } from '../../src/csv.ts';

describe('csv', () => {
  it('neutralises cells a spreadsheet would run as formulas, and quotes what needs quoting', () => {
    expect(csvCell('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`);
    for (const lead of ['+', '-', '@']) expect(csvCell(`${lead}1`)).toBe(`'${lead}1`);
    expect(csvCell(-3)).toBe('-3'); // numbers stay numbers
    expect(csvCell('张三, 李四')).toBe('"张三, 李四"');
    expect(toCsv([['a', 1]])).toBe('\uFEFFa,1\r\n');
  });

  it("`report contributors --csv` guards an alumnus's display name the same way", () => {
    const csv = contributorsCsv('2026-11', [{ key: 'telegram:42', name: '=cmd|calc', referrals: 1, colleges: 1, channels: 1, members: 30, clicks: 0, likes: 0 } as never], new Set());
    expect(csv.split('\n')[1]).toContain(`,'=cmd|calc,`);
  });
});
