// Pure and total: one WeChat message snapshot → InboundMessage, or null. Never throws, whatever it is
// handed (a getter that throws, a Proxy, an object with its own toString, a fake Date): every field is
// read through `field`, only primitive strings count as text, and a Date is read with Date's own
// getTime, which refuses anything that is not a real Date.
import type { InboundMessage } from '../../src/domain.ts';

/** wechaty `types.Message.Text` and `.Url` (wechaty-puppet 1.20 schemas/message). */
export const MESSAGE_TEXT = 7;
export const MESSAGE_URL = 14;

/** One raw message as read off wechaty: everything `normalize` needs, nothing async. */
export interface WechatRawMessage {
  id: string;
  /** wechaty `types.Message`: 7 Text, 14 Url, others ignored. */
  type: number;
  text: string;
  /** `message.self()`: the bot's own account said it. */
  self: boolean;
  roomId?: string;
  roomTopic?: string;
  talkerId: string;
  /** The member's group nickname, else their WeChat name. */
  talkerName: string;
  date: Date;
  url?: { title?: string; description?: string; url?: string };
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

/** Milliseconds of a real, valid Date; undefined for anything else. */
function timeOf(v: unknown): number | undefined {
  try {
    const t = Date.prototype.getTime.call(v);
    return Number.isFinite(t) ? t : undefined;
  } catch {
    return undefined; // not a Date (a look-alike, a Proxy, a primitive)
  }
}

/**
 * One WeChat message snapshot → InboundMessage, or null for the bot's own messages, private chats,
 * non-text types, empty text, rooms without a topic and malformed input.
 * `chatId` is the room topic, or the old topic an alias maps to it (the name the rules use).
 */
export function normalize(msg: WechatRawMessage, ctx: { aliases?: Record<string, string> } = {}): InboundMessage | null {
  if (field(msg, 'self') !== false) return null; // own message, or not a message at all
  const roomId = ident(field(msg, 'roomId'));
  const topic = text(field(msg, 'roomTopic'));
  const id = ident(field(msg, 'id'));
  const talkerId = ident(field(msg, 'talkerId'));
  const sentAt = timeOf(field(msg, 'date'));
  if (!roomId || !topic || !id || !talkerId || sentAt === undefined) return null;
  const type = field(msg, 'type');
  let body: string | undefined;
  if (type === MESSAGE_TEXT) {
    body = text(field(msg, 'text'));
  } else if (type === MESSAGE_URL) {
    const u = field(msg, 'url');
    const parts = [field(u, 'title'), field(u, 'description'), field(u, 'url')].map(text).filter((s): s is string => s !== undefined);
    body = parts.join('\n') || undefined;
  }
  if (!body) return null;
  return {
    platform: 'wechat',
    id,
    chatId: ruleNameOf(topic, field(ctx, 'aliases')),
    chatTitle: topic,
    senderId: talkerId,
    senderName: text(field(msg, 'talkerName')) ?? talkerId,
    text: body,
    sentAt: new Date(sentAt).toISOString(),
  };
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
