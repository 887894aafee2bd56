// Pure: a line diff (longest common subsequence) for "what will this save change", shown before saving.

export interface DiffLine {
  op: ' ' | '+' | '-';
  text: string;
  /** Line number in the old (for ' ' and '-') or new (for '+') text, 1-based. */
  line: number;
}

/** Lines of both texts beyond which the diff is shown as a whole replacement (O(n·m) table). */
const MAX_CELLS = 4_000_000;

export function lineDiff(before: string, after: string): DiffLine[] {
  const a = before.split('\n');
  const b = after.split('\n');
  // Common head and tail first: an edit usually touches a few lines in the middle.
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const out: DiffLine[] = [];
  for (let i = 0; i < head; i++) out.push({ op: ' ', text: a[i]!, line: i + 1 });
  const am = a.slice(head, a.length - tail);
  const bm = b.slice(head, b.length - tail);
  if (am.length * bm.length > MAX_CELLS) {
    am.forEach((t, i) => out.push({ op: '-', text: t, line: head + i + 1 }));
    bm.forEach((t, i) => out.push({ op: '+', text: t, line: head + i + 1 }));
  } else {
    // lcs[i][j]: LCS length of am[i..] and bm[j..].
    const w = bm.length + 1;
    const lcs = new Uint32Array((am.length + 1) * w);
    for (let i = am.length - 1; i >= 0; i--) {
      for (let j = bm.length - 1; j >= 0; j--) {
        lcs[i * w + j] = am[i] === bm[j] ? lcs[(i + 1) * w + j + 1]! + 1 : Math.max(lcs[(i + 1) * w + j]!, lcs[i * w + j + 1]!);
      }
    }
    let i = 0;
    let j = 0;
    while (i < am.length || j < bm.length) {
      if (i < am.length && j < bm.length && am[i] === bm[j]) {
        out.push({ op: ' ', text: am[i]!, line: head + i + 1 });
        i++;
        j++;
      } else if (i < am.length && (j >= bm.length || lcs[(i + 1) * w + j]! >= lcs[i * w + j + 1]!)) {
        // Removals before additions, as diff(1) shows a changed line.
        out.push({ op: '-', text: am[i]!, line: head + i + 1 });
        i++;
      } else {
        out.push({ op: '+', text: bm[j]!, line: head + j + 1 });
        j++;
      }
    }
  }
  for (let k = 0; k < tail; k++) out.push({ op: ' ', text: a[a.length - tail + k]!, line: a.length - tail + k + 1 });
  return out;
}

/** Only the changed lines with `context` lines around them; gaps become one "…" line. */
export function compactDiff(lines: DiffLine[], context = 3): (DiffLine | { op: '…' })[] {
  const keep = new Array<boolean>(lines.length).fill(false);
  lines.forEach((l, i) => {
    if (l.op === ' ') return;
    for (let k = Math.max(0, i - context); k <= Math.min(lines.length - 1, i + context); k++) keep[k] = true;
  });
  const out: (DiffLine | { op: '…' })[] = [];
  let gap = false;
  lines.forEach((l, i) => {
    if (keep[i]) {
      out.push(l);
      gap = false;
    } else if (!gap) {
      out.push({ op: '…' });
      gap = true;
    }
  });
  return out;
}
