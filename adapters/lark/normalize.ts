// Pure: one im.message.receive_v1 event body → InboundMessage (or null). Total: whatever the payload
// holds (wrong types, objects with their own toString, getters that throw, inherited junk, deep
// nesting), it never throws, and one unreadable post element or mention is skipped, not the message.
// Group and private (p2p) chats; text, post (rich text, with its pictures) and image messages.
import type { InboundMedia, InboundMessage } from '../../src/domain.ts';

export interface LarkMention {
  key: string;
  id?: { open_id?: string; union_id?: string; user_id?: string };
  name?: string;
  tenant_key?: string;
}

/** The body of an im.message.receive_v1 event (the `event` object, or the SDK dispatcher's flattened header+event). */
export interface LarkMessageEvent {
  event_id?: string;
  app_id?: string;
  sender?: {
    sender_id?: { open_id?: string; union_id?: string; user_id?: string; app_id?: string };
    sender_type?: string;
    tenant_key?: string;
  };
  message?: {
    message_id?: string;
    root_id?: string;
    parent_id?: string;
    create_time?: string;
    chat_id?: string;
    chat_type?: string;
    message_type?: string;
    content?: string;
    mentions?: LarkMention[];
  };
}

export interface NormalizeContext {
  /** The bot's own open_id (from /open-apis/bot/v3/info). */
  botOpenId?: string;
  appId?: string;
}

/** A post element as Lark sends it (only the fields we read). */
export interface PostElement {
  tag?: string;
  text?: string;
  href?: string;
  user_id?: string;
  user_name?: string;
  image_key?: string;
}

type Obj = Record<string, unknown>;

/** A plain object or null. Never calls a getter or a trap that could throw (the caller catches traps). */
const asObject = (v: unknown): Obj | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined);

/**
 * An own data property of `o` — never a getter (it is not called), never an inherited value. Proxies'
 * traps may still throw; every caller sits inside a try.
 */
function own(o: unknown, key: string): unknown {
  if (typeof o !== 'object' || o === null) return undefined;
  const d = Object.getOwnPropertyDescriptor(o, key);
  return d && 'value' in d ? d.value : undefined;
}
const str = (o: unknown, key: string): string | undefined => {
  const v = own(o, key);
  return typeof v === 'string' ? v : undefined;
};
/** Elements of a real array, read by index (an own Symbol.iterator on the array is not trusted). */
function items(v: unknown): unknown[] {
  if (!Array.isArray(v)) return [];
  const out: unknown[] = [];
  const n = Math.min(v.length, 10_000);
  for (let i = 0; i < n; i++) out.push(own(v, String(i)));
  return out;
}

/** Runs `f`; whatever it throws becomes `fallback`. */
function safely<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch {
    return fallback;
  }
}

/** Pure: one im.message.receive_v1 event body → InboundMessage, or null when it is not a usable group text. */
export function normalize(event: LarkMessageEvent, ctx: NormalizeContext = {}): InboundMessage | null {
  return safely(() => normalizeUnsafe(event, ctx), null);
}

function normalizeUnsafe(event: unknown, ctx: NormalizeContext): InboundMessage | null {
  const message = asObject(own(event, 'message'));
  const sender = asObject(own(event, 'sender'));
  if (!message || !sender) return null;
  // chat_type 'group', or 'p2p' for a person writing to the bot directly (2026-11,
  // https://open.feishu.cn/document/server-docs/im-v1/message/events/receive). A p2p chat has its own
  // chat_id (oc_…), which message.create accepts with receive_id_type 'chat_id' like a group's, and which
  // a card pressed in that chat names as open_chat_id: so chatId is the chat_id in both kinds of chat.
  const chatKind = own(message, 'chat_type');
  if (chatKind !== 'group' && chatKind !== 'p2p') return null;
  const chatId = str(message, 'chat_id');
  const messageId = str(message, 'message_id');
  if (!chatId || !messageId) return null;
  // The bot's own messages (and other bots'): sender_type 'app', or the sender is us.
  const senderId = asObject(own(sender, 'sender_id')) ?? {};
  if (own(sender, 'sender_type') === 'app') return null;
  const openId = ['open_id', 'user_id', 'union_id'].map((k) => str(senderId, k)).find((v): v is string => v !== undefined && v !== '');
  if (!openId) return null;
  if (ctx.botOpenId && str(senderId, 'open_id') === ctx.botOpenId) return null;
  if (ctx.appId && str(senderId, 'app_id') === ctx.appId) return null;
  const raw = str(message, 'content');
  if (raw === undefined) return null;
  let content: unknown;
  try {
    content = JSON.parse(raw);
  } catch {
    return null;
  }
  const type = own(message, 'message_type');
  let text: string | undefined;
  const media: InboundMedia[] = [];
  let linkCard: InboundMessage['linkCard'];
  if (type === 'text') {
    const t = str(content, 'text');
    if (t !== undefined && asObject(content)) text = textWithMentions(t, own(message, 'mentions'), ctx);
  } else if (type === 'post') {
    const post = postBody(content);
    if (post) {
      text = postToText(post, ctx);
      for (const key of postImageKeys(post)) if (RESOURCE_ID.test(messageId) && RESOURCE_ID.test(key)) media.push(imageRef(messageId, key));
      linkCard = postLink(post);
    }
  } else if (type === 'image') {
    // An image message's content is {"image_key": "img_…"}; nothing else is told before downloading
    // (2026-11, https://open.feishu.cn/document/server-docs/im-v1/message-content-description/message_content#image).
    const key = str(content, 'image_key');
    if (key && asObject(content) && RESOURCE_ID.test(key) && RESOURCE_ID.test(messageId)) {
      text = '';
      media.push(imageRef(messageId, key));
    }
  }
  if (text === undefined) return null;
  text = tidy(text);
  // A picture without a caption is kept with text ''; a message with neither is dropped.
  if (!text && !media.length) return null;
  if (!linkCard && isOnlyUrl(text)) linkCard = { url: text };
  const time = own(message, 'create_time');
  const ms = typeof time === 'string' || typeof time === 'number' ? Number(time) : Number.NaN;
  const out: InboundMessage = {
    platform: 'lark',
    id: messageId,
    chatId,
    senderId: openId,
    senderName: openId,
    text,
    sentAt: Number.isFinite(ms) && ms > 0 && ms <= 8.64e15 ? new Date(ms).toISOString() : new Date().toISOString(),
  };
  if (chatKind === 'p2p') out.chatType = 'private';
  if (media.length) out.media = media;
  if (linkCard) out.linkCard = linkCard;
  // parent_id: the message this one answers (a reply); root_id is the thread's first message.
  const parent = str(message, 'parent_id');
  if (parent) out.replyToId = parent;
  return out;
}

/** The media ref of one picture: the message it came with and its key (both needed by the resource API). */
export const imageRef = (messageId: string, imageKey: string): InboundMedia => ({ kind: 'image', ref: `${messageId}/${imageKey}` });
/** Ids as Lark writes them (om_…, img_v3_…): anything else cannot name a resource, so it is not listed. */
const RESOURCE_ID = /^[\w-]{1,300}$/;

/** Splits a media ref back into message_id and image_key; undefined when it is not one of ours. */
export function parseImageRef(ref: string): { messageId: string; imageKey: string } | undefined {
  const m = /^([\w-]{1,300})\/([\w-]{1,300})$/.exec(ref);
  return m ? { messageId: m[1]!, imageKey: m[2]! } : undefined;
}

const URL_ONLY = /^https?:\/\/[^\s]+$/i;
const isOnlyUrl = (text: string): boolean => text.length <= 4096 && URL_ONLY.test(text);

/** Text content carries @mentions as `@_user_1` placeholders (and `@_all`); `mentions` maps them to names. */
function textWithMentions(text: string, mentions: unknown, ctx: NormalizeContext): string {
  const byKey = new Map<string, string>();
  for (const m of items(mentions)) {
    // One unreadable mention costs only its own name.
    safely(() => {
      const key = str(m, 'key');
      const name = str(m, 'name');
      if (key === undefined || byKey.has(key)) return;
      const isBot = Boolean(ctx.botOpenId) && str(own(m, 'id'), 'open_id') === ctx.botOpenId;
      byKey.set(key, name && !isBot ? `@${name}` : '');
    }, undefined);
  }
  return text.replace(/@_(?:user_\d+|all)/g, (key) => byKey.get(key) ?? '');
}

/** A post is `{title, content}` — in events usually bare, in other places wrapped in a locale key (zh_cn, en_us, …). */
function postBody(content: unknown): Obj | undefined {
  const c = asObject(content);
  if (!c) return undefined;
  if (Array.isArray(own(c, 'content')) || typeof own(c, 'title') === 'string') return c;
  const keys = Object.keys(c);
  const locale = ['zh_cn', 'en_us', 'ja_jp', ...keys].find((k) => asObject(own(c, k)));
  return locale ? asObject(own(c, locale)) : undefined;
}

/** The post's elements, paragraph by paragraph (unreadable paragraphs skipped). */
function paragraphs(body: Obj): unknown[][] {
  return items(own(body, 'content'))
    .filter((para) => Array.isArray(para))
    .map((para) => items(para));
}

function postToText(body: Obj, ctx: NormalizeContext): string {
  const lines: string[] = [];
  const title = str(body, 'title')?.trim();
  if (title) lines.push(title);
  for (const para of paragraphs(body)) lines.push(para.map((el) => safely(() => elementText(el, ctx), '')).join(''));
  return lines.join('\n');
}

/** image_keys of the post's `img` elements, in order, each once. */
function postImageKeys(body: Obj): string[] {
  const keys = new Set<string>();
  for (const para of paragraphs(body)) {
    for (const el of para) {
      const key = safely(() => (own(el, 'tag') === 'img' ? str(el, 'image_key') : undefined), undefined);
      if (key && keys.size < 20) keys.add(key);
    }
  }
  return [...keys];
}

/**
 * A post that shares one link and says little else (a forwarded article: its title, the link) → a
 * link card. im.message.receive_v1 carries no preview of a link (no title/description of the page;
 * 2026-11, https://open.feishu.cn/document/server-docs/im-v1/message-content-description/message_content),
 * so the card holds what the post itself says.
 */
function postLink(body: Obj): InboundMessage['linkCard'] {
  const links: { href: string; text: string }[] = [];
  let other = '';
  for (const para of paragraphs(body)) {
    for (const el of para) {
      const tag = safely(() => own(el, 'tag'), undefined);
      const href = safely(() => str(el, 'href'), undefined);
      if (tag === 'a' && href) links.push({ href, text: safely(() => str(el, 'text'), undefined)?.trim() ?? '' });
      else if (tag === 'text' || tag === 'md') other += safely(() => str(el, 'text'), undefined) ?? '';
    }
  }
  if (links.length !== 1 || other.trim().length > 200) return undefined;
  const link = links[0]!;
  if (!/^https?:\/\//i.test(link.href)) return undefined;
  const card: NonNullable<InboundMessage['linkCard']> = { url: link.href };
  const title = str(body, 'title')?.trim() || (link.text && link.text !== link.href ? link.text : '');
  if (title) card.title = title;
  if (other.trim()) card.description = other.trim();
  return card;
}

/** The visible text of one post element ('' for images, emoji, rules and anything unreadable). */
export function elementText(el: unknown, ctx: NormalizeContext): string {
  if (!asObject(el)) return '';
  const text = str(el, 'text') ?? '';
  switch (own(el, 'tag')) {
    case 'text':
    case 'code_block':
    case 'md':
      return text;
    case 'a': {
      const href = str(el, 'href') ?? '';
      if (!href) return text;
      if (!text.trim() || text.trim() === href) return href;
      return `${text} (${href})`;
    }
    case 'at': {
      const userId = str(el, 'user_id');
      if (userId === 'all' || (ctx.botOpenId && userId === ctx.botOpenId)) return '';
      const name = str(el, 'user_name');
      return name ? `@${name}` : '';
    }
    default:
      return ''; // img, media, emotion, hr, …
  }
}

function tidy(text: string): string {
  return text
    .split('\n')
    .map((l) => l.replace(/[ \t]{2,}/g, ' ').trimEnd())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
