// The embedded default platform: in-process groups and channels, no credentials, no network.
// It stands in for every platform the rules name, so `npm start` runs the real routing file as is:
// alumni messages are replayed from data/samples/, and what would go to a student chat is printed.
// For the loop: private chats (post with chatType 'private'), pictures kept in memory (fetchMedia),
// replies (replyToId in, replyTo out) and buttons (printed under a message; press() plays a person
// pressing one and returns the toast they would see).
import { readFileSync } from 'node:fs';
import { PLATFORMS, type InboundAction, type InboundMedia, type InboundMessage, type OutboundImage, type OutboundMessage, type Platform } from '../../src/domain.ts';
import { ChatQueue } from '../../src/chat-queue.ts';
import { silentLogger, type Logger } from '../../src/log.ts';
import { AdapterError, type ActionHandler, type ChatAdapter, type MessageHandler, type SendOptions, type SendResult } from '../../src/ports.ts';
import { toPlainText } from '../../src/plain-text.ts';
import { splitOnLines } from '../../src/split.ts';

export const LOCAL_MAX_CHARS = 4096;
export const LOCAL_BOT_ID = 'alumni-relay';
/** How long stop() waits for messages being handled. */
const STOP_DRAIN_MS = 5000;
/** What a presser sees when the action handler failed or took too long. */
export const LOCAL_NEUTRAL_TOAST = '已收到';
/** Pictures kept for fetchMedia (oldest forgotten first): a long replay must not grow without bound. */
const MAX_KEPT_MEDIA = 1000;

/** One line of data/samples/*.jsonl. */
export interface SampleMessage {
  platform: Platform;
  group: string;
  sender: string;
  text: string;
}

/** A picture a test or drill attaches to a posted message; its bytes stay in memory for fetchMedia. */
export interface LocalImage {
  bytes: Buffer;
  mime?: string;
  width?: number;
  height?: number;
}

/** What a local group (or a person writing to the bot) delivers: the raw shape post() takes. */
export interface LocalRawMessage {
  platform?: Platform;
  /** The group; not needed for a private chat (its chat is the sender). */
  group?: string;
  senderId: string;
  senderName?: string;
  /** '' is fine with a picture. */
  text: string;
  id?: string;
  at?: string;
  /** 'private': someone writing to the bot directly; chatId is then senderId. */
  chatType?: 'group' | 'private';
  images?: LocalImage[];
  replyToId?: string;
  linkCard?: { title?: string; description?: string; url?: string };
  /** Set by post() from `images`: what normalize reads (refs into the adapter's memory). */
  media?: InboundMedia[];
}

export interface SentMessage {
  platform: Platform;
  chat: string;
  message: OutboundMessage;
  /** This part's text. */
  text: string;
  /** The message's buttons, on its last part. */
  buttons?: { text: string; data: string }[][];
  /** The message's pictures, on its first part. */
  images?: OutboundImage[];
  /** The message this one answers, on its first part. */
  replyTo?: SendOptions['replyTo'];
}

export interface LocalAdapterOptions {
  /** Where delivered channel messages are printed; default stdout. */
  print?: (text: string) => void;
  samples?: SampleMessage[];
  /** Spacing of the sample replay. */
  replayEveryMs?: number;
  maxChars?: number;
  /** Handler failures and a full inbound queue are logged here; default silent. */
  logger?: Logger;
  /** Messages handled at once across groups (one at a time within a group); default 8. */
  ingestConcurrency?: number;
  /** Messages waiting to be handled before post() refuses new ones; default 10 000. */
  maxQueuedMessages?: number;
  /** How long press() waits for the action handler before answering with a neutral toast; default 10 s. */
  actionTimeoutMs?: number;
}

let counter = 0;

/** `obj[key]`, or undefined when `obj` is not an object or reading it throws (a getter, a Proxy). */
function field(obj: unknown, key: string): unknown {
  if (obj === null || (typeof obj !== 'object' && typeof obj !== 'function')) return undefined;
  try {
    return (obj as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

/** A primitive string with something besides whitespace in it (objects with their own toString do not count). */
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v : undefined);
const isPlatform = (v: unknown): v is Platform => typeof v === 'string' && (PLATFORMS as readonly string[]).includes(v);

/** Array.isArray that says false instead of throwing (it throws on a revoked Proxy). */
function isArray(v: unknown): v is unknown[] {
  try {
    return Array.isArray(v);
  } catch {
    return false;
  }
}

/** Media entries as an InboundMessage carries them: image refs with only sane facts. */
function mediaOf(v: unknown): InboundMedia[] | undefined {
  if (!isArray(v)) return undefined;
  let length: unknown;
  try {
    length = v.length;
  } catch {
    return undefined;
  }
  if (typeof length !== 'number') return undefined;
  const out: InboundMedia[] = [];
  for (let i = 0; i < Math.min(length, 10); i++) {
    const m = field(v, String(i));
    const ref = str(field(m, 'ref'));
    if (!ref || field(m, 'kind') !== 'image') continue;
    const item: InboundMedia = { kind: 'image', ref };
    const mime = str(field(m, 'mime'));
    if (mime && /^image\/[\w.+-]+$/.test(mime)) item.mime = mime;
    for (const k of ['bytes', 'width', 'height'] as const) {
      const n = field(m, k);
      if (typeof n === 'number' && Number.isSafeInteger(n) && n > 0) item[k] = n;
    }
    out.push(item);
  }
  return out.length ? out : undefined;
}

/** A link card's trimmed, non-empty strings, or undefined when it has none. */
function linkCardOf(v: unknown): InboundMessage['linkCard'] {
  const card: NonNullable<InboundMessage['linkCard']> = {};
  for (const k of ['title', 'description', 'url'] as const) {
    const t = str(field(v, k));
    if (t) card[k] = t.trim();
  }
  return Object.keys(card).length ? card : undefined;
}

/**
 * Pure and total: a local raw message → InboundMessage, or null when it is not usable (no group for a
 * group message, no sender, the bot's own, or neither text nor picture).
 * Never throws, whatever it is handed; every field is read defensively and only primitive strings count.
 */
export function normalize(raw: LocalRawMessage, now = new Date()): InboundMessage | null {
  const isPrivate = field(raw, 'chatType') === 'private';
  const senderId = str(field(raw, 'senderId'));
  const group = isPrivate ? senderId : str(field(raw, 'group'));
  const body = field(raw, 'text');
  if (!group || !senderId || typeof body !== 'string' || senderId === LOCAL_BOT_ID) return null;
  const text = body.trim();
  const media = mediaOf(field(raw, 'media'));
  if (!text && !media) return null;
  const rawAt = field(raw, 'at');
  const at = typeof rawAt === 'string' ? Date.parse(rawAt) : NaN;
  const platform = field(raw, 'platform');
  const message: InboundMessage = {
    platform: isPlatform(platform) ? platform : 'local',
    id: str(field(raw, 'id')) ?? `local-${now.getTime().toString(36)}-${(counter++).toString(36)}`,
    chatId: group,
    senderId,
    senderName: str(field(raw, 'senderName')) ?? senderId,
    text,
    sentAt: Number.isNaN(at) ? now.toISOString() : new Date(at).toISOString(),
  };
  if (isPrivate) message.chatType = 'private';
  if (media) message.media = media;
  const linkCard = linkCardOf(field(raw, 'linkCard'));
  if (linkCard) message.linkCard = linkCard;
  const replyToId = str(field(raw, 'replyToId'));
  if (replyToId) message.replyToId = replyToId;
  return message;
}

/** The compact line a person running `npm start` sees under a message with buttons: `[👍1 👎1 | 👍2 👎2]`. */
export function buttonsLine(rows: { text: string; data: string }[][]): string {
  return `[${rows.map((row) => row.map((b) => b.text).join(' ')).join(' | ')}]`;
}

export class LocalAdapter implements ChatAdapter {
  readonly platform = 'local' as const;
  readonly sent: SentMessage[] = [];
  private handler: MessageHandler | undefined;
  private actionHandler: ActionHandler | undefined;
  /** Pictures posted with messages, by ref, for fetchMedia. */
  private readonly media = new Map<string, LocalImage>();
  private mediaSeq = 0;
  private replayTimer: NodeJS.Timeout | undefined;
  private failures: { chat: string; retryAfterMs: number }[] = [];
  private readonly print: (text: string) => void;
  private readonly maxChars: number;
  private readonly log: Logger;
  /** Inbound messages: one group's in order, groups in parallel, bounded. */
  private readonly ingest: ChatQueue;

  constructor(private readonly opts: LocalAdapterOptions = {}) {
    this.print = opts.print ?? ((t) => process.stdout.write(`${t}\n`));
    this.maxChars = opts.maxChars ?? LOCAL_MAX_CHARS;
    this.log = (opts.logger ?? silentLogger).child({ platform: 'local' });
    this.ingest = new ChatQueue({ concurrency: opts.ingestConcurrency ?? 8, maxQueued: opts.maxQueuedMessages ?? 10_000 });
  }

  async start(onMessage: MessageHandler, onAction?: ActionHandler): Promise<void> {
    this.handler = onMessage;
    this.actionHandler = onAction;
    clearTimeout(this.replayTimer);
    const samples = [...(this.opts.samples ?? [])];
    if (samples.length) {
      const every = this.opts.replayEveryMs ?? 150;
      const next = () => {
        const s = samples.shift();
        if (!s || !this.handler) return;
        void this.post({ platform: s.platform, group: s.group, senderId: s.sender, senderName: s.sender, text: s.text })
          .catch(() => undefined) // a full queue is logged by post()
          .finally(() => {
            if (this.handler) this.replayTimer = setTimeout(next, every);
          });
      };
      this.replayTimer = setTimeout(next, every);
    }
  }

  /**
   * A message appears in a local group. It is queued behind the earlier messages of its group at once
   * (so the order of calls is the order handled); the promise resolves when the relay has handled it.
   * A handler failure is logged, not thrown; a full queue is logged and rejects with QueueFullError.
   */
  post(raw: LocalRawMessage): Promise<void> {
    const message = normalize(this.keepImages(raw));
    if (!message || !this.handler) return Promise.resolve();
    const queued = this.ingest.push(`${message.platform}:${message.chatId}`, () => this.handle(message));
    queued.catch((err: unknown) =>
      this.log.error({ err: String(err), chat: message.chatId, messageId: message.id }, 'local inbound queue full; message refused'),
    );
    return queued;
  }

  /** `raw` with its attached pictures kept in memory and named by refs (the bytes never reach normalize). */
  private keepImages(raw: LocalRawMessage): LocalRawMessage {
    try {
      const list = field(raw, 'images');
      const images = isArray(list) ? list.filter((i): i is LocalImage => Buffer.isBuffer(field(i, 'bytes'))) : [];
      if (!images.length) return raw;
      const media: InboundMedia[] = images.map((image) => {
        const ref = `local-media-${++this.mediaSeq}`;
        this.media.set(ref, image);
        if (this.media.size > MAX_KEPT_MEDIA) this.media.delete(this.media.keys().next().value as string);
        return { kind: 'image', ref, bytes: image.bytes.length, mime: field(image, 'mime'), width: field(image, 'width'), height: field(image, 'height') } as InboundMedia;
      });
      return { ...raw, media };
    } catch {
      return raw; // a hostile picture list: normalize reads the rest (and drops the message if nothing is left)
    }
  }

  /** The bytes of a picture posted with a message; refuses more than `maxBytes` (nothing is read: it is in memory). */
  async fetchMedia(ref: string, opts: { maxBytes: number }): Promise<{ bytes: Buffer; mime?: string }> {
    const image = this.media.get(ref);
    if (!image) throw new AdapterError('local', 'fetchMedia', `no picture ${ref} (never posted, or forgotten after ${MAX_KEPT_MEDIA} newer ones)`, { permanent: true });
    if (image.bytes.length > opts.maxBytes) {
      throw new AdapterError('local', 'fetchMedia', `the picture is ${image.bytes.length} bytes, over the ${opts.maxBytes}-byte limit`, { permanent: true });
    }
    return image.mime ? { bytes: image.bytes, mime: image.mime } : { bytes: image.bytes };
  }

  /**
   * A person presses a button under a message the relay sent to `chat`: the action handler is called and
   * its toast returned, as the platform would show it. A failed or slow handler gives the neutral toast
   * (and is logged); without a handler (or after stop()) there is no toast.
   */
  async press(chat: string, userId: string, data: string, messageId?: string): Promise<string | undefined> {
    const handler = this.actionHandler;
    if (!handler) return undefined;
    const action: InboundAction = { platform: 'local', chatId: chat, userId, data, at: new Date().toISOString(), ...(messageId && { messageId }) };
    let timer: NodeJS.Timeout | undefined;
    const ms = this.opts.actionTimeoutMs ?? 10_000;
    const slow = new Promise<'slow'>((r) => (timer = setTimeout(() => r('slow'), ms)));
    try {
      const toast = await Promise.race([handler(action), slow]);
      if (toast !== 'slow') return toast;
      this.log.warn({ chat, ms }, 'action handler too slow; answered with the neutral toast');
      return LOCAL_NEUTRAL_TOAST;
    } catch (err) {
      this.log.error({ err, chat }, 'action handler failed; answered with the neutral toast');
      return LOCAL_NEUTRAL_TOAST;
    } finally {
      clearTimeout(timer);
    }
  }

  private async handle(message: InboundMessage): Promise<void> {
    const handler = this.handler;
    if (!handler) return; // stopped while it waited
    try {
      await handler(message);
    } catch (err) {
      this.log.error({ err, messageId: message.id, chatId: message.chatId }, 'message handler failed; going on');
    }
  }

  /** Makes the next send to `chat` fail as a platform 429 would (for tests and fault drills). */
  failNextSend(chat: string, retryAfterMs: number): void {
    this.failures.push({ chat, retryAfterMs });
  }

  async send(chat: string, message: OutboundMessage, opts: SendOptions = {}): Promise<SendResult> {
    const failure = this.failures.findIndex((f) => f.chat === chat);
    if (failure >= 0) {
      const [f] = this.failures.splice(failure, 1);
      throw new AdapterError('local', 'send', 'Too Many Requests', { retryAfterMs: f!.retryAfterMs, status: 429 });
    }
    const images = message.images?.length ? message.images : undefined;
    const buttons = message.buttons?.some((row) => row.length) ? message.buttons : undefined;
    if (opts.replyTo) this.print(`↪ 回复 ${opts.replyTo.senderName ? `@${opts.replyTo.senderName}` : opts.replyTo.messageId}`);
    for (const image of images ?? []) this.print(`[图片: ${image.file}]${image.caption ? ` ${image.caption}` : ''}`);
    const parts = splitOnLines(toPlainText(message), this.maxChars);
    let id = '';
    parts.forEach((part, i) => {
      id = `sent-${this.sent.length + 1}`;
      const entry: SentMessage = { platform: 'local', chat, message, text: part };
      if (i === 0 && images) entry.images = images;
      if (i === 0 && opts.replyTo) entry.replyTo = opts.replyTo;
      if (i === parts.length - 1 && buttons) entry.buttons = buttons;
      this.sent.push(entry);
      if (part || !images) this.print(part);
    });
    if (buttons) this.print(buttonsLine(buttons)); // under the last part, as the platforms show them
    return { messageId: id };
  }

  async stop(): Promise<void> {
    clearTimeout(this.replayTimer);
    this.handler = undefined;
    this.actionHandler = undefined;
    // Messages being handled finish their store writes first (bounded: a stuck handler must not block a shutdown).
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.ingest.onIdle(), new Promise<void>((r) => (timer = setTimeout(r, STOP_DRAIN_MS)))]);
    clearTimeout(timer);
  }
}

export { toPlainText };

export function readSamples(file: string): SampleMessage[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as SampleMessage);
}
