// Pure: InboundMessage.mentionsBot and senderHandle, which the alumni features read: whether
// a message @-mentions the bot (the guide answers "@bot 怎么内推" only when the bot itself is addressed),
// and the sender's @username, the handle others reach them by (a mentor introduction passes it on).
// 2026-11: a "@username" mention comes as a `mention` entity over the text (UTF-16 offsets, as JS strings
// count), a mention of a user without a username as a `text_mention` entity carrying the user,
// https://core.telegram.org/bots/api#messageentity ; `from.username` is optional,
// https://core.telegram.org/bots/api#user
export interface Addressing {
  mentionsBot?: true;
  senderHandle?: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null;

export function mentionsBot(text: string, entities: unknown, bot: { id: number; username?: string }): boolean {
  if (!Array.isArray(entities)) return false;
  const name = bot.username ? `@${bot.username}`.toLowerCase() : undefined;
  return entities.some((e: unknown) => {
    if (!isObj(e)) return false;
    if (e.type === 'text_mention') return isObj(e.user) && e.user.id === bot.id;
    if (e.type !== 'mention' || !name || !Number.isSafeInteger(e.offset) || !Number.isSafeInteger(e.length)) return false;
    const at = e.offset as number;
    return text.slice(at, at + (e.length as number)).toLowerCase() === name;
  });
}

/** For a message `normalize` kept: never throws, whatever the update holds. */
export function addressing(update: unknown, bot: { id: number; username?: string }): Addressing {
  try {
    if (!isObj(update)) return {};
    const msg = update.message ?? update.channel_post;
    if (!isObj(msg)) return {};
    const out: Addressing = {};
    const text = typeof msg.text === 'string' ? msg.text : typeof msg.caption === 'string' ? msg.caption : undefined;
    if (text !== undefined && mentionsBot(text, typeof msg.text === 'string' ? msg.entities : msg.caption_entities, bot)) out.mentionsBot = true;
    const from = isObj(msg.from) && !isObj(msg.sender_chat) ? msg.from : undefined;
    if (typeof from?.username === 'string' && /^\w{1,64}$/.test(from.username)) out.senderHandle = `@${from.username}`;
    return out;
  } catch {
    return {};
  }
}
