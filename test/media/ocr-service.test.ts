// The OCR service with the real engine (PaddleOCR v4 on onnxruntime in a child process). Slow-ish: each engine
// load takes a few seconds on a busy machine.
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { OcrError } from '../../src/media/ocr-errors.ts';
import { createOcrService, type OcrService } from '../../src/media/ocr-service.ts';
import { pngDeclaring } from './png-bytes.ts';

const fixture = (f: string) => readFileSync(new URL(`../fixtures/posters/${f}`, import.meta.url));
const SLOW = 120_000;

/** A logger whose lines the test can read. */
function recordingLogger() {
  const lines: { level: number; msg: string; [k: string]: unknown }[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

const rejection = async (p: Promise<unknown>): Promise<OcrError> => {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OcrError);
  return err as OcrError;
};

const services: OcrService[] = [];
afterAll(async () => {
  await Promise.all(services.map((s) => s.stop()));
});
function service(opts: Partial<Parameters<typeof createOcrService>[0]> = {}) {
  const rec = recordingLogger();
  const s = createOcrService({ logger: rec.logger, ...opts });
  services.push(s);
  return { s, lines: rec.lines };
}

describe('OCR service (real engine)', () => {
  const main = service({ maxQueue: 1 });

  it('loads nothing before the first image', () => {
    expect(main.s.stats()).toMatchObject({ engine: 'unloaded', loads: 0, enginePid: null });
  });

  it('reads the committed posters back: company, role and major', { timeout: SLOW }, async () => {
    const expected: Record<string, string[]> = {
      'bytedance-backend.png': ['字节跳动', '后端开发工程师', '计算机科学与技术', '软件工程', 'DS8X2K'],
      'state-grid-electrical.jpg': ['国家电网', '电气工程师', '电气工程及其自动化', 'hr@js.example.cn'],
      'wuxi-pharma-qa.jpg': ['药明康德', '质量分析员', '药学', '化学'],
    };
    for (const [file, words] of Object.entries(expected)) {
      const r = await main.s.recognize(fixture(file), { platform: 'telegram', messageId: file });
      for (const w of words) expect(r.text, file).toContain(w);
      expect(r.lines.length).toBeGreaterThan(2);
      expect(r.ms).toBeGreaterThan(0);
    }
    // The QR code under the first poster gave no junk lines: every line is text of the poster.
    const qr = await main.s.recognize(fixture('bytedance-backend.png'));
    expect(qr.text.split('\n').filter(Boolean)).toHaveLength(4);
    expect(main.s.stats()).toMatchObject({ engine: 'ready', loads: 1, done: 4, failed: 0 });
  });

  it('refuses a huge file, a non-image, a PNG bomb and a broken PNG with clear errors, and still reads the next image', { timeout: SLOW }, async () => {
    const refusedBefore = main.s.stats().refused;
    const huge = Buffer.concat([fixture('bytedance-backend.png'), Buffer.alloc(9 * 1024 * 1024)]);
    expect((await rejection(main.s.recognize(huge))).reason).toBe('too-large');
    const text = Buffer.from('字节跳动内推：后端开发工程师。这是一个改了扩展名的文本文件。');
    expect((await rejection(main.s.recognize(text))).message).toBe('image refused: not a PNG, JPEG, GIF or WebP file');
    const bomb = await rejection(main.s.recognize(pngDeclaring(50_000, 50_000)));
    expect(bomb).toMatchObject({ code: 'refused', reason: 'too-many-pixels' });
    expect(main.s.stats().refused).toBe(refusedBefore + 3);
    expect(main.lines.filter((l) => l.reason === 'too-many-pixels' && l.msg.includes('50000 × 50000'))).toHaveLength(1);

    // A PNG whose header is fine but whose data is cut: it passes the checks, and the engine's decoder refuses it.
    const broken = Buffer.from(fixture('bytedance-backend.png'));
    broken.fill(0x5a, 200, 2000);
    const e = await rejection(main.s.recognize(broken, { messageId: 'broken' }));
    expect(e.code).toBe('engine');
    expect(e.message).toMatch(/^OCR engine could not read the image: /);
    // A bomb that lies past the header (a valid 8000 × 4999 canvas of zeros: 40 MP, 40 kB) is shrunk, not decoded whole.
    const wide = await main.s.recognize(pngDeclaring(8000, 4999, 4999));
    expect(wide.text).toBe('');

    const ok = await main.s.recognize(fixture('wuxi-pharma-qa.jpg'));
    expect(ok.text).toContain('药明康德');
    expect(main.s.stats().loads).toBe(1); // none of it cost an engine restart
  });

  it('queue full → a clear rejection; the queued images are still read', { timeout: SLOW }, async () => {
    const img = fixture('state-grid-electrical.jpg');
    const first = main.s.recognize(img); // being read
    const second = main.s.recognize(img); // waiting (maxQueue 1)
    const third = await rejection(main.s.recognize(img, { chatId: 'g1' }));
    expect(third).toMatchObject({ code: 'queue-full', retryable: true });
    expect(third.message).toBe('OCR queue full (1 images waiting): image not read');
    expect(main.lines.some((l) => l.msg === third.message && l.chatId === 'g1')).toBe(true);
    expect((await first).text).toContain('国家电网');
    expect((await second).text).toContain('国家电网');
  });

  it('images handed over the moment the previous one is read still go one at a time (bench regression)', { timeout: SLOW }, async () => {
    const img = fixture('wuxi-pharma-qa.jpg');
    const first = await main.s.recognize(img);
    // Queued from the first one's continuation: the engine must not be handed the next while still finishing.
    const next = await Promise.all([main.s.recognize(img), main.s.recognize(img)]);
    for (const r of [first, ...next]) expect(r.text).toContain('药明康德');
  });

  it('the engine killed mid-job → that job fails clearly, the next image restarts it and is read', { timeout: SLOW }, async () => {
    const job = main.s.recognize(fixture('bytedance-backend.png'));
    const waiting = main.s.recognize(fixture('wuxi-pharma-qa.jpg'));
    for (let i = 0; i < 100 && !main.s.stats().busy; i++) await new Promise((r) => setTimeout(r, 20));
    const pid = main.s.stats().enginePid;
    expect(pid).toBeTypeOf('number');
    process.kill(pid!, 'SIGKILL');
    const e = await rejection(job);
    expect(e.code).toBe('crashed');
    expect(e.message).toContain('SIGKILL');
    expect((await waiting).text).toContain('药明康德');
    expect(main.s.stats().enginePid).not.toBe(pid);
    expect(main.s.stats().loads).toBe(2);
  });
});

describe('OCR service lifecycle', () => {
  it('unloads the engine after idle and loads it again for the next image', { timeout: SLOW }, async () => {
    const { s, lines } = service({ idleUnloadMs: 300 });
    expect((await s.recognize(fixture('wuxi-pharma-qa.jpg'))).text).toContain('药学');
    const pid = s.stats().enginePid!;
    for (let i = 0; i < 50 && s.stats().engine !== 'unloaded'; i++) await new Promise((r) => setTimeout(r, 50));
    expect(s.stats()).toMatchObject({ engine: 'unloaded', enginePid: null });
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 50 && alive(); i++) await new Promise((r) => setTimeout(r, 50));
    expect(alive()).toBe(false); // the process is gone, not only forgotten
    expect(lines.some((l) => l.msg === 'OCR engine unloaded after idle')).toBe(true);
    expect((await s.recognize(fixture('wuxi-pharma-qa.jpg'))).text).toContain('药学');
    expect(s.stats().loads).toBe(2);
  });

  it('an engine over its memory cap is killed: the job fails with code memory, nothing else breaks', { timeout: SLOW }, async () => {
    const { s } = service({ memoryCapMb: 120, rssPollMs: 20 });
    const e = await rejection(s.recognize(fixture('wuxi-pharma-qa.jpg')));
    expect(e.code).toBe('memory');
    expect(e.message).toBe('OCR engine went over its 120 MB memory cap on this image; it was restarted');
    expect(s.stats()).toMatchObject({ engine: 'unloaded', failed: 1 });
    expect(s.stats().peakEngineRssMb).toBeGreaterThan(120);
  });

  it('an image over the time limit fails with code timeout; stop() refuses what waits and later calls', { timeout: SLOW }, async () => {
    const { s } = service({ timeoutMs: 1 });
    const img = fixture('wuxi-pharma-qa.jpg');
    const slow = s.recognize(img);
    const waiting = s.recognize(img);
    expect((await rejection(slow)).code).toBe('timeout');
    await s.stop();
    expect((await rejection(waiting)).code).toBe('stopped');
    expect((await rejection(s.recognize(img))).code).toBe('stopped');
    expect(s.stats().engine).toBe('unloaded');
  });
});
