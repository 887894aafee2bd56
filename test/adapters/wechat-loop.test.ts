// WeChat adapter for "the loop" (issues 12, 13, 15): private chats, pictures in and out, link cards,
// quotes, replies by @-mention; on a real wechaty driving wechaty-puppet-mock (test/fakes/wechat-mock.ts).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createWechatAdapter, fetchCapped, looksLikeContactId, planSends, type WechatAdapter, type WechatConfig } from '../../adapters/wechat/index.ts';
import type { InboundMessage } from '../../src/domain.ts';
import { silentLogger } from '../../src/log.ts';
import { AdapterError } from '../../src/ports.ts';
import { WechatMock } from '../fakes/wechat-mock.ts';

const GROUP = '东电校友会·北京分会';
const CHANNEL = '电气学院2026届就业信息群';
const POSTER = join(import.meta.dirname, '../fixtures/posters/bytedance-backend.png');
const POSTER2 = join(import.meta.dirname, '../fixtures/posters/state-grid-electrical.jpg');
const PNG = readFileSync(POSTER);

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

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
  wx: WechatMock;
  adapter: WechatAdapter;
  received: InboundMessage[];
}

let current: Rig | undefined;
afterEach(async () => {
  await current?.adapter.stop();
  current = undefined;
});

async function rig(config: Partial<WechatConfig> = {}): Promise<Rig> {
  const wx = new WechatMock();
  const dataDir = mkdtempSync(join(tmpdir(), 'relay-wechat-loop-'));
  dirs.push(dataDir);
  const adapter = createWechatAdapter({ puppet: 'wechaty-puppet-mock', dataDir, sendSpacingMs: [0, 5], ...config }, { logger: silentLogger, puppet: wx.puppet, print: () => {} });
  const received: InboundMessage[] = [];
  await adapter.start(async (m) => void received.push(m));
  await wx.loggedIn();
  current = { wx, adapter, received };
  return current;
}

const errorOf = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as AdapterError);

describe('wechat private chats', () => {
  it('delivers a private text as chatType private, and send(chatId) answers that person', async () => {
    const { wx, adapter, received } = await rig();
    await wx.sayPrivately({ id: 'wxid_student1', name: '张同学' }, '订阅 0806');
    const m = await waitFor(() => received[0]);
    expect(m).toMatchObject({ chatType: 'private', chatId: 'wxid_student1', senderId: 'wxid_student1', senderName: '张同学', text: '订阅 0806' });
    await adapter.send(m.chatId, { format: 'plain', body: '已订阅 0806 电气类' });
    expect(wx.sentPrivately('wxid_student1')).toEqual(['已订阅 0806 电气类']);
    expect(wx.sends.every((s) => s.topic === '')).toBe(true); // nothing went to a group
  });

  it('ignores official accounts (公众号) writing to the bot', async () => {
    const { wx, received } = await rig();
    await wx.officialSays('校园招聘号', '今日推送：十大名企校招');
    await wx.sayPrivately('李娜', 'marker');
    await waitFor(() => received.find((m) => m.text === 'marker'));
    expect(received.map((m) => m.text)).toEqual(['marker']);
  });

  it('answers a friend the bot has not heard from in this login, and refuses an id from another session', async () => {
    const { wx, adapter } = await rig();
    wx.member({ id: 'wxid_mentor', name: '王老师' }); // a friend, quiet so far
    await adapter.send('wxid_mentor', { format: 'plain', body: '导师报名已收到' });
    expect(wx.sentPrivately('wxid_mentor')).toEqual(['导师报名已收到']);
    const err = await errorOf(adapter.send('wxid_gone_since_last_login', { format: 'plain', body: 'hi' }));
    expect(err).toBeInstanceOf(AdapterError);
    expect(err!.permanent).toBe(true);
    expect(err!.message).toMatch(/one login session/);
  });

  it('tells contact ids from room topics', () => {
    expect(looksLikeContactId('@5a7c2b9d0e1f3a4b5c6d7e8f9a0b1c2d')).toBe(true);
    expect(looksLikeContactId('wxid_abc123')).toBe(true);
    expect(looksLikeContactId('@@5a7c2b9d0e1f3a4b5c6d7e8f9a0b1c2d')).toBe(false); // a room
    expect(looksLikeContactId(GROUP)).toBe(false);
    expect(looksLikeContactId('@王磊')).toBe(false);
  });
});

describe('wechat inbound pictures, links and quotes', () => {
  it('gives a picture as a media ref with text "", and fetchMedia returns its bytes', async () => {
    const { wx, adapter, received } = await rig();
    const id = await wx.sayImage(GROUP, '王磊', PNG, 'bytedance-backend.png');
    const m = await waitFor(() => received[0]);
    expect(m).toMatchObject({ chatId: GROUP, text: '', media: [{ kind: 'image', ref: id }] });
    expect(m.chatType).toBeUndefined(); // a group message, as before
    const got = await adapter.fetchMedia!(m.media![0]!.ref, { maxBytes: 1_000_000 });
    expect(got.mime).toBe('image/png');
    expect(Buffer.compare(got.bytes, PNG)).toBe(0);
  });

  it('refuses a picture over the cap from its declared size, one that is gone, and a message that is no picture', async () => {
    const { wx, adapter, received } = await rig();
    await wx.sayImage(null, { id: 'wxid_s2', name: '陈同学' }, PNG);
    const m = await waitFor(() => received[0]);
    expect(m).toMatchObject({ chatType: 'private', chatId: 'wxid_s2', text: '' });
    const big = await errorOf(adapter.fetchMedia!(m.media![0]!.ref, { maxBytes: PNG.length - 1 }));
    expect(big).toBeInstanceOf(AdapterError);
    expect(big!.permanent).toBe(true);
    expect(big!.message).toContain(`${PNG.length} bytes, over the ${PNG.length - 1}-byte limit`);
    const gone = await errorOf(adapter.fetchMedia!('no-such-message', { maxBytes: 1e6 }));
    expect(gone!.permanent).toBe(true);
    expect(gone!.message).toMatch(/no longer known/);
    await wx.say(GROUP, '王磊', '一段文字');
    const text = await waitFor(() => received.find((x) => x.text === '一段文字'));
    const notPicture = await errorOf(adapter.fetchMedia!(text.id, { maxBytes: 1e6 }));
    expect(notPicture!.message).toMatch(/not a picture/);
  });

  it('fills linkCard for a shared article, its title and description also in text', async () => {
    const { wx, received } = await rig();
    await wx.sayUrl(GROUP, '王磊', { title: '南瑞集团2026届校招', description: '嵌入式、电气类', url: 'https://x.cn/a/1' });
    const m = await waitFor(() => received[0]);
    expect(m.linkCard).toEqual({ title: '南瑞集团2026届校招', description: '嵌入式、电气类', url: 'https://x.cn/a/1' });
    expect(m.text).toBe('南瑞集团2026届校招\n嵌入式、电气类\nhttps://x.cn/a/1');
  });

  it('passes a student quoting a digest in a student channel on with only the reply', async () => {
    const { wx, received } = await rig();
    await wx.sayQuote(CHANNEL, '刘同学', { name: '校友内推小助手', text: '【电气学院】今日内推\n3. 南瑞集团 嵌入式' }, '3 不对口');
    await wx.say(CHANNEL, '刘同学', '👍 2');
    await waitFor(() => (received.length === 2 ? true : undefined));
    expect(received.map((m) => [m.chatId, m.text])).toEqual([
      [CHANNEL, '3 不对口'],
      [CHANNEL, '👍 2'],
    ]);
    expect(received[0]!.replyToId).toBeUndefined(); // wechat4u keeps no id of the quoted message
  });
});

describe('wechat replies and pictures out', () => {
  it('@-mentions the poster in the group (wechaty mentionIdList), by group nickname', async () => {
    const { wx, adapter, received } = await rig();
    const poster = wx.member({ id: 'wxid_wanglei', name: '王磊' });
    wx.setRoomAlias(GROUP, poster, '2015届-王磊');
    await wx.say(GROUP, { id: 'wxid_wanglei', name: '王磊' }, '国网江苏2026届内推');
    const m = await waitFor(() => received[0]);
    await adapter.send(GROUP, { format: 'plain', body: '谢谢学长，已转给电气学院 12 位同学' }, { replyTo: { messageId: m.id, senderId: m.senderId, senderName: m.senderName } });
    const [sent] = wx.sends;
    expect(sent!.mentionIds).toEqual(['wxid_wanglei']);
    expect(sent!.text).toBe('@2015届-王磊 谢谢学长，已转给电气学院 12 位同学'); // wechaty writes "@<群昵称> " in front
  });

  it('falls back to "@name " text when the poster left the group or is unknown in this login', async () => {
    const { wx, adapter, received } = await rig();
    await wx.say(GROUP, { id: 'wxid_lina', name: '李娜' }, '南瑞内推');
    const m = await waitFor(() => received[0]);
    wx.leave(GROUP, wx.member({ id: 'wxid_lina', name: '李娜' }));
    await adapter.send(GROUP, { format: 'plain', body: '谢谢' }, { replyTo: { messageId: m.id, senderId: m.senderId, senderName: '李娜' } });
    await adapter.send(GROUP, { format: 'plain', body: '收到' }, { replyTo: { messageId: 'old', senderId: 'wxid_before_restart', senderName: '赵强' } });
    expect(wx.sends.map((s) => [s.text, s.mentionIds])).toEqual([
      ['@李娜 谢谢', undefined],
      ['@赵强 收到', undefined],
    ]);
  });

  it('sends pictures through FileBox, then the text, each one paced; buttons are left out', async () => {
    const { wx, adapter } = await rig({ sendSpacingMs: [30, 30] });
    wx.room(CHANNEL);
    await adapter.send(CHANNEL, {
      format: 'plain',
      body: '今日内推 2 条（回复「1 👍」评价）',
      images: [
        { file: POSTER, mime: 'image/png' },
        { file: POSTER2, mime: 'image/jpeg', caption: '国网江苏海报' },
      ],
      buttons: [[{ text: '👍1', data: 'v:1:up' }]],
    });
    expect(wx.sends.map((s) => s.file?.name ?? s.text)).toEqual(['bytedance-backend.png', 'state-grid-electrical.jpg', '国网江苏海报', '今日内推 2 条（回复「1 👍」评价）']);
    expect(wx.sends[0]!.file!.size).toBe(PNG.length);
    for (let i = 1; i < wx.sends.length; i++) expect(wx.sends[i]!.startedAt - wx.sends[i - 1]!.endedAt).toBeGreaterThanOrEqual(29);
  });

  it('refuses a picture whose file is missing as permanent, before anything goes out', async () => {
    const { wx, adapter } = await rig();
    wx.room(CHANNEL);
    const err = await errorOf(adapter.send(CHANNEL, { format: 'plain', body: 'x', images: [{ file: '/nonexistent/poster.png', mime: 'image/png' }] }));
    expect(err).toBeInstanceOf(AdapterError);
    expect(err!.permanent).toBe(true);
    expect(err!.message).toContain('poster.png');
    expect(wx.sends).toEqual([]);
  });

  it('refuses a message with neither text nor pictures', async () => {
    const { adapter } = await rig();
    const err = await errorOf(adapter.send(CHANNEL, { format: 'plain', body: ' ', buttons: [[{ text: 'a', data: 'a' }]] }));
    expect(err!.permanent).toBe(true);
  });
});

/** `sent` is `all` with at most some blanks left out (nothing else missing, nothing added, same order). */
function onlyBlanksLeftOut(sent: string, all: string): boolean {
  let j = 0;
  for (let i = 0; i < all.length; i++) {
    if (j < sent.length && all[i] === sent[j]) j++;
    else if (!/\s/.test(all[i]!)) return false;
  }
  return j === sent.length;
}

describe('planSends', () => {
  it('puts pictures first, captions after their picture unless the body says them, and the mention on the first part', () => {
    const steps = planSends({ format: 'plain', body: 'a\nb', images: [{ file: '/p.png', mime: 'image/png', caption: 'a' }] }, 3, { kind: 'prefix', name: 'X' });
    expect(steps).toEqual([{ kind: 'image', image: { file: '/p.png', mime: 'image/png', caption: 'a' } }, { kind: 'text', text: '@X a' }, { kind: 'text', text: 'b' }]);
    expect(planSends({ format: 'plain', body: '', images: [{ file: '/p.png', mime: 'image/png' }] }, 100, { kind: 'contact', label: 'Y' }).at(-1)).toEqual({ kind: 'text', text: '', mention: true });
  });

  it('does not send a part that would be only blanks', () => {
    const steps = planSends({ format: 'plain', body: '𐀀𐀀𐀀𐀀 ' }, 22, { kind: 'prefix', name: ' '.repeat(12) });
    expect(steps).toEqual([{ kind: 'text', text: `@${' '.repeat(12)} 𐀀𐀀𐀀𐀀` }]);
  });

  it('keeps every text part within the limit with the mention counted, and loses no text', () => {
    const mention = fc.option(
      fc.oneof(fc.record({ kind: fc.constant('prefix' as const), name: fc.string({ minLength: 1, maxLength: 12 }) }), fc.record({ kind: fc.constant('contact' as const), label: fc.string({ maxLength: 12 }) })),
      { nil: undefined },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 400 }), fc.integer({ min: 20, max: 120 }), mention, (body, max, m) => {
        const steps = planSends({ format: 'plain', body }, max, m);
        const texts = steps.map((s) => (s.kind === 'text' ? s : undefined)).filter((s) => s !== undefined);
        for (const t of texts) {
          const label = t.mention && m?.kind === 'contact' ? m.label.length + 2 : 0; // wechaty writes "@label " in front
          expect(t.text.length + label).toBeLessThanOrEqual(max);
        }
        if (!body.trim()) {
          expect(steps).toEqual([]);
          return;
        }
        const first = m?.kind === 'prefix' ? texts[0]!.text.slice(m.name.length + 2) : texts[0]!.text;
        const joined = [first, ...texts.slice(1).map((t) => t.text)].join('');
        // A part that would be only blanks is not sent (found by this property: "𐀀𐀀𐀀𐀀 " at a limit
        // of 8 UTF-16 units leaves " " alone): every other character arrives, in order.
        expect(onlyBlanksLeftOut(joined.replace(/\n/g, ''), body.replace(/\n/g, ''))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('fetchCapped', () => {
  const box = (chunks: Buffer[], size = -1, mediaType = 'image/jpeg') => {
    let read = 0;
    return {
      size,
      mediaType,
      reads: () => read,
      toStream: async () =>
        Readable.from(
          (function* () {
            for (const c of chunks) {
              read += 1;
              yield c;
            }
          })(),
        ),
    };
  };

  it('stops reading a stream without a declared size once it passes the cap', async () => {
    const b = box(Array.from({ length: 100 }, () => Buffer.alloc(1000, 1)));
    const err = await errorOf(fetchCapped(async () => b, 2500));
    expect(err!.permanent).toBe(true);
    expect(err!.message).toMatch(/stopped reading at 3000 bytes/);
    expect(b.reads()).toBeLessThan(10);
  });

  it('reads a stream within the cap, with its mime', async () => {
    const got = await fetchCapped(async () => box([Buffer.from('ab'), Buffer.from('cd')]), 4);
    expect(got).toEqual({ bytes: Buffer.from('abcd'), mime: 'image/jpeg' });
  });

  it('gives up after the timeout with a retryable error', async () => {
    const never = { size: -1, mediaType: 'image/png', toStream: async () => new Readable({ read() {} }) };
    const err = await errorOf(fetchCapped(async () => never, 100, 50));
    expect(err).toBeInstanceOf(AdapterError);
    expect(err!.permanent).toBe(false);
    expect(err!.message).toMatch(/within 50 ms/);
  });

  it('maps a download failure to a retryable AdapterError', async () => {
    const err = await errorOf(
      fetchCapped(async () => {
        throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      }, 100),
    );
    expect(err).toBeInstanceOf(AdapterError);
    expect(err!.permanent).toBe(false);
    expect(err!.message).toContain('wechat fetchMedia');
  });
});
