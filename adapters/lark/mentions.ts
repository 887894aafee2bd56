// Pure: whether a received message @-mentions the bot, which `normalize` drops from the text (the alumni
// guide answers "@bot 怎么内推" only when the bot itself is addressed; see InboundMessage.
// mentionsBot). 2026-11: message.mentions lists each @ with its key (@_user_1) and the mentioned id
// (open_id…), https://open.feishu.cn/document/server-docs/im-v1/message/events/receive
export interface Addressing {
  mentionsBot?: true;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null;

/** `data` as the SDK hands the event (message at the top, or under `event`); never throws. */
export function addressing(data: unknown, botOpenId: string | undefined): Addressing {
  try {
    if (!botOpenId || !isObj(data)) return {};
    const message = isObj(data.message) ? data.message : isObj(data.event) && isObj(data.event.message) ? data.event.message : undefined;
    const mentions = message?.mentions;
    if (!Array.isArray(mentions)) return {};
    return mentions.some((m: unknown) => isObj(m) && isObj(m.id) && m.id.open_id === botOpenId) ? { mentionsBot: true } : {};
  } catch {
    return {};
  }
}
