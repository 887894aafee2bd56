// A wechaty Message → the plain snapshot `normalize` reads. Room topic, group nickname and link card
// are fetched only for what normalize keeps (group texts and links from others).
import { types, type Message } from 'wechaty';
import type { WechatRawMessage } from './normalize.ts';

export async function snapshot(m: Message): Promise<WechatRawMessage> {
  const type = m.type();
  const room = m.room();
  const self = m.self();
  const talker = m.talker();
  const wanted = !self && room !== undefined && (type === types.Message.Text || type === types.Message.Url);
  let talkerName = talker.name();
  let roomTopic: string | undefined;
  let url: WechatRawMessage['url'];
  if (wanted && room) {
    roomTopic = await room.topic();
    talkerName = (await room.alias(talker).catch(() => undefined)) || talkerName; // 群昵称 first
    if (type === types.Message.Url) {
      const link = await m.toUrlLink();
      url = { title: link.title(), description: link.description(), url: link.url() };
    }
  }
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
    date: Number.isNaN(date.getTime()) ? new Date() : date,
    url,
  };
}
