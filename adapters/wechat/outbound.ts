// What one OutboundMessage becomes on WeChat: a list of sends, each paced on its own by the send queue.
// 2026-11: wechaty 1.20 has no quote-reply for sending (Sayable has no quote; Room.say takes text and
// contacts to mention: https://wechaty.js.org/docs/api/room "room.say(text, ...mentionList)"), and the
// web protocol has no buttons, so:
//   - buttons are left out (the core writes reply instructions into the text);
//   - pictures go first, one send each (FileBox.fromFile), an image's caption as a text right after it
//     unless the body already says it;
//   - the text parts follow; a reply @-mentions the poster in the first part: `room.say(text, contact)`
//     (wechaty writes "@<群昵称> " in front) when the poster is still in the group this login, else the
//     text starts with "@<name> " — the poster is named either way, the original message is not quoted.
//     On the web protocol a mention is only that text: wechat4u sends no mention list, and whether the
//     poster's phone shows "有人@我" is up to WeChat (wechaty's mention table marks the tip ✘ for Web:
//     https://github.com/wechaty/puppet-wechat4u/blob/main/src/wechat4u/utils/parse-mention-id-list.ts).
import type { OutboundImage, OutboundMessage } from '../../src/domain.ts';
import { splitOnLines } from '../../src/split.ts';
import { toPlainText } from '../../src/plain-text.ts';

export type SendStep = { kind: 'image'; image: OutboundImage } | { kind: 'text'; text: string; mention?: boolean };

/** How the reply names the poster: a real mention of a contact, a text prefix, or nothing. */
export type Mention = { kind: 'contact'; label: string } | { kind: 'prefix'; name: string } | undefined;

/** Room for "@<label> " plus WeChat's mention separator in front of the first part. */
const mentionLength = (m: Mention) => (m ? (m.kind === 'contact' ? m.label : m.name).length + 2 : 0);

/** Pure: the sends for one message, in order. Empty when there is nothing to send. */
export function planSends(message: OutboundMessage, maxChars: number, mention: Mention): SendStep[] {
  const body = toPlainText(message);
  const steps: SendStep[] = [];
  for (const image of message.images ?? []) {
    steps.push({ kind: 'image', image });
    const caption = image.caption?.trim();
    if (caption && !body.includes(caption)) steps.push({ kind: 'text', text: caption.slice(0, maxChars) });
  }
  const limit = Math.max(2, maxChars - mentionLength(mention));
  const parts = body.trim() ? splitOnLines(body, limit).filter((p) => p.trim() !== '') : [];
  parts.forEach((text, i) => {
    if (i > 0 || !mention) steps.push({ kind: 'text', text });
    else if (mention.kind === 'contact') steps.push({ kind: 'text', text, mention: true });
    else steps.push({ kind: 'text', text: `@${mention.name} ${text}` });
  });
  // A reply with pictures only still names the poster.
  if (!parts.length && mention && steps.length) {
    steps.push(mention.kind === 'contact' ? { kind: 'text', text: '', mention: true } : { kind: 'text', text: `@${mention.name}` });
  }
  return steps;
}
