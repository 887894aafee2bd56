// The relay under test for kill9.test.ts: the local platform, a file-backed store in a temp dir, and a
// "platform" that delivers by appending (fsync'ed) lines to a log file, honouring idempotency keys when
// told to. Referrals arrive as JSON lines on stdin; "ack N" goes to stdout only after the pipeline has
// handled message N (so after its post is durably stored). "W ms" lines report each outbox mark window.
import { closeSync, existsSync, fdatasyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { toPlainText } from '../../adapters/local/index.ts';
import { createRelay } from '../../src/app.ts';
import type { InboundMessage, OutboundMessage, Platform } from '../../src/domain.ts';
import { silentLogger } from '../../src/log.ts';
import type { ChatAdapter, MessageHandler, SendResult } from '../../src/ports.ts';

const [dataDir, rulesFile, logFile, mode] = process.argv.slice(2) as [string, string, string, 'idempotent' | 'plain'];
/** The platform's reply reaches us this long after it accepted the message (a real HTTP round trip). */
const ACK_MS = Number(process.env.PLATFORM_ACK_MS ?? 15);

/** Stands in for every platform: a send is one fsync'ed JSON line in the log. */
class LogPlatform implements ChatAdapter {
  readonly platform = 'local' as const;
  handler: MessageHandler | undefined;
  private readonly seen = new Set<string>();
  private readonly fd: number;
  constructor() {
    if (existsSync(logFile)) {
      for (const line of readFileSync(logFile, 'utf8').split('\n')) {
        if (!line) continue;
        try {
          this.seen.add((JSON.parse(line) as { key: string }).key);
        } catch {
          // a torn line: the platform never accepted it
        }
      }
    }
    this.fd = openSync(logFile, 'a');
  }
  async start(onMessage: MessageHandler): Promise<void> {
    this.handler = onMessage;
  }
  async send(chat: string, message: OutboundMessage, opts?: { idempotencyKey?: string }): Promise<SendResult> {
    const key = opts?.idempotencyKey ?? '';
    if (mode === 'idempotent' && key && this.seen.has(key)) {
      writeSync(this.fd, `${JSON.stringify({ key, chat, dedupedRepeat: true })}\n`);
      fdatasyncSync(this.fd);
      return {};
    }
    writeSync(this.fd, `${JSON.stringify({ key, chat, text: toPlainText(message) })}\n`);
    fdatasyncSync(this.fd);
    this.seen.add(key);
    await new Promise((r) => setTimeout(r, ACK_MS));
    return { messageId: key };
  }
  async stop(): Promise<void> {
    closeSync(this.fd);
  }
}

const platform = new LogPlatform();
const adapters = new Map<Platform, ChatAdapter>((['local', 'wechat', 'lark', 'telegram'] as const).map((p) => [p, platform]));
const relay = await createRelay({ rulesFile, dataDir, adapters, logger: silentLogger, scheduleOverride: '* * * * * *', watchRules: false, outboxIntervalMs: 20 });
await relay.start();
process.stdout.write('ready\n');

let reported = 0;
setInterval(() => {
  const w = relay.outbox.markWindowsMs;
  for (; reported < w.length; reported++) process.stdout.write(`W ${w[reported]!.toFixed(3)}\n`);
}, 50);

createInterface({ input: process.stdin }).on('line', (line) => {
  const r = JSON.parse(line) as { n: number; group: string; platform: Platform; text: string };
  const m: InboundMessage = { platform: r.platform, id: `r-${r.n}`, chatId: r.group, senderId: `alum-${r.n % 17}`, senderName: `校友${r.n % 17}`, text: r.text, sentAt: new Date().toISOString() };
  void platform.handler!(m).then(() => process.stdout.write(`ack ${r.n}\n`));
});
