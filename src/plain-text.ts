// A rendered message as plain text, for platforms (or a terminal) that cannot show its format:
// Telegram HTML and Lark `post` bodies flattened, links kept as "label url".
import type { OutboundMessage } from './domain.ts';

export function toPlainText(message: OutboundMessage): string {
  if (message.format === 'html') return htmlToText(message.body);
  if (message.format === 'lark-post') return larkPostToText(message.body);
  if (message.format === 'lark-card') return larkCardToText(message.body);
  return message.body;
}

/** The readable text of a Lark interactive card: every `content` string (markdown/plain_text), in order. */
export function larkCardToText(body: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return body;
  }
  const out: string[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (depth > 64 || v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      for (const x of v) walk(x, depth + 1);
      return;
    }
    const o = v as Record<string, unknown>;
    if (typeof o.content === 'string' && (o.tag === 'plain_text' || o.tag === 'lark_md' || o.tag === 'markdown')) out.push(o.content);
    for (const [k, x] of Object.entries(o)) if (k !== 'content' || typeof x !== 'string') walk(x, depth + 1);
  };
  walk(parsed, 0);
  return out.join('\n');
}

export function htmlToText(html: string): string {
  return unescapeHtml(
    html
      .replace(/<br\s*\/?>/gi, '\n')
      .replace(/<a\s[^>]*href\s*=\s*"([^"]*)"[^>]*>([\s\S]*?)<\/a>/gi, (_, href: string, inner: string) => {
        const label = inner.replace(/<[^>]+>/g, '').trim();
        return !label || unescapeHtml(label) === unescapeHtml(href) ? href : `${label} ${href}`;
      })
      .replace(/<[^>]+>/g, ''),
  );
}

/**
 * What Telegram shows of an HTML message: tags removed, entities decoded, nothing added (links keep
 * only their label). Its `.length` is what Telegram measures against 4096 ("1-4096 characters after
 * entities parsing", 2026-11, https://core.telegram.org/bots/api#sendmessage).
 */
export function htmlVisibleText(html: string): string {
  return unescapeHtml(html.replace(/<[^>]*>/g, ''));
}

export function unescapeHtml(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|lt|gt|quot|apos|amp|nbsp);/gi, (whole, name: string) => {
    const n = name.toLowerCase();
    if (n.startsWith('#x')) return codePoint(parseInt(n.slice(2), 16), whole);
    if (n.startsWith('#')) return codePoint(parseInt(n.slice(1), 10), whole);
    return ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&', nbsp: ' ' } as Record<string, string>)[n] ?? whole;
  });
}

function codePoint(cp: number, fallback: string): string {
  return Number.isInteger(cp) && cp >= 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : fallback;
}

interface LarkElement {
  tag?: string;
  text?: string;
  href?: string;
  user_name?: string;
  user_id?: string;
}

/** A Lark post body, maybe wrapped in a locale key ({ zh_cn: {...} }); a body that is not one comes back as is. */
export function larkPostToText(body: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return body;
  }
  if (!parsed || typeof parsed !== 'object') return body;
  const obj = parsed as Record<string, unknown>;
  const post = (Array.isArray(obj.content) ? obj : (obj.zh_cn ?? obj.en_us ?? Object.values(obj).find((v) => v && typeof v === 'object'))) as
    | { title?: unknown; content?: unknown }
    | undefined;
  if (!post || typeof post !== 'object' || !Array.isArray(post.content)) return body;
  const lines = (post.content as unknown[]).map((line) =>
    (Array.isArray(line) ? (line as LarkElement[]) : [])
      .map((el) => {
        if (!el || typeof el !== 'object') return '';
        if (el.tag === 'a') return [el.text, el.href].filter(Boolean).join(' ');
        if (el.tag === 'at') return `@${el.user_name ?? el.user_id ?? ''}`;
        return typeof el.text === 'string' ? el.text : '';
      })
      .join(''),
  );
  const title = typeof post.title === 'string' && post.title ? [post.title] : [];
  return [...title, ...lines].join('\n');
}
