// One driver per platform for the alumni scenario (test/e2e/alumni-platforms.test.ts): how a person
// posts in a group, asks the bot, writes to it privately, and what each fake received — so the one
// scenario reads the same on Telegram, Lark and WeChat. The relay talks to the real adapters (grammY, the
// Lark SDK, wechaty on PuppetMock); these functions only play the people and read the fakes.
import type { Rig } from '../../helpers/e2e-rig.ts';

export type P = 'telegram' | 'lark' | 'wechat';

export interface Person {
  /** Stable short name: Lark open_id ou_<key>, WeChat wxid_<key>. */
  key: string;
  name: string;
  /** Telegram user id. */
  tg: number;
  /** Telegram @username (the handle others can reach them by). */
  username?: string;
}

/** A message the bot sent into a chat, in the terms the scenario asks about. */
export interface Received {
  text: string;
  /** The form of an answer: Telegram reply_parameters' message id, Lark's reply API parent, WeChat the contact ids @-mentioned. */
  replyTo?: string;
  mentions?: string[];
}

export interface Groups {
  reply: string;
  daily: string;
  off: string;
  channel: string;
}

export interface Driver {
  platform: P;
  groups: Groups;
  /** WeChat room topics the rig must create. */
  rooms: string[];
  /** The sender id the relay records (what `forget --sender` takes). */
  senderId(p: Person): string;
  /** How the other side of a mentor introduction should see this person. */
  contact(p: Person): string;
  /** Before the relay starts talking to them (Lark: the contact API's names). */
  meet(rig: Rig, people: Person[]): void;
  /** Posts a text in a group; resolves with the platform's message id once the fake handed it over. */
  post(rig: Rig, group: string, p: Person, text: string): Promise<string>;
  /** "@<bot> <text>" (or "@<whom> <text>"), @-mentioning the way the platform does. */
  askBot(rig: Rig, group: string, p: Person, text: string, whom?: Person): Promise<void>;
  /** A private message to the bot. */
  dm(rig: Rig, p: Person, text: string): Promise<void>;
  inChat(rig: Rig, chat: string): Received[];
  privately(rig: Rig, p: Person): string[];
  /** Whether `r` answers the message `messageId` that `poster` wrote (threaded reply, or an @-mention on WeChat). */
  answers(r: Received, messageId: string, poster: Person): boolean;
  /** The poster's message can no longer be answered: deleted (Telegram), withdrawn (Lark), the poster left the group (WeChat). */
  removeOriginal(rig: Rig, group: string, poster: Person, messageId: string): void;
  /** `r` is the plain message the adapter falls back to then: no thread (Telegram, Lark), "@name " as text (WeChat). */
  fellBack(r: Received, poster: Person): boolean;
  /** The platform refuses the bot's next message to `chat` once (a 5xx / a failed web request). */
  failNextSend(rig: Rig, chat: string): void;
  /** The refusal armed by failNextSend was met by a send (the adapter or the outbox then retried it). */
  refusalMet(rig: Rig, chat: string): boolean;
}

let seq = 0;

const telegram: Driver = {
  platform: 'telegram',
  groups: { reply: '-1002000000001', daily: '-1002000000002', off: '-1002000000003', channel: '-1002000000101' },
  rooms: [],
  senderId: (p) => String(p.tg),
  contact: (p) => `Telegram @${p.username}`,
  meet: () => {},
  async post(rig, group, p, text) {
    rig.tg.injectMessage({ chat: { id: Number(group), type: 'supergroup', title: `群 ${group}` }, from: { id: p.tg, first_name: p.name, ...(p.username ? { username: p.username } : {}) }, text });
    return String(rig.tg.lastMessageId);
  },
  async askBot(rig, group, p, text, whom) {
    // 2026-11: "@username" in a text comes with a `mention` entity over it (UTF-16 offsets),
    // https://core.telegram.org/bots/api#messageentity
    const at = `@${whom ? whom.username : rig.tg.botUser.username}`;
    rig.tg.injectMessage({
      chat: { id: Number(group), type: 'supergroup', title: `群 ${group}` },
      from: { id: p.tg, first_name: p.name, ...(p.username ? { username: p.username } : {}) },
      text: `${at} ${text}`,
      extra: { entities: [{ type: 'mention', offset: 0, length: at.length }] },
    });
  },
  async dm(rig, p, text) {
    // 2026-11: a private chat's id is the user's id, https://core.telegram.org/bots/api#chat
    rig.tg.injectMessage({ chat: { id: p.tg, type: 'private', first_name: p.name }, from: { id: p.tg, first_name: p.name, ...(p.username ? { username: p.username } : {}) }, text });
  },
  inChat: (rig, chat) => rig.tg.sentTo(chat).map((s) => ({ text: s.text, ...(s.replyToId !== undefined ? { replyTo: String(s.replyToId) } : {}) })),
  privately: (rig, p) => rig.tg.sentTo(p.tg).map((s) => s.text),
  answers: (r, messageId) => r.replyTo === messageId,
  // 2026-11: replying to a deleted message fails with "message to be replied not found" unless
  // allow_sending_without_reply, https://core.telegram.org/bots/api#replyparameters
  removeOriginal: (rig, group, _p, messageId) => rig.tg.deleteMessage(group, Number(messageId)),
  fellBack: (r) => r.replyTo === undefined,
  failNextSend: (rig, chat) => rig.tg.failNext(1, { kind: '5xx', status: 502 }, { method: 'sendMessage', chatId: chat }),
  refusalMet: (rig, chat) => rig.tg.callsOf('sendMessage').some((c) => c.status === 502 && String(c.payload.chat_id) === chat),
};

const lark: Driver = {
  platform: 'lark',
  groups: { reply: 'oc_a1ce0000000000000000000reply', daily: 'oc_a1ce0000000000000000000daily', off: 'oc_a1ce00000000000000000000off', channel: 'oc_c4a0000000000000000000000ee' },
  rooms: [],
  senderId: (p) => `ou_${p.key}`,
  contact: (p) => `飞书 ${p.name}`,
  meet(rig, people) {
    for (const p of people) rig.lark.users.set(`ou_${p.key}`, p.name);
  },
  async post(rig, group, p, text) {
    const messageId = `om_${p.key}_${++seq}`;
    const res = await rig.lark.injectMessage({ chatId: group, senderOpenId: `ou_${p.key}`, text, messageId });
    if (res.status !== 200) throw new Error(`Lark webhook answered ${res.status} ${res.body}`);
    return messageId;
  },
  async askBot(rig, group, p, text, whom) {
    // 2026-11: a text's @-mentions are placeholders (@_user_1) with the mentioned ids in `mentions`,
    // https://open.feishu.cn/document/server-docs/im-v1/message/events/receive
    const res = await rig.lark.injectMessage({
      chatId: group,
      senderOpenId: `ou_${p.key}`,
      text: `@_user_1 ${text}`,
      mentions: [whom ? { key: '@_user_1', openId: `ou_${whom.key}`, name: whom.name } : { key: '@_user_1', openId: rig.lark.botOpenId, name: rig.lark.botName }],
    });
    if (res.status !== 200) throw new Error(`Lark webhook answered ${res.status} ${res.body}`);
  },
  async dm(rig, p, text) {
    // A p2p chat has its own chat_id; the bot answers there, and writes to a person by open_id.
    const res = await rig.lark.injectMessage({ chatId: `oc_p2p_${p.key}`, chatType: 'p2p', senderOpenId: `ou_${p.key}`, text });
    if (res.status !== 200) throw new Error(`Lark webhook answered ${res.status} ${res.body}`);
  },
  inChat: (rig, chat) => rig.lark.sentTo(chat).map((m) => ({ text: m.text, ...(m.replyTo ? { replyTo: m.replyTo } : {}) })),
  privately: (rig, p) => rig.lark.sent.filter((m) => m.receiveId === `oc_p2p_${p.key}` || m.receiveId === `ou_${p.key}`).map((m) => m.text),
  answers: (r, messageId) => r.replyTo === messageId,
  // 2026-11: the reply API answers 230011 for a withdrawn message,
  // https://open.feishu.cn/document/server-docs/im-v1/message/reply
  removeOriginal: (rig, _group, _p, messageId) => void rig.lark.withdrawn.add(messageId),
  fellBack: (r) => r.replyTo === undefined,
  // The next message.create, whatever the chat (the fake's faults are per route).
  failNextSend: (rig) => rig.lark.failNext(1, { kind: 'server-error', status: 502 }, 'messages'),
  // A refused create records no message: one more call than messages sent by create.
  refusalMet: (rig) => rig.lark.callsTo('messages').length > rig.lark.sent.filter((m) => !m.replyTo).length,
};

const wechat: Driver = {
  platform: 'wechat',
  groups: { reply: '东电校友会·北京分会', daily: '东电校友电力行业内推群', off: '东电校友会·深圳分会', channel: '电气学院2026届就业信息群' },
  get rooms() {
    return Object.values(this.groups);
  },
  senderId: (p) => `wxid_${p.key}`,
  contact: (p) => `微信 ${p.name}`,
  meet: () => {},
  async post(rig, group, p, text) {
    await rig.wx.say(group, { id: `wxid_${p.key}`, name: p.name }, text);
    return ''; // WeChat answers by @-mentioning the poster, not by message id
  },
  async askBot(rig, group, p, text, whom) {
    // 2026-11: a mention is "@name" in the text plus the contact in the message's mention list,
    // https://wechaty.js.org/docs/howto/message
    const target = whom ? rig.wx.member({ id: `wxid_${whom.key}`, name: whom.name }) : rig.wx.self;
    await rig.wx.say(group, { id: `wxid_${p.key}`, name: p.name }, `@${target.payload?.name ?? ''}\u2005${text}`, [target]);
  },
  async dm(rig, p, text) {
    await rig.wx.sayPrivately({ id: `wxid_${p.key}`, name: p.name }, text);
  },
  inChat: (rig, chat) => {
    const ids = new Set(rig.wx.roomsByTopic(chat).map((r) => r.id));
    return rig.wx.sends.filter((s) => ids.has(s.roomId) && !s.file).map((s) => ({ text: s.text, ...(s.mentionIds ? { mentions: s.mentionIds } : {}) }));
  },
  privately: (rig, p) => rig.wx.sentPrivately(`wxid_${p.key}`),
  answers: (r, _messageId, poster) => Boolean(r.mentions?.includes(`wxid_${poster.key}`)),
  // A member who left cannot be @-mentioned in the room (Room.say's mention list holds room members,
  // https://wechaty.js.org/docs/api/room).
  removeOriginal: (rig, group, p) => rig.wx.leave(group, rig.wx.member({ id: `wxid_${p.key}`, name: p.name })),
  fellBack: (r, poster) => r.mentions === undefined && r.text.startsWith(`@${poster.name} `),
  failNextSend: (rig, chat) => rig.wx.failNextSends(1, () => new Error('socket hang up'), chat),
  refusalMet: (rig) => rig.wx.pendingFailures === 0,
};

export const DRIVERS: Record<P, Driver> = { telegram, lark, wechat };
