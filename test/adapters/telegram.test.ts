import { larkPostToText } from '../../src/plain-text.ts';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Update } from 'grammy/types';
import {
  createTelegramAdapter,
  normalize,
  TELEGRAM_MAX_CHARS,
  telegramConfigFromEnv,
  type TelegramAdapterOptions,
} from '../../adapters/telegram/index.ts';
import type { InboundMessage } from '../../src/domain.ts';
import { silentLogger } from '../../src/log.ts';
import { AdapterError, type ChatAdapter } from '../../src/ports.ts';
import { type FakeChat, type FakeUser, parseTelegramHtml, TelegramFakeServer } from '../fakes/telegram-server.ts';
import { adapterContract } from './contract.ts';

const GROUP = '-1001234567890';
const GROUP2 = '-1001234567891';
const CHANNEL = '-1009876543210';
const groupChat: FakeChat = { id: Number(GROUP), type: 'supergroup', title: '东电校友会·北京' };
const group2Chat: FakeChat = { id: Number(GROUP2), type: 'supergroup', title: '东电校友会·上海' };
const alumnus: FakeUser = { id: 555001, first_name: '王磊', username: 'wanglei' };

/** Telegram user ids are numbers; the contract names senders with strings. */
const userIdOf = (s: string) => 100_000 + [...s].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 1_000_000, 7);

async function waitFor<T>(probe: () => T | undefined | false, ms = 4000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 15));
  }
}

function captureLogger() {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n').filter(Boolean)) {
        raw.push(l);
        lines.push(JSON.parse(l) as Record<string, unknown>);
      }
      cb();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines, raw };
}

adapterContract('telegram', async () => {
  const fake = new TelegramFakeServer();
  const apiRoot = await fake.start();
  const adapter = createTelegramAdapter({ token: fake.token, apiRoot }, { logger: silentLogger, pollTimeoutSeconds: 5, throttle: false, handlerRetryDelaysMs: [50] });
  return {
    adapter,
    group: GROUP,
    group2: GROUP2,
    channel: CHANNEL,
    maxChars: TELEGRAM_MAX_CHARS,
    injectGroupText: async (text, sender = { id: 'u-1', name: '校友' }, inGroup = GROUP) => {
      fake.injectMessage({ chat: inGroup === GROUP2 ? group2Chat : groupChat, from: { id: userIdOf(sender.id), first_name: sender.name }, text });
    },
    injectOwnText: async (text) => {
      fake.injectMessage({ chat: groupChat, from: fake.botUser, text });
    },
    sentTexts: async (chat) => fake.sentTo(chat).map((s) => s.text),
    failNextSendWith429: (chat, seconds) => fake.failNext(1, { kind: '429', retryAfter: seconds }, { method: 'sendMessage', chatId: chat }),
    close: () => fake.stop(),
  };
});

// ---- normalize: recorded-shape payloads ------------------------------------------------------

const BOT_ID = 123456789;
const DATE = 1_795_000_000; // 2026-11-18T...Z
const upd = (u: Record<string, unknown>) => ({ update_id: 1, ...u }) as unknown as Update;

describe('telegram normalize', () => {
  it('reads a supergroup text message', () => {
    const m = normalize(
      upd({
        message: {
          message_id: 42,
          from: { id: 555001, is_bot: false, first_name: '磊', last_name: '王', username: 'wanglei', language_code: 'zh-hans' },
          chat: { id: -1001234567890, title: '东电校友会·北京', type: 'supergroup' },
          date: DATE,
          text: '  国网江苏电力2026届校招内推，电气类专业优先  ',
        },
      }),
      { botId: BOT_ID },
    );
    expect(m).toEqual<InboundMessage>({
      platform: 'telegram',
      id: '42',
      chatId: '-1001234567890',
      chatTitle: '东电校友会·北京',
      senderId: '555001',
      senderName: '磊 王',
      text: '国网江苏电力2026届校招内推，电气类专业优先',
      sentAt: new Date(DATE * 1000).toISOString(),
    });
  });

  it('falls back to the username, then the id, for the sender name', () => {
    const base = { message_id: 1, chat: { id: -5, title: 'g', type: 'group' }, date: DATE, text: 'x' };
    expect(normalize(upd({ message: { ...base, from: { id: 7, is_bot: false, first_name: ' ', username: 'alum' } } }), { botId: BOT_ID })?.senderName).toBe('alum');
    expect(normalize(upd({ message: { ...base, from: { id: 7, is_bot: false, first_name: '' } } }), { botId: BOT_ID })?.senderName).toBe('7');
  });

  it('reads the caption of a photo or document', () => {
    const m = normalize(
      upd({
        message: {
          message_id: 43,
          from: { id: 555002, is_bot: false, first_name: '李娜' },
          chat: { id: -1001234567890, title: '校友群', type: 'supergroup' },
          date: DATE,
          document: { file_id: 'BQACAgUAAx', file_unique_id: 'AgAD', file_name: '南瑞集团2026校招.pdf', mime_type: 'application/pdf' },
          caption: '南瑞集团 嵌入式软件工程师 内推码 NR2026',
        },
      }),
      { botId: BOT_ID },
    );
    expect(m?.text).toBe('南瑞集团 嵌入式软件工程师 内推码 NR2026');
    expect(m?.senderName).toBe('李娜');
  });

  it('reads a channel post, named by its signature or the channel title', () => {
    const post = { message_id: 9, sender_chat: { id: -1001111111111, title: '东电就业信息', type: 'channel' }, chat: { id: -1001111111111, title: '东电就业信息', type: 'channel' }, date: DATE, text: '华为2026届校招' };
    const m = normalize(upd({ channel_post: post }), { botId: BOT_ID });
    expect(m).toMatchObject({ chatId: '-1001111111111', senderId: '-1001111111111', senderName: '东电就业信息', text: '华为2026届校招' });
    const signed = normalize(upd({ channel_post: { ...post, author_signature: '张老师' } }), { botId: BOT_ID });
    expect(signed?.senderName).toBe('张老师');
    const noSenderChat = normalize(upd({ channel_post: { ...post, sender_chat: undefined } }), { botId: BOT_ID });
    expect(noSenderChat?.senderName).toBe('东电就业信息');
  });

  it('names an anonymous admin by the group, not by GroupAnonymousBot', () => {
    const m = normalize(
      upd({
        message: {
          message_id: 10,
          from: { id: 1087968824, is_bot: true, first_name: 'Group', username: 'GroupAnonymousBot' },
          sender_chat: { id: -1001234567890, title: '东电校友会·北京', type: 'supergroup' },
          chat: { id: -1001234567890, title: '东电校友会·北京', type: 'supergroup' },
          date: DATE,
          text: '内推',
        },
      }),
      { botId: BOT_ID },
    );
    expect(m).toMatchObject({ senderId: '-1001234567890', senderName: '东电校友会·北京' });
  });

  it('writes the target of a hidden text link after its label', () => {
    const text = '国网南京供电 内推 点此投递 截止12月5日';
    const offset = text.indexOf('点此投递');
    const m = normalize(
      upd({
        message: {
          message_id: 11,
          from: { id: 1, is_bot: false, first_name: 'A' },
          chat: { id: -1001234567890, title: 'g', type: 'supergroup' },
          date: DATE,
          text,
          entities: [
            { type: 'bold', offset: 0, length: 6 },
            { type: 'text_link', offset, length: 4, url: 'https://zhaopin.sgcc.com.cn/j/123' },
          ],
        },
      }),
      { botId: BOT_ID },
    );
    expect(m?.text).toBe('国网南京供电 内推 点此投递 (https://zhaopin.sgcc.com.cn/j/123) 截止12月5日');
  });

  it('ignores the bot’s own messages and messages sent through it inline', () => {
    const base = { message_id: 12, chat: { id: -1001234567890, title: 'g', type: 'supergroup' }, date: DATE, text: '【电气学院】今日内推速递' };
    expect(normalize(upd({ message: { ...base, from: { id: BOT_ID, is_bot: true, first_name: 'Relay' } } }), { botId: BOT_ID })).toBeNull();
    expect(normalize(upd({ message: { ...base, from: { id: 2, is_bot: false, first_name: 'A' }, via_bot: { id: BOT_ID, is_bot: true, first_name: 'Relay' } } }), { botId: BOT_ID })).toBeNull();
    // Another inline bot's message is still a member's message.
    expect(normalize(upd({ message: { ...base, from: { id: 2, is_bot: false, first_name: 'A' }, via_bot: { id: 99, is_bot: true, first_name: 'gif' } } }), { botId: BOT_ID })).not.toBeNull();
  });

  it('ignores edits, stickers, service messages and blank text', () => {
    const from = { id: 2, is_bot: false, first_name: 'A' };
    const group = { id: -1001234567890, title: 'g', type: 'supergroup' };
    expect(normalize(upd({ message: { message_id: 1, from, chat: { id: 2, type: 'private', first_name: 'A' }, date: DATE, text: ' ' } }), { botId: BOT_ID })).toBeNull();
    expect(normalize(upd({ edited_message: { message_id: 1, from, chat: group, date: DATE, edit_date: DATE + 5, text: '内推' } }), { botId: BOT_ID })).toBeNull();
    expect(
      normalize(upd({ message: { message_id: 1, from, chat: group, date: DATE, sticker: { file_id: 'CAACAgIAAx', file_unique_id: 'AgAD', type: 'regular', width: 512, height: 512, is_animated: false, is_video: false, emoji: '👍' } } }), {
        botId: BOT_ID,
      }),
    ).toBeNull();
    expect(normalize(upd({ message: { message_id: 1, from, chat: group, date: DATE, new_chat_members: [from] } }), { botId: BOT_ID })).toBeNull();
    expect(normalize(upd({ message: { message_id: 1, from, chat: group, date: DATE, text: ' \n ' } }), { botId: BOT_ID })).toBeNull();
    expect(normalize(upd({ my_chat_member: { chat: group, from, date: DATE } }), { botId: BOT_ID })).toBeNull();
  });

  it('returns null for malformed payloads instead of throwing', () => {
    const from = { id: 2, is_bot: false, first_name: 'A' };
    const bad: unknown[] = [
      null,
      undefined,
      'update',
      {},
      { message: null },
      { message: 'text' },
      { message: { message_id: 1, from, date: DATE, text: 'x' } },
      { message: { message_id: 1, from, chat: null, date: DATE, text: 'x' } },
      { message: { message_id: 1, from, chat: { id: '-100', type: 'supergroup' }, date: DATE, text: 'x' } },
      { message: { message_id: 1, from, chat: { id: -100, type: 'supergroup' }, text: 'x' } },
      { message: { message_id: 1, from, chat: { id: -100, type: 'supergroup' }, date: DATE, text: 42 } },
      { message: { from, chat: { id: -100, type: 'supergroup' }, date: DATE, text: 'x' } },
      { message: { message_id: 1, chat: { id: -100, type: 'supergroup' }, date: DATE, text: 'x' } },
    ];
    for (const b of bad) expect(normalize(b as Update, { botId: BOT_ID })).toBeNull();
    // Broken entities are skipped, the text is kept.
    const msg = { message_id: 1, from, chat: { id: -100, type: 'supergroup' }, date: DATE, text: 'x' };
    for (const entities of ['nope', [null, { type: 'text_link', offset: 5, length: 9, url: 'https://a' }]]) {
      expect(normalize({ message: { ...msg, entities } } as unknown as Update, { botId: BOT_ID })?.text).toBe('x');
    }
  });
});

describe('telegram config and rendering helpers', () => {
  it('reads TELEGRAM_BOT_TOKEN and TELEGRAM_API_ROOT', () => {
    expect(telegramConfigFromEnv({})).toBeUndefined();
    expect(telegramConfigFromEnv({ TELEGRAM_BOT_TOKEN: '  ' })).toBeUndefined();
    expect(telegramConfigFromEnv({ TELEGRAM_BOT_TOKEN: '1:abc' })).toEqual({ token: '1:abc' });
    expect(telegramConfigFromEnv({ TELEGRAM_BOT_TOKEN: '1:abc', TELEGRAM_API_ROOT: 'http://127.0.0.1:8081/' })).toEqual({ token: '1:abc', apiRoot: 'http://127.0.0.1:8081' });
  });

  it('flattens a Lark post, with or without a locale key', () => {
    const post = { title: '电气学院内推', content: [[{ tag: 'text', text: '1. 南瑞 ' }, { tag: 'a', text: '投递', href: 'https://x.cn/j' }], [{ tag: 'at', user_name: '张老师' }, { tag: 'img', image_key: 'k' }]] };
    expect(larkPostToText(JSON.stringify({ zh_cn: post }))).toBe('电气学院内推\n1. 南瑞 投递 https://x.cn/j\n@张老师');
    expect(larkPostToText(JSON.stringify(post))).toBe('电气学院内推\n1. 南瑞 投递 https://x.cn/j\n@张老师');
    expect(larkPostToText('not json')).toBe('not json');
  });
});

// ---- the adapter against the fake Bot API ---------------------------------------------------

describe('telegram adapter', () => {
  let fake: TelegramFakeServer;
  let apiRoot: string;
  const adapters: ChatAdapter[] = [];
  const make = (opts: Partial<TelegramAdapterOptions> = {}, token = fake.token) => {
    const a = createTelegramAdapter({ token, apiRoot }, { logger: silentLogger, pollTimeoutSeconds: 5, throttle: false, ...opts });
    adapters.push(a);
    return a;
  };

  beforeEach(async () => {
    fake = new TelegramFakeServer();
    apiRoot = await fake.start();
  });
  afterEach(async () => {
    for (const a of adapters.splice(0)) await a.stop();
    await fake.stop();
  });

  it('resolves start once the long poll is running, asking only for messages, channel posts and button presses', async () => {
    const a = make();
    await a.start(async () => {});
    await waitFor(() => fake.pollingClients === 1);
    expect(fake.callsOf('getMe')).toHaveLength(1);
    expect(fake.callsOf('deleteWebhook')).toHaveLength(1);
    const poll = fake.callsOf('getUpdates')[0]!;
    expect(poll.payload).toMatchObject({ timeout: 5, allowed_updates: ['message', 'channel_post', 'callback_query'] });
  });

  it('warns with instructions when privacy mode hides group messages, and never logs the token', async () => {
    fake.canReadAllGroupMessages = false;
    const { logger, lines, raw } = captureLogger();
    const a = make({ logger });
    await a.start(async () => {});
    const warn = lines.find((l) => l.level === 40);
    expect(warn?.platform).toBe('telegram');
    expect(String(warn?.msg)).toMatch(/privacy mode/);
    expect(String(warn?.msg)).toMatch(/\/setprivacy/);
    expect(String(warn?.msg)).toMatch(/admin/);
    fake.failNext(1, { kind: 'error', status: 403, description: 'Forbidden: bot was kicked from the supergroup chat' }, { method: 'sendMessage' });
    await a.send(GROUP, { format: 'plain', body: 'x' }).catch(() => undefined);
    await a.stop();
    expect(raw.length).toBeGreaterThan(2);
    expect(raw.join('\n')).not.toContain(fake.token.split(':')[1]!);
  });

  it('does not warn when the bot can read all group messages', async () => {
    const { logger, lines } = captureLogger();
    const a = make({ logger });
    await a.start(async () => {});
    expect(lines.filter((l) => l.level === 40)).toEqual([]);
    expect(lines.find((l) => l.msg === 'connected')).toMatchObject({ canReadAllGroupMessages: true });
  });

  it('delivers captions and channel posts, skips a malformed update, and hands a message over again after a handler error', async () => {
    const received: InboundMessage[] = [];
    const { logger, lines } = captureLogger();
    const a = make({ logger, handlerRetryDelaysMs: [20] });
    let first = true;
    await a.start(async (m) => {
      if (first) {
        first = false;
        throw new Error('pipeline blew up');
      }
      received.push(m);
    });
    fake.injectMessage({ chat: groupChat, from: alumnus, text: 'boom' });
    fake.injectUpdate({ message: { message_id: 77, date: 'yesterday', chat: null } });
    fake.injectMessage({ chat: groupChat, from: alumnus, caption: '国电南瑞 2026届 校招海报' });
    fake.injectMessage({ chat: { id: -1001111111111, type: 'channel', title: '东电就业信息' }, text: '华为数字能源 内推' });
    await waitFor(() => received.length >= 3 || undefined);
    // One group in order (the failed message first, on its second attempt); the channel on its own.
    expect(received.filter((m) => m.chatId === GROUP).map((m) => m.text)).toEqual(['boom', '国电南瑞 2026届 校招海报']);
    expect(received.find((m) => m.chatId === '-1001111111111')).toMatchObject({ text: '华为数字能源 内推', senderName: '东电就业信息' });
    expect(lines.some((l) => l.level === 40 && String(l.msg).includes('handler failed; retrying'))).toBe(true);
    await waitFor(() => fake.pendingUpdates().length === 0 || undefined);
  });

  it('after the last retry, logs the message it gives up on and goes on (it is not held for ever)', async () => {
    const received: string[] = [];
    const { logger, lines } = captureLogger();
    const a = make({ logger, handlerRetryDelaysMs: [10, 10] });
    let attempts = 0;
    await a.start(async (m) => {
      if (m.text === 'poison') {
        attempts++;
        throw new Error('store is full');
      }
      received.push(m.text);
    });
    fake.injectMessage({ chat: groupChat, from: alumnus, text: 'poison' });
    fake.injectMessage({ chat: groupChat, from: alumnus, text: 'next' });
    await waitFor(() => received[0]);
    expect(attempts).toBe(3);
    const gaveUp = lines.find((l) => l.level === 50 && String(l.msg).includes('going on without it'));
    expect(gaveUp).toMatchObject({ attempts: 3, err: { message: 'store is full' } });
    await waitFor(() => fake.pendingUpdates().length === 0 || undefined);
  });

  it('confirms handled updates on stop, and stop is idempotent', async () => {
    const received: InboundMessage[] = [];
    const a = make();
    await a.start(async (m) => {
      received.push(m);
    });
    fake.injectMessage({ chat: groupChat, from: alumnus, text: '内推 1' });
    await waitFor(() => received[0]);
    await a.stop();
    await a.stop();
    expect(fake.pendingUpdates()).toEqual([]);
    expect(fake.pollingClients).toBe(0);
  });

  it('can start again after stop and still receives', async () => {
    const received: string[] = [];
    const a = make();
    const onMessage = async (m: InboundMessage) => {
      received.push(m.text);
    };
    await a.start(onMessage);
    await a.stop();
    fake.injectMessage({ chat: groupChat, from: alumnus, text: '停机期间的内推' });
    await a.start(onMessage);
    await waitFor(() => received[0]);
    expect(received).toEqual(['停机期间的内推']);
  });

  it('polls again after a 409 Conflict (another instance with the same token)', async () => {
    const received: string[] = [];
    const { logger, lines } = captureLogger();
    const a = make({ logger, conflictRetryMs: 50 });
    await a.start(async (m) => {
      received.push(m.text);
    });
    await waitFor(() => fake.pollingClients === 1);
    fake.failNext(1, { kind: 'error', status: 409, description: 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running' }, { method: 'getUpdates' });
    fake.injectMessage({ chat: groupChat, from: alumnus, text: 'first' });
    await waitFor(() => lines.some((l) => l.level === 40 && String(l.msg).includes('another instance')));
    fake.injectMessage({ chat: groupChat, from: alumnus, text: 'after the conflict' });
    await waitFor(() => received.length >= 2 || undefined);
    expect(received).toEqual(['first', 'after the conflict']);
  });

  it('sends HTML with parse_mode HTML and plain text without, both without link previews', async () => {
    const a = make();
    await a.send(CHANNEL, { format: 'html', body: '<b>电气学院</b> 今日内推\n1. <a href="https://x.cn/j">南瑞 嵌入式</a> &amp; 测试' });
    await a.send(CHANNEL, { format: 'plain', body: '1 < 2 & <b>not html</b>' });
    const [html, plain] = fake.sentTo(CHANNEL);
    expect(html).toMatchObject({ parseMode: 'HTML', linkPreviewDisabled: true });
    expect(plain).toMatchObject({ parseMode: undefined, linkPreviewDisabled: true, text: '1 < 2 & <b>not html</b>' });
    expect(plain!.payload.chat_id).toBe(Number(CHANNEL));
  });

  it('keeps HTML valid when the safety-net split cuts through a tag', async () => {
    const a = make();
    const items = Array.from({ length: 250 }, (_, i) => `${i}. <b>国网江苏电力</b> 电气工程 2026届 内推 <a href="https://x.cn/${i}">投递</a>`);
    const body = `<b>电气学院</b>\n<blockquote expandable>${items.join('\n')}</blockquote>`;
    expect((parseTelegramHtml(body) as { text: string }).text.length).toBeGreaterThan(TELEGRAM_MAX_CHARS);
    await a.send(GROUP, { format: 'html', body });
    const sent = fake.sentTo(GROUP);
    expect(sent.length).toBeGreaterThanOrEqual(2);
    expect(sent[1]!.text.startsWith('<blockquote expandable>')).toBe(true);
    expect(sent[0]!.text.endsWith('</blockquote>')).toBe(true);
    for (const s of sent) expect((parseTelegramHtml(s.text) as { text: string }).text.length).toBeLessThanOrEqual(TELEGRAM_MAX_CHARS);
    // Cut between lines: every item arrives whole, once.
    const visible = sent.map((s) => (parseTelegramHtml(s.text) as { text: string }).text).join('\n');
    for (let i = 0; i < 250; i++) expect(visible.split('\n').filter((l) => l.startsWith(`${i}. `))).toEqual([`${i}. 国网江苏电力 电气工程 2026届 内推 投递`]);
  });

  it('sends a Lark post as plain text and returns the last message id', async () => {
    const a = make();
    const body = JSON.stringify({ zh_cn: { title: '今日内推', content: [[{ tag: 'text', text: '1. ' }, { tag: 'a', text: '国网江苏', href: 'https://x.cn' }]] } });
    const r = await a.send('@dianqi_jobs', { format: 'lark-post', body });
    expect(fake.sentTo('@dianqi_jobs')).toMatchObject([{ text: '今日内推\n1. 国网江苏 https://x.cn', parseMode: undefined }]);
    expect(r.messageId).toBe(String(fake.sent[0]!.messageId));
  });

  it('waits out a short 429 in place (auto-retry) and sends once', async () => {
    const a = make();
    fake.failNext(1, { kind: '429', retryAfter: 1 }, { method: 'sendMessage' });
    await a.send(GROUP, { format: 'plain', body: 'after a short flood wait' });
    const calls = fake.callsOf('sendMessage');
    expect(calls.map((c) => c.status)).toEqual([429, 200]);
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(950);
    expect(fake.sentTo(GROUP).map((s) => s.text)).toEqual(['after a short flood wait']);
  });

  it('retries a 5xx (auto-retry backs off 3 s) and then sends', async () => {
    const a = make();
    fake.failNext(1, { kind: '5xx', status: 502 }, { method: 'sendMessage' });
    await a.send(GROUP, { format: 'plain', body: 'after a 502' });
    expect(fake.callsOf('sendMessage').map((c) => c.status)).toEqual([502, 200]);
  }, 10_000);

  it('surfaces other 4xx answers as permanent AdapterErrors without retrying', async () => {
    const a = make();
    fake.failNext(1, { kind: 'error', status: 403, description: 'Forbidden: bot was kicked from the supergroup chat' }, { method: 'sendMessage' });
    const err = await a.send(GROUP, { format: 'plain', body: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AdapterError);
    expect(err).toMatchObject({ permanent: true, retryAfterMs: undefined, opts: { status: 403 } });
    fake.failNext(1, { kind: 'error', status: 400, description: 'Bad Request: group chat was upgraded to a supergroup chat', parameters: { migrate_to_chat_id: -1002222222222 } }, { method: 'sendMessage' });
    const migrated = await a.send('-4444', { format: 'plain', body: 'x' }).catch((e: unknown) => e);
    expect(migrated).toMatchObject({ permanent: true });
    expect((migrated as Error).message).toContain('-1002222222222');
    expect(fake.callsOf('sendMessage')).toHaveLength(2);
  });

  it('times out a hung request, retries a bounded number of times, then surfaces a retryable error', async () => {
    const a = make({ requestTimeoutMs: 250, retry: { networkAttempts: 1, networkBaseDelayMs: 10 } });
    fake.failNext(2, { kind: 'hang' }, { method: 'sendMessage' });
    const t0 = Date.now();
    const err = await a.send(GROUP, { format: 'plain', body: 'x' }).catch((e: unknown) => e);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(err).toBeInstanceOf(AdapterError);
    expect(err).toMatchObject({ permanent: false, retryAfterMs: undefined });
    expect((err as Error).message).toMatch(/timed out/);
    expect(fake.callsOf('sendMessage')).toHaveLength(2);
    fake.failNext(1, { kind: 'hang' }, { method: 'sendMessage' });
    fake.failNext(1, { kind: 'drop' }, { method: 'sendMessage', skip: 1 });
    const b = make({ requestTimeoutMs: 250, retry: { networkAttempts: 2, networkBaseDelayMs: 10 } });
    await b.send(GROUP, { format: 'plain', body: 'third time lucky' });
    expect(fake.sentTo(GROUP).map((s) => s.text)).toEqual(['third time lucky']);
  });

  it('does not repeat parts already sent when a send is retried with the same idempotency key', async () => {
    const a = make();
    const lines = Array.from({ length: 300 }, (_, i) => `${i} 国家电网某省公司 2026届 电气工程及其自动化 内推`);
    fake.failNext(1, { kind: '429', retryAfter: 60 }, { method: 'sendMessage', skip: 1 });
    const err = await a.send(GROUP, { format: 'plain', body: lines.join('\n') }, { idempotencyKey: 'd1:g' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ retryAfterMs: 60_000 });
    expect(fake.sentTo(GROUP)).toHaveLength(1);
    await a.send(GROUP, { format: 'plain', body: lines.join('\n') }, { idempotencyKey: 'd1:g' });
    await a.send(GROUP, { format: 'plain', body: lines.join('\n') }, { idempotencyKey: 'd1:g' });
    const texts = fake.sentTo(GROUP).map((s) => s.text);
    expect(texts.length).toBeGreaterThanOrEqual(3);
    expect(texts.join('\n').split('\n')).toEqual(lines);
  });

  it('throttles sends to one group (about one a second) when throttling is on', async () => {
    const a = make({ throttle: true });
    const line = 'x'.repeat(3000);
    await a.send(GROUP, { format: 'plain', body: `${line}\n${line}` });
    const [p1, p2] = fake.sentTo(GROUP);
    expect(p2!.at - p1!.at).toBeGreaterThanOrEqual(900);
    const b = make({ throttle: false });
    await b.send(CHANNEL, { format: 'plain', body: `${line}\n${line}` });
    const [q1, q2] = fake.sentTo(CHANNEL);
    expect(q2!.at - q1!.at).toBeLessThan(900);
  });

  it('rejects start with a permanent error on a bad token', async () => {
    const a = make({}, '999:wrong');
    const err = await a.start(async () => {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AdapterError);
    expect(err).toMatchObject({ permanent: true, opts: { status: 401 } });
  });

  it('rejects start (instead of retrying for ever) when the Bot API is unreachable', async () => {
    const root = apiRoot;
    await fake.stop();
    const a = createTelegramAdapter({ token: fake.token, apiRoot: root }, { logger: silentLogger, throttle: false, retry: { networkAttempts: 1, networkBaseDelayMs: 10 } });
    const err = await a.start(async () => {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AdapterError);
    expect(err).toMatchObject({ permanent: false });
    await a.stop();
  });
});

describe('fake Telegram server', () => {
  it('answers like the Bot API: 404 for unknown methods, 401 for a wrong token, short polls, HTML checks', async () => {
    const fake = new TelegramFakeServer();
    const root = await fake.start();
    try {
      expect(root).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const call = async (method: string, body: unknown = {}, token = fake.token) => {
        const res = await fetch(`${root}/bot${token}/${method}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        return { status: res.status, json: (await res.json()) as { ok: boolean; result?: unknown; error_code?: number; description?: string } };
      };
      expect(await call('getChatHistory')).toMatchObject({ status: 404, json: { ok: false, error_code: 404, description: 'Not Found' } });
      expect(await call('getMe', {}, '1:nope')).toMatchObject({ status: 401, json: { ok: false, error_code: 401 } });
      expect(await call('getUpdates', { timeout: 0 })).toMatchObject({ status: 200, json: { ok: true, result: [] } });
      const t0 = Date.now();
      expect(await call('getUpdates', { timeout: 1 })).toMatchObject({ json: { ok: true, result: [] } });
      expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
      const id = fake.injectMessage({ chat: groupChat, from: alumnus, text: 'hi' });
      const got = await call('getUpdates', { offset: 0 });
      expect((got.json.result as { update_id: number }[]).map((u) => u.update_id)).toEqual([id]);
      await call('getUpdates', { offset: id + 1 });
      expect(fake.pendingUpdates()).toEqual([]);
      expect(await call('sendMessage', { chat_id: -1, text: '<b>x', parse_mode: 'HTML' })).toMatchObject({ status: 400 });
      expect(await call('sendMessage', { chat_id: -1, text: 'y'.repeat(4097) })).toMatchObject({ status: 400, json: { description: 'Bad Request: message is too long' } });
      expect(fake.sent).toEqual([]);
    } finally {
      await fake.stop();
    }
  });

  it('reads Telegram HTML as its visible text', () => {
    expect(parseTelegramHtml('<b>A&amp;B</b> <a href="https://x.cn">投递</a> &lt;3')).toEqual({ text: 'A&B 投递 <3' });
    expect(parseTelegramHtml('<blockquote>a')).toHaveProperty('error');
    expect(parseTelegramHtml('<div>a</div>')).toHaveProperty('error');
    expect(parseTelegramHtml('a & b')).toHaveProperty('error');
  });
});
