// A fetched web page as readable text: its title and main text, scripts and styles dropped. Pure, and
// forgiving: a page cut off by the size cap still gives what it had.
// 2026-11: a WeChat 公众号 article (mp.weixin.qq.com/s/…) carries its title in
// <meta property="og:title"> and <h1 class="rich_media_title" id="activity-name">, and its body in
// <div class="rich_media_content" id="js_content"> (hidden by an inline style until the page's script
// runs, but present in the HTML), e.g. https://mp.weixin.qq.com/s/ pages as served, and templates that
// copy their layout: https://github.com/jincheng-jason/oper/blob/master/src/main/resources/ftl/html_news.ftl

/** Elements whose content is never text a reader sees. */
const HIDDEN = ['script', 'style', 'noscript', 'template', 'svg', 'iframe', 'object', 'canvas', 'select', 'textarea'];
/** Elements that start a new line. */
const BLOCK = /^(?:p|div|br|li|ul|ol|h[1-6]|tr|td|th|table|section|article|header|footer|blockquote|pre|hr|dd|dt|dl|figure|figcaption|main|aside|nav|form)$/;

const NAMED: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', ensp: ' ', emsp: ' ', thinsp: ' ', mdash: '—', ndash: '–',
  hellip: '…', ldquo: '“', rdquo: '”', lsquo: '‘', rsquo: '’', middot: '·', bull: '•', yen: '¥', copy: '©', reg: '®', times: '×',
};

/** `&amp;`, `&#22269;`, `&#x56fd;` and the common named entities; anything else is left as written. */
export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|[a-z]{2,8});/gi, (whole, code: string) => {
    if (code[0] === '#') {
      const n = code[1] === 'x' || code[1] === 'X' ? Number.parseInt(code.slice(2), 16) : Number.parseInt(code.slice(1), 10);
      return n > 0 && n <= 0x10ffff && !(n >= 0xd800 && n <= 0xdfff) ? String.fromCodePoint(n) : '';
    }
    return NAMED[code.toLowerCase()] ?? whole;
  });
}

/** The charset a page declares: Content-Type first, then a byte-order mark, then a <meta> near the top. */
export function declaredCharset(bytes: Buffer, contentType: string | undefined): string {
  const fromHeader = /charset\s*=\s*["']?([\w.:-]+)/i.exec(contentType ?? '')?.[1];
  if (fromHeader) return fromHeader.toLowerCase();
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return 'utf-8';
  // <meta charset="gbk"> or <meta http-equiv="Content-Type" content="text/html; charset=gb2312">, in the first 4 KB (the HTML spec looks at 1024)
  const head = bytes.subarray(0, 4096).toString('latin1');
  const meta = /<meta[^>]+charset\s*=\s*["']?([\w.:-]+)/i.exec(head)?.[1];
  return (meta ?? 'utf-8').toLowerCase();
}

/** The page's bytes as text in its declared charset (GBK, GB18030, Big5, UTF-8 …); an unknown label reads as UTF-8. */
export function decodePage(bytes: Buffer, contentType?: string): string {
  let label = declaredCharset(bytes, contentType);
  if (label === 'gb2312' || label === 'gbk' || label === 'x-gbk') label = 'gb18030'; // a superset; what browsers do for both
  try {
    return new TextDecoder(label).decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}

type Token = { kind: 'text'; text: string } | { kind: 'open'; name: string; attrs: string } | { kind: 'close'; name: string };

const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr']);

/**
 * The page as a flat list of text and tags, in one pass (no regex that can backtrack over a hostile page):
 * comments, doctypes and hidden elements (scripts, styles …) are left out; a tag cut off at the end is dropped.
 */
export function tokenize(html: string): Token[] {
  const out: Token[] = [];
  const name = /\/?([a-zA-Z][a-zA-Z0-9-]*)/y;
  let i = 0;
  /** Where the text not yet pushed starts (a '<' that opens no tag stays part of it). */
  let textFrom = 0;
  const flush = (to: number) => {
    if (to > textFrom) out.push({ kind: 'text', text: html.slice(textFrom, to) });
  };
  while (i < html.length) {
    const lt = html.indexOf('<', i);
    if (lt < 0) break;
    const literal = html[lt + 1] !== '/' && html[lt + 1] !== '!' && html[lt + 1] !== '?' && !/[a-zA-Z]/.test(html[lt + 1] ?? '');
    if (literal) {
      i = lt + 1;
      continue;
    }
    flush(lt);
    textFrom = lt;
    if (html.startsWith('<!--', lt)) {
      const end = html.indexOf('-->', lt + 4);
      i = textFrom = end < 0 ? html.length : end + 3;
      continue;
    }
    name.lastIndex = lt + 1;
    const m = name.exec(html);
    if (!m) {
      if (html[lt + 1] === '!' || html[lt + 1] === '?') {
        const end = html.indexOf('>', lt);
        i = textFrom = end < 0 ? html.length : end + 1;
      } else i = lt + 1; // "</" and no name: text
      continue;
    }
    const end = tagEnd(html, name.lastIndex);
    if (end < 0) return out; // cut off mid-tag
    const tag = m[1]!.toLowerCase();
    i = textFrom = end + 1;
    if (m[0][0] === '/') {
      out.push({ kind: 'close', name: tag });
      continue;
    }
    out.push({ kind: 'open', name: tag, attrs: html.slice(name.lastIndex, end) });
    if (HIDDEN.includes(tag)) {
      const close = new RegExp(`</${tag}\\b`, 'gi');
      close.lastIndex = i;
      const c = close.exec(html);
      const after = c ? tagEnd(html, c.index + 2) : -1;
      i = textFrom = after < 0 ? html.length : after + 1;
      out.push({ kind: 'close', name: tag });
    }
  }
  flush(html.length);
  return out;
}

/** Index of the '>' that ends a tag whose attributes start at `from` (quotes respected); -1 when it never ends. */
function tagEnd(html: string, from: number): number {
  let quote = '';
  for (let j = from; j < html.length; j++) {
    const ch = html[j]!;
    if (quote) {
      if (ch === quote) quote = '';
    } else if (ch === '"' || ch === "'") {
      // a quote only opens a value right after "="
      if (/=\s*$/.test(html.slice(Math.max(from, j - 8), j))) quote = ch;
    } else if (ch === '>') return j;
  }
  return -1;
}

/** One attribute's value from a tag's raw attribute text. */
export function attr(attrs: string, key: string): string | undefined {
  const re = /([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?/g;
  for (let m = re.exec(attrs); m; m = re.exec(attrs)) {
    if (m[1]!.toLowerCase() === key) return decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
  }
  return undefined;
}

/** The tokens inside the first element `match` picks (to the end when it never closes: a cut-off page). */
function inside(tokens: Token[], match: (t: Token & { kind: 'open' }) => boolean): Token[] | undefined {
  const at = tokens.findIndex((t) => t.kind === 'open' && match(t));
  if (at < 0) return undefined;
  const tag = (tokens[at] as { name: string }).name;
  if (VOID.has(tag)) return [];
  let depth = 1;
  for (let j = at + 1; j < tokens.length; j++) {
    const t = tokens[j]!;
    if (t.kind === 'open' && t.name === tag && !t.attrs.trimEnd().endsWith('/')) depth++;
    else if (t.kind === 'close' && t.name === tag && --depth === 0) return tokens.slice(at + 1, j);
  }
  return tokens.slice(at + 1);
}

/** Text of a run of tokens: hidden elements dropped, block elements as line breaks, blank runs squeezed. */
function tokensText(tokens: Token[], maxChars = Number.POSITIVE_INFINITY): string {
  const parts: string[] = [];
  let hidden = 0;
  let collected = 0;
  for (const t of tokens) {
    if (t.kind === 'open' && HIDDEN.includes(t.name)) hidden++;
    else if (t.kind === 'close' && HIDDEN.includes(t.name)) hidden = Math.max(0, hidden - 1);
    else if (hidden) continue;
    else if (t.kind === 'text') {
      parts.push(t.text);
      collected += t.text.length;
      if (collected > maxChars * 4) break; // enough: markup and spaces shrink, but not by 4×
    }
    else if (BLOCK.test(t.name)) parts.push('\n');
  }
  return decodeEntities(parts.join(''))
    .split('\n')
    .map((line) => line.replace(/[\s\u200b\ufeff]+/g, ' ').trim())
    .filter(Boolean)
    .join('\n');
}

/** Every token but the <head> element's. */
function withoutHead(tokens: Token[]): Token[] {
  const head = new Set(inside(tokens, (t) => t.name === 'head'));
  return tokens.filter((t) => !head.has(t) && !(t.kind !== 'text' && t.name === 'head'));
}

/** Text of an HTML fragment (see tokensText). */
export function fragmentText(html: string): string {
  return tokensText(tokenize(html));
}

/**
 * Title and main text of a page. The title: og:title, WeChat's #activity-name, then <title>. The main text:
 * WeChat's #js_content, else <article>, <main>, <body>, else the whole document but its <head>. The main
 * text is read only as far as needed for about `maxChars` characters.
 */
export function htmlToText(html: string, maxChars = Number.POSITIVE_INFINITY): { title?: string; text: string } {
  const tokens = tokenize(html);
  const byId = (id: string) => (t: { attrs: string }) => t.attrs.includes(id) && attr(t.attrs, 'id') === id;
  const byTag = (name: string) => (t: { name: string }) => t.name === name;
  const textOf = (match: (t: Token & { kind: 'open' }) => boolean) => {
    const part = inside(tokens, match);
    return part ? tokensText(part) || undefined : undefined;
  };
  const og = tokens.find((t) => t.kind === 'open' && t.name === 'meta' && t.attrs.includes('og:title') && (attr(t.attrs, 'property') ?? attr(t.attrs, 'name')) === 'og:title');
  const ogTitle = og?.kind === 'open' ? attr(og.attrs, 'content')?.replace(/\s+/g, ' ').trim() : undefined;
  const title = ogTitle || textOf(byId('activity-name')) || textOf(byTag('title'));
  const body =
    inside(tokens, byId('js_content')) ??
    inside(tokens, byTag('article')) ??
    inside(tokens, byTag('main')) ??
    inside(tokens, byTag('body')) ??
    withoutHead(tokens);
  const text = tokensText(body, maxChars);
  return title ? { title, text } : { text };
}
