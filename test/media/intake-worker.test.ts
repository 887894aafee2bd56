// The picture intake's decisions, with the platform and the OCR engine played by scripted stand-ins (the real
// ones are in test/e2e/pictures-ingest.test.ts): accept() answers within its deadline and leaves a slow download
// to the worker; failures are retried a bounded number of times with growing delays, then logged and left out;
// refusals are never retried; a store that cannot write keeps the job; a stop leaves the job on disk.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { InboundMessage, PostImage } from '../../src/domain.ts';
import { composeText, MediaIntake, type MediaIntakeOptions } from '../../src/media/intake.ts';
import { listMediaFiles, mediaDir } from '../../src/media/media-files.ts';
import { MediaQueue } from '../../src/media/media-queue.ts';
import { OcrError } from '../../src/media/ocr-errors.ts';
import type { OcrResult, OcrService } from '../../src/media/ocr-service.ts';
import { NotStoredError, type Outcome } from '../../src/pipeline.ts';
import { AdapterError } from '../../src/ports.ts';
import { tempDir } from '../helpers/tmp.ts';
import { until } from '../helpers/e2e-rig.ts';
import { pngDeclaring } from './png-bytes.ts';
import { recordingLogger } from './recording-logger.ts';

const PICTURE = pngDeclaring(800, 600, 4);

/** Plays the OCR service: each call takes the next scripted answer (text or error); the last one repeats. */
function scriptedOcr(script: (string | OcrError)[]): OcrService & { calls: number; stopped: boolean } {
  const s = {
    calls: 0,
    stopped: false,
    limits: { maxBytes: 8 << 20, maxPixels: 40e6, maxAspect: 20 },
    async recognize(): Promise<OcrResult> {
      const step = script[Math.min(s.calls++, script.length - 1)]!;
      await new Promise((r) => setTimeout(r, 5));
      if (step instanceof OcrError) throw step;
      return { text: step, lines: [], ms: 5, waitMs: 0, width: 800, height: 600 };
    },
    stats: () => ({ engine: 'ready', busy: false, queued: 0, done: 0, failed: 0, refused: 0, queueFull: 0, loads: 1, lastLoadMs: 1, engineRssMb: 1, peakEngineRssMb: 1, enginePid: 1 }) as const,
    async stop() {
      s.stopped = true;
    },
  };
  return s;
}

const message = (id: string, text = '', refs = ['ref-1']): InboundMessage => ({
  platform: 'telegram',
  id,
  chatId: '-100123',
  senderId: 'u1',
  senderName: '李娜',
  text,
  sentAt: '2026-11-18T02:00:00.000Z',
  media: refs.map((ref) => ({ kind: 'image' as const, ref })),
});

const intakes: MediaIntake[] = [];
afterEach(async () => {
  await Promise.all(intakes.splice(0).map((i) => i.stop()));
});

function setup(over: Partial<MediaIntakeOptions> & { fetch?: (ref: string) => Promise<{ bytes: Buffer; mime?: string }>; outcome?: () => Promise<Outcome> } = {}) {
  const dataDir = over.dataDir ?? tempDir();
  const { logger, lines } = recordingLogger('debug');
  const handled: { message: InboundMessage; media: PostImage[] }[] = [];
  const kept = new Set<string>();
  const fetch = over.fetch ?? (async () => ({ bytes: PICTURE, mime: 'image/png' }));
  const intake = new MediaIntake({
    dataDir,
    logger,
    adapterFor: () => ({ fetchMedia: (ref) => fetch(ref) }),
    ocr: () => scriptedOcr(['字节跳动内推 后端开发']),
    handle: async (m, media) => {
      const outcome = over.outcome ? await over.outcome() : 'stored';
      handled.push({ message: m, media });
      if (outcome === 'stored') for (const x of media) kept.add(x.file);
      return outcome;
    },
    postUses: (f) => kept.has(f),
    retryBaseMs: 20,
    fsync: false,
    ...over,
  });
  intakes.push(intake);
  return { intake, dataDir, lines, handled };
}

describe('composeText', () => {
  it('caption first, then each picture, as paragraphs; blanks dropped', () => {
    expect(composeText(' 见海报 ', ['字节跳动', '', '  后端 '])).toBe('见海报\n\n字节跳动\n\n后端');
    expect(composeText('', [''])).toBe('');
  });
});

describe('MediaIntake', () => {
  it('a picture with a caption: kept on disk, read, handed over as caption + poster text with the picture; the job ends', async () => {
    const { intake, dataDir, handled } = setup();
    await intake.accept(message('1', '内推见图'));
    expect(intake.pending()).toBe(1);
    intake.start();
    await intake.drained(5000);
    expect(handled).toHaveLength(1);
    expect(handled[0]!.message.text).toBe('内推见图\n\n字节跳动内推 后端开发');
    expect(handled[0]!.media).toEqual([{ file: expect.stringMatching(/^[0-9a-f]{64}\.png$/), mime: 'image/png', bytes: PICTURE.length, width: 800, height: 600 }]);
    expect(readFileSync(join(mediaDir(dataDir), handled[0]!.media[0]!.file)).equals(PICTURE)).toBe(true);
    // The same message again (a redelivery) is one job, not two.
    await Promise.all([intake.accept(message('2')), intake.accept(message('2'))]);
    await intake.drained(5000);
    expect(handled).toHaveLength(2);
  });

  it('accept() answers within its deadline when the download is slow; the worker takes the same download', async () => {
    let downloads = 0;
    const { intake, handled } = setup({
      acceptTimeoutMs: 50,
      fetch: async () => {
        downloads++;
        await new Promise((r) => setTimeout(r, 400));
        return { bytes: PICTURE };
      },
    });
    const t0 = Date.now();
    await intake.accept(message('slow', '海报'));
    expect(Date.now() - t0).toBeLessThan(300);
    expect(new MediaQueueView(intake).images()).toEqual([{ ref: 'ref-1' }]); // the ref only, for now
    intake.start();
    await intake.drained(5000);
    expect(handled[0]!.media).toHaveLength(1);
    expect(downloads).toBe(1);
  });

  it('a retryable failure (download, then OCR) is tried again with growing delays; then it works', async () => {
    let n = 0;
    const ocr = scriptedOcr([new OcrError('crashed', 'OCR engine was killed while reading this image'), '国家电网招聘']);
    const { intake, lines, handled } = setup({
      ocr: () => ocr,
      fetch: async () => {
        if (n++ === 0) throw new AdapterError('telegram', 'fetchMedia', 'download failed (network error)');
        return { bytes: PICTURE };
      },
    });
    await intake.accept(message('r'));
    intake.start();
    await intake.drained(5000);
    expect(handled.map((h) => h.message.text)).toEqual(['国家电网招聘']);
    const retries = lines.filter((l) => l.msg.startsWith('picture will be tried again'));
    expect(retries.map((l) => l.msg)).toEqual(['picture will be tried again: OCR engine was killed while reading this image']);
    expect(retries[0]!.attempt).toBe(2); // the failed download counted as the first
    expect(retries[0]!.retryInMs).toBe(40);
  });

  it('an OCR that keeps failing is given up after maxFailures with one error line; the caption still goes in with the picture', async () => {
    const ocr = scriptedOcr([new OcrError('timeout', 'OCR timed out on this image; the engine was restarted')]);
    const { intake, lines, handled } = setup({ ocr: () => ocr, maxFailures: 3 });
    await intake.accept(message('t', '华为内推 见图'));
    intake.start();
    await intake.drained(5000);
    expect(ocr.calls).toBe(3);
    expect(lines.filter((l) => l.msg.startsWith('picture will be tried again'))).toHaveLength(2);
    const gaveUp = lines.filter((l) => l.level === 50 && l.msg.startsWith('picture left out after 3 failed attempts'));
    expect(gaveUp).toHaveLength(1);
    expect(handled.map((h) => [h.message.text, h.media.length])).toEqual([['华为内推 见图', 1]]);
  });

  it('refusals are final: too big by its declared size, a bomb, not an image, gone from the platform, broken for the engine', async () => {
    const bytes: Record<string, Buffer> = { bomb: pngDeclaring(50_000, 50_000), text: Buffer.from('not a picture at all'), broken: PICTURE };
    let fetches = 0;
    const ocr = scriptedOcr([new OcrError('engine', 'OCR engine could not read the image: bad PNG', 'undecodable')]);
    const { intake, lines, handled, dataDir } = setup({
      ocr: () => ocr,
      fetch: async (ref) => {
        fetches++;
        if (ref === 'gone') throw new AdapterError('lark', 'fetchMedia', 'the picture is gone or not visible to the bot', { permanent: true });
        return { bytes: bytes[ref]! };
      },
    });
    const big: InboundMessage = { ...message('big'), media: [{ kind: 'image', ref: 'huge', bytes: 50 << 20 }] };
    for (const m of [big, message('bomb', '', ['bomb']), message('text', '', ['text']), message('gone', '', ['gone']), message('broken', '', ['broken'])]) await intake.accept(m);
    intake.start();
    await intake.drained(5000);
    const leftOut = lines.filter((l) => l.msg.startsWith('picture left out'));
    expect(leftOut.map((l) => [l.messageId, l.msg])).toEqual([
      ['big', 'picture left out: image refused: 52428800 bytes declared, over the 8.0 MB limit'],
      ['bomb', expect.stringContaining('50000 × 50000')],
      ['text', 'picture left out: image refused: not a PNG, JPEG, GIF or WebP file'],
      ['gone', 'picture left out: lark fetchMedia: the picture is gone or not visible to the bot'],
      ['broken', 'picture left out: OCR engine could not read the image: bad PNG'],
    ]);
    expect(fetches).toBe(4); // the declared size refused the first without a download
    expect(ocr.calls).toBe(1); // only the broken one reached the engine, once
    expect(handled).toEqual([]);
    expect(listMediaFiles(dataDir)).toEqual([]); // the broken file was removed
    expect(lines.filter((l) => l.msg.includes('tried again'))).toEqual([]);
  });

  it('a store that cannot write keeps the job until the post is durable', async () => {
    let n = 0;
    const { intake, handled, lines } = setup({
      outcome: async () => {
        if (n++ < 2) throw new NotStoredError('store write failed 4 times; the message was NOT stored');
        return 'stored';
      },
    });
    await intake.accept(message('s', '内推'));
    intake.start();
    await intake.drained(5000);
    expect(handled).toHaveLength(1);
    expect(lines.filter((l) => l.msg === 'picture message not stored; tried again later')).toHaveLength(2);
  });

  it('a picture that is not a referral, or merged into a post with its own picture, leaves no file behind', async () => {
    const { intake, dataDir, handled } = setup({ outcome: async () => 'not-job' });
    await intake.accept(message('n', '今晚聚餐'));
    intake.start();
    await intake.drained(5000);
    expect(handled).toHaveLength(1);
    expect(listMediaFiles(dataDir)).toEqual([]);
  });

  it('a picture with no caption and no text on it is not handed over', async () => {
    const ocr = scriptedOcr(['']);
    const { intake, handled, lines } = setup({ ocr: () => ocr });
    await intake.accept(message('e'));
    intake.start();
    await intake.drained(5000);
    expect(handled).toEqual([]);
    expect(lines.some((l) => l.msg === 'picture message without caption or readable text: not a referral')).toBe(true);
  });

  it('stop() during a read leaves the job on disk; the next intake finishes it', async () => {
    const dataDir = tempDir();
    let release: (() => void) | undefined;
    const slowOcr = scriptedOcr(['x']);
    slowOcr.recognize = () =>
      new Promise((_, reject) => {
        release = () => reject(new OcrError('stopped', 'OCR service stopped before this image was read'));
      });
    slowOcr.stop = async () => release?.();
    const first = setup({ dataDir, ocr: () => slowOcr });
    await first.intake.accept(message('k', '内推'));
    first.intake.start();
    await until('the read to start', () => release !== undefined, 2000);
    await first.intake.stop();
    intakes.splice(intakes.indexOf(first.intake), 1);
    expect(first.handled).toEqual([]);
    const onDisk = MediaQueue.open(mediaDir(dataDir));
    expect(onDisk.list().map((j) => [j.message.id, j.images[0]!.file !== undefined])).toEqual([['k', true]]);
    await onDisk.close();
    const second = setup({ dataDir });
    second.intake.start();
    await second.intake.drained(5000);
    expect(second.handled.map((h) => h.message.text)).toEqual(['内推\n\n字节跳动内推 后端开发']);
    expect(existsSync(join(mediaDir(dataDir), second.handled[0]!.media[0]!.file))).toBe(true);
  });
});

/** Reads an intake's queue as it stands (the job's pictures). */
class MediaQueueView {
  constructor(private readonly intake: MediaIntake) {}
  images() {
    return this.intake.queue.list().flatMap((j) => j.images);
  }
}
