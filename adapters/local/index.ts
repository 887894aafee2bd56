// The embedded default platform: in-process groups and channels, no credentials, no network.
// It stands in for every platform the rules name, so `npm start` runs the real routing file as is:
// alumni messages are replayed from data/samples/, and what would go to a student chat is printed.
import { readFileSync } from 'node:fs';
import { PLATFORMS, type InboundMessage, type OutboundMessage, type Platform } from '../../src/domain.ts';
import { AdapterError, type ChatAdapter, type MessageHandler, type SendResult } from '../../src/ports.ts';
import { toPlainText } from '../../src/plain-text.ts';
import { splitOnLines } from '../../src/split.ts';

export const LOCAL_MAX_CHARS = 4096;
export const LOCAL_BOT_ID = 'alumni-relay';

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
}

let counter = 0;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v : undefined);
const isPlatform = (v: unknown): v is Platform => typeof v === 'string' && (PLATFORMS as readonly string[]).includes(v);

/** Pure: a local raw message → InboundMessage, or null when it is not a usable group text. */
export function normalize(raw: LocalRawMessage, now = new Date()): InboundMessage | null {
  if (!raw || typeof raw !== 'object') return null;
  const group = str(raw.group);
  const senderId = str(raw.senderId);
  if (!group || !senderId || typeof raw.text !== 'string' || senderId === LOCAL_BOT_ID) return null;
  const text = raw.text.trim();
  if (!text) return null;
  const at = typeof raw.at === 'string' ? Date.parse(raw.at) : NaN;
  return {
    platform: isPlatform(raw.platform) ? raw.platform : 'local',
    id: str(raw.id) ?? `local-${now.getTime().toString(36)}-${(counter++).toString(36)}`,
    chatId: group,
    senderId,
    senderName: str(raw.senderName) ?? senderId,
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

  constructor(private readonly opts: LocalAdapterOptions = {}) {
    this.print = opts.print ?? ((t) => process.stdout.write(`${t}\n`));
    this.maxChars = opts.maxChars ?? LOCAL_MAX_CHARS;
  }

  async start(onMessage: MessageHandler): Promise<void> {
    this.handler = onMessage;
    const samples = [...(this.opts.samples ?? [])];
    if (samples.length) {
      const every = this.opts.replayEveryMs ?? 150;
      const next = () => {
        const s = samples.shift();
        if (!s || !this.handler) return;
        void this.post({ platform: s.platform, group: s.group, senderId: s.sender, senderName: s.sender, text: s.text }).finally(() => {
          this.replayTimer = setTimeout(next, every);
        });
      };
      this.replayTimer = setTimeout(next, every);
    }
  }

  /** A message appears in a local group; resolves when the relay has handled it. */
  async post(raw: LocalRawMessage): Promise<void> {
    const message = normalize(raw);
    if (message && this.handler) await this.handler(message);
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
  }
}

export { toPlainText };

export function readSamples(file: string): SampleMessage[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as SampleMessage);
}
