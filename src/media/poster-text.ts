// OCR lines → the post text the pipeline reads. Pure. The engine returns one box per run of text in no useful
// order; a poster has a banner, columns, bullet lists, wrapped sentences, and often a QR code whose modules the
// detector mistakes for text. Order: bands top to bottom (rows separated by blank space), consecutive bands
// sharing a column gutter read as columns (left column, then right), boxes of one row left to right. A line that
// runs to its block's right edge and does not end a sentence continues on the next one (a wrapped sentence is
// one line again, so 计算机科 | 学与技术 is one word for the segmenter).

export interface OcrLine {
  text: string;
  /** 0..1, the engine's mean character confidence. */
  confidence: number;
  /** Corners in the image's pixels (any order). */
  box: [number, number][];
}

interface Rect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  text: string;
}

const CJK = /[\u3400-\u9fff\uf900-\ufaff]/;
const ALNUM = /[\p{L}\p{N}]/gu;
/** Ends a sentence or a label: the next line starts afresh. */
const LINE_END = /[。！？；：!?;:）)】」》…]$/;
/** Starts an item: a bullet, a number, a label. */
const ITEM_START = /^(?:[•·●○■□◆◇▶►★☆※✓✔\-–—*]|\d{1,2}[.、．)）]|[(（]\d{1,2}[)）]|[一二三四五六七八九十]{1,2}[、.．]|【)/;

function toRect(line: OcrLine): Rect | null {
  const xs = line.box.map((p) => p[0]).filter(Number.isFinite);
  const ys = line.box.map((p) => p[1]).filter(Number.isFinite);
  // A round bullet is often read as a closing bracket; no real line starts with one.
  const text = line.text.replace(/\s+/g, ' ').trim().replace(/^[)）]\s*/, '');
  if (!xs.length || !ys.length || !text) return null;
  return { x0: Math.min(...xs), x1: Math.max(...xs), y0: Math.min(...ys), y1: Math.max(...ys), text };
}

/** QR-code modules, logo fragments and specks read as 1–2 stray Latin characters or symbol soup. */
export function isJunk(line: OcrLine): boolean {
  const text = line.text.trim();
  const alnum = text.match(ALNUM)?.length ?? 0;
  if (alnum === 0) return true;
  if (CJK.test(text)) return false;
  if (alnum <= 2 && !/^\d+$/.test(text)) return true;
  const symbols = text.replace(/[\p{L}\p{N}\s]/gu, '').length;
  return line.confidence < 0.8 && symbols / text.length > 0.3;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : 0;
};

/** Rects split where no rect covers a stretch of the y axis, top to bottom. */
function bands(rects: Rect[]): Rect[][] {
  const sorted = [...rects].sort((a, b) => a.y0 - b.y0);
  const out: Rect[][] = [];
  let bottom = -Infinity;
  for (const r of sorted) {
    // A sliver of overlap (a descender, a tilted neighbour) does not join two rows.
    const last = out.at(-1);
    if (last && r.y0 < bottom - 0.25 * (r.y1 - r.y0)) {
      last.push(r);
      bottom = Math.max(bottom, r.y1);
    } else {
      out.push([r]);
      bottom = r.y1;
    }
  }
  return out;
}

/** The widest vertical strip no rect crosses, if at least `min` wide and with rects on both sides. */
function gutter(rects: Rect[], min: number): [number, number] | null {
  const sorted = [...rects].sort((a, b) => a.x0 - b.x0);
  let right = -Infinity;
  let best: [number, number] | null = null;
  for (const r of sorted) {
    if (right > -Infinity && r.x0 - right >= min && (!best || r.x0 - right > best[1] - best[0])) best = [right, r.x0];
    right = Math.max(right, r.x1);
  }
  return best;
}

const overlap = (a: [number, number], b: [number, number]): [number, number] | null => {
  const lo = Math.max(a[0], b[0]);
  const hi = Math.min(a[1], b[1]);
  return hi > lo ? [lo, hi] : null;
};
const fitsBeside = (band: Rect[], g: [number, number]): boolean => band.every((r) => r.x1 <= g[1] || r.x0 >= g[0]);

/** Rects in reading order, as rows (each row: rects left to right). */
function readingOrder(rects: Rect[], lh: number, depth = 0): Rect[][] {
  if (rects.length === 0) return [];
  const rows = bands(rects);
  if (depth > 4 || rows.length === 0) return rows.map((row) => [...row].sort((a, b) => a.x0 - b.x0));
  const out: Rect[][] = [];
  for (let i = 0; i < rows.length; ) {
    const first = gutter(rows[i]!, 1.2 * lh);
    if (!first) {
      out.push(...splitRow(rows[i]!));
      i++;
      continue;
    }
    // Grow the region while the next bands share the gutter (or sit on one side of it).
    let g: [number, number] = first;
    let j = i + 1;
    for (; j < rows.length; j++) {
      const next = rows[j]!;
      const ng = gutter(next, 1.2 * lh);
      const common: [number, number] | null = ng ? overlap(g, ng) : fitsBeside(next, g) ? g : null;
      if (!common) break;
      g = common;
    }
    const region = rows.slice(i, j).flat();
    if (j - i === 1) {
      out.push(...splitRow(region));
    } else {
      const mid = (g[0] + g[1]) / 2;
      out.push(...readingOrder(region.filter((r) => r.x1 <= mid), lh, depth + 1));
      out.push(...readingOrder(region.filter((r) => r.x1 > mid), lh, depth + 1));
    }
    i = j;
  }
  return out;
}

/** One band as text rows: rects whose vertical centres are within half a line of each other share a row. */
function splitRow(band: Rect[]): Rect[][] {
  const byCentre = [...band].sort((a, b) => a.y0 + a.y1 - (b.y0 + b.y1));
  const rows: Rect[][] = [];
  for (const r of byCentre) {
    const row = rows.at(-1);
    const c = (r.y0 + r.y1) / 2;
    const ref = row?.[0];
    if (row && ref && Math.abs(c - (ref.y0 + ref.y1) / 2) < 0.5 * Math.min(r.y1 - r.y0, ref.y1 - ref.y0)) row.push(r);
    else rows.push([r]);
  }
  return rows.map((row) => row.sort((a, b) => a.x0 - b.x0));
}

/**
 * Boxes of one row: the detector sometimes cuts one run of text in two (an e-mail address at a JPEG block
 * edge); boxes closer than half a character are one run again, farther ones are separate words.
 */
function joinRow(row: Rect[], lh: number): string {
  let out = row[0]?.text ?? '';
  for (let i = 1; i < row.length; i++) out += `${row[i]!.x0 - row[i - 1]!.x1 < 0.5 * lh ? '' : ' '}${row[i]!.text}`;
  return out;
}

/**
 * A wrapped line and its continuation: Latin words get their space back, but an e-mail address or a link
 * broken at the edge (posters wrap them anywhere) is one token again.
 */
const joinWords = (a: string, b: string): string => {
  if (!/[A-Za-z0-9]$/.test(a) || !/^[A-Za-z0-9]/.test(b)) return a + b;
  const tail = /[^\s\u3000-\u9fff\uff00-\uffef]*$/.exec(a)?.[0] ?? '';
  return /[@./:_=?&-]/.test(tail) ? a + b : `${a} ${b}`;
};

/** OCR lines as post text: reading order, wrapped sentences rejoined, paragraphs kept, QR-code junk dropped. */
export function posterText(lines: readonly OcrLine[]): string {
  const rects = lines.filter((l) => !isJunk(l)).map(toRect).filter((r): r is Rect => r !== null);
  if (rects.length === 0) return '';
  const lh = Math.max(1, median(rects.map((r) => r.y1 - r.y0)));
  const rows = readingOrder(rects, lh).map((row) => ({
    text: joinRow(row, lh),
    x0: Math.min(...row.map((r) => r.x0)),
    x1: Math.max(...row.map((r) => r.x1)),
    y0: Math.min(...row.map((r) => r.y0)),
    y1: Math.max(...row.map((r) => r.y1)),
  }));
  // Runs: rows close below one another in the same column. A row wraps into the next when it fills its run's
  // width (ends within 1.5 characters of the run's right edge) and nothing marks an end or a new item.
  const runs: (typeof rows)[] = [];
  for (const [i, row] of rows.entries()) {
    const prev = rows[i - 1];
    const sameRun = prev && row.y0 - prev.y1 < 0.9 * lh && row.y0 > prev.y0 && row.x0 < prev.x1 && row.x1 > prev.x0;
    if (sameRun) runs.at(-1)!.push(row);
    else runs.push([row]);
  }
  const paragraphs: string[] = [];
  let lastY1: number | null = null;
  for (const run of runs) {
    const left = Math.min(...run.map((r) => r.x0));
    const right = Math.max(...run.map((r) => r.x1));
    let text = run[0]!.text;
    for (let k = 1; k < run.length; k++) {
      const prev = run[k - 1]!;
      const row = run[k]!;
      const full = prev.x1 >= right - 1.5 * lh && prev.x1 - prev.x0 >= 0.6 * (right - left);
      const wrapped = full && !LINE_END.test(prev.text) && !ITEM_START.test(row.text);
      text = wrapped ? joinWords(text, row.text) : `${text}\n${row.text}`;
    }
    const gap: number = lastY1 === null ? 0 : run[0]!.y0 - lastY1;
    paragraphs.push(paragraphs.length && gap > 1.5 * lh ? `\n${text}` : text);
    lastY1 = run.at(-1)!.y1;
  }
  return paragraphs.join('\n').trim();
}
