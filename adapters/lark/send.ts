// One OutboundMessage → the Lark messages that carry it, in order: the body's parts (text, post or
// card, each within its limit), then each picture (uploaded once, sent as an image message, its
// caption as a text after it), then the buttons' card — so the buttons come with the last part.
// Every message has its own uuid derived from the idempotency key, so a retried send posts nothing twice.
import { randomUUID } from 'node:crypto';
import type { OutboundMessage } from '../../src/domain.ts';
import type { Logger } from '../../src/log.ts';
import type { SendOptions, SendResult } from '../../src/ports.ts';
import { htmlToText } from '../../src/plain-text.ts';
import { buttonsCard, cardParts } from './card.ts';
import { type LarkApi, ReplyTargetGone, type SendTarget } from './client.ts';
import type { ImageUploader } from './media.ts';
import { larkUuid, type Part, postParts, textParts } from './render.ts';

export interface SendLimits {
  maxChars: number;
  maxPostBytes: number;
  maxTextBytes: number;
}

type Step = { part: Part } | { image: string };

/** The body's parts for `chat`; none for a blank body that comes with pictures or buttons. */
export function bodyParts(chat: string, message: OutboundMessage, limits: SendLimits): Part[] {
  if (!message.body.trim() && (message.images?.length || message.buttons?.length)) return [];
  if (message.format === 'lark-post') return postParts(chat, message.body, limits);
  if (message.format === 'lark-card') return cardParts(chat, message.body, { maxCardBytes: limits.maxPostBytes, maxChars: limits.maxChars, maxTextBytes: limits.maxTextBytes });
  const text = message.format === 'html' ? htmlToText(message.body) : message.body;
  return textParts(chat, text, limits.maxChars, limits.maxTextBytes);
}

function steps(chat: string, message: OutboundMessage, limits: SendLimits): Step[] {
  const out: Step[] = bodyParts(chat, message, limits).map((part) => ({ part }));
  for (const img of message.images ?? []) {
    out.push({ image: img.file });
    if (img.caption?.trim()) for (const part of textParts(chat, img.caption, limits.maxChars, limits.maxTextBytes)) out.push({ part });
  }
  // A card carries its own buttons in its body; other formats get theirs as a card of action rows.
  if (message.format !== 'lark-card' && message.buttons?.length) {
    const card = buttonsCard(message.buttons);
    if (card) out.push({ part: card });
  }
  return out;
}

export interface SendDeps {
  api: LarkApi;
  uploader: ImageUploader;
  log: Logger;
  limits: SendLimits;
}

export async function sendMessage(deps: SendDeps, chat: string, message: OutboundMessage, opts: SendOptions = {}): Promise<SendResult> {
  const plan = steps(chat, message, deps.limits);
  const key = opts.idempotencyKey ?? randomUUID();
  let replyTo = opts.replyTo?.messageId;
  let messageId: string | undefined;
  for (const [i, step] of plan.entries()) {
    const part: Part = 'part' in step ? step.part : { msgType: 'image', content: JSON.stringify({ image_key: await deps.uploader.imageKey(step.image) }) };
    const uuid = larkUuid(key, i, plan.length);
    // Only the first message answers the original; the rest follow it in the chat.
    const target: SendTarget = replyTo !== undefined && i === 0 ? { chat, replyTo } : { chat };
    try {
      messageId = await deps.api.sendPart(target, part, uuid);
    } catch (e) {
      if (!(e instanceof ReplyTargetGone)) throw e;
      deps.log.info({ chat, code: e.code }, 'lark: the message replied to is gone; sending a plain message instead');
      replyTo = undefined;
      // The failed reply sent nothing, so the same uuid still makes a retry of this send safe.
      messageId = await deps.api.sendPart({ chat }, part, uuid);
    }
  }
  return messageId ? { messageId } : {};
}
