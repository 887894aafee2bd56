// Pure: one Bot API Update → InboundMessage, or null when it is not a usable message. Total: any
// value in, never a throw out (an update is JSON from the network, so anything can be missing or of
// the wrong type); a malformed entity is skipped, the message kept. Nothing is downloaded here:
// pictures become `media` refs (file_id) that fetchMedia (media.ts) reads later.
import type { Update } from 'grammy/types';
import type { InboundMedia, InboundMessage } from '../../src/domain.ts';
import { linkCardOf, mediaOf } from './inbound-parts.ts';

const GROUP_TYPES = new Set(['group', 'supergroup', 'channel']);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const nonEmpty = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v : undefined);
const isId = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/**
 * Reads `message` and `channel_post` (edits are ignored): text, or a picture with its caption ('' when
 * it has none); private chats as chatType 'private'. Drops the bot's own messages, messages sent
 * through it as an inline bot, messages with neither text nor a picture, and anything malformed.
 */
export function normalize(update: Update | unknown, ctx: { botId: number }): InboundMessage | null {
  try {
    return read(update, ctx.botId);
  } catch {
    // Unreachable by construction (every access is guarded); kept so no input can ever throw.
    return null;
  }
}

function read(update: unknown, botId: number): InboundMessage | null {
  if (!isObj(update)) return null;
  const isChannelPost = update.message === undefined && update.channel_post !== undefined;
  const msg = update.message ?? update.channel_post;
  if (!isObj(msg)) return null;
  const chat = msg.chat;
  if (!isObj(chat) || !isId(chat.id) || typeof chat.type !== 'string') return null;
  // 2026-11: a person writing to the bot directly comes in a chat of type "private" whose id is the
  // user's id, which sendMessage accepts as chat_id, https://core.telegram.org/bots/api#chat
  const isPrivate = chat.type === 'private';
  if (!isPrivate && !GROUP_TYPES.has(chat.type)) return null;
  const from = isObj(msg.from) ? msg.from : undefined;
  const viaBot = isObj(msg.via_bot) ? msg.via_bot : undefined;
  if (from?.id === botId || viaBot?.id === botId) return null;
  if (typeof msg.date !== 'number' || !Number.isFinite(msg.date)) return null;
  const sentAt = new Date(msg.date * 1000);
  if (Number.isNaN(sentAt.getTime())) return null;
  if (!isId(msg.message_id)) return null;
  const isText = typeof msg.text === 'string';
  const raw = isText ? (msg.text as string) : str(msg.caption);
  const media = isText ? [] : mediaOf(msg);
  const text = raw === undefined ? '' : withHiddenLinks(raw, isText ? msg.entities : msg.caption_entities).trim();
  if (!text && !media.length) return null;

  const title = nonEmpty(chat.title);
  const signature = nonEmpty(msg.author_signature);
  let senderId: string;
  let senderName: string;
  // Channel posts have no `from`; a group message sent "as a channel" or by an anonymous admin
  // carries the chat in `sender_chat`. 2026-11, https://core.telegram.org/bots/api#message
  const senderChat = isObj(msg.sender_chat) && isId(msg.sender_chat.id) ? msg.sender_chat : undefined;
  if (senderChat) {
    senderId = String(senderChat.id);
    senderName = signature ?? nonEmpty(senderChat.title) ?? title ?? senderId;
  } else if (from && isId(from.id)) {
    senderId = String(from.id);
    const full = [from.first_name, from.last_name].filter((s): s is string => typeof s === 'string' && s.trim() !== '').join(' ').trim();
    senderName = full || nonEmpty(from.username) || senderId;
  } else if (isChannelPost && !isPrivate) {
    senderId = String(chat.id);
    senderName = signature ?? title ?? senderId;
  } else {
    return null;
  }
  // 2026-11: `reply_to_message` is the message this one answers (within the same chat),
  // https://core.telegram.org/bots/api#message
  // Message ids are positive; anything else is not a message the relay could find.
  const replyTo = isObj(msg.reply_to_message) && isId(msg.reply_to_message.message_id) && msg.reply_to_message.message_id > 0 ? String(msg.reply_to_message.message_id) : undefined;
  const linkCard = isText ? linkCardOf(raw, msg.entities, msg.link_preview_options) : undefined;
  return {
    platform: 'telegram',
    id: String(msg.message_id),
    chatId: String(chat.id),
    ...(title && !isPrivate ? { chatTitle: title } : {}),
    senderId,
    senderName,
    text,
    sentAt: sentAt.toISOString(),
    ...(isPrivate ? { chatType: 'private' as const } : {}),
    ...(media.length ? { media: media as InboundMedia[] } : {}),
    ...(linkCard ? { linkCard } : {}),
    ...(replyTo ? { replyToId: replyTo } : {}),
  };
}

/**
 * Telegram hides the target of a `text_link` entity ("点此投递" → URL) outside the text; referrals
 * often link that way, so the URL is written after its label. Offsets count UTF-16 units, like JS
 * strings. Entities that are not well-formed text links inside the text are skipped.
 * 2026-11, https://core.telegram.org/bots/api#messageentity
 */
export function withHiddenLinks(text: string, entities: unknown): string {
  if (!Array.isArray(entities)) return text;
  const links: { offset: number; end: number; url: string }[] = [];
  for (const e of entities) {
    if (!isObj(e) || e.type !== 'text_link' || typeof e.url !== 'string' || !e.url.trim()) continue;
    const { offset, length } = e;
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length)) continue;
    const end = (offset as number) + (length as number);
    if ((offset as number) < 0 || (length as number) <= 0 || end > text.length) continue;
    const last = text.charCodeAt(end - 1);
    if (last >= 0xd800 && last <= 0xdbff) continue; // would split a surrogate pair
    links.push({ offset: offset as number, end, url: e.url });
  }
  // From the end, so earlier offsets stay valid; overlapping links are each written once.
  links.sort((a, b) => b.end - a.end || b.offset - a.offset);
  let out = text;
  for (const l of links) {
    if (text.slice(l.offset, l.end).includes(l.url)) continue;
    out = `${out.slice(0, l.end)} (${l.url})${out.slice(l.end)}`;
  }
  return out;
}
