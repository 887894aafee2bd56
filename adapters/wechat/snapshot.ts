// A wechaty Message → the plain snapshot `normalize` reads. Room topic, group nickname, link card and
// picture facts are fetched only for what normalize keeps (texts, links and pictures from others, in a
// group or from a person writing to the bot).
import type { Message } from 'wechaty';
import { MESSAGE_IMAGE, MESSAGE_TEXT, MESSAGE_URL, type WechatRawMessage } from './normalize.ts';

// normalize.ts's numbers for wechaty's Message types, not its enum: a value imported from 'wechaty' loads
// its whole main entry (see index.ts).
const KEPT = new Set<number>([MESSAGE_TEXT, MESSAGE_URL, MESSAGE_IMAGE]);

export async function snapshot(m: Message): Promise<WechatRawMessage> {
  const type = m.type();
  const room = m.room();
  const self = m.self();
  const talker = m.talker();
  const wanted = !self && KEPT.has(type);
  let talkerName = talker.name();
  let roomTopic: string | undefined;
  let talkerType: number | undefined;
  let url: WechatRawMessage['url'];
  let image: WechatRawMessage['image'];
  if (wanted && room) {
    roomTopic = await room.topic();
    talkerName = (await room.alias(talker).catch(() => undefined)) || talkerName; // 群昵称 first
  } else if (wanted) {
    talkerType = talker.type();
  }
  if (wanted && type === MESSAGE_URL) {
    const link = await m.toUrlLink();
    url = { title: link.title(), description: link.description(), url: link.url() };
  }
  if (wanted && type === MESSAGE_IMAGE) image = await imageFacts(m);
  const date = m.date();
  return {
    id: m.id,
    type,
    text: m.text(),
    self,
    roomId: room?.id,
    roomTopic,
    talkerId: talker.id,
    talkerName,
    talkerType,
    date: Number.isNaN(date.getTime()) ? new Date() : date,
    url,
    image,
  };
}

/**
 * What the puppet's raw payload says about a picture, without downloading it. 2026-11: wechat4u keeps the
 * web protocol's AddMsgList entry as the raw payload (puppet-wechat4u messageRawPayload,
 * https://github.com/wechaty/puppet-wechat4u/blob/main/src/puppet-wechat4u.ts), whose image entries carry
 * ImgWidth/ImgHeight (https://github.com/nodeWechat/wechat4u/blob/master/src/interface/message.js);
 * other puppets may say nothing, and that is fine (normalize keeps only positive integers).
 */
async function imageFacts(m: Message): Promise<WechatRawMessage['image']> {
  const raw = await rawPayloadOf(m.wechaty.puppet, m.id);
  if (!raw || typeof raw !== 'object') return undefined;
  const r = raw as Record<string, unknown>;
  return { width: Number(r.ImgWidth) || undefined, height: Number(r.ImgHeight) || undefined };
}

/** The puppet's raw payload of a message (not on wechaty's PuppetInterface, but every puppet has one), or undefined. */
export async function rawPayloadOf(puppet: object, id: string): Promise<unknown> {
  const get = (puppet as { messageRawPayload?: (id: string) => Promise<unknown> }).messageRawPayload;
  if (typeof get !== 'function') return undefined;
  try {
    return await get.call(puppet, id);
  } catch {
    return undefined;
  }
}
