// Sending one OutboundMessage: the calls planned by outbound-plan.ts, made in order, remembering what
// went out per idempotency key (a retried send does not repeat it). A part whose HTML Telegram refuses
// goes as plain text; a reply whose original is gone goes as a plain message.
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { type Api, GrammyError, InputFile } from 'grammy';
import type { InputMediaPhoto } from 'grammy/types';
import type { OutboundImage, OutboundMessage } from '../../src/domain.ts';
import type { Logger } from '../../src/log.ts';
import { htmlToText, htmlVisibleText } from '../../src/plain-text.ts';
import { AdapterError, type SendOptions, type SendResult } from '../../src/ports.ts';
import { errInfo, toAdapterError } from './errors.ts';
import { type Caption, type InlineButton, inlineKeyboard, planSteps, type Step, TELEGRAM_CAPTION_MAX_CHARS } from './outbound-plan.ts';
import { isFormattingRejected, plainFallback } from './render.ts';

/** 2026-11: sendPhoto "The photo must be at most 10 MB in size", https://core.telegram.org/bots/api#sendphoto */
export const TELEGRAM_PHOTO_MAX_BYTES = 10 * 1024 * 1024;

interface Progress {
  /** Steps fully sent. */
  steps: number;
  /** Of the next (text) step, plain-text fallback pieces already sent. */
  pieces?: number;
  lastId?: string;
}

interface CallOpts {
  reply?: { message_id: number; allow_sending_without_reply: true };
  keyboard?: InlineButton[][];
}

// Telegram chat ids fit in 52 bits, so a JS number is exact; "@channelname" stays a string.
// 2026-11, https://core.telegram.org/bots/api#chat
export const chatIdParam = (chat: string): number | string => (/^-?\d{1,16}$/.test(chat) ? Number(chat) : chat);

/**
 * True when Telegram refused the reply target. With allow_sending_without_reply it sends a plain
 * message instead, but that flag is "Always False for replies in another chat or forum topic"
 * (2026-11, https://core.telegram.org/bots/api#replyparameters), and then the answer is 400
 * "Bad Request: message to be replied not found" (older servers: "Reply message not found").
 */
export function isReplyTargetGone(err: unknown): boolean {
  return err instanceof GrammyError && err.error_code === 400 && /(message to be replied|reply message|replied message) not found/i.test(err.description);
}

const photoName = (image: OutboundImage, i: number) => {
  const ext = /^image\/(jpeg|png|webp|gif)$/i.exec(image.mime)?.[1]?.toLowerCase().replace('jpeg', 'jpg') ?? 'jpg';
  return `photo${i}.${ext}`;
};

export class TelegramSender {
  private readonly progress = new Map<string, Progress>();

  constructor(
    private readonly api: Api,
    private readonly log: Logger,
    private readonly token: string,
  ) {}

  async send(chat: string, message: OutboundMessage, opts: SendOptions = {}): Promise<SendResult> {
    // Everything Telegram would refuse is refused here, before the first call.
    const keyboard = inlineKeyboard(message.buttons);
    await this.checkImages(message.images ?? []);
    const steps = planSteps(message, keyboard !== undefined);
    const replyId = opts.replyTo ? Number(opts.replyTo.messageId) : undefined;
    if (opts.replyTo && !Number.isSafeInteger(replyId)) this.log.warn({ chat, replyTo: opts.replyTo.messageId }, 'reply target is not a Telegram message id; sending without it');
    // 2026-11: allow_sending_without_reply: "Pass True if the message should be sent even if the
    // specified message to be replied to is not found", https://core.telegram.org/bots/api#replyparameters
    const reply = replyId !== undefined && Number.isSafeInteger(replyId) ? { message_id: replyId, allow_sending_without_reply: true as const } : undefined;

    const key = opts.idempotencyKey;
    const done = key ? this.progress.get(key) : undefined;
    let lastId = done?.lastId;
    for (let i = done?.steps ?? 0; i < steps.length; i++) {
      const step = steps[i]!;
      const call: CallOpts = {
        ...(i === 0 && reply ? { reply } : {}),
        ...(keyboard && 'buttons' in step && step.buttons ? { keyboard } : {}),
      };
      try {
        lastId = await this.withReplyFallback(chat, call, (c) => this.sendStep(chat, step, c, i, steps.length, done && done.steps === i ? (done.pieces ?? 0) : 0, key, lastId));
      } catch (err) {
        throw this.sendFailed(chat, i, steps.length, err);
      }
      if (key) this.remember(key, { steps: i + 1, ...(lastId ? { lastId } : {}) });
    }
    this.log.debug({ chat, steps: steps.length }, 'sent');
    return lastId ? { messageId: lastId } : {};
  }

  /** Runs `f` with the reply; if Telegram says the original is gone, once more without it. */
  private async withReplyFallback(chat: string, call: CallOpts, f: (call: CallOpts) => Promise<string | undefined>): Promise<string | undefined> {
    try {
      return await f(call);
    } catch (err) {
      if (!call.reply || !isReplyTargetGone(err)) throw err;
      this.log.info({ chat, replyTo: call.reply.message_id }, 'the message to answer is gone; sending a plain message');
      const { reply: _gone, ...rest } = call;
      return f(rest);
    }
  }

  private async sendStep(chat: string, step: Step, call: CallOpts, i: number, total: number, piecesDone: number, key: string | undefined, lastId: string | undefined): Promise<string | undefined> {
    if (step.kind === 'text') {
      try {
        return await this.sendText(chat, step.part.text, step.part.html, call);
      } catch (err) {
        if (!step.part.html || !isFormattingRejected(err)) throw err;
        // Telegram refused this part's HTML: it goes as plain text rather than not at all.
        this.log.warn({ chat, part: i + 1, parts: total, err: errInfo(err, this.token) }, 'Telegram refused the formatting; sending this part as plain text');
        const pieces = plainFallback(step.part.text);
        let id = lastId;
        for (let j = piecesDone; j < pieces.length; j++) {
          id = await this.sendText(chat, pieces[j]!, false, {
            ...(j === 0 && call.reply ? { reply: call.reply } : {}),
            ...(j === pieces.length - 1 && call.keyboard ? { keyboard: call.keyboard } : {}),
          });
          if (key) this.remember(key, { steps: i, pieces: j + 1, ...(id ? { lastId: id } : {}) });
        }
        return id;
      }
    }
    if (step.kind === 'photo') {
      try {
        return await this.sendPhoto(chat, step.image, step.caption, call);
      } catch (err) {
        if (!step.caption?.html || !isFormattingRejected(err)) throw err;
        this.log.warn({ chat, err: errInfo(err, this.token) }, 'Telegram refused the caption formatting; sending it as plain text');
        return this.sendPhoto(chat, step.image, plainCaption(step.caption.text), call);
      }
    }
    try {
      return await this.sendGroup(chat, step.images, call);
    } catch (err) {
      if (!step.images.some((x) => x.caption?.html) || !isFormattingRejected(err)) throw err;
      this.log.warn({ chat, err: errInfo(err, this.token) }, 'Telegram refused a caption formatting; sending the captions as plain text');
      return this.sendGroup(
        chat,
        step.images.map((x) => ({ image: x.image, ...(x.caption ? { caption: plainCaption(x.caption.text) } : {}) })),
        call,
      );
    }
  }

  private async sendText(chat: string, text: string, html: boolean, call: CallOpts): Promise<string> {
    const sent = await this.api.sendMessage(chatIdParam(chat), text, {
      ...(html ? { parse_mode: 'HTML' as const } : {}),
      link_preview_options: { is_disabled: true },
      ...(call.reply ? { reply_parameters: call.reply } : {}),
      ...(call.keyboard ? { reply_markup: { inline_keyboard: call.keyboard } } : {}),
    });
    return String(sent.message_id);
  }

  private async sendPhoto(chat: string, image: OutboundImage, caption: Caption | undefined, call: CallOpts): Promise<string> {
    const sent = await this.api.sendPhoto(chatIdParam(chat), new InputFile(image.file, photoName(image, 0)), {
      ...(caption ? { caption: caption.text, ...(caption.html ? { parse_mode: 'HTML' as const } : {}) } : {}),
      ...(call.reply ? { reply_parameters: call.reply } : {}),
      ...(call.keyboard ? { reply_markup: { inline_keyboard: call.keyboard } } : {}),
    });
    return String(sent.message_id);
  }

  private async sendGroup(chat: string, images: { image: OutboundImage; caption?: Caption }[], call: CallOpts): Promise<string | undefined> {
    const media: InputMediaPhoto[] = images.map(({ image, caption }, i) => ({
      type: 'photo',
      media: new InputFile(image.file, photoName(image, i)),
      ...(caption ? { caption: caption.text, ...(caption.html ? { parse_mode: 'HTML' as const } : {}) } : {}),
    }));
    const sent = await this.api.sendMediaGroup(chatIdParam(chat), media, call.reply ? { reply_parameters: call.reply } : {});
    const last = sent.at(-1);
    return last ? String(last.message_id) : undefined;
  }

  /** Each picture is a readable file within sendPhoto's limit, with an image type; else a permanent error (retrying will not help). */
  private async checkImages(images: OutboundImage[]): Promise<void> {
    for (const image of images) {
      const name = basename(String(image.file));
      if (typeof image.mime !== 'string' || !/^image\//i.test(image.mime)) {
        throw new AdapterError('telegram', 'send', `picture ${name}: ${String(image.mime)} is not an image type`, { permanent: true });
      }
      const info = await stat(image.file).catch(() => undefined);
      if (!info?.isFile()) throw new AdapterError('telegram', 'send', `picture ${name} is missing (not a readable file)`, { permanent: true });
      if (info.size > TELEGRAM_PHOTO_MAX_BYTES) {
        throw new AdapterError('telegram', 'send', `picture ${name} is ${info.size} bytes, over Telegram's 10 MB photo limit`, { permanent: true });
      }
    }
  }

  private sendFailed(chat: string, i: number, parts: number, err: unknown): AdapterError {
    const e = toAdapterError('send', err, this.token);
    this.log.warn({ chat, part: i + 1, parts, status: e.opts.status, retryAfterMs: e.retryAfterMs, permanent: e.permanent, err: e.message }, 'send failed');
    return e;
  }

  private remember(key: string, p: Progress): void {
    this.progress.delete(key);
    this.progress.set(key, p);
    if (this.progress.size > 1000) this.progress.delete(this.progress.keys().next().value!);
  }
}

/** An HTML caption as plain text: with link targets when that still fits, else just what was visible. */
function plainCaption(html: string): Caption {
  const plain = htmlToText(html);
  return { text: plain.length <= TELEGRAM_CAPTION_MAX_CHARS ? plain : htmlVisibleText(html), html: false };
}
