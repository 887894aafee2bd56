// The relay's wiring of pictures, on the embedded local platform with a scripted OCR stand-in (the real engine
// and the real platform adapters are in test/e2e/pictures-ingest.test.ts): only alumni groups' pictures are
// taken in; the post keeps its picture; retention (prune at start) removes old posts' picture files; with
// pictures off a caption is still read as text, and nothing is written under <dataDir>/media/.
import { existsSync, readdirSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalAdapter } from '../../adapters/local/index.ts';
import { createRelay, type Relay } from '../../src/app.ts';
import type { Platform } from '../../src/domain.ts';
import type { MediaIntakeSetup } from '../../src/media/relay-media.ts';
import type { OcrResult, OcrService } from '../../src/media/ocr-service.ts';
import type { ChatAdapter } from '../../src/ports.ts';
import { until, writeRules } from '../helpers/e2e-rig.ts';
import { tempDir } from '../helpers/tmp.ts';
import { pngDeclaring } from './png-bytes.ts';
import { recordingLogger } from './recording-logger.ts';

const POSTER_TEXT = '国家电网江苏公司招聘电气工程师：负责变电站运维与继电保护调试。要求电气工程及其自动化专业本科及以上。简历投递hr@js.example.cn。';
const PICTURE = pngDeclaring(720, 400, 3);

/** Reads every picture as the state-grid poster's text. */
function posterOcr(): OcrService & { calls: number } {
  const s = {
    calls: 0,
    limits: { maxBytes: 8 << 20, maxPixels: 40e6, maxAspect: 20 },
    async recognize(): Promise<OcrResult> {
      s.calls++;
      return { text: POSTER_TEXT, lines: [], ms: 1, waitMs: 0, width: 720, height: 400 };
    },
    stats: () => ({ engine: 'ready', busy: false, queued: 0, done: s.calls, failed: 0, refused: 0, queueFull: 0, loads: 1, lastLoadMs: 1, engineRssMb: 1, peakEngineRssMb: 1, enginePid: 1 }) as const,
    async stop() {},
  };
  return s;
}

const RULES = `
version: 1
defaults:
  timezone: Asia/Shanghai
privacy:
  retentionDays: 30
sources:
  - platform: local
    group: 东电校友会
colleges:
  - id: ee
    name: 电气学院
    classes: ["0806"]
    channels: [{ platform: local, chat: 电气学院就业群 }]
`;

let relay: Relay | undefined;
afterEach(async () => {
  await relay?.stop();
  relay = undefined;
});

async function start(dir: string, media: MediaIntakeSetup | false, now?: () => Date) {
  const local = new LocalAdapter({ print: () => {} });
  const adapters = new Map<Platform, ChatAdapter>([['local', local]]);
  const { logger, lines } = recordingLogger();
  relay = await createRelay({ rulesFile: writeRules(dir, RULES), dataDir: join(dir, 'data'), adapters, logger, watchRules: false, media, ...(now ? { now } : {}) });
  await relay.start();
  return { local, relay, lines, mediaDir: join(dir, 'data', 'media') };
}

const picture = (group: string, text = '', chatType?: 'private') => ({ platform: 'local' as const, group, senderId: 'wang', senderName: '王磊', text, images: [{ bytes: PICTURE, mime: 'image/png' }], ...(chatType ? { chatType } : {}) });

describe('pictures through the relay', () => {
  it("an alumni group's picture becomes a post with its picture; a student channel's or a private picture is never read", async () => {
    const ocr = posterOcr();
    const { local, relay: r, mediaDir } = await start(tempDir(), { ocr });
    await local.post(picture('电气学院就业群', '同学们看看'));
    await local.post(picture('', '', 'private'));
    await local.post(picture('东电校友会', '内推'));
    const post = await until('the picture post', () => r.store.posts()[0], 5000);
    expect(post.text).toBe(`内推\n\n${POSTER_TEXT}`);
    expect(post.classification.colleges).toEqual(['ee']);
    expect(post.media).toEqual([{ file: expect.stringMatching(/\.png$/), mime: 'image/png', bytes: PICTURE.length, width: 720, height: 400 }]);
    expect(existsSync(join(mediaDir, post.media![0]!.file))).toBe(true);
    expect(ocr.calls).toBe(1);
    expect(r.store.posts()).toHaveLength(1);
  });

  it('retention: when old posts are pruned, their picture files go too', async () => {
    const dir = tempDir();
    const t0 = Date.parse('2026-09-01T02:00:00Z');
    const first = await start(dir, { ocr: posterOcr() }, () => new Date(t0));
    await first.local.post(picture('东电校友会'));
    // September is long past by the real clock: the store may move the post to its archive at once.
    await until(() => `the picture post; log: ${first.lines.map((l) => l.msg).join(' | ')}`, () => first.relay.store.postCount() === 1, 5000);
    const all = [];
    for await (const p of first.relay.store.allPosts()) all.push(p);
    const post = all[0]!;
    const file = join(first.mediaDir, post.media![0]!.file);
    await first.relay.stop();
    relay = undefined;
    // The file is as old as its post (the sweep leaves files younger than an hour: one may be arriving).
    const old = (Date.now() - 2 * 3600_000) / 1000;
    utimesSync(file, old, old);
    expect(existsSync(file)).toBe(true);

    // 10 days later: within the 30 days, the post and its picture stay.
    const second = await start(dir, { ocr: posterOcr() }, () => new Date(t0 + 10 * 86_400_000));
    // (In the store's archive by now: the sweep reads the archive too.)
    expect(second.relay.store.postCount()).toBe(1);
    expect(existsSync(file)).toBe(true);
    await second.relay.stop();
    relay = undefined;

    // 31 days later: prune at start removes the post, and the sweep its picture.
    const third = await start(dir, { ocr: posterOcr() }, () => new Date(t0 + 31 * 86_400_000));
    expect(third.relay.store.postCount()).toBe(0);
    expect(existsSync(file)).toBe(false);
    expect(third.lines.some((l) => l.msg === 'picture files no post keeps were removed' && l.files === 1)).toBe(true);
  });

  it('pictures off: the caption is still read as text, nothing is downloaded or kept', async () => {
    const dir = tempDir();
    const { local, relay: r } = await start(dir, false);
    await local.post(picture('东电校友会', POSTER_TEXT));
    const post = await until('the caption post', () => r.store.posts()[0], 5000);
    expect(r.media.pending()).toBe(0);
    expect(post.text).toBe(POSTER_TEXT);
    expect(post.media).toBeUndefined();
    expect(existsSync(join(dir, 'data', 'media')) ? readdirSync(join(dir, 'data', 'media')) : []).toEqual([]);
  });
});
