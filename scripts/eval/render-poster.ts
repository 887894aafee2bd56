// Renders a referral's text as a recruitment poster (PNG or JPEG bytes) with sharp: an SVG laid out here, drawn by
// libvips with the system's fonts (no browser). Layouts and styles vary the way real posters do: a title banner
// over a bullet list, two columns, a centred card, light on dark; small and large type; a turn of a degree or
// two; grain and JPEG artefacts. Every character of the text is drawn exactly once, in reading order, so the
// text is the OCR's ground truth. Bullets are drawn as shapes, not characters.
import sharp from 'sharp';

export type Layout = 'banner-list' | 'two-column' | 'card' | 'dark';
export const LAYOUTS: readonly Layout[] = ['banner-list', 'two-column', 'card', 'dark'];

export interface PosterStyle {
  layout: Layout;
  font: string;
  /** Body type size in px. */
  fontSize: number;
  /** Degrees; a photo of a printed poster is rarely straight. */
  rotate: number;
  /** Gaussian grain sigma (0: none). */
  noise: number;
  /** JPEG quality (0: PNG). */
  jpegQuality: number;
  /** Accent colour (banner, title). */
  accent: string;
  width: number;
}

/** Fonts with CJK coverage installed on this machine (fonts-wqy-microhei; fonts-noto-cjk when installed). */
export const FONTS = ['WenQuanYi Micro Hei', 'Noto Sans CJK SC', 'Noto Serif CJK SC'];
const ACCENTS = ['#1a4a8a', '#b3261e', '#0b6e4f', '#6a1b9a', '#e65100', '#37474f'];

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
/** Rough advance width: CJK and full-width forms are square, Latin about half. */
const advance = (ch: string, size: number): number => (/[\u2e80-\uffef]/.test(ch) ? size : /[A-Z@%&wm]/.test(ch) ? 0.68 * size : 0.55 * size);

/** Wraps text at character boundaries (how Chinese posters wrap) to lines no wider than `width`. */
export function wrap(text: string, size: number, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  let w = 0;
  for (const ch of text) {
    const a = advance(ch, size);
    if (w + a > width && line) {
      lines.push(line);
      line = '';
      w = 0;
    }
    line += ch;
    w += a;
  }
  if (line) lines.push(line);
  return lines;
}

/** Title (up to the first sentence break, at most 18 characters) and the body items after it. */
export function splitPoster(text: string): { title: string; items: string[] } {
  const t = text.replace(/\s+/g, ' ').trim();
  const m = /^(.{4,18}?[。：:！!，,])/.exec(t);
  const cut = m ? m[1]!.length : Math.min(t.length, 12);
  const title = t.slice(0, cut);
  // Items end after a sentence mark or before a numbered point; the marks stay in the text.
  const items = t
    .slice(cut)
    .split(/(?<=[。；;！!])|(?=\s?\d[、.．](?!\d))|(?=【)/)
    .map((s) => s.trim())
    .filter(Boolean);
  return { title, items: items.length ? items : [] };
}

interface Drawn {
  svg: string;
  height: number;
}

function textLine(x: number, y: number, s: string, size: number, fill: string, font: string, anchor = 'start', weight = 'normal'): string {
  return `<text x="${x}" y="${y}" font-family="${esc(font)}" font-size="${size}" font-weight="${weight}" fill="${fill}" text-anchor="${anchor}" xml:space="preserve">${esc(s)}</text>`;
}

function drawItems(items: string[], x: number, y: number, width: number, size: number, fill: string, bulletFill: string, font: string): Drawn {
  const lh = Math.round(size * 1.55);
  let svg = '';
  let cy = y;
  for (const item of items) {
    const lines = wrap(item, size, width - size);
    svg += `<circle cx="${x + size * 0.3}" cy="${cy - size * 0.35}" r="${Math.max(2, size * 0.16)}" fill="${bulletFill}"/>`;
    for (const l of lines) {
      svg += textLine(x + size, cy, l, size, fill, font);
      cy += lh;
    }
    cy += Math.round(size * 0.4);
  }
  return { svg, height: cy - y };
}

function layoutSvg(text: string, s: PosterStyle): { svg: string; height: number } {
  const { title, items } = splitPoster(text);
  const W = s.width;
  const pad = Math.round(W * 0.06);
  const ts = Math.round(s.fontSize * 1.6);
  const dark = s.layout === 'dark';
  const bg = dark ? '#14181f' : s.layout === 'card' ? '#eef1f6' : '#ffffff';
  const fg = dark ? '#f2f2f2' : '#222222';
  let body = '';
  let y: number;
  let head = '';
  if (s.layout === 'banner-list' || s.layout === 'dark') {
    const titleLines = wrap(title, ts, W - 2 * pad);
    const bannerH = pad + titleLines.length * ts * 1.3 + pad * 0.6;
    head = `<rect width="${W}" height="${bannerH}" fill="${dark ? '#2b3340' : s.accent}"/>`;
    for (const [i, l] of titleLines.entries()) head += textLine(W / 2, pad + ts + i * ts * 1.3, l, ts, '#ffffff', s.font, 'middle', 'bold');
    const d = drawItems(items, pad, bannerH + pad + s.fontSize, W - 2 * pad, s.fontSize, fg, dark ? '#ffd54f' : s.accent, s.font);
    body = d.svg;
    y = bannerH + pad + s.fontSize + d.height;
  } else if (s.layout === 'two-column') {
    const titleLines = wrap(title, ts, W - 2 * pad);
    for (const [i, l] of titleLines.entries()) head += textLine(pad, pad + ts + i * ts * 1.3, l, ts, s.accent, s.font, 'start', 'bold');
    const top = pad + titleLines.length * ts * 1.3 + pad;
    head += `<rect x="${pad}" y="${top - pad / 2}" width="${W - 2 * pad}" height="3" fill="${s.accent}"/>`;
    const colW = (W - 3 * pad) / 2;
    const half = Math.ceil(items.length / 2);
    const left = drawItems(items.slice(0, half), pad, top + s.fontSize, colW, s.fontSize, fg, s.accent, s.font);
    const right = drawItems(items.slice(half), 2 * pad + colW, top + s.fontSize, colW, s.fontSize, fg, s.accent, s.font);
    body = left.svg + right.svg;
    y = top + s.fontSize + Math.max(left.height, right.height);
  } else {
    // card: centred lines on a white card over a tinted page
    const inner = W - 4 * pad;
    const titleLines = wrap(title, ts, inner);
    const lines = items.flatMap((it) => wrap(it, s.fontSize, inner));
    const lh = Math.round(s.fontSize * 1.6);
    let cy = 2 * pad + ts;
    titleLines.forEach((l) => {
      body += textLine(W / 2, cy, l, ts, s.accent, s.font, 'middle', 'bold');
      cy += ts * 1.3;
    });
    cy += pad / 2;
    for (const l of lines) {
      body += textLine(W / 2, cy, l, s.fontSize, fg, s.font, 'middle');
      cy += lh;
    }
    head = `<rect x="${pad}" y="${pad}" width="${W - 2 * pad}" height="${cy - pad}" rx="${pad / 2}" fill="#ffffff" stroke="${s.accent}" stroke-width="3"/>`;
    y = cy;
  }
  const height = Math.round(y + pad);
  return { svg: `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}"><rect width="100%" height="100%" fill="${bg}"/>${head}${body}</svg>`, height };
}

/** The poster as image bytes (PNG, or JPEG when `jpegQuality` > 0). */
export async function renderPoster(text: string, s: PosterStyle): Promise<Buffer> {
  const { svg, height } = layoutSvg(text, s);
  let img = sharp(Buffer.from(svg)).flatten({ background: s.layout === 'dark' ? '#14181f' : '#ffffff' });
  if (s.noise > 0) {
    const grain = await sharp({ create: { width: s.width, height, channels: 3, noise: { type: 'gaussian', mean: 128, sigma: s.noise }, background: '#808080' } }).png().toBuffer();
    img = sharp(await img.composite([{ input: grain, blend: 'soft-light' }]).png().toBuffer());
  }
  if (s.rotate) img = sharp(await img.rotate(s.rotate, { background: s.layout === 'dark' ? '#14181f' : '#ffffff' }).png().toBuffer());
  return s.jpegQuality > 0 ? img.jpeg({ quality: s.jpegQuality }).toBuffer() : img.png({ compressionLevel: 9, palette: s.noise === 0 }).toBuffer();
}

/** A style for poster `i` from a seeded random source: every layout, font, size and artefact comes up. */
export function styleFor(i: number, random: () => number, fonts: readonly string[]): PosterStyle {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const size = pick([16, 20, 24, 30, 36]);
  return {
    layout: LAYOUTS[i % LAYOUTS.length]!,
    font: fonts[Math.floor(i / LAYOUTS.length) % fonts.length]!,
    fontSize: size,
    rotate: random() < 0.35 ? Math.round((random() * 4 - 2) * 10) / 10 : 0,
    noise: random() < 0.35 ? pick([10, 18, 26]) : 0,
    jpegQuality: random() < 0.4 ? pick([40, 55, 75]) : 0,
    accent: pick(ACCENTS),
    width: size >= 30 ? 1080 : size <= 16 ? 600 : 750,
  };
}
