// Columns that line up in a terminal when the text is Chinese: a CJK character takes two cells.

/** East Asian Wide and Fullwidth ranges (Unicode UAX #11) that occur in this relay's text, plus emoji. */
const WIDE: [number, number][] = [
  [0x1100, 0x115f],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe30, 0xfe4f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x1f300, 0x1f64f],
  [0x1f900, 0x1f9ff],
  [0x20000, 0x3fffd],
];

const cellsOf = (cp: number) => (WIDE.some(([a, b]) => cp >= a && cp <= b) ? 2 : 1);

/** Terminal cells `text` occupies (one line). */
export function displayWidth(text: string): number {
  let w = 0;
  for (const ch of text) w += cellsOf(ch.codePointAt(0)!);
  return w;
}

export const padEnd = (text: string, width: number) => text + ' '.repeat(Math.max(0, width - displayWidth(text)));
export const padStart = (text: string, width: number) => ' '.repeat(Math.max(0, width - displayWidth(text))) + text;

/** Rows as aligned columns: `align[i]` 'r' right-aligns column i (numbers), otherwise left. Two spaces between columns. */
export function table(rows: readonly (readonly string[])[], align: readonly ('l' | 'r')[] = [], indent = ''): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, displayWidth(cell))));
  return rows.map((row) =>
    (indent + row.map((cell, i) => (i === row.length - 1 && align[i] !== 'r' ? cell : (align[i] === 'r' ? padStart : padEnd)(cell, widths[i]!))).join('  ')).trimEnd(),
  );
}
