// HTTP helpers of the Lark fake: routes, bodies (JSON, multipart), streamed resources, and the plain
// text of what the relay sent.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { larkCardToText } from '../../src/plain-text.ts';
import type { FakeResource, FakeRoute } from './lark-server.ts';

export function routeOf(method: string, path: string): FakeRoute | undefined {
  if (method === 'POST' && path === '/open-apis/auth/v3/tenant_access_token/internal') return 'token';
  if (method === 'POST' && path === '/open-apis/im/v1/messages') return 'messages';
  if (method === 'POST' && /^\/open-apis\/im\/v1\/messages\/[^/]+\/reply$/.test(path)) return 'reply';
  if (method === 'POST' && path === '/open-apis/im/v1/images') return 'image-upload';
  if (method === 'GET' && /^\/open-apis\/im\/v1\/messages\/[^/]+\/resources\/[^/]+$/.test(path)) return 'resource';
  if (method === 'GET' && path === '/open-apis/bot/v3/info') return 'bot-info';
  if (method === 'GET' && path.startsWith('/open-apis/contact/v3/users/')) return 'contact';
  if (method === 'GET' && /^\/open-apis\/im\/v1\/chats\/[^/]+$/.test(path)) return 'chat-info';
  if (method === 'POST' && path === '/callback/ws/endpoint') return 'ws-endpoint';
  return undefined;
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

/** multipart/form-data → field name → {data, filename}; an empty map when it is not multipart. */
export function parseMultipart(raw: Buffer, contentType: string): Map<string, { data: Buffer; filename?: string }> {
  const out = new Map<string, { data: Buffer; filename?: string }>();
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  if (!boundary) return out;
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  let at = raw.indexOf(delimiter);
  while (at !== -1) {
    const start = at + delimiter.length;
    const next = raw.indexOf(delimiter, start);
    if (next === -1) break;
    const part = raw.subarray(start + 2, next - 2); // after CRLF, before CRLF
    const split = part.indexOf('\r\n\r\n');
    if (split !== -1) {
      const head = part.subarray(0, split).toString('utf8');
      const name = /name="([^"]*)"/i.exec(head)?.[1];
      const filename = /filename="([^"]*)"/i.exec(head)?.[1];
      if (name) out.set(name, filename !== undefined ? { data: part.subarray(split + 4), filename } : { data: part.subarray(split + 4) });
    }
    at = next;
  }
  return out;
}

/** Streams a picture: with or without Content-Length, in 16 KB chunks, optionally slowly. */
export function serveResource(res: ServerResponse, r: FakeResource): void {
  const headers: Record<string, string> = { 'content-type': r.mime };
  if (r.declareLength !== false) headers['content-length'] = String(r.bytes.length);
  res.writeHead(200, headers);
  let at = 0;
  const next = () => {
    if (res.destroyed) return;
    if (at >= r.bytes.length) return void res.end();
    const chunk = r.bytes.subarray(at, at + 16 * 1024);
    at += chunk.length;
    res.write(chunk);
    if (r.chunkDelayMs) setTimeout(next, r.chunkDelayMs);
    else setImmediate(next);
  };
  next();
}

// biome-ignore lint/suspicious/noExplicitAny: the fake reads loose JSON bodies field by field
type Loose = Record<string, any>;

export function parseJson(raw: string): Loose | undefined {
  try {
    const v: unknown = JSON.parse(raw);
    return typeof v === 'object' && v !== null ? (v as Loose) : undefined;
  } catch {
    return undefined;
  }
}

/** Plain text of a message content as a reader sees it: text as is; a post's title and paragraphs. */
export function contentText(msgType: string, content: unknown): string {
  const c = content as Loose;
  if (msgType === 'text') return typeof c?.text === 'string' ? c.text : '';
  if (msgType === 'image') return `[image ${c?.image_key ?? ''}]`;
  if (msgType === 'interactive') return larkCardToText(JSON.stringify(c));
  if (msgType === 'post') {
    const body = c && (Array.isArray(c.content) ? c : (c.zh_cn ?? c.en_us ?? Object.values(c)[0]));
    const lines: string[] = [];
    if (body?.title) lines.push(body.title);
    for (const para of body?.content ?? []) {
      lines.push(
        (para as { tag: string; text?: string; href?: string }[])
          .map((el) => (el.tag === 'a' ? `${el.text ?? ''} ${el.href ?? ''}`.trim() : (el.text ?? '')))
          .join(''),
      );
    }
    return lines.join('\n');
  }
  return '';
}

