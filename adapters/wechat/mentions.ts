// InboundMessage.mentionsBot, which the alumni features read: whether a
// group message @-mentions the bot, so "@bot 怎么内推" gets the guide and "@张三 怎么内推" does not.
// 2026-11: Message.mentionSelf() is true when the bot's account is in the message's mention list,
// https://wechaty.js.org/docs/howto/message (on the web protocol wechat4u
// builds that list from the "@name" in the text).
import type { Message } from 'wechaty';

export interface Addressing {
  mentionsBot?: true;
}

/** Only for group messages; a failure to tell is "not mentioned" (the message itself goes on). */
export async function addressing(m: Pick<Message, 'room' | 'mentionSelf'>): Promise<Addressing> {
  try {
    if (!m.room()) return {};
    return (await m.mentionSelf()) ? { mentionsBot: true } : {};
  } catch {
    return {};
  }
}
