// Pure and total: one WeChat message snapshot → InboundMessage, or null. Never throws, whatever it is
// handed (a getter that throws, a Proxy, an object with its own toString, a fake Date): every field is
// read through `field`, only primitive strings count as text, and a Date is read with Date's own
// getTime, which refuses anything that is not a real Date.
import type { InboundMedia, InboundMessage } from '../../src/domain.ts';

/** wechaty `types.Message` (wechaty-puppet 1.20 schemas/message): Image, Text and Url. */
export const MESSAGE_IMAGE = 6;
export const MESSAGE_TEXT = 7;
export const MESSAGE_URL = 14;
/** wechaty `types.Contact.Official` (公众号): never a person writing to the bot. */
export const CONTACT_OFFICIAL = 2;

/**
 * Web-protocol system accounts that are not people (wechat4u src/util/conf.js SPECIALUSERS, 2026-11:
 * https://github.com/nodeWechat/wechat4u/blob/master/src/util/conf.js). Their "messages" are
 * notifications, never a student or alumnus to answer.
 */
const SPECIAL_USERS = new Set([
  'newsapp', 'fmessage', 'filehelper', 'weibo', 'qqmail', 'tmessage', 'qmessage', 'qqsync', 'floatbottle', 'lbsapp',
  'shakeapp', 'medianote', 'qqfriend', 'readerapp', 'blogapp', 'facebookapp', 'masssendapp', 'meishiapp', 'feedsapp',
  'voip', 'blogappweixin', 'weixin', 'brandsessionholder', 'weixinreminder', 'officialaccounts', 'notification_messages',
  'wxitil', 'userexperience_alarm',
]);

/**
 * 2026-11: puppet-wechat4u turns a quote (appmsg type 57, <refermsg>) into a Text message whose text is
 * `「<name>：<quoted>」\n- - - - - - - - - - - - - - -\n<reply>` and keeps no id of the quoted message
 * (message-parser-refermsg.ts, https://github.com/wechaty/puppet-wechat4u/blob/main/src/wechat4u/schema-mapper/message/message-parser-refermsg.ts).
 * The reply is what the person wrote (a student's `3 不对口` under a digest); the quoted part was already
 * received as its own message, so only the reply is kept. `replyToId` cannot be filled: wechaty 1.20's
 * message payload has no quoted-message field.
 */
export const QUOTE_SEPARATOR = '」\n- - - - - - - - - - - - - - -\n';

/** One raw message as read off wechaty: everything `normalize` needs, nothing async. */
export interface WechatRawMessage {
  id: string;
  /** wechaty `types.Message`: 6 Image, 7 Text, 14 Url; others ignored. */
  type: number;
  text: string;
  /** `message.self()`: the bot's own account said it. */
  self: boolean;
  roomId?: string;
  roomTopic?: string;
  talkerId: string;
  /** The member's group nickname, else their WeChat name. */
  talkerName: string;
  /** wechaty `types.Contact` of the talker (2: official account); read for private messages. */
  talkerType?: number;
  date: Date;
  url?: { title?: string; description?: string; url?: string };
  /** What the platform told about a picture before any download (wechat4u: ImgWidth/ImgHeight). */
  image?: { mime?: string; bytes?: number; width?: number; height?: number };
}

/** `obj[key]`, or undefined when `obj` is not an object or reading it throws. */
function field(obj: unknown, key: string): unknown {
  if (obj === null || (typeof obj !== 'object' && typeof obj !== 'function')) return undefined;
  try {
    return (obj as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

/** Whether `obj` has no `key` at all (or it is undefined), read without letting a getter throw: false when reading throws. */
function absent(obj: unknown, key: string): boolean {
  try {
    return (obj as Record<string, unknown>)[key] === undefined;
  } catch {
    return false;
  }
}

/** A primitive string with something besides whitespace in it, trimmed; else undefined. */
function text(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  return t || undefined;
}

/** An id as the platform gave it (not trimmed), when it is a non-blank primitive string. */
function ident(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() ? v : undefined;
}

/** A positive safe integer, else undefined. */
function count(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : undefined;
}

/** Milliseconds of a real, valid Date; undefined for anything else. */
function timeOf(v: unknown): number | undefined {
  try {
    const t = Date.prototype.getTime.call(v);
    return Number.isFinite(t) ? t : undefined;
  } catch {
    return undefined; // not a Date (a look-alike, a Proxy, a primitive)
  }
}

/** The reply part of a wechat4u quote text (see QUOTE_SEPARATOR); other texts unchanged. */
export function withoutQuote(t: string): string {
  if (!t.startsWith('「')) return t;
  const at = t.indexOf(QUOTE_SEPARATOR);
  return at < 0 ? t : t.slice(at + QUOTE_SEPARATOR.length);
}

/** An image's media entry: the message id is the ref (fetchMedia finds the message by it). */
function mediaOf(id: string, facts: unknown): InboundMedia {
  const media: InboundMedia = { kind: 'image', ref: id };
  const mime = text(field(facts, 'mime'));
  if (mime && /^image\/[\w.+-]+$/.test(mime)) media.mime = mime;
  const bytes = count(field(facts, 'bytes'));
  const width = count(field(facts, 'width'));
  const height = count(field(facts, 'height'));
  if (bytes) media.bytes = bytes;
  if (width) media.width = width;
  if (height) media.height = height;
  return media;
}

/**
 * One WeChat message snapshot → InboundMessage, or null for the bot's own messages, types other than
 * text/link/image, empty text, rooms without a topic, official and system accounts, and malformed input.
 * Group: `chatId` is the room topic, or the old topic an alias maps to it (the name the rules use).
 * Private: `chatId` is the talker's id (what send() answers; session-scoped on wechat4u).
 */
export function normalize(msg: WechatRawMessage, ctx: { aliases?: Record<string, string> } = {}): InboundMessage | null {
  if (field(msg, 'self') !== false) return null; // own message, or not a message at all
  const roomId = ident(field(msg, 'roomId'));
  const id = ident(field(msg, 'id'));
  const talkerId = ident(field(msg, 'talkerId'));
  const sentAt = timeOf(field(msg, 'date'));
  if (!id || !talkerId || sentAt === undefined) return null;
  // No room means a private chat only when the message plainly has none (not an unreadable or odd roomId).
  if (!roomId && !absent(msg, 'roomId')) return null;
  const topic = roomId ? text(field(msg, 'roomTopic')) : undefined;
  if (roomId && !topic) return null;
  if (!roomId && (field(msg, 'talkerType') === CONTACT_OFFICIAL || SPECIAL_USERS.has(talkerId) || talkerId.startsWith('gh_'))) return null;
  const type = field(msg, 'type');
  let body: string | undefined;
  let media: InboundMedia[] | undefined;
  let linkCard: InboundMessage['linkCard'];
  if (type === MESSAGE_TEXT) {
    const raw = field(msg, 'text');
    body = text(typeof raw === 'string' ? withoutQuote(raw) : undefined);
  } else if (type === MESSAGE_URL) {
    const u = field(msg, 'url');
    const [title, description, url] = [field(u, 'title'), field(u, 'description'), field(u, 'url')].map(text);
    body = [title, description, url].filter((s): s is string => s !== undefined).join('\n') || undefined;
    if (body) linkCard = { ...(title && { title }), ...(description && { description }), ...(url && { url }) };
  } else if (type === MESSAGE_IMAGE) {
    media = [mediaOf(id, field(msg, 'image'))];
    body = ''; // WeChat pictures carry no caption
  }
  if (body === undefined) return null;
  const senderName = text(field(msg, 'talkerName')) ?? talkerId;
  const out: InboundMessage = {
    platform: 'wechat',
    id,
    chatId: topic ? ruleNameOf(topic, field(ctx, 'aliases')) : talkerId,
    chatTitle: topic ?? senderName,
    senderId: talkerId,
    senderName,
    text: body,
    sentAt: new Date(sentAt).toISOString(),
  };
  if (!topic) out.chatType = 'private';
  if (media) out.media = media;
  if (linkCard) out.linkCard = linkCard;
  return out;
}

/** The topic the rules know a room by: the alias key pointing at `topic`, else `topic`. */
export function ruleNameOf(topic: string, aliases: unknown): string {
  let entries: [string, unknown][];
  try {
    entries = aliases && typeof aliases === 'object' ? Object.entries(aliases) : [];
  } catch {
    return topic; // a hostile alias table (a throwing getter or Proxy) maps nothing
  }
  for (const [old, current] of entries) if (current === topic && old !== topic && old.trim()) return old;
  return topic;
}
