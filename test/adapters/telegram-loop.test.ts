// "The loop" through the real adapter and the fake Bot API: button presses (answered, passed on,
// acknowledged after handling), private messages, pictures in (media refs, fetchMedia with a cap)
// and out (sendPhoto / sendMediaGroup, multipart), replies both ways, link cards.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTelegramAdapter, type TelegramAdapterOptions } from '../../adapters/telegram/index.ts';
import type { InboundAction, InboundMessage } from '../../src/domain.ts';
import { silentLogger } from '../../src/log.ts';
import { AdapterError, type ChatAdapter } from '../../src/ports.ts';
import { type FakeChat, TelegramFakeServer } from '../fakes/telegram-server.ts';

const GROUP: FakeChat = { id: -1001234567890, type: 'supergroup', title: '东电校友会·北京' };
const STUDENTS: FakeChat = { id: -1009876543210, type: 'supergroup', title: '电气学院2026届' };
const OTHER: FakeChat = { id: -1005555555555, type: 'supergroup', title: '别的群' };
const student = { id: 700001, first_name: '小明' };
const stranger = { id: 700999, first_name: '路人' };
const alumnus = { id: 555001, first_name: '王磊' };
const poster = (name: string) => fileURLToPath(new URL(`../fixtures/posters/${name}`, import.meta.url));

async function until<T>(probe: () => T | undefined | false, ms = 6000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const rejection = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

describe('telegram adapter: the loop', () => {
  let fake: TelegramFakeServer;
  let apiRoot: string;
  let adapter: ChatAdapter;
  let messages: InboundMessage[];
  let actions: InboundAction[];
  const make = (opts: Partial<TelegramAdapterOptions> = {}) => {
    adapter = createTelegramAdapter({ token: fake.token, apiRoot }, { logger: silentLogger, pollTimeoutSeconds: 5, throttle: false, busyPollMs: 30, handlerRetryDelaysMs: [50], ...opts });
    return adapter;
  };
  const startWith = (onAction?: (a: InboundAction) => Promise<string | undefined>, opts: Partial<TelegramAdapterOptions> = {}) =>
    make(opts).start(async (m) => {
      messages.push(m);
    }, onAction);

  beforeEach(async () => {
    fake = new TelegramFakeServer();
    apiRoot = await fake.start();
    messages = [];
    actions = [];
  });
  afterEach(async () => {
    await adapter?.stop();
    await fake.stop();
  });

  describe('button presses', () => {
    it("passes a student's press on and answers it with the handler's text", async () => {
      await startWith(async (a) => {
        actions.push(a);
        return '已记录：有用，谢谢';
      });
      const { messageId } = await adapter.send(String(STUDENTS.id), { format: 'html', body: '<b>今日内推</b> 1. 南瑞集团', buttons: [[{ text: '👍 有用', data: 'v:p1:up' }]] });
      const q = fake.injectCallbackQuery({ from: student, message: { chat: STUDENTS, message_id: Number(messageId) }, data: 'v:p1:up' });
      const a = await until(() => actions[0]);
      expect(a).toMatchObject({ platform: 'telegram', chatId: String(STUDENTS.id), userId: String(student.id), data: 'v:p1:up', messageId });
      expect(Number.isNaN(Date.parse(a.at))).toBe(false);
      await until(() => fake.callbacks.get(q)?.answered);
      expect(fake.callbacks.get(q)?.answered?.text).toBe('已记录：有用，谢谢');
      // Acknowledged after handling: the update leaves the fake's queue.
      await until(() => fake.pendingUpdates().length === 0);
    });

    it("passes on a stranger's press in a chat the core never sent to, with that chat's id", async () => {
      await startWith(async (a) => {
        actions.push(a);
        return undefined;
      });
      const q = fake.injectCallbackQuery({ from: stranger, message: { chat: OTHER, message_id: 4242 }, data: 'v:zzz:down' });
      const a = await until(() => actions[0]);
      expect(a).toMatchObject({ chatId: String(OTHER.id), userId: String(stranger.id), data: 'v:zzz:down', messageId: '4242' });
      // Answered with no text: the spinner stops, nothing is shown.
      const answered = await until(() => fake.callbacks.get(q)?.answered);
      expect(answered.text).toBeUndefined();
    });

    it('answers a press whose handler throws (neutral text), once, retries the handler, and keeps going', async () => {
      let calls = 0;
      await startWith(
        async (a) => {
          calls++;
          if (a.data === 'boom') throw new Error('store down');
          actions.push(a);
          return '好的';
        },
        { failedAnswer: '暂时无法处理' },
      );
      const q1 = fake.injectCallbackQuery({ from: student, message: { chat: STUDENTS, message_id: 1 }, data: 'boom' });
      const q2 = fake.injectCallbackQuery({ from: student, message: { chat: STUDENTS, message_id: 1 }, data: 'after' });
      await until(() => actions.find((a) => a.data === 'after'));
      expect(fake.callbacks.get(q1)?.answered?.text).toBe('暂时无法处理');
      await until(() => fake.callbacks.get(q2)?.answered);
      expect(fake.callbacks.get(q2)?.answered?.text).toBe('好的');
      // The failed press was handed over again (handlerRetryDelaysMs: one retry) but answered only once.
      await until(() => fake.pendingUpdates().length === 0);
      expect(calls).toBe(3);
      expect(fake.callsOf('answerCallbackQuery').filter((c) => c.payload.callback_query_id === q1)).toHaveLength(1);
    });

    it('answers a slow handler in time with a neutral text, and confirms the update only when the handler is done', async () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      await startWith(
        async (a) => {
          await gate;
          actions.push(a);
          return 'too late to show';
        },
        { actionAnswerMs: 200, slowAnswer: '收到，处理中' },
      );
      const t0 = Date.now();
      const q = fake.injectCallbackQuery({ from: student, message: { chat: STUDENTS, message_id: 7 }, data: 'v:p2:up' });
      const answered = await until(() => fake.callbacks.get(q)?.answered);
      expect(answered.text).toBe('收到，处理中');
      expect(answered.at - t0).toBeLessThan(2000);
      await new Promise((r) => setTimeout(r, 150));
      expect(fake.pendingUpdates()).toHaveLength(1); // not acknowledged while the vote is not stored
      release();
      await until(() => fake.pendingUpdates().length === 0);
      expect(actions).toHaveLength(1);
    });

    it('answers an inline-mode press (no message) and a press without data, passing neither on', async () => {
      await startWith(async (a) => {
        actions.push(a);
        return 'x';
      });
      const inline = fake.injectCallbackQuery({ from: student, inlineMessageId: 'AAAA-inline', data: 'v:p1:up' });
      const noData = fake.injectCallbackQuery({ from: student, message: { chat: STUDENTS, message_id: 3 } });
      await until(() => fake.callbacks.get(inline)?.answered && fake.callbacks.get(noData)?.answered);
      fake.injectMessage({ chat: GROUP, from: alumnus, text: 'marker' });
      await until(() => messages.find((m) => m.text === 'marker'));
      expect(actions).toEqual([]);
    });

    it('answers a press in a group while that group\'s messages wait on a slow store', async () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      await make().start(
        async (m) => {
          await gate;
          messages.push(m);
        },
        async (a) => {
          actions.push(a);
          return '已记录';
        },
      );
      fake.injectMessage({ chat: GROUP, from: alumnus, text: 'stuck in the store' });
      const q = fake.injectCallbackQuery({ from: student, message: { chat: GROUP, message_id: 1 }, data: 'v:p3:up' });
      await until(() => fake.callbacks.get(q)?.answered);
      expect(fake.callbacks.get(q)?.answered?.text).toBe('已记录');
      expect(messages).toHaveLength(0);
      release();
      await until(() => messages.length === 1);
    });

    it('answers presses even when no action handler was given', async () => {
      await startWith(undefined);
      const q = fake.injectCallbackQuery({ from: student, message: { chat: STUDENTS, message_id: 3 }, data: 'v:p1:up' });
      await until(() => fake.callbacks.get(q)?.answered);
    });
  });

  describe('private messages, pictures, links, replies in', () => {
    it('delivers a private 订阅 0806 as chatType private, and send() answers that person', async () => {
      await startWith();
      const me: FakeChat = { id: student.id, type: 'private', first_name: '小明' };
      fake.injectMessage({ chat: me, from: student, text: '订阅 0806' });
      fake.injectMessage({ chat: me, from: student, text: '/start' });
      const m = await until(() => messages.find((x) => x.text === '订阅 0806'));
      expect(m).toMatchObject({ chatType: 'private', chatId: String(student.id), senderId: String(student.id), senderName: '小明' });
      expect(m.chatTitle).toBeUndefined();
      expect((await until(() => messages.find((x) => x.text === '/start'))).chatType).toBe('private');
      await adapter.send(m.chatId, { format: 'plain', body: '已订阅 0806 电气类' });
      expect(fake.sentTo(student.id).map((s) => s.text)).toEqual(['已订阅 0806 电气类']);
    });

    it('turns a photo with a caption into a media ref plus the caption, and a bare photo into text ""', async () => {
      await startWith();
      const sizes = [
        { file_id: 'small', file_unique_id: 's', width: 90, height: 120, file_size: 1500 },
        { file_id: 'large', file_unique_id: 'l', width: 960, height: 1280, file_size: 180_000 },
        { file_id: 'huge', file_unique_id: 'h', width: 4000, height: 5000, file_size: 25 * 1024 * 1024 },
      ];
      fake.injectMessage({ chat: GROUP, from: alumnus, caption: '国网江苏 2026届 内推 见海报', extra: { photo: sizes } });
      fake.injectMessage({ chat: GROUP, from: alumnus, extra: { photo: sizes } });
      fake.injectMessage({ chat: GROUP, from: alumnus, extra: { document: { file_id: 'doc1', file_unique_id: 'd', mime_type: 'image/png', file_size: 5000, file_name: '海报.png' } } });
      fake.injectMessage({ chat: GROUP, from: alumnus, text: '   ' });
      fake.injectMessage({ chat: GROUP, from: alumnus, text: 'marker' });
      await until(() => messages.find((m) => m.text === 'marker'));
      expect(messages).toHaveLength(4);
      expect(messages[0]).toMatchObject({ text: '国网江苏 2026届 内推 见海报', media: [{ kind: 'image', ref: 'large', width: 960, height: 1280, bytes: 180_000 }] });
      expect(messages[1]).toMatchObject({ text: '', media: [{ kind: 'image', ref: 'large' }] });
      expect(messages[2]).toMatchObject({ text: '', media: [{ kind: 'image', ref: 'doc1', mime: 'image/png', bytes: 5000 }] });
    });

    it('reads a bare link as a link card and a reply as replyToId', async () => {
      await startWith();
      fake.injectMessage({ chat: GROUP, from: alumnus, text: 'https://mp.weixin.qq.com/s/abc123', extra: { link_preview_options: { url: 'https://mp.weixin.qq.com/s/abc123' } } });
      const original = fake.lastMessageId;
      fake.injectMessage({ chat: GROUP, from: alumnus, text: '补充：截止12月5日', extra: { reply_to_message: { message_id: original, date: 0, chat: GROUP } } });
      await until(() => messages.length === 2);
      expect(messages[0]).toMatchObject({ text: 'https://mp.weixin.qq.com/s/abc123', linkCard: { url: 'https://mp.weixin.qq.com/s/abc123' } });
      expect(messages[1]).toMatchObject({ replyToId: String(original) });
      expect(messages[1]!.linkCard).toBeUndefined();
    });
  });

  describe('fetchMedia', () => {
    it('downloads a picture through getFile and the file route', async () => {
      const bytes = await readFile(poster('state-grid-electrical.jpg'));
      fake.addFile('AgAC-poster', { bytes });
      make();
      const got = await adapter.fetchMedia!('AgAC-poster', { maxBytes: 1024 * 1024 });
      expect(got.bytes.equals(bytes)).toBe(true);
      expect(got.mime).toBe('image/jpeg');
    });

    it('refuses a file whose declared size is over the cap before downloading it', async () => {
      fake.addFile('AgAC-big', { bytes: Buffer.alloc(2000, 1), declaredSize: 3 * 1024 * 1024 });
      make();
      const err = await rejection(adapter.fetchMedia!('AgAC-big', { maxBytes: 1024 * 1024 }));
      expect(err).toBeInstanceOf(AdapterError);
      expect((err as AdapterError).permanent).toBe(true);
      expect((err as Error).message).toMatch(/over the 1\.0 MB limit/);
      expect(fake.downloads).toHaveLength(0);
    });

    it('stops reading a server that lies about the size at maxBytes, with no token in the error', async () => {
      const total = 4 * 1024 * 1024;
      fake.addFile('AgAC-liar', { bytes: Buffer.alloc(total, 7), declaredSize: 1000, chunked: true, chunkDelayMs: 2 });
      make();
      const err = await rejection(adapter.fetchMedia!('AgAC-liar', { maxBytes: 256 * 1024 }));
      expect(err).toBeInstanceOf(AdapterError);
      expect((err as Error).message).toMatch(/download stopped/);
      expect(String((err as Error).message) + String((err as Error).stack)).not.toContain(fake.token.split(':')[1]!);
      await until(() => fake.downloads[0] && !fake.downloads[0].completed);
      await new Promise((r) => setTimeout(r, 100));
      expect(fake.downloads[0]!.completed).toBe(false);
      expect(fake.downloads[0]!.bytesWritten).toBeLessThan(total);
    });

    it('gives up on a download that is too slow, and says so without the token', async () => {
      fake.addFile('AgAC-slow', { bytes: Buffer.alloc(2 * 1024 * 1024, 7), chunked: true, chunkDelayMs: 100 });
      make({ mediaTimeoutMs: 300 });
      const err = await rejection(adapter.fetchMedia!('AgAC-slow', { maxBytes: 10 * 1024 * 1024 }));
      expect((err as Error).message).toMatch(/timed out/);
      expect((err as AdapterError).permanent).toBe(false);
      expect((err as Error).message).not.toContain(fake.token);
    });

    it('maps an unknown file id to a permanent AdapterError', async () => {
      make();
      const err = await rejection(adapter.fetchMedia!('nope', { maxBytes: 1000 }));
      expect(err).toBeInstanceOf(AdapterError);
      expect((err as AdapterError).permanent).toBe(true);
    });
  });

  describe('sending', () => {
    it('threads a reply to the original, and still sends when the original was deleted', async () => {
      make();
      fake.injectMessage({ chat: GROUP, from: alumnus, text: '内推 南瑞' });
      const original = fake.lastMessageId;
      await adapter.send(String(GROUP.id), { format: 'plain', body: '谢谢王磊，已转给电气学院 3 个班' }, { replyTo: { messageId: String(original) } });
      expect(fake.sentTo(GROUP.id)[0]).toMatchObject({ replyToId: original });
      expect(fake.sentTo(GROUP.id)[0]!.payload.reply_parameters).toEqual({ message_id: original, allow_sending_without_reply: true });
      fake.deleteMessage(GROUP.id, original);
      await adapter.send(String(GROUP.id), { format: 'plain', body: '第二条致谢' }, { replyTo: { messageId: String(original) } });
      const second = fake.sentTo(GROUP.id)[1]!;
      expect(second.text).toBe('第二条致谢');
      expect(second.replyToId).toBeUndefined();
    });

    it('sends a plain message when Telegram refuses the reply target (400 message to be replied not found)', async () => {
      make();
      fake.failNext(1, { kind: 'error', status: 400, description: 'Bad Request: message to be replied not found' }, { method: 'sendMessage' });
      await adapter.send(String(GROUP.id), { format: 'plain', body: '致谢' }, { replyTo: { messageId: '99999' } });
      const calls = fake.callsOf('sendMessage');
      expect(calls).toHaveLength(2);
      expect(calls[0]!.payload.reply_parameters).toBeDefined();
      expect(calls[1]!.payload.reply_parameters).toBeUndefined();
      expect(fake.sentTo(GROUP.id).map((s) => s.text)).toEqual(['致谢']);
    });

    it('puts the buttons on the last part of a long digest only', async () => {
      make();
      const items = Array.from({ length: 120 }, (_, i) => `<b>${i + 1}.</b> 国网江苏电力 2026届 电气工程及其自动化 本科/硕士 内推，截止12月5日`);
      const buttons = [
        [
          { text: '👍', data: 'v:d1:up' },
          { text: '👎', data: 'v:d1:down' },
        ],
      ];
      await adapter.send(String(STUDENTS.id), { format: 'html', body: items.join('\n'), buttons });
      const sent = fake.sentTo(STUDENTS.id);
      expect(sent.length).toBeGreaterThanOrEqual(2);
      for (const s of sent.slice(0, -1)) expect(s.payload.reply_markup).toBeUndefined();
      expect(sent.at(-1)!.payload.reply_markup).toEqual({ inline_keyboard: [[{ text: '👍', callback_data: 'v:d1:up' }, { text: '👎', callback_data: 'v:d1:down' }]] });
    });

    it('refuses callback data over 64 bytes before sending anything', async () => {
      make();
      const data = `v:${'电'.repeat(21)}`; // 2 + 63 bytes
      const err = await rejection(adapter.send(String(STUDENTS.id), { format: 'plain', body: '今日内推', buttons: [[{ text: '有用', data }]] }));
      expect(err).toBeInstanceOf(AdapterError);
      expect((err as AdapterError).permanent).toBe(true);
      expect((err as Error).message).toMatch(/1-64 bytes, got 65/);
      expect(fake.calls.filter((c) => c.method.startsWith('send'))).toHaveLength(0);
    });

    it('sends one picture with the short body as its HTML caption and the buttons on it', async () => {
      make();
      const file = poster('bytedance-backend.png');
      const r = await adapter.send(String(STUDENTS.id), {
        format: 'html',
        body: '<b>字节跳动</b> 后端开发 2026届 内推',
        images: [{ file, mime: 'image/png' }],
        buttons: [[{ text: '👍', data: 'v:p9:up' }]],
      });
      expect(fake.photos).toHaveLength(1);
      const p = fake.photos[0]!;
      expect(p).toMatchObject({ chatId: String(STUDENTS.id), caption: '<b>字节跳动</b> 后端开发 2026届 内推', parseMode: 'HTML' });
      expect(p.upload.bytes.equals(await readFile(file))).toBe(true);
      expect(p.upload.filename).toBe('photo0.png');
      expect(p.payload.reply_markup).toEqual({ inline_keyboard: [[{ text: '👍', callback_data: 'v:p9:up' }]] });
      expect(fake.sent).toHaveLength(0);
      expect(r.messageId).toBe(String(p.messageId));
    });

    it('sends three pictures as a media group, then the long text with the buttons; the reply on the group', async () => {
      make();
      fake.injectMessage({ chat: GROUP, from: alumnus, text: '原帖' });
      const original = fake.lastMessageId;
      const images = ['bytedance-backend.png', 'state-grid-electrical.jpg', 'wuxi-pharma-qa.jpg'].map((n, i) => ({ file: poster(n), mime: n.endsWith('png') ? 'image/png' : 'image/jpeg', ...(i === 1 ? { caption: '国网 海报' } : {}) }));
      const body = '海报里的三条内推：\n'.repeat(80); // over 1024: not a caption
      await adapter.send(String(GROUP.id), { format: 'plain', body, images, buttons: [[{ text: '👍', data: 'v:g:up' }]] }, { replyTo: { messageId: String(original) } });
      expect(fake.callsOf('sendMediaGroup')).toHaveLength(1);
      expect(fake.photos).toHaveLength(3);
      expect(new Set(fake.photos.map((p) => p.mediaGroupId)).size).toBe(1);
      expect(fake.photos.map((p) => p.caption)).toEqual([undefined, '国网 海报', undefined]);
      expect(fake.photos.every((p) => p.replyToId === original)).toBe(true);
      const texts = fake.sentTo(GROUP.id);
      expect(texts.length).toBeGreaterThanOrEqual(1);
      expect(texts.every((s) => s.replyToId === undefined)).toBe(true);
      expect(texts.at(-1)!.payload.reply_markup).toBeDefined();
      expect(texts.map((s) => s.text).join('\n')).toBe(body);
      expect(fake.photos.at(-1)!.at).toBeLessThanOrEqual(texts[0]!.at);
    });

    it('does not send the pictures again when a send is retried with the same idempotency key', async () => {
      make();
      const images = ['bytedance-backend.png', 'wuxi-pharma-qa.jpg'].map((n) => ({ file: poster(n), mime: n.endsWith('png') ? 'image/png' : 'image/jpeg' }));
      fake.failNext(1, { kind: '429', retryAfter: 120 }, { method: 'sendMessage' });
      const msg = { format: 'plain' as const, body: '两张海报的说明', images };
      const err = await rejection(adapter.send(String(STUDENTS.id), msg, { idempotencyKey: 'd1' }));
      expect((err as AdapterError).retryAfterMs).toBe(120_000);
      expect(fake.photos).toHaveLength(2);
      await adapter.send(String(STUDENTS.id), msg, { idempotencyKey: 'd1' });
      expect(fake.photos).toHaveLength(2);
      expect(fake.sentTo(STUDENTS.id).map((s) => s.text)).toEqual(['两张海报的说明']);
    });

    it('sends a Lark card body as its plain text', async () => {
      make();
      const card = { elements: [{ tag: 'div', text: { tag: 'lark_md', content: '**南瑞集团** 嵌入式' } }] };
      await adapter.send(String(STUDENTS.id), { format: 'lark-card', body: JSON.stringify(card) });
      expect(fake.sentTo(STUDENTS.id).map((s) => s.text)).toEqual(['**南瑞集团** 嵌入式']);
    });

    it('refuses a missing picture file permanently, before anything is sent', async () => {
      make();
      const err = await rejection(adapter.send(String(GROUP.id), { format: 'plain', body: 'x', images: [{ file: '/nonexistent/p.png', mime: 'image/png' }] }));
      expect(err).toBeInstanceOf(AdapterError);
      expect((err as AdapterError).permanent).toBe(true);
      expect(fake.calls.filter((c) => c.method.startsWith('send'))).toHaveLength(0);
    });
  });
});
