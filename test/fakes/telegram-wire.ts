// The wire side of the fake Telegram server: request bodies (JSON, form, and multipart/form-data as
// the Bot API receives uploads, https://core.telegram.org/bots/api#sending-files : fields are strings,
// objects JSON-encoded, files are parts with a filename referenced from fields as "attach://<name>"),
// and the checks Telegram makes on what a bot sends (HTML, inline keyboards).
import type { IncomingMessage } from 'node:http';

/** How a method handler answers the HTTP request. */
export type Answer = (status: number, body: unknown) => undefined;

const TELEGRAM_HTML_TAGS = new Set(['b', 'strong', 'i', 'em', 'u', 'ins', 's', 'strike', 'del', 'a', 'code', 'pre', 'tg-spoiler', 'span', 'blockquote', 'tg-emoji']);

export interface UploadedFile {
  filename: string;
  bytes: Buffer;
}

export interface MultipartBody {
  fields: Record<string, string>;
  files: Record<string, UploadedFile>;
}

/** The boundary of a multipart/form-data content type, or undefined. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  const m = /multipart\/form-data;\s*boundary="?([^";]+)"?/i.exec(contentType ?? '');
  return m?.[1];
}

export function parseMultipart(body: Buffer, boundary: string): MultipartBody {
  const fields: Record<string, string> = {};
  const files: Record<string, UploadedFile> = {};
  const delimiter = Buffer.from(`--${boundary}`);
  let pos = body.indexOf(delimiter);
  if (pos < 0) throw new Error('no multipart boundary in the body');
  for (;;) {
    pos += delimiter.length;
    if (body.subarray(pos, pos + 2).toString() === '--') break; // closing delimiter
    pos += 2; // CRLF after the delimiter
    const next = body.indexOf(delimiter, pos);
    if (next < 0) throw new Error('unterminated multipart body');
    const part = body.subarray(pos, next - 2); // without the CRLF before the next delimiter
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd < 0) throw new Error('multipart part without headers');
    const headers = part.subarray(0, headerEnd).toString('utf8');
    const content = part.subarray(headerEnd + 4);
    const name = /name="([^"]*)"/i.exec(headers)?.[1];
    if (name === undefined) throw new Error('multipart part without a name');
    const filename = /filename="?([^";\r\n]+)"?/i.exec(headers)?.[1];
    if (filename !== undefined) files[name] = { filename, bytes: Buffer.from(content) };
    else fields[name] = content.toString('utf8');
    pos = next;
  }
  return { fields, files };
}

/** A form field as the Bot API reads it: JSON for objects and arrays, the string otherwise. */
export function fieldValue(raw: string): unknown {
  const t = raw.trim();
  if (t.startsWith('{') || t.startsWith('[')) {
    try {
      return JSON.parse(t) as unknown;
    } catch {
      return raw;
    }
  }
  return raw;
}

export async function readPayload(req: IncomingMessage): Promise<{ payload: Record<string, unknown>; uploads: Record<string, UploadedFile> }> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const body = Buffer.concat(chunks);
  const raw = body.toString('utf8');
  const query = Object.fromEntries(new URL(req.url ?? '/', 'http://x').searchParams);
  if (!raw) return { payload: query, uploads: {} };
  const type = req.headers['content-type'] ?? '';
  const boundary = multipartBoundary(type);
  if (boundary) {
    const { fields, files } = parseMultipart(body, boundary);
    const payload: Record<string, unknown> = { ...query };
    for (const [k, v] of Object.entries(fields)) payload[k] = fieldValue(v);
    return { payload, uploads: files };
  }
  if (type.includes('application/x-www-form-urlencoded')) return { payload: { ...query, ...Object.fromEntries(new URLSearchParams(raw)) }, uploads: {} };
  const parsed = JSON.parse(raw) as unknown;
  if (!parsed || typeof parsed !== 'object') throw new Error('not an object');
  return { payload: { ...query, ...(parsed as Record<string, unknown>) }, uploads: {} };
}

/**
 * Why Telegram would refuse this reply_markup, if it would. 2026-11,
 * https://core.telegram.org/bots/api#inlinekeyboardbutton : callback_data "1-64 bytes".
 */
export function checkMarkup(markup: unknown): string | undefined {
  if (markup === undefined) return undefined;
  const rows = (markup as { inline_keyboard?: unknown } | null)?.inline_keyboard;
  if (!Array.isArray(rows) || !rows.every(Array.isArray)) return "can't parse inline keyboard button: InlineKeyboardMarkup must be an Array of Arrays";
  for (const b of rows.flat() as { text?: unknown; callback_data?: unknown }[]) {
    if (typeof b?.text !== 'string' || !b.text) return 'text buttons are unallowed in the inline keyboard';
    const bytes = typeof b.callback_data === 'string' ? Buffer.byteLength(b.callback_data) : 0;
    if (bytes < 1 || bytes > 64) return 'BUTTON_DATA_INVALID';
  }
  return undefined;
}

export function toInt(v: unknown, fallback: number): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() ? Number(v) : NaN;
  return Number.isFinite(n) ? Math.trunc(n) : fallback;
}

/** Zero or more `name`, `name="…"`, `name='…'` or `name=bare`; no `<` inside a value. */
const ATTRIBUTES = /^(?:\s+[a-zA-Z][\w-]*(?:\s*=\s*(?:"[^"<]*"|'[^'<]*'|[^\s"'<>=`]+))?)*\s*$/;

/** The visible text of Telegram HTML, or why Telegram would refuse it (unknown/unbalanced tags, bare `&`). */
export function parseTelegramHtml(html: string): { text: string } | { error: string } {
  const stack: string[] = [];
  let text = '';
  const re = /<(\/?)([a-zA-Z][\w-]*)([^<>]*)>|&(#\d+|#x[0-9a-fA-F]+|lt|gt|amp|quot);|[<>&]|[^<>&]+/g;
  for (const m of html.matchAll(re)) {
    const [whole, closing, tag, attrs, entity] = m;
    if (tag) {
      const name = tag.toLowerCase();
      if (!TELEGRAM_HTML_TAGS.has(name)) return { error: `unsupported start tag "${name}" at byte offset ${m.index}` };
      if (!ATTRIBUTES.test(attrs ?? '') || (closing && attrs?.trim())) return { error: `malformed tag "${name}" at byte offset ${m.index}` };
      if (!closing && name === 'a' && !/\shref\s*=/.test(attrs ?? '')) return { error: `a link without href at byte offset ${m.index}` };
      if (closing) {
        if (stack.pop() !== name) return { error: `unmatched end tag at byte offset ${m.index}, expected "</${stack.at(-1) ?? ''}>", found "</${name}>"` };
      } else stack.push(name);
    } else if (entity) {
      text += entity === 'lt' ? '<' : entity === 'gt' ? '>' : entity === 'amp' ? '&' : entity === 'quot' ? '"' : String.fromCodePoint(entity.startsWith('#x') ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10));
    } else if (whole === '<' || whole === '&' || whole === '>') {
      if (whole !== '>') return { error: `unexpected "${whole}" at byte offset ${m.index}` };
      text += whole;
    } else text += whole;
  }
  if (stack.length) return { error: `can't find end tag corresponding to start tag "${stack.at(-1)}"` };
  return { text };
}
