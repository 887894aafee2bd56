// The loop on Lark, end to end through the real adapter, the real SDK and the loopback fake: card
// presses (webhook and long connection), private chats, pictures in and out, replies, cards.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLarkAdapter, type LarkAdapter, type LarkConfig } from '../../adapters/lark/index.ts';
import type { InboundAction, InboundMessage } from '../../src/domain.ts';
import { silentLogger } from '../../src/log.ts';
import { AdapterError, type ActionHandler } from '../../src/ports.ts';
import { FakeLarkServer, type FakeMessageSpec } from '../fakes/lark-server.ts';

const GROUP = 'oc_students_ee_2026';
const P2P = 'oc_p2p_bot_and_zhang';
const ENCRYPT_KEY = 'enc-key-for-tests';
const TOKEN = 'verification-token-for-tests';

async function waitFor<T>(probe: () => T | undefined, ms = 3000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface Rig {
  fake: FakeLarkServer;
  adapter: LarkAdapter;
  received: InboundMessage[];
  actions: InboundAction[];
  close(): Promise<void>;
}

async function startRig(mode: 'webhook' | 'ws', onAction: ActionHandler | undefined, adapterOpts: Partial<Parameters<typeof createLarkAdapter>[1]> = {}): Promise<Rig> {
  const fake = new FakeLarkServer();
  const base = await fake.start();
  const config: LarkConfig =
    mode === 'webhook'
      ? { appId: fake.appId, appSecret: fake.appSecret, domain: base, mode, webhookPort: 0, webhookHost: '127.0.0.1', encryptKey: ENCRYPT_KEY, verificationToken: TOKEN }
      : { appId: fake.appId, appSecret: fake.appSecret, domain: base, mode };
  const adapter = createLarkAdapter(config, { logger: silentLogger, requestTimeoutMs: 2000, retryDelayMs: 20, resolveNames: false, ...adapterOpts });
  const received: InboundMessage[] = [];
  const actions: InboundAction[] = [];
  await adapter.start(
    async (m) => {
      received.push(m);
    },
    onAction &&
      (async (a) => {
        actions.push(a);
        return onAction(a);
      }),
  );
  if (mode === 'webhook') fake.deliverTo({ url: `http://127.0.0.1:${adapter.webhookPort}/`, encryptKey: ENCRYPT_KEY, verificationToken: TOKEN });
  else await waitFor(() => (fake.wsConnections > 0 ? true : undefined));
  return {
    fake,
    adapter,
    received,
    actions,
    async close() {
      await adapter.stop();
      await fake.stop();
    },
  };
}

const zhang = (text: string, extra: Partial<FakeMessageSpec> = {}): FakeMessageSpec => ({ chatId: GROUP, senderOpenId: 'ou_zhang', text, ...extra });

let r: Rig | undefined;
afterEach(async () => {
  await r?.close();
  r = undefined;
});

// ───────────────────────────── card presses ─────────────────────────────

describe.each(['webhook', 'ws'] as const)('lark card presses (%s)', (mode) => {
  it('a press → onAction with the button data, answered with the handler text as a toast within 3 s', async () => {
    r = await startRig(mode, async (a) => `已记录 ${a.data}`);
    const answer = await r.fake.pressButton({ chatId: GROUP, messageId: 'om_digest_1', operatorOpenId: 'ou_student', value: { d: 'v:3:down' } });
    expect(answer.status).toBe(mode === 'webhook' ? 200 : 200);
    expect(answer.reply).toEqual({ toast: { type: 'success', content: '已记录 v:3:down' } });
    expect(answer.ms).toBeLessThan(3000);
    expect(r.actions).toEqual([{ platform: 'lark', chatId: GROUP, userId: 'ou_student', data: 'v:3:down', messageId: 'om_digest_1', at: expect.any(String) }]);
    expect(new Date(r.actions[0]!.at).toISOString()).toBe(r.actions[0]!.at);
  });

  it('a handler that throws, or is slow, still gets the presser a neutral toast in time; the adapter goes on', async () => {
    let calls = 0;
    r = await startRig(
      mode,
      async (a) => {
        calls++;
        if (a.data === 'boom') throw new Error('store down');
        await new Promise((res) => setTimeout(res, 5000));
        return 'too late';
      },
      { actionDeadlineMs: 800 },
    );
    const thrown = await r.fake.pressButton({ chatId: GROUP, messageId: 'om_d', operatorOpenId: 'ou_s', value: { d: 'boom' } });
    expect(thrown.reply).toEqual({ toast: { type: 'info', content: '已收到' } });
    const slow = await r.fake.pressButton({ chatId: GROUP, messageId: 'om_d', operatorOpenId: 'ou_s', value: { d: 'slow' } });
    expect(slow.reply).toEqual({ toast: { type: 'info', content: '已收到' } });
    expect(slow.ms).toBeGreaterThanOrEqual(700);
    expect(slow.ms).toBeLessThan(3000);
    expect(calls).toBe(2);
    await r.fake.injectMessage(zhang('still listening'));
    await waitFor(() => r!.received[0]);
    expect(r.received[0]!.text).toBe('still listening');
  });

  it('a redelivered callback (same event id) runs the handler once and gets the same answer', async () => {
    let n = 0;
    r = await startRig(mode, async () => `第 ${++n} 次`);
    const envelope = r.fake.cardEvent({ chatId: GROUP, messageId: 'om_d', operatorOpenId: 'ou_s', value: { d: 'v:1:up' }, eventId: 'ev_card_same' });
    const first = await r.fake.pressButton(envelope);
    const again = await r.fake.pressButton(envelope);
    expect(first.reply).toEqual({ toast: { type: 'success', content: '第 1 次' } });
    expect(again.reply).toEqual(first.reply);
    expect(r.actions).toHaveLength(1);
  });
});

describe('lark card presses the core did not make', () => {
  it('a string value, or an object without "d", is passed on as it is; no handler: an empty answer', async () => {
    r = await startRig('webhook', async () => undefined);
    const plain = await r.fake.pressButton({ chatId: GROUP, messageId: 'om_other', operatorOpenId: 'ou_s', value: 'legacy' });
    await r.fake.pressButton({ chatId: GROUP, messageId: 'om_other', operatorOpenId: 'ou_s', value: { action: 'x' } });
    expect(plain.reply).toEqual({});
    expect(r.actions.map((a) => a.data)).toEqual(['legacy', '{"action":"x"}']);
    await r.close();
    r = await startRig('webhook', undefined);
    const none = await r.fake.pressButton({ chatId: GROUP, messageId: 'om_other', operatorOpenId: 'ou_s', value: { d: 'x' } });
    expect(none.status).toBe(200);
    expect(none.reply).toEqual({});
  });
});

// ───────────────────────────── private chats ─────────────────────────────

describe('lark private chats', () => {
  it('a p2p text → chatType private with the p2p chat_id, and send() to it answers that person', async () => {
    r = await startRig('ws', undefined);
    await r.fake.injectMessage(zhang('订阅 0806', { chatId: P2P, chatType: 'p2p' }));
    const m = await waitFor(() => r!.received[0]);
    expect(m).toMatchObject({ chatId: P2P, chatType: 'private', senderId: 'ou_zhang', text: '订阅 0806' });
    await r.adapter.send(m.chatId, { format: 'plain', body: '已订阅 电气类' });
    await r.adapter.send(m.senderId, { format: 'plain', body: '也可以按 open_id 发' });
    expect(r.fake.sent.map((s) => [s.receiveId, s.receiveIdType, s.text])).toEqual([
      [P2P, 'chat_id', '已订阅 电气类'],
      ['ou_zhang', 'open_id', '也可以按 open_id 发'],
    ]);
  });
});

// ───────────────────────────── pictures in ─────────────────────────────

const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(200_000, 7)]);

describe('lark pictures in', () => {
  it('an image message → a media ref and text ""; fetchMedia downloads it with its mime', async () => {
    r = await startRig('webhook', undefined);
    r.fake.resources.set('om_pic_1/img_v3_poster', { bytes: PNG, mime: 'image/png' });
    await r.fake.injectMessage(zhang('', { messageId: 'om_pic_1', messageType: 'image', content: { image_key: 'img_v3_poster' } }));
    const m = await waitFor(() => r!.received[0]);
    expect(m.text).toBe('');
    expect(m.media).toEqual([{ kind: 'image', ref: 'om_pic_1/img_v3_poster' }]);
    const got = await r.adapter.fetchMedia!(m.media![0]!.ref, { maxBytes: 1_000_000 });
    expect(got.mime).toBe('image/png');
    expect(got.bytes.equals(PNG)).toBe(true);
  });

  it('a post with a picture keeps its text as the caption and lists the picture', async () => {
    r = await startRig('webhook', undefined);
    const content = { title: '【内推】南瑞', content: [[{ tag: 'text', text: '海报见图' }], [{ tag: 'img', image_key: 'img_v3_a' }]] };
    await r.fake.injectMessage(zhang('', { messageId: 'om_post_1', messageType: 'post', content }));
    const m = await waitFor(() => r!.received[0]);
    expect(m.text).toBe('【内推】南瑞\n海报见图');
    expect(m.media).toEqual([{ kind: 'image', ref: 'om_post_1/img_v3_a' }]);
  });

  it('fetchMedia refuses from the declared size, stops reading an undeclared one past the cap, gives up when slow, and says when the picture is gone', async () => {
    r = await startRig('webhook', undefined, { mediaTimeoutMs: 600 });
    r.fake.resources.set('om_a/img_declared', { bytes: PNG, mime: 'image/png' });
    r.fake.resources.set('om_a/img_chunked', { bytes: PNG, mime: 'image/png', declareLength: false });
    r.fake.resources.set('om_a/img_slow', { bytes: PNG, mime: 'image/png', chunkDelayMs: 100 });
    const err = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as AdapterError);

    const declared = await err(r.adapter.fetchMedia!('om_a/img_declared', { maxBytes: 50_000 }));
    expect(declared).toBeInstanceOf(AdapterError);
    expect(declared!.permanent).toBe(true);
    expect(declared!.message).toMatch(/200008 bytes \(declared\)/);

    const chunked = await err(r.adapter.fetchMedia!('om_a/img_chunked', { maxBytes: 50_000 }));
    expect(chunked!.permanent).toBe(true);
    expect(chunked!.message).toMatch(/over 50000 bytes \(read so far: (\d+)\)/);
    expect(Number(/read so far: (\d+)/.exec(chunked!.message)![1])).toBeLessThan(50_000 + 64 * 1024);

    const t0 = Date.now();
    const slow = await err(r.adapter.fetchMedia!('om_a/img_slow', { maxBytes: 1_000_000 }));
    expect(slow!.message).toMatch(/within 600 ms/);
    expect(slow!.permanent).toBe(false);
    expect(Date.now() - t0).toBeLessThan(2000);

    const gone = await err(r.adapter.fetchMedia!('om_a/img_missing', { maxBytes: 1_000_000 }));
    expect(gone!.permanent).toBe(true);
    expect(gone!.message).toMatch(/code 234002.*gone/);

    const bad = await err(r.adapter.fetchMedia!('not a ref', { maxBytes: 1 }));
    expect(bad!.message).toMatch(/not a Lark picture reference/);
  });
});

// ───────────────────────────── links and replies in ─────────────────────────────

describe('lark links and replies in', () => {
  it('a text that is only a URL → linkCard; a reply → replyToId', async () => {
    r = await startRig('webhook', undefined);
    await r.fake.injectMessage(zhang('https://mp.weixin.qq.com/s/abc', { parentId: 'om_digest_7' }));
    const m = await waitFor(() => r!.received[0]);
    expect(m.linkCard).toEqual({ url: 'https://mp.weixin.qq.com/s/abc' });
    expect(m.replyToId).toBe('om_digest_7');
  });
});

// ───────────────────────────── sending ─────────────────────────────

describe('lark send: replies, cards, images, buttons', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('a reply is threaded to the original (reply API, uuid kept); to a withdrawn or deleted one it is a plain message', async () => {
    r = await startRig('webhook', undefined);
    const replyTo = { messageId: 'om_alumnus_post' };
    await r.adapter.send(GROUP, { format: 'plain', body: '已收录，谢谢' }, { replyTo, idempotencyKey: 'ack-1' });
    await r.adapter.send(GROUP, { format: 'plain', body: '已收录，谢谢' }, { replyTo, idempotencyKey: 'ack-1' });
    expect(r.fake.sent.map((s) => [s.replyTo, s.uuid, s.text])).toEqual([['om_alumnus_post', 'ack-1', '已收录，谢谢']]);
    expect(r.fake.callsTo('reply')).toHaveLength(2);

    r.fake.withdrawn.add('om_recalled');
    r.fake.deleted.add('om_deleted');
    await r.adapter.send(GROUP, { format: 'plain', body: '撤回了也要回' }, { replyTo: { messageId: 'om_recalled' }, idempotencyKey: 'ack-2' });
    await r.adapter.send(GROUP, { format: 'plain', body: '删除了也要回' }, { replyTo: { messageId: 'om_deleted' }, idempotencyKey: 'ack-3' });
    await r.adapter.send(GROUP, { format: 'plain', body: '撤回了也要回' }, { replyTo: { messageId: 'om_recalled' }, idempotencyKey: 'ack-2' });
    expect(r.fake.sent.slice(1).map((s) => [s.receiveId, s.replyTo, s.uuid, s.text])).toEqual([
      [GROUP, undefined, 'ack-2', '撤回了也要回'],
      [GROUP, undefined, 'ack-3', '删除了也要回'],
    ]);
  });

  it('a lark-card goes out as interactive; a card over 30 KB is split between its elements, none cut', async () => {
    r = await startRig('webhook', undefined);
    const small = { header: { title: { tag: 'plain_text', content: '电气类速递' } }, elements: [{ tag: 'div', text: { tag: 'lark_md', content: '1. 南瑞' } }] };
    await r.adapter.send(GROUP, { format: 'lark-card', body: JSON.stringify(small) });
    expect(r.fake.sent[0]!.msgType).toBe('interactive');
    expect(JSON.parse(r.fake.sent[0]!.content)).toEqual(small);

    const elements = Array.from({ length: 40 }, (_, i) => ({ tag: 'div', text: { tag: 'lark_md', content: `${i + 1}. ${'岗位描述'.repeat(300)}` } }));
    elements.push({ tag: 'action', actions: [{ tag: 'button', text: { tag: 'plain_text', content: '有用' }, value: { d: 'v:40:up' } }] } as never);
    const big = { config: { wide_screen_mode: true }, header: { title: { tag: 'plain_text', content: '速递' } }, elements };
    await r.adapter.send(GROUP, { format: 'lark-card', body: JSON.stringify(big) }, { idempotencyKey: 'big-card' });
    const parts = r.fake.sent.slice(1);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) {
      expect(p.msgType).toBe('interactive');
      expect(p.bodyBytes).toBeLessThanOrEqual(30 * 1024);
    }
    const cards = parts.map((p) => JSON.parse(p.content) as typeof big);
    expect(cards.flatMap((c) => c.elements)).toEqual(elements);
    expect(cards[0]!.header).toEqual(big.header);
    expect(cards.slice(1).every((c) => c.header === undefined && c.config.wide_screen_mode)).toBe(true);
    expect(cards.at(-1)!.elements.at(-1)).toEqual(elements.at(-1));
    expect(new Set(parts.map((p) => p.uuid)).size).toBe(parts.length);
  });

  it('images are uploaded once per file and sent as image messages after the text, captions after them, buttons last', async () => {
    r = await startRig('webhook', undefined);
    dir = await mkdtemp(join(tmpdir(), 'lark-img-'));
    const file = join(dir, 'poster.png');
    await writeFile(file, PNG);
    const message = {
      format: 'plain' as const,
      body: '南瑞集团 2026届 内推',
      images: [{ file, mime: 'image/png', caption: '海报' }],
      buttons: [[{ text: '👍 有用', data: 'v:1:up' }, { text: '👎 不对口', data: 'v:1:down' }]],
    };
    await r.adapter.send(GROUP, message, { idempotencyKey: 'digest-1' });
    await r.adapter.send(GROUP, message, { idempotencyKey: 'digest-2' });
    expect(r.fake.callsTo('image-upload')).toHaveLength(1);
    const [key] = [...r.fake.images.keys()];
    expect(r.fake.images.get(key!)!.bytes.equals(PNG)).toBe(true);
    const first = r.fake.sent.slice(0, 4);
    expect(first.map((s) => s.msgType)).toEqual(['text', 'image', 'text', 'interactive']);
    expect(first.map((s) => s.text)).toEqual(['南瑞集团 2026届 内推', `[image ${key}]`, '海报', '👍 有用\n👎 不对口']);
    const card = JSON.parse(first[3]!.content) as { elements: { tag: string; actions: { value: unknown }[] }[] };
    expect(card.elements[0]!.actions.map((a) => a.value)).toEqual([{ d: 'v:1:up' }, { d: 'v:1:down' }]);
    expect(first.map((s) => s.uuid)).toEqual(['digest-1-0', 'digest-1-1', 'digest-1-2', 'digest-1-3']);
    expect(r.fake.sent).toHaveLength(8);

    // A picture over Lark's 10 MB: a clear, permanent error before anything is uploaded.
    const huge = join(dir, 'huge.png');
    await writeFile(huge, Buffer.alloc(10 * 1024 * 1024 + 1));
    const e = await r.adapter.send(GROUP, { format: 'plain', body: '', images: [{ file: huge, mime: 'image/png' }] }).catch((x: unknown) => x as AdapterError);
    expect(e).toBeInstanceOf(AdapterError);
    expect((e as AdapterError).permanent).toBe(true);
    expect((e as AdapterError).message).toMatch(/10 MB/);
    expect(r.fake.callsTo('image-upload')).toHaveLength(1);
  });
});
