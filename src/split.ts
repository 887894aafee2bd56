// Splitting text that is too long for one chat message. Shared by the digest renderer and adapters.

/** Length as the platforms count it: UTF-16 code units (Telegram documents its 4096 limit so). */
export const textLength = (s: string): number => s.length;

/**
 * Splits `text` into pieces of at most `max` units, breaking at line ends where possible,
 * else at a code-point boundary (never inside a surrogate pair).
 */
export function splitOnLines(text: string, max: number): string[] {
  if (max < 2) throw new RangeError('max must be at least 2');
  if (text.length <= max) return [text];
  const out: string[] = [];
  let current = '';
  const flush = () => {
    if (current) out.push(current);
    current = '';
  };
  for (const line of text.split('\n')) {
    const candidate = current ? `${current}\n${line}` : line;
    if (candidate.length <= max) {
      current = candidate;
      continue;
    }
    flush();
    let rest = line;
    while (rest.length > max) {
      let cut = max;
      const code = rest.charCodeAt(cut - 1);
      if (code >= 0xd800 && code <= 0xdbff) cut -= 1; // keep a surrogate pair together
      out.push(rest.slice(0, cut));
      rest = rest.slice(cut);
    }
    current = rest;
  }
  flush();
  return out.length ? out : [''];
}

interface HtmlToken {
  /** 'open'/'close' for a tag, 'br' for a line feed outside tags, 'text' for one character or entity. */
  kind: 'open' | 'close' | 'br' | 'text';
  raw: string;
  /** Tag name (open/close). */
  name?: string;
  /** Visible length: what the character or entity decodes to, in UTF-16 units. */
  size: number;
}

const ENTITY_SIZE: Record<string, number> = { lt: 1, gt: 1, amp: 1, quot: 1, apos: 1, nbsp: 1 };

function entitySize(body: string): number | undefined {
  const n = body.toLowerCase();
  if (n in ENTITY_SIZE) return ENTITY_SIZE[n];
  const cp = n.startsWith('#x') ? parseInt(n.slice(2), 16) : n.startsWith('#') ? parseInt(n.slice(1), 10) : NaN;
  return Number.isInteger(cp) && cp >= 0 && cp <= 0x10ffff ? (cp > 0xffff ? 2 : 1) : undefined;
}

/** A tag (1: '/' of a closing tag, 2: its name) or an entity (3: its body): shared by the tokenizer and fitsWhole. */
const TAG_OR_ENTITY = /<(\/?)([a-zA-Z][\w-]*)[^<>]*>|&(#x[0-9a-fA-F]+|#\d+|[a-zA-Z]+);/g;
/** A tag, an entity, a line feed, or one code point (a surrogate pair stays whole with /u). */
const HTML_TOKEN = new RegExp(`${TAG_OR_ENTITY.source}|\\n|[\\s\\S]`, 'gu');

function tokenizeHtml(html: string): HtmlToken[] {
  const out: HtmlToken[] = [];
  for (const m of html.matchAll(HTML_TOKEN)) {
    const raw = m[0];
    if (m[2]) out.push({ kind: m[1] ? 'close' : 'open', raw, name: m[2].toLowerCase(), size: 0 });
    else if (m[3]) out.push({ kind: 'text', raw, size: entitySize(m[3]) ?? raw.length });
    else if (raw === '\n') out.push({ kind: 'br', raw, size: 1 });
    else out.push({ kind: 'text', raw, size: raw.length });
  }
  return out;
}

/**
 * The common case without tokenizing (one object per character had a 30-channel digest fan-out spend
 * its first ≈ 200 ms in GC): balanced HTML whose visible text fits in `max`, is not blank and does not
 * start with a line end is its own only part, which is what the full split returns for it. Tags and
 * entities are found where the tokenizer finds them (same pattern, tried first at every position).
 */
function fitsWhole(html: string, max: number): boolean {
  let size = html.length;
  const open: string[] = [];
  let last = 0;
  let text = false; // a visible character that is not white space, or an entity (as the full split counts)
  let started = false;
  const between = (from: number, to: number) => {
    if (from === to) return true;
    if (!started && html[from] === '\n') return false; // the full split drops a leading line end
    started = true;
    if (!text && /\S/.test(html.slice(from, to))) text = true;
    return true;
  };
  for (const m of html.matchAll(TAG_OR_ENTITY)) {
    if (!between(last, m.index)) return false;
    last = m.index + m[0].length;
    if (m[2]) {
      size -= m[0].length;
      const name = m[2].toLowerCase();
      if (!m[1]) open.push(name);
      else if (open.pop() !== name) return false;
    } else {
      size -= m[0].length - (entitySize(m[3]!) ?? m[0].length);
      started = text = true;
    }
  }
  return between(last, html.length) && size <= max && open.length === 0 && text;
}

/**
 * Splits HTML into parts of at most `max` visible units (tags free, an entity counting as what it
 * decodes to), at line ends where possible, else between characters; never inside a tag, an entity
 * or a surrogate pair. A tag open at a cut is closed at the end of that part and opened again at the
 * start of the next, so each part is balanced when the input is. Empty parts are dropped.
 */
export function splitHtml(html: string, max: number): string[] {
  if (max < 2) throw new RangeError('max must be at least 2');
  return fitsWhole(html, max) ? [html] : splitHtmlTokens(html, max);
}

/** splitHtml without its shortcut for HTML that fits (exported for the test that they agree). */
export function splitHtmlTokens(html: string, max: number): string[] {
  const tokens = tokenizeHtml(html);
  const parts: string[] = [];
  const open: HtmlToken[] = [];
  let buf = '';
  let size = 0;
  let hasText = false;
  // Open tags at the very end of `buf` (nothing inside them yet): a cut there leaves them for the next part.
  let tailStart = -1;
  let tailCount = 0;
  const closeTags = (stack: HtmlToken[]) => [...stack].reverse().map((t) => `</${t.name}>`).join('');
  const flush = () => {
    if (hasText) {
      const body = tailStart >= 0 ? buf.slice(0, tailStart) : buf;
      parts.push(body + closeTags(open.slice(0, open.length - tailCount)));
    }
    buf = open.map((t) => t.raw).join('');
    size = 0;
    hasText = false;
    tailStart = -1;
    tailCount = 0;
  };
  const append = (t: HtmlToken) => {
    if (t.kind === 'open') {
      if (tailStart < 0) tailStart = buf.length;
      tailCount++;
      open.push(t);
    } else {
      tailStart = -1;
      tailCount = 0;
      if (t.kind === 'close') {
        const i = open.map((o) => o.name).lastIndexOf(t.name);
        if (i >= 0) open.splice(i, 1);
      }
    }
    buf += t.raw;
    size += t.size;
    if (t.size > 0 && t.raw.trim() !== '') hasText = true;
  };
  const NL: HtmlToken = { kind: 'br', raw: '\n', size: 1 };
  let start = 0;
  for (let i = 0; i <= tokens.length; i++) {
    if (i < tokens.length && tokens[i]!.kind !== 'br') continue;
    const line = tokens.slice(start, i);
    start = i + 1;
    const lineSize = line.reduce((n, t) => n + t.size, 0);
    if (size > 0) {
      // Break between lines when the whole line does not fit after this one.
      if (size + 1 + lineSize > max) flush();
      else append(NL);
    }
    for (const t of line) {
      if (t.size > 0 && size + t.size > max) flush();
      append(t);
    }
  }
  flush();
  return parts;
}
