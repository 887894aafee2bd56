// The outbox and a digest part's pictures: names resolved under the store's media/ folder, a file that is
// gone (retention) left out while the text still goes, and a failed part retried whole under the same
// idempotency key (the adapter resumes it; see test/e2e/pictures-digest.test.ts on the Telegram fake).
import { mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalAdapter } from '../../adapters/local/index.ts';
import type { Delivery, OutboundMessage } from '../../src/domain.ts';
import { silentLogger } from '../../src/log.ts';
import { Outbox } from '../../src/outbox.ts';
import { AdapterError, type SendOptions } from '../../src/ports.ts';
import { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/tmp.ts';

const POSTER = readFileSync('test/fixtures/posters/bytedance-backend.png');

function delivery(id: string, parts: OutboundMessage[]): Delivery {
  return { id, digestId: `dg-${id}`, collegeId: 'cs', channel: { platform: 'local', chat: '学生群' }, parts, sentParts: 0, status: 'pending', attempts: 0, nextAttemptAt: '2026-11-21T00:00:00.000Z', createdAt: '2026-11-21T00:00:00.000Z' };
}

async function setup() {
  let clock = new Date('2026-11-21T01:00:00.000Z');
  const dir = tempDir();
  const store = await Store.open(dir);
  mkdirSync(join(dir, 'media'), { recursive: true });
  writeFileSync(join(dir, 'media', 'poster.png'), POSTER);
  writeFileSync(join(dir, 'outside.png'), POSTER);
  const adapter = new LocalAdapter({ print: () => {} });
  const calls: { message: OutboundMessage; opts?: SendOptions }[] = [];
  const send = adapter.send.bind(adapter);
  adapter.send = (chat, message, opts) => {
    calls.push({ message, ...(opts && { opts }) });
    return send(chat, message, opts);
  };
  const dead: Delivery[] = [];
  const outbox = new Outbox(store, () => adapter, silentLogger, { maxAttempts: () => 3, baseDelayMs: 1000, random: () => 0.5, now: () => clock, onDead: (d) => dead.push(d) });
  const add = (...ds: Delivery[]) => store.recordDigest({ id: 'dg', collegeId: 'cs', collegeName: 'x', createdAt: '', items: [] }, ds);
  return { dir, store, adapter, calls, outbox, dead, add, advance: (ms: number) => (clock = new Date(clock.getTime() + ms)) };
}

const png = (file: string, caption = '📷 ↑ 第1条 · 字节跳动｜后端开发'): NonNullable<OutboundMessage['images']>[number] => ({ file, mime: 'image/png', caption });

describe('outbox: a part with pictures', () => {
  it('hands the adapter each picture at its absolute path: a bare name is a file under the store’s media/', async () => {
    const { dir, store, adapter, outbox, add } = await setup();
    const absolute = join(dir, 'media', 'poster.png');
    await add(delivery('d1', [{ format: 'plain', body: '1. 字节跳动｜后端开发', images: [png('poster.png'), png(absolute, '第二张')] }]));
    await outbox.drain();
    expect(adapter.sent[0]!.images!.map((i) => i.file)).toEqual([absolute, absolute]);
    expect(adapter.sent[0]!.images![0]!.caption).toBe('📷 ↑ 第1条 · 字节跳动｜后端开发');
    // The recorded delivery keeps the name (the data directory can move).
    expect(store.deliveries()[0]).toMatchObject({ status: 'delivered', sentParts: 1 });
    expect(store.deliveries()[0]!.parts[0]!.images![0]!.file).toBe('poster.png');
  });

  it('leaves out a picture whose file is gone and sends the text: delivered, not dead-lettered', async () => {
    const { adapter, outbox, add, store, dead } = await setup();
    await add(delivery('d1', [{ format: 'plain', body: '1. 字节跳动｜后端开发\n   📷 图片内推', images: [png('pruned.png'), png('poster.png', '第二张')] }, { format: 'plain', body: '第二部分', images: [png('pruned.png')] }]));
    await outbox.drain();
    expect(adapter.sent.map((s) => s.text)).toEqual(['1. 字节跳动｜后端开发\n   📷 图片内推', '第二部分']);
    expect(adapter.sent[0]!.images!.map((i) => i.caption)).toEqual(['第二张']);
    expect(adapter.sent[1]!.images).toBeUndefined();
    expect(store.deliveries()[0]).toMatchObject({ status: 'delivered', sentParts: 2, attempts: 0 });
    expect(dead).toEqual([]);
  });

  it('leaves out an empty picture file, or one now over the platform’s limit', async () => {
    const { dir, adapter, outbox, add } = await setup();
    writeFileSync(join(dir, 'media', 'empty.png'), '');
    // A sparse file just over Telegram's 10 MB photo limit (no 10 MB written).
    writeFileSync(join(dir, 'media', 'huge.png'), '');
    truncateSync(join(dir, 'media', 'huge.png'), 10 * 1024 * 1024 + 1);
    const toTelegram = { ...delivery('d1', [{ format: 'plain', body: '文本', images: [png('empty.png'), png('huge.png'), png('poster.png', '留下')] }]), channel: { platform: 'telegram' as const, chat: '学生群' } };
    await add(toTelegram);
    await outbox.drain();
    expect(adapter.sent[0]!.images!.map((i) => i.caption)).toEqual(['留下']);
  });

  it('a part that was only pictures, all gone, is counted as sent without a call', async () => {
    const { calls, outbox, add, store } = await setup();
    await add(delivery('d1', [{ format: 'plain', body: '', images: [png('pruned.png')] }, { format: 'plain', body: '正文' }]));
    await outbox.drain();
    expect(calls.map((c) => c.message.body)).toEqual(['正文']);
    expect(store.deliveries()[0]).toMatchObject({ status: 'delivered', sentParts: 2 });
  });

  it('never reads outside media/ for a crafted name', async () => {
    const { adapter, outbox, add } = await setup();
    await add(delivery('d1', [{ format: 'plain', body: '文本', images: [png('../outside.png'), png('..'), png('')] }]));
    await outbox.drain();
    expect(adapter.sent[0]!.text).toBe('文本');
    expect(adapter.sent[0]!.images).toBeUndefined();
  });

  it('a failed part is retried whole, with its pictures and under the same idempotency key', async () => {
    const { adapter, calls, outbox, add, advance, store } = await setup();
    await add(delivery('d1', [{ format: 'plain', body: '1. 字节跳动', images: [png('poster.png')] }]));
    adapter.failNextSend('学生群', 5000);
    await outbox.drain();
    expect(store.deliveries()[0]).toMatchObject({ status: 'pending', attempts: 1, sentParts: 0 });
    advance(5000);
    await outbox.drain();
    expect(calls).toHaveLength(2);
    expect(calls[1]!.message).toEqual(calls[0]!.message);
    expect(calls.map((c) => c.opts?.idempotencyKey)).toEqual(['d1-0', 'd1-0']);
    expect(adapter.sent).toHaveLength(1);
    expect(store.deliveries()[0]).toMatchObject({ status: 'delivered' });
  });

  it('a permanent refusal of a picture (the adapter says retrying cannot help) still dead-letters, with the reason', async () => {
    const { adapter, outbox, add, dead } = await setup();
    adapter.send = async () => {
      throw new AdapterError('telegram', 'send', 'picture poster.png: image/svg+xml is not an image type', { permanent: true });
    };
    await add(delivery('d1', [{ format: 'plain', body: '文本', images: [png('poster.png')] }]));
    await outbox.drain();
    expect(dead.map((d) => d.lastError)).toEqual(['telegram send: picture poster.png: image/svg+xml is not an image type']);
  });
});
