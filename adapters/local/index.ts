// The embedded default platform: in-process groups and channels, no credentials, no network.
// It stands in for every platform the rules name, so `npm start` runs the real routing file as is:
// alumni messages are replayed from data/samples/, and what would go to a student chat is printed.
import { readFileSync } from 'node:fs';
import { PLATFORMS, type InboundMessage, type OutboundMessage, type Platform } from '../../src/domain.ts';
import { ChatQueue } from '../../src/chat-queue.ts';
import { silentLogger, type Logger } from '../../src/log.ts';
import { AdapterError, type ChatAdapter, type MessageHandler, type SendResult } from '../../src/ports.ts';
import { toPlainText } from '../../src/plain-text.ts';
import { splitOnLines } from '../../src/split.ts';

export const LOCAL_MAX_CHARS = 4096;
export const LOCAL_BOT_ID = 'alumni-relay';
/** How long stop() waits for messages being handled. */
const STOP_DRAIN_MS = 5000;

/** One line of data/samples/*.jsonl. */
export interface SampleMessage {
  platform: Platform;
  group: string;
  sender: string;
  text: string;
}

/** What a local group delivers: the raw shape `normalize` understands. */
export interface LocalRawMessage {
  platform?: Platform;
  group: string;
  senderId: string;
  senderName?: string;
  text: string;
  id?: string;
  at?: string;
}

export interface SentMessage {
  platform: Platform;
  chat: string;
  message: OutboundMessage;
  text: string;
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

/**
 * Pure and total: a local raw message → InboundMessage, or null when it is not a usable group text.
 * Never throws, whatever it is handed; every field is read defensively and only primitive strings count.
 */
export function normalize(raw: LocalRawMessage, now = new Date()): InboundMessage | null {
  const group = str(field(raw, 'group'));
  const senderId = str(field(raw, 'senderId'));
  const body = field(raw, 'text');
  if (!group || !senderId || typeof body !== 'string' || senderId === LOCAL_BOT_ID) return null;
  const text = body.trim();
  if (!text) return null;
  const rawAt = field(raw, 'at');
  const at = typeof rawAt === 'string' ? Date.parse(rawAt) : NaN;
  const platform = field(raw, 'platform');
  return {
    platform: isPlatform(platform) ? platform : 'local',
    id: str(field(raw, 'id')) ?? `local-${now.getTime().toString(36)}-${(counter++).toString(36)}`,
    chatId: group,
    senderId,
    senderName: str(field(raw, 'senderName')) ?? senderId,
    text,
    sentAt: Number.isNaN(at) ? now.toISOString() : new Date(at).toISOString(),
  };
}

export class LocalAdapter implements ChatAdapter {
  readonly platform = 'local' as const;
  readonly sent: SentMessage[] = [];
  private handler: MessageHandler | undefined;
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

  async start(onMessage: MessageHandler): Promise<void> {
    this.handler = onMessage;
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
    const message = normalize(raw);
    if (!message || !this.handler) return Promise.resolve();
    const queued = this.ingest.push(`${message.platform}:${message.chatId}`, () => this.handle(message));
    queued.catch((err: unknown) =>
      this.log.error({ err: String(err), chat: message.chatId, messageId: message.id }, 'local inbound queue full; message refused'),
    );
    return queued;
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

  async send(chat: string, message: OutboundMessage): Promise<SendResult> {
    const failure = this.failures.findIndex((f) => f.chat === chat);
    if (failure >= 0) {
      const [f] = this.failures.splice(failure, 1);
      throw new AdapterError('local', 'send', 'Too Many Requests', { retryAfterMs: f!.retryAfterMs, status: 429 });
    }
    const text = toPlainText(message);
    let id = '';
    for (const part of splitOnLines(text, this.maxChars)) {
      id = `sent-${this.sent.length + 1}`;
      this.sent.push({ platform: 'local', chat, message, text: part });
      this.print(part);
    }
    return { messageId: id };
  }

  async stop(): Promise<void> {
    clearTimeout(this.replayTimer);
    this.handler = undefined;
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
