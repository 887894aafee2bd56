// CSV for people who open it in a spreadsheet: one cell rule for the console's downloads and the CLI's --csv.

/** One cell: quoted when it must be, and a text starting with = + - @ (run as a formula by spreadsheet apps: CSV injection) prefixed with '. */
export function csvCell(v: string | number | undefined): string {
  let s = v === undefined ? '' : String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A whole file with a BOM (Excel opens UTF-8 Chinese correctly) and CRLF line ends. */
export function toCsv(rows: (string | number)[][]): string {
  return `\uFEFF${rows.map((r) => r.map(csvCell).join(',')).join('\r\n')}\r\n`;
}
