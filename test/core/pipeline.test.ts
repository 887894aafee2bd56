import { describe, expect, it } from 'vitest';
import type { InboundMessage } from '../../src/domain.ts';
import { silentLogger } from '../../src/log.ts';
import { createPipeline, normaliseText, NotStoredError } from '../../src/pipeline.ts';
import { parseRules } from '../../src/rules/index.ts';
import { loadCatalog } from '../../src/catalog.ts';
import { Store } from '../../src/store/store.ts';
import { classification } from '../helpers/posts.ts';
import { tempDir } from '../helpers/tmp.ts';

const rules = parseRules(
  `
sources:
  - { platform: wechat, group: 校友群 }
  - { platform: telegram, group: "-1001" }
colleges:
  - id: electrical
    name: 电气学院
    classes: ["0806"]
    channels: [{ platform: wechat, chat: 电气学生群 }]
`,
  'test.yaml',
  loadCatalog(),
);

// The pipeline's own logic is under test here, so the classifier is a transparent stand-in:
// "内推" marks a referral, "刷单" a scam, anything else chit-chat.
const classify = (text: string) =>
  classification({ isJob: text.includes('内推') && !text.includes('刷单'), isScam: text.includes('刷单') });
// Texts that differ only in trailing punctuation get the same fingerprint.
const fingerprint = (text: string) => (BigInt(text.replace(/[！!。.]+$/u, '').length) * 0x9e3779b97f4a7c15n & 0xffffffffffffffffn).toString(16).padStart(16, '0');

function message(over: Partial<InboundMessage> = {}): InboundMessage {
  return { platform: 'wechat', id: `m-${Math.random()}`, chatId: '校友群', senderId: 'u1', senderName: '王磊', text: '国网内推，电气专业', sentAt: '2026-11-21T01:00:00Z', ...over };
}

async function setup() {
  const store = await Store.open(tempDir());
  const now = () => new Date('2026-11-21T02:00:00Z');
  const pipeline = createPipeline({ store, rules: () => rules, classify, fingerprint, logger: silentLogger, now });
  return { store, pipeline };
}

describe('pipeline', () => {
  it('stores a referral from an allowlisted group with its source', async () => {
    const { store, pipeline } = await setup();
    expect(await pipeline.handle(message({ id: 'a' }))).toBe('stored');
    const [p] = store.posts();
    expect(p).toMatchObject({ status: 'active', text: '国网内推，电气专业', receivedAt: '2026-11-21T02:00:00.000Z' });
    expect(p!.sources).toEqual([expect.objectContaining({ platform: 'wechat', chatId: '校友群', messageId: 'a', senderName: '王磊' })]);
  });

  it('reads only allowlisted groups and never its own student channels', async () => {
    const { store, pipeline } = await setup();
    expect(await pipeline.handle(message({ chatId: '陌生群' }))).toBe('not-a-source');
    expect(await pipeline.handle(message({ chatId: '电气学生群' }))).toBe('not-a-source');
    expect(await pipeline.handle(message({ platform: 'lark', chatId: '校友群' }))).toBe('not-a-source');
    expect(store.posts()).toHaveLength(0);
    expect(store.data.counters.ignored).toBe(3);
  });

  it('drops chit-chat and holds scams for review', async () => {
    const { store, pipeline } = await setup();
    expect(await pipeline.handle(message({ text: '今天好冷' }))).toBe('not-job');
    expect(await pipeline.handle(message({ text: '刷单兼职日结' }))).toBe('scam');
    expect(store.posts().map((p) => p.status)).toEqual(['review']);
    expect(store.undigestedFor('electrical')).toHaveLength(0);
  });

  it('merges a cross-post into the stored referral and ignores a redelivered message', async () => {
    const { store, pipeline } = await setup();
    expect(await pipeline.handle(message({ id: 'a' }))).toBe('stored');
    expect(await pipeline.handle(message({ id: 'a' }))).toBe('seen');
    expect(await pipeline.handle(message({ id: 'b', platform: 'telegram', chatId: '-1001', text: '国网内推，电气专业！' }))).toBe('merged');
    expect(store.posts()).toHaveLength(1);
    expect(store.posts()[0]!.sources.map((s) => `${s.platform}:${s.chatId}`)).toEqual(['wechat:校友群', 'telegram:-1001']);
  });

  it('keeps the poster of a cross-post on a referral first posted as text, across a restart; a post with its own keeps it', async () => {
    const dir = tempDir();
    const store = await Store.open(dir);
    const pipeline = createPipeline({ store, rules: () => rules, classify, fingerprint, logger: silentLogger });
    const poster = { file: `${'a'.repeat(64)}.png`, mime: 'image/png', bytes: 1234, width: 800, height: 1200 };
    expect(await pipeline.handle(message({ id: 'text' }))).toBe('stored');
    expect(await pipeline.handle(message({ id: 'pic', platform: 'telegram', chatId: '-1001', text: '国网内推，电气专业！' }), { media: [poster] })).toBe('merged');
    const other = { ...poster, file: `${'b'.repeat(64)}.png` };
    expect(await pipeline.handle(message({ id: 'pic2', text: '国网内推，电气专业。' }), { media: [other] })).toBe('merged');
    await store.close();
    const again = await Store.open(dir);
    expect(again.posts()).toHaveLength(1);
    expect(again.posts()[0]!.media).toEqual([poster]);
    expect(again.posts()[0]!.sources.map((s) => s.messageId)).toEqual(['text', 'pic', 'pic2']);
  });

  it('adds a cross-post once when its first writes fail and the pipeline retries', async () => {
    const { store, pipeline } = await setup();
    expect(await pipeline.handle(message({ id: 'a' }))).toBe('stored');
    const inner = store as unknown as { commit: (r: unknown) => Promise<void> };
    const commit = inner.commit.bind(store);
    let failures = 2;
    inner.commit = async (r) => {
      if (failures-- > 0) throw new Error('EIO: disk gone');
      return commit(r);
    };
    const poster = { file: `${'c'.repeat(64)}.png`, mime: 'image/png', bytes: 1 };
    expect(await pipeline.handle(message({ id: 'b', platform: 'telegram', chatId: '-1001', text: '国网内推，电气专业！' }), { media: [poster] })).toBe('merged');
    expect(store.posts()[0]!.sources.map((s) => s.messageId)).toEqual(['a', 'b']);
    expect(store.posts()[0]!.media).toEqual([poster]);
  });

  it('survives a classifier that throws and a malformed message', async () => {
    const store = await Store.open(tempDir());
    const pipeline = createPipeline({
      store,
      rules: () => rules,
      classify: () => {
        throw new Error('boom');
      },
      fingerprint,
      logger: silentLogger,
    });
    expect(await pipeline.handle(message())).toBe('error');
    expect(await pipeline.handle(null as never)).toBe('error');
    expect(store.data.counters.errors).toBe(2);
  });

  it('rejects (so the adapter does not acknowledge) when the store cannot make a referral durable, and goes on afterwards', async () => {
    const { store, pipeline } = await setup();
    const addPost = store.addPost.bind(store);
    let failures = 10;
    store.addPost = async (post) => {
      if (failures-- > 0) throw new Error('EIO: disk gone');
      return addPost(post);
    };
    await expect(pipeline.handle(message({ id: 'lost?' }))).rejects.toBeInstanceOf(NotStoredError);
    expect(store.posts()).toHaveLength(0);
    // The platform delivers it again once the disk is back: stored then, exactly once.
    failures = 0;
    expect(await pipeline.handle(message({ id: 'lost?' }))).toBe('stored');
    expect(await pipeline.handle(message({ id: 'lost?' }))).toBe('seen');
    expect(store.posts()).toHaveLength(1);
  });

  it('normalises text: control characters, zero-width spaces, runs of blanks', () => {
    expect(normaliseText('\u200b 内推\u0007\r\n\r\n\r\n\r\n岗位\u3000\u3000A ')).toBe('内推\n\n岗位 A');
    expect(normaliseText('字'.repeat(30_000))).toHaveLength(20_000);
  });
});

describe('pipeline hygiene', () => {
  it('strips C1 controls from text and control characters from sender names before storing', async () => {
    const { store, pipeline } = await setup();
    await pipeline.handle(message({ id: 'c1', text: '国网内推\u009b31m，电气专业\u0085', senderName: '\u001b[2JEve\u0007 ' }));
    const [p] = store.posts();
    expect(p!.text).toBe('国网内推31m，电气专业');
    expect(p!.sources[0]!.senderName).toBe('[2JEve');
  });
});
