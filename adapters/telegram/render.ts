// An OutboundMessage → the texts Telegram receives: HTML split outside tags at 4096 visible
// characters (balanced in every part), anything else as plain text; and the plain-text fallback for
// a part whose HTML Telegram refuses.
import { GrammyError } from 'grammy';
import type { OutboundMessage } from '../../src/domain.ts';
import { htmlToText, toPlainText } from '../../src/plain-text.ts';
import { splitHtml, splitOnLines } from '../../src/split.ts';

// 2026-11: "1-4096 characters after entities parsing" (tags, and a link's href, do not count),
// https://core.telegram.org/bots/api#sendmessage
export const TELEGRAM_MAX_CHARS = 4096;

export interface TelegramPart {
  text: string;
  html: boolean;
}

/**
 * The parts of one message. The digest renderer already keeps each part within the limit; this is
 * the safety net for any other caller (and for HTML a renderer did not balance per part).
 */
export function telegramParts(message: OutboundMessage): TelegramPart[] {
  if (message.format === 'html') return splitHtml(message.body, TELEGRAM_MAX_CHARS).map((text) => ({ text, html: true }));
  // Lark bodies (post, card) go as their plain text.
  const text = toPlainText(message);
  return splitOnLines(text, TELEGRAM_MAX_CHARS)
    .filter((p) => p.trim() !== '')
    .map((t) => ({ text: t, html: false }));
}

/** The same part as plain text (tags stripped, entities decoded, link targets written after their labels), split if that made it longer. */
export function plainFallback(html: string): string[] {
  return splitOnLines(htmlToText(html), TELEGRAM_MAX_CHARS).filter((p) => p.trim() !== '');
}

/**
 * True when Telegram refused the formatting rather than the message: "Bad Request: can't parse
 * entities: …" (unbalanced or unknown tags, a bare `&`). 2026-11, https://core.telegram.org/bots/api#formatting-options
 */
export function isFormattingRejected(err: unknown): boolean {
  return err instanceof GrammyError && err.error_code === 400 && /can't parse entities|can't find end tag|unsupported start tag|unclosed|entity/i.test(err.description);
}
