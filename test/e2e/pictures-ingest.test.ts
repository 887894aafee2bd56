// Pictures into the pipeline, end to end: the real relay with the three real adapters on their loopback fakes
// (Telegram getFile + file download, Lark message resources, wechaty's FileBox on PuppetMock) and the real OCR
// engine. A poster posted as a Telegram photo, a Telegram image document, a Lark image message, a Lark post
// with a picture inside and a WeChat picture each becomes a stored referral whose text was read from the
// picture, with the picture kept under <dataDir>/media/. The same poster as text and as a picture is one post.
// Refused pictures (huge, not an image, a bomb, broken) are logged and left out; the relay goes on. A picture
// message still waiting when the relay stops is completed after the restart.
// OCR is slow: 8 pictures are read in this file in all (one engine, shared by the relays).
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRelay, type Relay } from '../../src/app.ts';
import type { Post } from '../../src/domain.ts';
import { silentLogger } from '../../src/log.ts';
import { MediaQueue } from '../../src/media/media-queue.ts';
import { createOcrService, type OcrService } from '../../src/media/ocr-service.ts';
import type { FakeChat } from '../fakes/telegram-server.ts';
import { pngDeclaring } from '../media/png-bytes.ts';
import { recordingLogger, type LogLine } from '../media/recording-logger.ts';
import { startRig, until, writeRules, type Rig } from '../helpers/e2e-rig.ts';

const SLOW = 180_000;
const poster = (f: string) => readFileSync(new URL(`../fixtures/posters/${f}`, import.meta.url));
const BYTEDANCE = poster('bytedance-backend.png');
const STATE_GRID = poster('state-grid-electrical.jpg');
const WUXI = poster('wuxi-pharma-qa.jpg');
// Rendered once with scripts/eval/render-poster.ts (layout 'card', WenQuanYi Micro Hei 20 px, JPEG 75, 640 px):
// '南瑞集团2026届校园招聘：继电保护软件研发工程师（南京）。电气工程及其自动化、自动化专业硕士优先。网申截止12月15日。'
const NARI = readFileSync(new URL('../media/fixtures/nari-relay-protection.jpg', import.meta.url));
// The texts the committed posters were rendered from (scripts/eval/make-poster-fixtures.ts): what an alumnus types.
const BYTEDANCE_TEXT = '字节跳动2026校招内推：后端开发工程师（北京）。计算机科学与技术、软件工程专业优先。内推码DS8X2K，截止12月20日。';
const STATE_GRID_TEXT = '国家电网江苏公司招聘电气工程师：负责变电站运维与继电保护调试。要求电气工程及其自动化专业本科及以上。简历投递hr@js.example.cn。';

const TG_GROUP: FakeChat = { id: -1001987650001, type: 'supergroup', title: '海外校友群' };
const LARK_GROUP = 'oc_5ad11d72b830411d72b836c20';
const WX_GROUP = '东电校友会·北京分会';
const alumnus = { id: 555002, first_name: '娜', last_name: '李' };

const RULES = `
version: 1
defaults:
  timezone: Asia/Shanghai
  digest: "30 8 * * 1-5"
sources:
  - platform: telegram
    group: "${TG_GROUP.id}"
  - platform: lark
    group: "${LARK_GROUP}"
  - platform: wechat
    group: "${WX_GROUP}"
colleges:
  - id: cs
    name: 计算机系
    classes: ["0809"]
    channels: [{ platform: telegram, chat: "-1001987650102" }]
  - id: ee
    name: 电气学院
    classes: ["0806"]
    channels: [{ platform: telegram, chat: "-1001987650101" }]
  - id: pharma
    name: 药学院
    classes: ["1007"]
    channels: [{ platform: telegram, chat: "-1001987650103" }]
`;

let ocr: OcrService;
const dirs: string[] = [];
beforeAll(() => {
  ocr = createOcrService({ logger: silentLogger });
});
afterAll(async () => {
  await ocr.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Running {
  rig: Rig;
  relay: Relay;
  dataDir: string;
  lines: LogLine[];
  stop(): Promise<void>;
}

async function start(dir?: string, media: Record<string, unknown> = {}): Promise<Running> {
  const root = dir ?? mkdtempSync(join(tmpdir(), 'alumni-relay-pictures-'));
  if (!dir) dirs.push(root);
  const dataDir = join(root, 'data');
  const { logger, lines } = recordingLogger();
  const rig = await startRig({ dataDir: root, wechatRooms: [WX_GROUP] });
  const relay = await createRelay({ rulesFile: writeRules(root, RULES), dataDir, adapters: rig.adapters, logger, watchRules: false, media: { ocr, ...media } });
  await relay.start();
  await rig.connect();
  return {
    rig,
    relay,
    dataDir,
    lines,
    async stop() {
      await relay.stop();
      await rig.close();
    },
  };
}

const waitPost = (r: Running, what: string, probe: (p: Post) => boolean, ms = 120_000) =>
  until(() => `${what}; posts: ${JSON.stringify(r.relay.store.posts().map((p) => p.text.slice(0, 40)))}; pending ${r.relay.media.pending()}`, () => r.relay.store.posts().find(probe), ms);

/** The post's picture is on disk, whole, and what the post says it is. */
function expectPicture(r: Running, post: Post, bytes: Buffer, mime: string): void {
  expect(post.media, 'Post.media').toHaveLength(1);
  const m = post.media![0]!;
  expect(m).toMatchObject({ mime, bytes: bytes.length });
  expect(m.width).toBeGreaterThan(100);
  expect(m.height).toBeGreaterThan(100);
  const path = join(r.dataDir, 'media', m.file);
  expect(existsSync(path)).toBe(true);
  expect(readFileSync(path).equals(bytes)).toBe(true);
}

describe('a poster from each platform becomes a referral', () => {
  let r: Running;
  beforeAll(async () => {
    r = await start();
  }, 60_000);
  afterAll(async () => r?.stop(), 30_000);

  it('Telegram: a photo with a caption, and an image sent as a document', { timeout: SLOW }, async () => {
    r.rig.tg.addFile('AgAC-bytedance', { bytes: BYTEDANCE });
    r.rig.tg.addFile('BQAC-stategrid', { bytes: STATE_GRID });
    const photo = [
      { file_id: 'AgAC-thumb', file_unique_id: 't', width: 90, height: 90, file_size: 1500 },
      { file_id: 'AgAC-bytedance', file_unique_id: 'b', width: 640, height: 510, file_size: BYTEDANCE.length },
    ];
    r.rig.tg.injectMessage({ chat: TG_GROUP, from: alumnus, caption: '师弟师妹们看过来，见海报', extra: { photo } });
    r.rig.tg.injectMessage({ chat: TG_GROUP, from: alumnus, extra: { document: { file_id: 'BQAC-stategrid', file_unique_id: 'd', mime_type: 'image/jpeg', file_size: STATE_GRID.length, file_name: '国网.jpg' } } });

    const bd = await waitPost(r, 'the Telegram photo stored', (p) => p.text.includes('字节跳动'));
    expect(bd.text).toContain('师弟师妹们看过来'); // the caption first
    for (const w of ['后端开发工程师', '计算机科学与技术', 'DS8X2K']) expect(bd.text).toContain(w);
    expect(bd.classification.colleges).toContain('cs');
    expect(bd.classification.fields.referralCode).toBe('DS8X2K');
    expect(bd.sources).toMatchObject([{ platform: 'telegram', chatId: String(TG_GROUP.id), senderName: '娜 李' }]);
    expectPicture(r, bd, BYTEDANCE, 'image/png');

    const sg = await waitPost(r, 'the Telegram image document stored', (p) => p.text.includes('国家电网'));
    expect(sg.text).toContain('电气工程及其自动化');
    expect(sg.classification.colleges).toContain('ee');
    expectPicture(r, sg, STATE_GRID, 'image/jpeg');
  });

  it('Lark: an image message, and a post with a picture inside; the webhook is answered at once', { timeout: SLOW }, async () => {
    r.rig.lark.resources.set('om_pic_wuxi/img_v3_wuxi', { bytes: WUXI, mime: 'image/jpeg' });
    r.rig.lark.resources.set('om_post_nari/img_v3_nari', { bytes: NARI, mime: 'image/jpeg' });
    const timed = async (p: () => Promise<{ status: number }>) => {
      const t0 = Date.now();
      const res = await p();
      return { status: res.status, ms: Date.now() - t0 };
    };
    const a = await timed(() => r.rig.lark.injectMessage({ chatId: LARK_GROUP, senderOpenId: 'ou_alumnus_chen', messageId: 'om_pic_wuxi', messageType: 'image', content: { image_key: 'img_v3_wuxi' } }));
    const content = { title: '【内推】南瑞集团', content: [[{ tag: 'text', text: '海报见图，欢迎电气的同学' }], [{ tag: 'img', image_key: 'img_v3_nari' }]] };
    const b = await timed(() => r.rig.lark.injectMessage({ chatId: LARK_GROUP, senderOpenId: 'ou_alumnus_chen', messageId: 'om_post_nari', messageType: 'post', content }));
    expect([a.status, b.status]).toEqual([200, 200]);
    // Answered before the OCR: 2026-11, Lark wants HTTP 200 within 3 s, else it pushes the event again
    // (https://open.feishu.cn/document/event-subscription-guide/event-subscriptions/event-callback-optimization-guide).
    expect(a.ms).toBeLessThan(3000);
    expect(b.ms).toBeLessThan(3000);
    console.log(`Lark webhook answered in ${a.ms} ms (image message) and ${b.ms} ms (post with a picture), picture downloaded and kept, before any OCR`);

    const wx = await waitPost(r, 'the Lark image stored', (p) => p.text.includes('药明康德'));
    expect(wx.text).toContain('质量分析员');
    expect(wx.classification.colleges).toContain('pharma');
    expectPicture(r, wx, WUXI, 'image/jpeg');

    const nari = await waitPost(r, 'the Lark post stored', (p) => p.text.includes('南瑞'));
    expect(nari.text, nari.text).toMatch(/^【内推】南瑞集团\n海报见图/);
    expect(nari.text).toContain('南瑞集团2026届');
    expect(nari.text).toContain('继电保护软件研发工程师');
    expect(nari.classification.colleges).toContain('ee');
    expectPicture(r, nari, NARI, 'image/jpeg');
    await r.relay.media.drained(10_000); // each job ends once its post is durable
    // Four pictures, four files: nothing else was left in the folder.
    expect(readdirSync(join(r.dataDir, 'media')).filter((f) => !f.startsWith('queue')).sort()).toEqual(r.relay.store.posts().flatMap((p) => p.media!.map((m) => m.file)).sort());
  });
});

describe('the same poster as text and as a picture is one referral; refused pictures do no harm', () => {
  let r: Running;
  beforeAll(async () => {
    r = await start();
  }, 60_000);
  afterAll(async () => r?.stop(), 30_000);

  it('WeChat picture first, then the same text typed on Telegram: one post, the picture kept', { timeout: SLOW }, async () => {
    await r.rig.wx.sayImage(WX_GROUP, { id: 'wxid_wang', name: '王磊' }, BYTEDANCE, '字节海报.png');
    const post = await waitPost(r, 'the WeChat picture stored', (p) => p.text.includes('字节跳动'));
    expect(post.sources[0]).toMatchObject({ platform: 'wechat', chatId: WX_GROUP, senderName: '王磊' });
    expect(post.classification.fields.referralCode).toBe('DS8X2K');
    expectPicture(r, post, BYTEDANCE, 'image/png');

    r.rig.tg.injectMessage({ chat: TG_GROUP, from: alumnus, text: BYTEDANCE_TEXT });
    await until('the typed text merged', () => post.sources.length === 2, 10_000);
    const same = r.relay.store.posts().filter((p) => p.text.includes('字节跳动'));
    expect(same).toHaveLength(1);
    expect(same[0]!.sources.map((s) => s.platform)).toEqual(['wechat', 'telegram']);
    expectPicture(r, same[0]!, BYTEDANCE, 'image/png');
  });

  it('text typed on Lark first, then the poster as a Telegram photo: one post, its text, and now the poster', { timeout: SLOW }, async () => {
    const res = await r.rig.lark.injectMessage({ chatId: LARK_GROUP, senderOpenId: 'ou_alumnus_zhang', text: STATE_GRID_TEXT });
    expect(res.status).toBe(200);
    const post = await waitPost(r, 'the Lark text stored', (p) => p.text.includes('国家电网'), 10_000);
    r.rig.tg.addFile('AgAC-sg', { bytes: STATE_GRID });
    r.rig.tg.injectMessage({ chat: TG_GROUP, from: alumnus, extra: { photo: [{ file_id: 'AgAC-sg', file_unique_id: 's', width: 720, height: 400 }] } });
    await until(() => `the photo merged (pending ${r.relay.media.pending()}; sources ${post.sources.length})`, () => post.sources.length === 2 && r.relay.media.pending() === 0, 120_000);
    expect(r.relay.store.posts().filter((p) => p.text.includes('国家电网'))).toHaveLength(1);
    expect(post.sources.map((s) => s.platform)).toEqual(['lark', 'telegram']);
    expect(post.text).toBe(STATE_GRID_TEXT); // the first post's text…
    expectPicture(r, post, STATE_GRID, 'image/jpeg'); // …and the poster it had not had, kept with it
  });

  it('a huge picture, a non-image, a bomb and a broken file are left out with a log line each; the relay goes on', { timeout: SLOW }, async () => {
    const huge = Buffer.concat([BYTEDANCE, Buffer.alloc(9 * 1024 * 1024)]);
    const notImage = Buffer.from('字节跳动内推：后端开发工程师。这是一个改了扩展名的文本文件。');
    const bomb = pngDeclaring(50_000, 50_000);
    const broken = Buffer.from(BYTEDANCE);
    broken.fill(0x5a, 200, 2000);
    const files = { huge, notImage, bomb, broken };
    const before = r.relay.store.posts().length;
    const ids: Record<string, number> = {};
    for (const [name, bytes] of Object.entries(files)) {
      r.rig.tg.addFile(`BQAC-${name}`, { bytes });
      r.rig.tg.injectMessage({ chat: TG_GROUP, from: alumnus, extra: { document: { file_id: `BQAC-${name}`, file_unique_id: name, mime_type: 'image/png', file_name: `${name}.png` } } });
      ids[name] = r.rig.tg.lastMessageId;
    }
    r.rig.tg.injectMessage({ chat: TG_GROUP, from: alumnus, text: '药明康德招聘质量分析员（上海），药学、化学专业硕士优先，内推码WX2026，截止12月25日。' });
    await waitPost(r, 'the text referral after the bad pictures', (p) => p.text.includes('WX2026'), 10_000);
    await r.relay.media.drained(120_000);

    const leftOut = (name: string) => r.lines.filter((l) => l.messageId === String(ids[name]) && l.msg.startsWith('picture left out: '));
    expect(leftOut('huge')).toHaveLength(1);
    expect(leftOut('huge')[0]!.msg).toMatch(/over the 8\.0 MB limit/);
    expect(leftOut('notImage').map((l) => l.msg)).toEqual(['picture left out: image refused: not a PNG, JPEG, GIF or WebP file']);
    expect(leftOut('bomb')).toHaveLength(1);
    expect(leftOut('bomb')[0]!.msg).toContain('50000 × 50000');
    expect(leftOut('broken')).toHaveLength(1);
    expect(leftOut('broken')[0]!.msg).toMatch(/^picture left out: OCR engine could not read the image: /);
    // None became a post, none is tried again, none left a file behind.
    expect(r.relay.store.posts()).toHaveLength(before + 1);
    expect(r.relay.media.pending()).toBe(0);
    expect(readdirSync(join(r.dataDir, 'media')).filter((f) => !f.startsWith('queue')).length).toBe(2); // the WeChat and State Grid posters'
    expect(r.lines.filter((l) => l.msg.includes('will be tried again'))).toEqual([]);
  });
});

describe('a picture message waiting when the relay stops', () => {
  it('is on disk, acknowledged, and completed after the restart', { timeout: SLOW }, async () => {
    const root = mkdtempSync(join(tmpdir(), 'alumni-relay-pictures-'));
    dirs.push(root);
    // The download is slower than the answer deadline: the message is acknowledged with its ref in the queue.
    const first = await start(root, { acceptTimeoutMs: 100 });
    first.rig.tg.addFile('AgAC-slow', { bytes: BYTEDANCE, chunked: true, chunkDelayMs: 4000 });
    first.rig.tg.injectMessage({ chat: TG_GROUP, from: alumnus, caption: '内推海报', extra: { photo: [{ file_id: 'AgAC-slow', file_unique_id: 'slow', width: 640, height: 510 }] } });
    await until('the picture job on disk', () => first.relay.media.pending() === 1, 10_000);
    // Acknowledged: the adapter confirmed the update to Telegram (the next getUpdates offset passed it).
    await until('Telegram told the update was handled', () => first.rig.tg.pendingUpdates().length === 0, 10_000);
    await first.stop();
    expect(first.relay.store.posts()).toHaveLength(0);
    const onDisk = MediaQueue.open(join(first.dataDir, 'media'));
    expect(onDisk.list().map((j) => j.message.text)).toEqual(['内推海报']);
    await onDisk.close();

    // Restart on the same data directory (new fakes: the platform still serves the file).
    const second = await start(root);
    second.rig.tg.addFile('AgAC-slow', { bytes: BYTEDANCE });
    const post = await waitPost(second, 'the resumed picture stored', (p) => p.text.includes('字节跳动'));
    expect(post.text.startsWith('内推海报\n\n')).toBe(true);
    expectPicture(second, post, BYTEDANCE, 'image/png');
    await second.relay.media.drained(10_000);
    expect(second.lines.some((l) => l.msg === 'resuming pictures waiting to be read' && l.pending === 1)).toBe(true);
    await second.stop();
  });
});
