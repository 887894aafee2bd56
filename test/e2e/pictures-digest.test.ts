// Pictures out, end to end: referrals read from posters (Post.media, files under <dataDir>/media/) are
// stored through the store's own API, the real relay builds the digest (relay.runDigest), and the three
// real adapters carry it to their loopback fakes: Telegram as a media group of photos captioned with the
// item numbers, then the text with the vote buttons; Lark as the vote card, then each uploaded picture as
// an image message with its caption; WeChat as FileBox pictures, their captions, then the text. Also: a
// part whose text fails after its pictures went out is retried without sending the pictures again, and a
// picture file removed before the send (retention) leaves the text, delivered, instead of a dead letter.
import { createHash, randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalAdapter } from '../../adapters/local/index.ts';
import { createRelay, type Relay } from '../../src/app.ts';
import { simhash } from '../../src/dedupe.ts';
import type { Platform, Post, PostImage } from '../../src/domain.ts';
import { createLogger, silentLogger } from '../../src/log.ts';
import { larkCardToText } from '../../src/plain-text.ts';
import type { ChatAdapter } from '../../src/ports.ts';
import { parseTelegramHtml } from '../fakes/telegram-server.ts';
import { wechat4uFrequencyError } from '../fakes/wechat-mock.ts';
import { clockFrom, describeDeliveries, startRig, until, writeRules, type Rig } from '../helpers/e2e-rig.ts';

const POSTERS = 'test/fixtures/posters';
const BASE = clockFrom('2026-11-18T02:00:00Z'); // a Wednesday, 10:00 in Shanghai
let shiftMs = 0;
/** The relay's clock: BASE, moved forward by the personal-digest test. */
const NOW = () => new Date(BASE().getTime() + shiftMs);
const SECRET = 'pictures-e2e-secret-0123456789';

const SOURCE = { platform: 'wechat' as const, group: '东电校友会·北京分会', name: '北京校友群' };
const CHANNEL = { telegram: '-1001987650201', lark: 'oc_9f8e7d6c5b4a39281706f5e4d3', wechat: '电气计算机2026届就业群' } as const;
type P = keyof typeof CHANNEL;
const PLATFORMS: P[] = ['telegram', 'lark', 'wechat'];

const RULES = `
version: 1
defaults:
  timezone: Asia/Shanghai
  digest: "30 8 * * 1-5"
  maxSendAttempts: 3
sources:
  - platform: ${SOURCE.platform}
    group: "${SOURCE.group}"
    name: ${SOURCE.name}
colleges:
  - id: ee
    name: 电气与计算机学院
    classes: ["0806", "0809"]
    channels:
${PLATFORMS.map((p) => `      - platform: ${p}\n        chat: "${CHANNEL[p]}"`).join('\n')}
`;

let rig: Rig;
let relay: Relay;
let dir: string;
let dataDir: string;

/** A committed poster copied into <dataDir>/media/ under its content hash, as the picture intake keeps it. */
function keepPoster(name: string, mime: string, size: { width: number; height: number }): { image: PostImage; bytes: Buffer } {
  const bytes = readFileSync(join(POSTERS, name));
  const file = `${createHash('sha256').update(bytes).digest('hex')}${extname(name)}`;
  mkdirSync(join(dataDir, 'media'), { recursive: true });
  copyFileSync(join(POSTERS, name), join(dataDir, 'media', file));
  return { image: { file, mime, bytes: bytes.length, ...size }, bytes };
}

let seq = 0;
/** Stores a referral the way the pipeline would (the relay's own classifier), through Store.addPost. */
async function storeReferral(text: string, media?: PostImage[]): Promise<Post> {
  const at = NOW();
  const n = ++seq;
  const post: Post = {
    id: `pic-${n}-${randomUUID().slice(0, 8)}`,
    text,
    fingerprint: simhash(text),
    sources: [{ platform: SOURCE.platform, chatId: SOURCE.group, messageId: `wx-msg-${n}`, senderId: 'wxid_wang', senderName: '王磊（2012级电气）', sentAt: at.toISOString() }],
    receivedAt: at.toISOString(),
    status: 'active',
    classification: relay.classify(text, at),
    digestedFor: [],
    ...(media && { media }),
  };
  expect(post.classification.colleges, `"${text.slice(0, 20)}…" is routed to the college`).toContain('ee');
  await relay.store.addPost(post);
  return post;
}

async function digestAndDeliver(): Promise<string> {
  const digest = await relay.runDigest('ee');
  expect(digest, 'a digest was built').toBeDefined();
  await until(
    () => `deliveries: ${describeDeliveries(relay.store.deliveries())}`,
    () => relay.store.deliveries().filter((d) => d.digestId === digest!.id).every((d) => d.status === 'delivered'),
    15_000,
  );
  return digest!.id;
}

/** The item number a digest text gives a referral ("3. 国网…"). */
function itemNumber(text: string, company: string): number {
  const m = new RegExp(`(?:^|\\n)(\\d+)\\. ${company}`).exec(text);
  expect(m, `item "${company}" in:\n${text}`).not.toBeNull();
  return Number(m![1]);
}

const STATE_GRID = '国网江苏省电力有限公司2026届校园招聘，岗位：电气工程师，专业：电气工程及其自动化，本科/硕士，工作地南京，截止12月20日，网申 https://zhaopin.sgcc.com.cn/js26';
const BYTEDANCE = '字节跳动2026届校园招聘，岗位：后端开发工程师，专业：计算机科学与技术、软件工程，本科/硕士，北京，投递 https://jobs.bytedance.com/campus/be26';
const NARI = '南瑞集团内推：继电保护工程师，电气工程及其自动化专业，2026届本科/硕士，南京，邮箱 hr@nari.example.cn';

describe('a digest with referrals read from posters, on every platform', () => {
  let grid: { image: PostImage; bytes: Buffer };
  let dance: { image: PostImage; bytes: Buffer };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'alumni-relay-pictures-'));
    dataDir = join(dir, 'data');
    // A 429 from Telegram surfaces at once (no in-place wait), so the outbox's retry is what is tested.
    rig = await startRig({ dataDir: dir, wechatRooms: [SOURCE.group, CHANNEL.wechat], telegram: { retry: { maxDelaySeconds: 0 } } });
    relay = await createRelay({
      rulesFile: writeRules(dir, RULES),
      dataDir,
      adapters: rig.adapters,
      logger: process.env.E2E_LOG ? createLogger({ level: process.env.E2E_LOG }) : silentLogger,
      now: NOW,
      watchRules: false,
      outboxIntervalMs: 50,
      retryBaseDelayMs: 50,
      feedbackSecret: SECRET,
      publicUrl: '',
    });
    await relay.start();
    await rig.connect();
    grid = keepPoster('state-grid-electrical.jpg', 'image/jpeg', { width: 728, height: 350 });
    dance = keepPoster('bytedance-backend.png', 'image/png', { width: 640, height: 523 });
    await storeReferral(NARI);
    await storeReferral(STATE_GRID, [grid.image]);
    await storeReferral(BYTEDANCE, [dance.image]);
    await digestAndDeliver();
  }, 40_000);

  afterAll(async () => {
    await relay?.stop();
    await rig?.close();
    rmSync(dir, { recursive: true, force: true });
  }, 20_000);

  it('Telegram: one media group of the two posters with the bytes stored, its caption naming each picture’s item; then the text, with the votes, naming the items as pictures', () => {
    const chat = CHANNEL.telegram;
    const texts = rig.tg.sentTo(chat);
    expect(texts).toHaveLength(1);
    const visible = (parseTelegramHtml(texts[0]!.text) as { text: string }).text;
    const nGrid = itemNumber(visible, '国网江苏省电力有限公司');
    const nDance = itemNumber(visible, '字节跳动');
    const nNari = itemNumber(visible, '南瑞集团');
    expect(visible).toContain(`${nGrid}. 国网江苏省电力有限公司｜电气工程师\n📷 图片内推（文字识别自海报，原图见图注“第${nGrid}条”）`);
    expect(visible).toContain(`📷 图片内推（文字识别自海报，原图见图注“第${nDance}条”）`);
    expect(visible.match(/📷 图片内推/g), 'the text-only referral is not marked').toHaveLength(2);
    expect(visible).toContain(`${nNari}. 南瑞集团`);
    // The extracted fields as for text: deadline, city, the apply link.
    expect(visible).toMatch(/南京.*截止12月20日/);
    expect(texts[0]!.payload.reply_markup, 'votes under the text, the last message').toBeDefined();

    const photos = rig.tg.photos.filter((p) => p.chatId === chat);
    expect(photos).toHaveLength(2);
    expect(new Set(photos.map((p) => p.mediaGroupId)).size, 'one media group').toBe(1);
    expect(photos[0]!.mediaGroupId).toBeDefined();
    // One caption for the album (a client shows none when several pictures have one), listing them in order.
    const album = photos.sort((a, b) => a.messageId - b.messageId);
    expect(album[0]!.caption).toBe(`📷 海报依次为：\n图1 · 第${nGrid}条 · 国网江苏省电力有限公司｜电气工程师\n图2 · 第${nDance}条 · 字节跳动｜后端开发工程师`);
    expect(album[1]!.caption).toBeUndefined();
    expect(album[0]!.upload.bytes.equals(grid.bytes)).toBe(true);
    expect(album[1]!.upload.bytes.equals(dance.bytes)).toBe(true);
    // The pictures come first, the text (with the buttons) last.
    expect(Math.max(...photos.map((p) => p.messageId))).toBeLessThan(texts[0]!.messageId);
  });

  it('Lark: the vote card names the items as pictures; each poster is uploaded and sent as an image message, its caption right after', () => {
    const sent = rig.lark.sentTo(CHANNEL.lark);
    expect(sent.map((m) => m.msgType)).toEqual(['interactive', 'image', 'text', 'image', 'text']);
    const card = larkCardToText(sent[0]!.content);
    const nGrid = itemNumber(card, '国网江苏省电力有限公司');
    const nDance = itemNumber(card, '字节跳动');
    expect(card).toContain(`📷 图片内推（文字识别自海报，原图见图注“第${nGrid}条”）`);
    expect(card).toContain(`📷 图片内推（文字识别自海报，原图见图注“第${nDance}条”）`);
    expect(sent[0]!.content).toContain('"tag":"button"');
    for (const [i, n, poster] of [
      [1, nGrid, grid],
      [3, nDance, dance],
    ] as const) {
      const key = (JSON.parse(sent[i]!.content) as { image_key: string }).image_key;
      expect(rig.lark.images.get(key)!.bytes.equals(poster.bytes), `picture ${n} uploaded as stored`).toBe(true);
      expect(sent[i + 1]!.text).toMatch(new RegExp(`^📷 ↑ 第${n}条 · `));
    }
    // Item order: the pictures follow the item order of the card.
    expect(nGrid).toBeLessThan(nDance);
  });

  it('WeChat: each poster as a FileBox (the stored bytes), its caption, then the digest text naming the items as pictures', () => {
    const sends = rig.wx.sends.filter((s) => s.topic === CHANNEL.wechat);
    const files = sends.filter((s) => s.file);
    expect(files).toHaveLength(2);
    expect(files[0]!.file!.bytes!.equals(grid.bytes)).toBe(true);
    expect(files[1]!.file!.bytes!.equals(dance.bytes)).toBe(true);
    const texts = sends.filter((s) => !s.file).map((s) => s.text);
    const digest = texts.find((t) => t.includes('校友内推速递'))!;
    const nGrid = itemNumber(digest, '国网江苏省电力有限公司');
    const nDance = itemNumber(digest, '字节跳动');
    expect(digest).toContain(`📷 图片内推（文字识别自海报，原图见图注“第${nGrid}条”）`);
    expect(digest).toContain(`📷 图片内推（文字识别自海报，原图见图注“第${nDance}条”）`);
    // Picture, its caption, picture, its caption, then the digest.
    expect(sends.map((s) => (s.file ? 'file' : s.text.startsWith('📷 ↑') ? 'caption' : 'text'))).toEqual(['file', 'caption', 'file', 'caption', 'text']);
    expect(sends[1]!.text).toMatch(new RegExp(`^📷 ↑ 第${nGrid}条 · `));
    expect(sends[3]!.text).toMatch(new RegExp(`^📷 ↑ 第${nDance}条 · `));
  });

  it('a part whose text Telegram refuses (429) after its picture went out is retried as a whole without sending the picture again', async () => {
    const chat = CHANNEL.telegram;
    const before = { photos: rig.tg.photos.filter((p) => p.chatId === chat).length, texts: rig.tg.sentTo(chat).length };
    const pharma = keepPoster('wuxi-pharma-qa.jpg', 'image/jpeg', { width: 600, height: 290 });
    await storeReferral('国网上海市电力公司2026届校招补录，电气工程及其自动化专业硕士，上海，截止12月25日，网申 https://zhaopin.sgcc.com.cn/sh26', [pharma.image]);
    rig.tg.failNext(1, { kind: '429', retryAfter: 1 }, { method: 'sendMessage', chatId: chat });
    const id = await digestAndDeliver();
    const delivery = relay.store.deliveries().find((d) => d.digestId === id && d.channel.platform === 'telegram')!;
    expect(delivery.attempts, 'the first attempt failed, the second delivered').toBe(1);
    const photos = rig.tg.photos.filter((p) => p.chatId === chat).slice(before.photos);
    expect(photos, 'the picture went out once').toHaveLength(1);
    expect(photos[0]!.upload.bytes.equals(pharma.bytes)).toBe(true);
    expect(rig.tg.sentTo(chat).length - before.texts, 'the text once').toBe(1);
    expect(rig.tg.callsOf('sendPhoto').filter((c) => String(c.payload.chat_id) === chat).length).toBeGreaterThanOrEqual(1);
  }, 20_000);

  it.each(['caption', 'digest text'] as const)('WeChat: the %s refused (1205, too frequent) after the picture went out is retried alone: the picture is a part of its own, marked sent', async (which) => {
    const topic = CHANNEL.wechat;
    const filesBefore = rig.wx.sends.filter((s) => s.topic === topic && s.file).length;
    const poster = keepPoster('wuxi-pharma-qa.jpg', 'image/jpeg', { width: 600, height: 290 });
    const company = which === 'caption' ? '国网福建省电力有限公司' : '国网山东省电力公司';
    await storeReferral(`${company}2026届校园招聘，电气工程及其自动化专业本科，福州，截止12月26日，网申 https://zhaopin.sgcc.com.cn/${which === 'caption' ? 'fj' : 'sd'}26`, [poster.image]);
    const refuse = (text: string) => text.includes(company) && (which === 'caption' ? text.startsWith('📷 ↑') : text.includes('校友内推速递'));
    // The WeChat fake's own fault queue fails the next send of any kind; here only that text fails, once.
    const puppet = rig.wx.puppet;
    const sendText = puppet.messageSendText.bind(puppet);
    let refused = 0;
    puppet.messageSendText = async (conversationId: string, text: string, ...rest: unknown[]) => {
      if (!refused && refuse(text)) {
        refused++;
        throw wechat4uFrequencyError(1);
      }
      return sendText(conversationId, text, ...(rest as []));
    };
    try {
      const id = await digestAndDeliver();
      const delivery = relay.store.deliveries().find((d) => d.digestId === id && d.channel.platform === 'wechat')!;
      expect(refused).toBe(1);
      expect(delivery.attempts, 'one failed attempt, then delivered').toBe(1);
      expect(delivery.parts.map((p) => (p.images ? 'picture' : p.body.startsWith('📷 ↑') ? 'caption' : 'text'))).toEqual(['picture', 'caption', 'text']);
    } finally {
      puppet.messageSendText = sendText;
    }
    const files = rig.wx.sends.filter((s) => s.topic === topic && s.file).slice(filesBefore);
    expect(files, 'the picture went out once').toHaveLength(1);
    expect(files[0]!.file!.bytes!.equals(poster.bytes)).toBe(true);
    expect(rig.wx.sentTexts(topic).filter((t) => t.includes(company) && t.includes('校友内推速递'))).toHaveLength(1);
    expect(rig.wx.sentTexts(topic).filter((t) => t.includes(company) && t.startsWith('📷 ↑'))).toHaveLength(1);
  }, 20_000);

  it('a picture file removed before the send (retention) leaves the text, delivered on every platform, not a dead letter', async () => {
    const gone = keepPoster('state-grid-electrical.jpg', 'image/jpeg', { width: 728, height: 350 });
    const image: PostImage = { ...gone.image, file: `pruned-${gone.image.file}` }; // never on disk
    const before = {
      telegram: rig.tg.photos.length,
      lark: rig.lark.images.size,
      wechat: rig.wx.sends.filter((s) => s.file).length,
    };
    await storeReferral('国网安徽省电力有限公司2026届校园招聘（第二批），电气工程及其自动化专业本科，合肥，截止12月28日，网申 https://zhaopin.sgcc.com.cn/ah26', [image]);
    expect(statSync(join(dataDir, 'media', image.file), { throwIfNoEntry: false })).toBeUndefined();
    const id = await digestAndDeliver();
    const deliveries = relay.store.deliveries().filter((d) => d.digestId === id);
    expect(deliveries.map((d) => d.status)).toEqual(['delivered', 'delivered', 'delivered']);
    expect(deliveries.every((d) => d.parts.some((p) => p.images?.length)), 'the recorded parts still name the picture').toBe(true);
    expect(rig.tg.photos.length).toBe(before.telegram);
    expect(rig.lark.images.size).toBe(before.lark);
    expect(rig.wx.sends.filter((s) => s.file).length).toBe(before.wechat);
    const seen: Record<Platform & P, string> = {
      telegram: (parseTelegramHtml(rig.tg.sentTo(CHANNEL.telegram).at(-1)!.text) as { text: string }).text,
      lark: larkCardToText(rig.lark.sentTo(CHANNEL.lark).filter((m) => m.msgType === 'interactive').at(-1)!.content),
      wechat: rig.wx.sentTexts(CHANNEL.wechat).at(-1)!,
    };
    for (const p of PLATFORMS) {
      expect(seen[p], p).toContain('国网安徽省电力有限公司');
      expect(seen[p], p).toContain('📷 图片内推');
    }
  }, 20_000);

  it('a personal (subscription) digest carries the picture too: a Telegram student subscribed to 0806 gets the poster in the private chat', async () => {
    const student = { id: 5550001, first_name: '同学' };
    // Due two minutes from the relay's clock (whatever the earlier tests took), today.
    const at = new Date(NOW().getTime() + 120_000).toLocaleTimeString('en-GB', { timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    rig.tg.injectMessage({ chat: { id: student.id, type: 'private', first_name: '同学' }, from: student, text: `订阅 0806 每天 ${at}` });
    await until('the subscription', () => relay.feedback!.subscriptions().length === 1, 5000);
    const hv = keepPoster('state-grid-electrical.jpg', 'image/jpeg', { width: 728, height: 350 });
    await storeReferral('国网湖北省电力有限公司2026届校园招聘，电气工程及其自动化专业本科/硕士，武汉，截止12月30日，网申 https://zhaopin.sgcc.com.cn/hb26', [hv.image]);
    shiftMs += 180_000; // past that time
    await relay.sendPersonalDigests();
    await until(
      () => `personal digest: ${describeDeliveries(relay.store.deliveries().filter((d) => d.collegeId === '@personal'))}`,
      () => relay.store.deliveries().some((d) => d.collegeId === '@personal' && d.status === 'delivered'),
      10_000,
    );
    const photos = rig.tg.photos.filter((p) => p.chatId === String(student.id));
    expect(photos.length).toBeGreaterThanOrEqual(1);
    // The day's posts for 0806 with pictures: one photo, or an album whose caption lists them.
    expect(photos.some((p) => p.upload.bytes.equals(hv.bytes))).toBe(true);
    expect(photos[0]!.caption).toMatch(/^📷 (海报依次为：\n图1 · )?第\d+条 · /);
    const text = rig.tg.sentTo(student.id).map((m) => (parseTelegramHtml(m.text) as { text: string }).text).find((t) => t.includes('国网湖北省电力有限公司'))!;
    expect(text).toContain('📷 图片内推');
  }, 20_000);
});

describe('on the local platform', () => {
  it('a line names each picture’s file (its absolute path under <dataDir>/media/) with its caption, before the digest text', async () => {
    const localDir = mkdtempSync(join(tmpdir(), 'alumni-relay-pictures-local-'));
    const lines: string[] = [];
    const local = new LocalAdapter({ print: (t) => lines.push(t), samples: [] });
    const adapters = new Map<Platform, ChatAdapter>([['local', local], ['wechat', local]]);
    const rules = `
version: 1
defaults:
  timezone: Asia/Shanghai
  digest: "30 8 * * 1-5"
sources:
  - { platform: wechat, group: "${SOURCE.group}" }
colleges:
  - id: ee
    name: 电气学院
    classes: ["0806"]
    channels:
      - { platform: local, chat: 电气学生群 }
`;
    const r = await createRelay({ rulesFile: writeRules(localDir, rules), dataDir: join(localDir, 'data'), adapters, logger: silentLogger, now: NOW, watchRules: false, outboxIntervalMs: 50, feedbackSecret: '', publicUrl: '' });
    try {
      await r.start();
      const bytes = readFileSync(join(POSTERS, 'state-grid-electrical.jpg'));
      mkdirSync(join(localDir, 'data', 'media'), { recursive: true });
      copyFileSync(join(POSTERS, 'state-grid-electrical.jpg'), join(localDir, 'data', 'media', 'sg.jpg'));
      const text = STATE_GRID;
      const at = NOW();
      await r.store.addPost({
        id: 'local-poster',
        text,
        fingerprint: simhash(text),
        sources: [{ platform: 'wechat', chatId: SOURCE.group, messageId: 'm-local', senderId: 'wxid_li', senderName: '李娜', sentAt: at.toISOString() }],
        receivedAt: at.toISOString(),
        status: 'active',
        classification: r.classify(text, at),
        digestedFor: [],
        media: [{ file: 'sg.jpg', mime: 'image/jpeg', bytes: bytes.length, width: 728, height: 350 }],
      });
      await r.runDigest('ee');
      await until(() => `local: ${describeDeliveries(r.store.deliveries())}`, () => r.store.deliveries().every((d) => d.status === 'delivered') && r.store.deliveries().length > 0);
      const picture = lines.findIndex((l) => l.startsWith('[图片: '));
      expect(lines[picture]).toBe(`[图片: ${join(localDir, 'data', 'media', 'sg.jpg')}] 📷 第1条 · 国网江苏省电力有限公司｜电气工程师`);
      const digest = lines.findIndex((l) => l.includes('校友内推速递'));
      expect(digest).toBeGreaterThan(picture);
      expect(lines[digest]).toContain('1. 国网江苏省电力有限公司｜电气工程师\n   📷 图片内推（文字识别自海报，原图见图注“第1条”）');
    } finally {
      await r.stop();
      rmSync(localDir, { recursive: true, force: true });
    }
  }, 20_000);
});
