// The local platform for "the loop": private chats, pictures kept in memory, replies, and buttons a
// person presses (press() returns the toast); what a person running `npm start` sees printed.
import fc from 'fast-check';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { buttonsLine, LOCAL_NEUTRAL_TOAST, LocalAdapter, normalize, type LocalRawMessage } from '../../adapters/local/index.ts';
import type { InboundAction, InboundMessage } from '../../src/domain.ts';
import { AdapterError } from '../../src/ports.ts';
import { hostileRecord } from './hostile-values.ts';

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4b30000000049454e44ae426082', 'hex');

function capture() {
  const lines: { level: number; msg: string }[] = [];
  return { lines, logger: pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s)) }) };
}

async function started(opts: ConstructorParameters<typeof LocalAdapter>[0] = {}, onAction?: (a: InboundAction) => Promise<string | undefined>) {
  const printed: string[] = [];
  const adapter = new LocalAdapter({ print: (t) => printed.push(t), ...opts });
  const received: InboundMessage[] = [];
  await adapter.start(async (m) => void received.push(m), onAction);
  return { adapter, printed, received };
}

describe('local post: private chats, pictures, replies', () => {
  it('takes a private message: chatType private, chatId the sender', async () => {
    const { adapter, received } = await started();
    await adapter.post({ chatType: 'private', senderId: 'stu-1', senderName: '张同学', text: ' 订阅 0806 ' });
    expect(received).toEqual([expect.objectContaining({ chatType: 'private', chatId: 'stu-1', senderId: 'stu-1', text: '订阅 0806' })]);
    await adapter.send(received[0]!.chatId, { format: 'plain', body: '已订阅 0806' });
    expect(adapter.sent.map((s) => [s.chat, s.text])).toEqual([['stu-1', '已订阅 0806']]);
  });

  it('keeps a picture in memory: the message carries a ref, fetchMedia returns the bytes, a smaller cap is refused', async () => {
    const { adapter, received } = await started();
    await adapter.post({ group: '校友群', senderId: 'u1', text: '', images: [{ bytes: PNG, mime: 'image/png', width: 1, height: 1 }], replyToId: 'sent-3' });
    const [m] = received;
    expect(m).toMatchObject({ text: '', replyToId: 'sent-3', media: [{ kind: 'image', mime: 'image/png', bytes: PNG.length, width: 1, height: 1 }] });
    expect(m!.chatType).toBeUndefined();
    const got = await adapter.fetchMedia(m!.media![0]!.ref, { maxBytes: PNG.length });
    expect(Buffer.compare(got.bytes, PNG)).toBe(0);
    expect(got.mime).toBe('image/png');
    const err = await adapter.fetchMedia(m!.media![0]!.ref, { maxBytes: PNG.length - 1 }).then(
      () => new AdapterError('local', 'test', 'was not refused'),
      (e: unknown) => e as AdapterError,
    );
    expect(err.op).toBe('fetchMedia');
    expect(err.permanent).toBe(true);
    expect(err.message).toContain('over the');
    await expect(adapter.fetchMedia('local-media-nope', { maxBytes: 10 })).rejects.toThrow(/no picture/);
  });

  it('still drops an empty message without a picture, and keeps link cards', async () => {
    const { adapter, received } = await started();
    await adapter.post({ group: 'g', senderId: 'u', text: '  ' });
    await adapter.post({ group: 'g', senderId: 'u', text: '南瑞校招', linkCard: { title: ' 南瑞校招 ', url: 'https://x.cn', description: '' } });
    expect(received.map((m) => [m.text, m.linkCard])).toEqual([['南瑞校招', { title: '南瑞校招', url: 'https://x.cn' }]]);
  });
});

describe('local press', () => {
  it('calls the action handler and returns its toast', async () => {
    const seen: InboundAction[] = [];
    const { adapter } = await started({}, async (a) => {
      seen.push(a);
      return '已记录，谢谢';
    });
    expect(await adapter.press('电气学院就业群', 'stu-9', 'v:p1:up', 'sent-1')).toBe('已记录，谢谢');
    expect(seen).toEqual([{ platform: 'local', chatId: '电气学院就业群', userId: 'stu-9', data: 'v:p1:up', messageId: 'sent-1', at: expect.any(String) }]);
    expect(Number.isNaN(Date.parse(seen[0]!.at))).toBe(false);
  });

  it('answers with the neutral toast when the handler fails or is slow, and goes on', async () => {
    const { logger, lines } = capture();
    let calls = 0;
    const { adapter } = await started({ logger, actionTimeoutMs: 30 }, async (a) => {
      calls += 1;
      if (a.data === 'boom') throw new Error('vote book exploded');
      if (a.data === 'slow') await new Promise((r) => setTimeout(r, 200));
      return 'ok';
    });
    expect(await adapter.press('c', 'u', 'boom')).toBe(LOCAL_NEUTRAL_TOAST);
    expect(await adapter.press('c', 'u', 'slow')).toBe(LOCAL_NEUTRAL_TOAST);
    expect(await adapter.press('c', 'u', 'fine')).toBe('ok');
    expect(calls).toBe(3);
    expect(lines.some((l) => l.msg.includes('action handler failed'))).toBe(true);
    expect(lines.some((l) => l.msg.includes('too slow'))).toBe(true);
  });

  it('gives no toast without an action handler or after stop()', async () => {
    const { adapter } = await started();
    expect(await adapter.press('c', 'u', 'x')).toBeUndefined();
    const other = await started({}, async () => 'ok');
    await other.adapter.stop();
    expect(await other.adapter.press('c', 'u', 'x')).toBeUndefined();
  });
});

describe('local send: buttons, pictures, replies', () => {
  it('records them and prints buttons as one compact line under the last part, pictures as [图片: file]', async () => {
    const { adapter, printed } = await started({ maxChars: 12 });
    const buttons = [
      [{ text: '👍1', data: 'v:1:up' }, { text: '👎1', data: 'v:1:down' }],
      [{ text: '👍2', data: 'v:2:up' }, { text: '👎2', data: 'v:2:down' }],
    ];
    const images = [{ file: '/data/media/poster.png', mime: 'image/png', caption: '海报' }];
    const replyTo = { messageId: 'm-7', senderId: 'u1', senderName: '王磊' };
    await adapter.send('电气群', { format: 'plain', body: '1. 南瑞集团嵌入式\n2. 国网江苏电力', buttons, images }, { replyTo });
    expect(adapter.sent.map((s) => s.text)).toEqual(['1. 南瑞集团嵌入式', '2. 国网江苏电力']);
    expect(adapter.sent[0]).toMatchObject({ images, replyTo });
    expect(adapter.sent[0]!.buttons).toBeUndefined();
    expect(adapter.sent[1]!.buttons).toEqual(buttons);
    expect(printed).toEqual(['↪ 回复 @王磊', '[图片: /data/media/poster.png] 海报', '1. 南瑞集团嵌入式', '2. 国网江苏电力', '[👍1 👎1 | 👍2 👎2]']);
  });

  it('buttonsLine keeps every button text in order', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.record({ text: fc.string({ minLength: 1, maxLength: 8 }), data: fc.string() }), { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 4 }), (rows) => {
        const line = buttonsLine(rows);
        expect(line.startsWith('[') && line.endsWith(']')).toBe(true);
        let at = 0;
        for (const b of rows.flat()) {
          at = line.indexOf(b.text, at);
          expect(at).toBeGreaterThanOrEqual(0);
          at += b.text.length;
        }
      }),
      { numRuns: 500 },
    );
  });
});

/** Loop fields as a test or drill would post them (media as post() names them). */
const loopLocal = {
  platform: fc.constantFrom('local', 'wechat'),
  group: fc.string({ maxLength: 12 }),
  senderId: fc.string({ minLength: 1, maxLength: 12 }),
  text: fc.string({ maxLength: 40 }),
  chatType: fc.constantFrom('group', 'private', 'other'),
  media: fc.array(fc.record({ kind: fc.constantFrom('image', 'video'), ref: fc.string({ maxLength: 8 }), mime: fc.string({ maxLength: 12 }), bytes: fc.double(), width: fc.integer() }, { requiredKeys: [] }), { maxLength: 3 }),
  replyToId: fc.string({ maxLength: 8 }),
  linkCard: fc.record({ title: fc.string({ maxLength: 8 }), url: fc.string({ maxLength: 8 }) }, { requiredKeys: [] }),
};

describe('local normalize with the loop fields', () => {
  it('never throws; text is blank only with a picture; a private chat is its sender; media only sane', () => {
    fc.assert(
      fc.property(hostileRecord(loopLocal), (make) => {
        const m = normalize(make() as LocalRawMessage, new Date('2026-11-21T00:00:00Z'));
        if (m === null) return;
        for (const k of ['id', 'chatId', 'senderId', 'senderName', 'sentAt'] as const) expect(m[k].trim()).not.toBe('');
        expect(m.text).toBe(m.text.trim());
        if (!m.text) expect(m.media?.length).toBeGreaterThan(0);
        if (m.chatType === 'private') expect(m.chatId).toBe(m.senderId);
        else expect(m.chatType).toBeUndefined();
        for (const x of m.media ?? []) {
          expect(x.kind).toBe('image');
          expect(x.ref.trim()).not.toBe('');
          for (const k of ['bytes', 'width', 'height'] as const) if (x[k] !== undefined) expect(Number.isSafeInteger(x[k]) && x[k]! > 0).toBe(true);
          if (x.mime !== undefined) expect(x.mime).toMatch(/^image\//);
        }
        if (m.replyToId !== undefined) expect(m.replyToId.trim()).not.toBe('');
        if (m.linkCard) expect(Object.values(m.linkCard).every((v) => typeof v === 'string' && v !== '' && v === v.trim())).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});
