// Outbound: an OutboundMessage → the parts message.create gets (text or post), each within Lark's
// request-body limits, never cut inside a post element. Pure.
import { createHash } from 'node:crypto';
import { AdapterError } from '../../src/ports.ts';
import { splitOnLines } from '../../src/split.ts';
import { elementText, type PostElement } from './normalize.ts';

// Request-body limits of POST /open-apis/im/v1/messages (checked 2026-11 against the "发送消息" doc,
// https://open.feishu.cn/document/server-docs/im-v1/message/create): a text message's request body
// at most 150 KB, a post (rich text) or card at most 30 KB. We count the UTF-8 bytes of the whole JSON
// body we send (content is a JSON string inside JSON, so it is escaped twice) and keep a margin.
export const LARK_TEXT_MAX_BYTES = 150 * 1024;
export const LARK_POST_MAX_BYTES = 30 * 1024;
export const BODY_MARGIN_BYTES = 1024;
/** A first guess at characters per text part; parts that still encode too big are split again. */
export const LARK_TEXT_MAX_CHARS = 30_000;
// `uuid` on message.create: at most 50 characters; the same uuid sends at most one message within an
// hour (checked 2026-11, same doc).
const UUID_MAX = 50;
/** Shown text of a link that had to be shortened to fit (the href is kept whole). */
const LINK_TEXT_MAX = 80;

export interface Part {
  /** text, post, interactive (a card) or image (content {"image_key"}). */
  msgType: 'text' | 'post' | 'interactive' | 'image';
  content: string;
}

export interface PartLimits {
  /** Characters per text part before the byte check. */
  maxChars: number;
  /** Request-body bytes of one post. */
  maxPostBytes: number;
  /** Request-body bytes of one text message. */
  maxTextBytes: number;
}

/** Bytes of the request body message.create gets for `p` (with the longest uuid). */
export const bodyBytes = (chat: string, p: Part): number =>
  Buffer.byteLength(JSON.stringify({ receive_id: chat, msg_type: p.msgType, content: p.content, uuid: 'x'.repeat(UUID_MAX) }));

/** Plain text → text parts, split on line ends, each under the byte limit. */
export function textParts(chat: string, text: string, maxChars: number, maxBytes: number): Part[] {
  const out: Part[] = [];
  const push = (piece: string, max: number) => {
    const part: Part = { msgType: 'text', content: JSON.stringify({ text: piece }) };
    if (bodyBytes(chat, part) <= maxBytes || max <= 64) out.push(part);
    else for (const p of splitOnLines(piece, Math.floor(max / 2))) push(p, Math.floor(max / 2));
  };
  for (const piece of splitOnLines(text, maxChars)) push(piece, maxChars);
  return out;
}

type Paragraph = PostElement[];
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A lark-post body (JSON of `{locale: {title, content}}` or a bare `{title, content}`) → parts.
 * Too big: paragraphs spread over several posts (the title on the first); a paragraph too big for one
 * post is split between its elements; an element too big on its own is split (text), shortened (a
 * link's shown text; the href stays whole) or, when even that cannot fit, sent as a text message in
 * its place. Never cuts inside an element's markup, never drops an element with text.
 */
export function postParts(chat: string, body: string, limits: PartLimits): Part[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (cause) {
    throw new AdapterError('lark', 'send', 'lark-post body is not JSON', { cause, permanent: true });
  }
  if (!isObject(parsed)) throw new AdapterError('lark', 'send', 'lark-post body is not an object', { permanent: true });
  const whole: Part = { msgType: 'post', content: body };
  if (bodyBytes(chat, whole) <= limits.maxPostBytes) return [whole];

  const locale = Object.keys(parsed).find((k) => isObject(parsed[k]) && Array.isArray(parsed[k].content));
  const post = (locale ? parsed[locale] : parsed) as Record<string, unknown>;
  const key = locale ?? 'zh_cn';
  const paragraphs: Paragraph[] = (Array.isArray(post.content) ? (post.content as unknown[]) : [])
    .filter((p): p is unknown[] => Array.isArray(p))
    .map((p) => p.filter(isObject) as Paragraph);
  let title: string | undefined = typeof post.title === 'string' ? post.title : undefined;

  const make = (t: string | undefined, content: Paragraph[]): Part => ({
    msgType: 'post',
    content: JSON.stringify({ [key]: t === undefined ? { content } : { title: t, content } }),
  });
  const fitsWith = (t: string | undefined, content: Paragraph[]) => bodyBytes(chat, make(t, content)) <= limits.maxPostBytes;
  const asText = (text: string): Part[] => (text.trim() ? textParts(chat, text, limits.maxChars, limits.maxTextBytes) : []);

  const out: Part[] = [];
  let current: Paragraph[] = [];
  const flush = () => {
    if (!current.length) return;
    out.push(make(title, current));
    title = undefined;
    current = [];
  };
  for (const unit of units(paragraphs, (c) => fitsWith(undefined, c))) {
    if (typeof unit === 'string') {
      flush();
      out.push(...asText(unit));
      continue;
    }
    if (fitsWith(title, [...current, unit])) {
      current.push(unit);
      continue;
    }
    flush();
    if (title !== undefined && !fitsWith(title, [unit])) {
      // The title leaves no room for this paragraph: it goes first, as text.
      out.push(...asText(title));
      title = undefined;
    }
    current.push(unit);
  }
  flush();
  if (title !== undefined) out.unshift(...asText(title));
  return out.length ? out : [whole];
}

/** Paragraphs that each fit a post alone (bare, without a title), or strings to send as text in their place. */
function units(paragraphs: Paragraph[], fits: (c: Paragraph[]) => boolean): (Paragraph | string)[] {
  const out: (Paragraph | string)[] = [];
  for (const para of paragraphs) {
    if (fits([para])) {
      out.push(para);
      continue;
    }
    let current: Paragraph = [];
    const close = () => {
      if (current.length) out.push(current);
      current = [];
    };
    for (const el of para) {
      for (const small of fits([[el]]) ? [el] : shrinkElement(el, fits)) {
        if (typeof small === 'string') {
          close();
          out.push(small);
          continue;
        }
        if (!fits([[...current, small]])) close();
        current.push(small);
      }
    }
    close();
  }
  return out;
}

/** Smaller copies of one element that each fit a post, or its text when no copy can (sent as a text message). */
function shrinkElement(el: PostElement, fits: (c: Paragraph[]) => boolean): (PostElement | string)[] {
  const text = typeof el.text === 'string' ? el.text : '';
  if (el.tag === 'a' && typeof el.href === 'string') {
    const chars = [...text];
    const short: PostElement = { ...el, text: chars.length > LINK_TEXT_MAX ? `${chars.slice(0, LINK_TEXT_MAX - 1).join('')}…` : text };
    return [fits([[short]]) ? short : elementText(el, {})];
  }
  if (!text || !['text', 'md', 'code_block'].includes(String(el.tag))) return [elementText(el, {})];
  // The same tag over smaller pieces of its text, halved (at line ends where possible) until each fits.
  const out: (PostElement | string)[] = [];
  const cut = (piece: string) => {
    const candidate: PostElement = { ...el, text: piece };
    if (fits([[candidate]])) out.push(candidate);
    else if (piece.length <= 2) out.push(piece);
    else for (const p of halve(piece)) cut(p);
  };
  cut(text);
  return out;
}

/** Two pieces whose concatenation is `s`: cut after a line end near the middle, else at a code-point boundary there. */
function halve(s: string): [string, string] {
  const mid = Math.ceil(s.length / 2);
  const nl = s.lastIndexOf('\n', mid);
  let cut = nl > 0 ? nl + 1 : mid;
  const code = s.charCodeAt(cut - 1);
  if (nl <= 0 && code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return [s.slice(0, cut), s.slice(cut)];
}

/** Lark's uuid for part `index` of `count`: the key itself for a single part, key-index when split; ≤ 50 chars. */
export function larkUuid(key: string, index: number, count: number): string {
  if (count === 1 && key.length <= UUID_MAX) return key;
  const suffix = count === 1 ? '' : `-${index}`;
  const room = UUID_MAX - suffix.length;
  const base = key.length <= room ? key : createHash('sha256').update(key).digest('hex').slice(0, room);
  return `${base}${suffix}`;
}
