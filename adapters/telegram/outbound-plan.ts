// Pure: an OutboundMessage → the Bot API calls that carry it, in order (pictures, then text parts),
// with the buttons on the last call that can carry them and the reply on the first. Checked before
// anything is sent, so a message Telegram would refuse fails whole, with a clear permanent error.
import type { OutboundImage, OutboundMessage } from '../../src/domain.ts';
import { htmlVisibleText } from '../../src/plain-text.ts';
import { AdapterError } from '../../src/ports.ts';
import { type TelegramPart, telegramParts } from './render.ts';

/** 2026-11: photo caption "0-1024 characters after entities parsing", https://core.telegram.org/bots/api#sendphoto */
export const TELEGRAM_CAPTION_MAX_CHARS = 1024;
/** 2026-11: sendMediaGroup takes "an array describing messages to be sent, must include 2-10 items", https://core.telegram.org/bots/api#sendmediagroup */
export const TELEGRAM_MEDIA_GROUP_MAX = 10;
/** 2026-11: callback_data "1-64 bytes", https://core.telegram.org/bots/api#inlinekeyboardbutton */
export const TELEGRAM_CALLBACK_DATA_MAX_BYTES = 64;

export interface InlineButton {
  text: string;
  callback_data: string;
}

export interface Caption {
  text: string;
  html: boolean;
}

export type Step =
  | { kind: 'text'; part: TelegramPart; buttons: boolean }
  | { kind: 'photo'; image: OutboundImage; caption?: Caption; buttons: boolean }
  | { kind: 'group'; images: { image: OutboundImage; caption?: Caption }[] };

const refuse = (message: string) => new AdapterError('telegram', 'send', message, { permanent: true });

/** Telegram's inline keyboard for the core's buttons; refuses data Telegram would refuse (so nothing is half sent). */
export function inlineKeyboard(buttons: OutboundMessage['buttons']): InlineButton[][] | undefined {
  if (!buttons?.length) return undefined;
  const rows = buttons.filter((row) => row.length);
  if (!rows.length) return undefined;
  return rows.map((row) =>
    row.map((b) => {
      const bytes = Buffer.byteLength(b.data ?? '', 'utf8');
      if (bytes < 1 || bytes > TELEGRAM_CALLBACK_DATA_MAX_BYTES) {
        throw refuse(`button "${String(b.text).slice(0, 40)}": callback data must be 1-${TELEGRAM_CALLBACK_DATA_MAX_BYTES} bytes, got ${bytes}`);
      }
      if (typeof b.text !== 'string' || !b.text.trim()) throw refuse('a button has no text');
      return { text: b.text, callback_data: b.data };
    }),
  );
}

/** The caption as Telegram would count it (visible characters), or undefined when it is too long to be one. */
export function fitCaption(text: string | undefined, html: boolean): Caption | undefined {
  if (!text?.trim()) return undefined;
  const visible = html ? htmlVisibleText(text) : text;
  return visible.length <= TELEGRAM_CAPTION_MAX_CHARS ? { text, html } : undefined;
}

/**
 * The calls for one message. A single picture without a caption of its own takes a short body as its
 * caption (and the buttons); otherwise the body follows the pictures as text. A picture caption too
 * long for a caption is sent as text right after the pictures. When buttons have no text to ride on,
 * the last picture goes alone (sendPhoto can carry a keyboard; a media group cannot).
 */
export function planSteps(message: OutboundMessage, hasButtons: boolean): Step[] {
  const html = message.format === 'html';
  let parts = message.body.trim() ? telegramParts(message) : [];
  const images = message.images ?? [];
  if (!images.length) return parts.map((part, i) => ({ kind: 'text', part, buttons: hasButtons && i === parts.length - 1 }));

  const steps: Step[] = [];
  const overflow: TelegramPart[] = [];
  const captioned = images.map((image) => {
    const caption = fitCaption(image.caption, html);
    if (image.caption?.trim() && !caption) overflow.push(...telegramParts({ format: message.format, body: image.caption }));
    return { image, caption };
  });
  if (images.length === 1 && !images[0]!.caption?.trim() && parts.length === 1) {
    const asCaption = fitCaption(parts[0]!.text, parts[0]!.html);
    if (asCaption) {
      captioned[0]!.caption = asCaption;
      parts = [];
    }
  }
  const textAfter = [...overflow, ...parts];
  const chunks: (typeof captioned)[] = [];
  for (let i = 0; i < captioned.length; i += TELEGRAM_MEDIA_GROUP_MAX) chunks.push(captioned.slice(i, i + TELEGRAM_MEDIA_GROUP_MAX));
  const lastAlone = hasButtons && !textAfter.length;
  if (lastAlone) {
    const last = chunks.at(-1)!;
    if (last.length > 1) chunks.push([last.pop()!]);
  }
  chunks.forEach((chunk, i) => {
    if (chunk.length === 1) steps.push({ kind: 'photo', ...chunk[0]!, buttons: lastAlone && i === chunks.length - 1 });
    else steps.push({ kind: 'group', images: chunk });
  });
  // A chunk of one left at the end of a split (11 pictures) is a photo; two or more a group.
  textAfter.forEach((part, i) => steps.push({ kind: 'text', part, buttons: hasButtons && i === textAfter.length - 1 }));
  return steps;
}
