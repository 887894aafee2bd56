// The relay under test for pictures-kill9.test.ts: every platform played by one in-process stand-in that serves
// pictures (fetchMedia) and sends nowhere, and a stand-in OCR that takes a while per picture (so kills land
// while pictures wait or are being read) and "reads" picture n as referral n's text. Picture messages arrive
// as JSON lines on stdin; "ack N" goes to stdout once onMessage resolved (the moment a platform is answered).
// "drain" waits until no picture is pending and answers "drained".
import { createInterface } from 'node:readline';
import { createRelay } from '../../src/app.ts';
import type { InboundMessage, OutboundMessage, Platform } from '../../src/domain.ts';
import { silentLogger } from '../../src/log.ts';
import { checkImage } from '../../src/media/image-check.ts';
import type { OcrResult, OcrService } from '../../src/media/ocr-service.ts';
import type { ChatAdapter, MessageHandler, SendResult } from '../../src/ports.ts';
import { pngDeclaring } from '../media/png-bytes.ts';

const [dataDir, rulesFile, textsJson] = process.argv.slice(2) as [string, string, string];
const texts = JSON.parse(textsJson) as Record<string, string>;
/** Picture n: a PNG n pixels wider than 400 (distinct bytes per n; the stand-in OCR reads n back from the width). */
const pictureOf = (n: number): Buffer => pngDeclaring(400 + n, 300, 2);

class PicturePlatform implements ChatAdapter {
  readonly platform = 'local' as const;
  handler: MessageHandler | undefined;
  async start(onMessage: MessageHandler): Promise<void> {
    this.handler = onMessage;
  }
  async send(_chat: string, _message: OutboundMessage): Promise<SendResult> {
    return {};
  }
  async fetchMedia(ref: string): Promise<{ bytes: Buffer; mime?: string }> {
    await new Promise((r) => setTimeout(r, Math.random() * 30));
    return { bytes: pictureOf(Number(ref.replace('img-', ''))), mime: 'image/png' };
  }
  async stop(): Promise<void> {}
}

const ocr: OcrService = {
  limits: { maxBytes: 8 << 20, maxPixels: 40e6, maxAspect: 20 },
  async recognize(image): Promise<OcrResult> {
    await new Promise((r) => setTimeout(r, 40 + Math.random() * 80));
    const c = checkImage(image, this.limits);
    if (!c.ok) throw new Error('not a test picture');
    return { text: texts[String(c.width - 400)] ?? '', lines: [], ms: 50, waitMs: 0, width: c.width, height: c.height };
  },
  stats: () => ({ engine: 'ready', busy: false, queued: 0, done: 0, failed: 0, refused: 0, queueFull: 0, loads: 1, lastLoadMs: 1, engineRssMb: 1, peakEngineRssMb: 1, enginePid: null }),
  async stop() {},
};

const platform = new PicturePlatform();
const adapters = new Map<Platform, ChatAdapter>((['local', 'wechat', 'lark', 'telegram'] as const).map((p) => [p, platform]));
const relay = await createRelay({ rulesFile, dataDir, adapters, logger: silentLogger, watchRules: false, media: { ocr, retryBaseMs: 50 } });
await relay.start();
process.stdout.write('ready\n');

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'drain') {
    void relay.media.drained(60_000).then(() => process.stdout.write('drained\n'));
    return;
  }
  const r = JSON.parse(line) as { n: number; group: string; platform: Platform };
  const m: InboundMessage = {
    platform: r.platform,
    id: `p-${r.n}`,
    chatId: r.group,
    senderId: `alum-${r.n % 7}`,
    senderName: `校友${r.n % 7}`,
    text: '',
    sentAt: new Date().toISOString(),
    media: [{ kind: 'image', ref: `img-${r.n}` }],
  };
  void platform.handler!(m).then(() => process.stdout.write(`ack ${r.n}\n`));
});
