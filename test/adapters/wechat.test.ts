import fc from 'fast-check';
import { toPlainText } from '../../src/plain-text.ts';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { types } from 'wechaty';
import {
  DEFAULT_FREQUENCY_COOLDOWN_MS,
  createWechatAdapter,
  normalize,
  SendQueue,
  toAdapterError,
  wechatConfigFromEnv,
  type WechatAdapter,
  type WechatConfig,
  type WechatRawMessage,
} from '../../adapters/wechat/index.ts';
import type { InboundMessage } from '../../src/domain.ts';
import { silentLogger } from '../../src/log.ts';
import { AdapterError } from '../../src/ports.ts';
import { WechatMock, wechat4uFrequencyError, type WechatMockOptions } from '../fakes/wechat-mock.ts';
import { adapterContract } from './contract.ts';
import { hostileRecord, revokedProxy, throwingProxy, withThrowingGetter } from './hostile-values.ts';

const GROUP = '东电校友会·北京分会';
const GROUP2 = '东电校友会·上海分会';
const CHANNEL = '电气学院2026届就业信息群';

const tmpDirs: string[] = [];
function tmpDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'relay-wechat-'));
  tmpDirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of tmpDirs.splice(0)) rmSync(d, { recursive: true, force: true });
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

function captureLogger() {
  const lines: { level: number; msg: string; [k: string]: unknown }[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { logger, lines };
}

interface Rig {
  dataDir: string;
  wx: WechatMock;
  adapter: WechatAdapter;
  received: InboundMessage[];
  printed: string[];
  close(): Promise<void>;
}

/** A started adapter on a real wechaty + PuppetMock, logged in. */
async function rig(config: Partial<WechatConfig> = {}, mockOpts: WechatMockOptions = {}, logger = silentLogger, onMessage?: (m: InboundMessage) => Promise<void>): Promise<Rig> {
  const wx = new WechatMock(mockOpts);
  const printed: string[] = [];
  const dataDir = tmpDataDir();
  const adapter = createWechatAdapter(
    { puppet: 'wechaty-puppet-mock', dataDir, sendSpacingMs: [0, 5], handlerRetryDelaysMs: [50], ...config },
    { logger, puppet: wx.puppet, print: (s) => printed.push(s) },
  );
  const received: InboundMessage[] = [];
  await adapter.start(onMessage ?? (async (m) => void received.push(m)));
  await wx.loggedIn();
  return { dataDir, wx, adapter, received, printed, close: () => adapter.stop() };
}

adapterContract('wechat', async () => {
  const wx = new WechatMock();
  wx.room(GROUP);
  wx.room(GROUP2);
  wx.room(CHANNEL);
  const adapter = createWechatAdapter(
    { puppet: 'wechaty-puppet-mock', dataDir: tmpDataDir(), sendSpacingMs: [0, 5], handlerRetryDelaysMs: [50] },
    { logger: silentLogger, puppet: wx.puppet, print: () => {} },
  );
  return {
    adapter,
    group: GROUP,
    group2: GROUP2,
    channel: CHANNEL,
    maxChars: 2000,
    injectGroupText: (text, sender = { id: 'wxid_alumnus', name: '校友' }, inGroup = GROUP) => wx.say(inGroup, sender, text),
    injectOwnText: (text) => wx.botSay(GROUP, text),
    sentTexts: async (chat) => wx.sentTexts(chat),
    // WeChat has no 429: wechat4u rejects with Ret 1205 ("too frequent"), and WeChat gives no
    // retry-after. The fake adds a Retry-After header so the contract can check the value passes through;
    // without one the adapter uses its cooldown (tested below).
    failNextSendWith429: (chat, seconds) => wx.failNextSends(1, () => wechat4uFrequencyError(seconds), chat),
    close: async () => {},
  };
});

const raw = (over: Partial<WechatRawMessage> = {}): WechatRawMessage => ({
  id: 'm1',
  type: 7,
  text: ' 南瑞集团2026届校招内推 ',
  self: false,
  roomId: 'r1@chatroom',
  roomTopic: GROUP,
  talkerId: 'wxid_a',
  talkerName: '王磊',
  date: new Date('2026-11-21T08:00:00Z'),
  ...over,
});

describe('wechat normalize', () => {
  it('turns a group text into an InboundMessage addressed by room topic', () => {
    expect(normalize(raw())).toEqual({
      platform: 'wechat',
      id: 'm1',
      chatId: GROUP,
      chatTitle: GROUP,
      senderId: 'wxid_a',
      senderName: '王磊',
      text: '南瑞集团2026届校招内推',
      sentAt: '2026-11-21T08:00:00.000Z',
    });
  });

  it('reads a shared link (type 14) as title, description and url', () => {
    const m = normalize(raw({ type: 14, text: '', url: { title: '国网江苏电力校招', description: '电气类优先', url: 'https://zhaopin.sgcc.com.cn/j/1' } }));
    expect(m?.text).toBe('国网江苏电力校招\n电气类优先\nhttps://zhaopin.sgcc.com.cn/j/1');
    expect(m?.linkCard).toEqual({ title: '国网江苏电力校招', description: '电气类优先', url: 'https://zhaopin.sgcc.com.cn/j/1' });
    expect(normalize(raw({ type: 14, url: { title: ' 只有标题 ', description: ' ' } }))?.linkCard).toEqual({ title: '只有标题' });
    expect(normalize(raw({ type: 14, text: '', url: {} }))).toBeNull();
  });

  it('reads a private text as chatType private, addressed by the talker id', () => {
    expect(normalize(raw({ roomId: undefined, roomTopic: undefined, talkerType: types.Contact.Individual }))).toMatchObject({
      chatType: 'private',
      chatId: 'wxid_a',
      chatTitle: '王磊',
      senderId: 'wxid_a',
      text: '南瑞集团2026届校招内推',
    });
  });

  it('reads a picture as a media ref (the message id) with text "", keeping only sane facts', () => {
    expect(normalize(raw({ type: types.Message.Image, text: '', image: { width: 1080, height: 1920, bytes: -1, mime: 'text/html' } }))).toMatchObject({
      text: '',
      media: [{ kind: 'image', ref: 'm1', width: 1080, height: 1920 }],
    });
    expect(normalize(raw({ type: types.Message.Image }))?.media?.[0]).toEqual({ kind: 'image', ref: 'm1' });
  });

  it('keeps only the reply of a wechat4u quote', () => {
    const quote = '「校友内推小助手：【电气学院】今日内推\n3. 南瑞」\n- - - - - - - - - - - - - - -\n3 不对口';
    expect(normalize(raw({ text: quote }))?.text).toBe('3 不对口');
    expect(normalize(raw({ text: '「不是引用」就是这样' }))?.text).toBe('「不是引用」就是这样');
    expect(normalize(raw({ text: '「校友：原文」\n- - - - - - - - - - - - - - -\n  ' }))).toBeNull(); // a quote with an empty reply
  });

  it('drops own messages, official and system accounts, other types, empty text and malformed input', () => {
    expect(normalize(raw({ self: true }))).toBeNull();
    expect(normalize(raw({ roomId: undefined, talkerType: types.Contact.Official }))).toBeNull();
    expect(normalize(raw({ roomId: undefined, talkerId: 'gh_3dfda90e39d6' }))).toBeNull();
    expect(normalize(raw({ roomId: undefined, talkerId: 'weixin' }))).toBeNull();
    expect(normalize(raw({ roomId: 42 as never }))).toBeNull(); // an odd room id is not a private chat
    expect(normalize(raw({ type: types.Message.Unknown }))).toBeNull();
    expect(normalize(raw({ type: types.Message.Video }))).toBeNull();
    expect(normalize(raw({ text: '  \n ' }))).toBeNull();
    expect(normalize(raw({ roomTopic: '' }))).toBeNull();
    expect(normalize(raw({ date: new Date('nope') }))).toBeNull();
    expect(normalize(null as never)).toBeNull();
    expect(normalize({} as never)).toBeNull();
  });

  it('keeps mentions, and falls back to the id when the name is empty', () => {
    const m = normalize(raw({ text: '@校友内推小助手 转发一下', talkerName: '' }));
    expect(m).toMatchObject({ text: '@校友内推小助手 转发一下', senderName: 'wxid_a' });
  });

  it('names a renamed group by the old topic the alias table maps to it', () => {
    const m = normalize(raw({ roomTopic: '东电校友会·北京分会2026' }), { aliases: { [GROUP]: '东电校友会·北京分会2026' } });
    expect(m).toMatchObject({ chatId: GROUP, chatTitle: '东电校友会·北京分会2026' });
  });
});

describe('wechat normalize is total', () => {
  it('skips hostile payloads instead of throwing', () => {
    for (const key of Object.keys(raw())) {
      const m = normalize(withThrowingGetter(raw(), key));
      if (['talkerName', 'url', 'text'].includes(key)) continue; // optional for a text, or the text itself (null)
      expect(m).toBeNull();
    }
    expect(normalize(withThrowingGetter(raw(), 'talkerName'))).toMatchObject({ senderName: 'wxid_a' });
    expect(normalize(throwingProxy() as never)).toBeNull();
    expect(normalize(revokedProxy() as never)).toBeNull();
    expect(normalize(raw({ date: Object.create(Date.prototype) }))).toBeNull();
    expect(normalize(raw({ date: new Proxy(new Date(), {}) }))).toBeNull();
    expect(normalize(raw({ text: { toString: () => '内推' } as never }))).toBeNull();
    expect(normalize(raw(), { aliases: throwingProxy() as never })).toMatchObject({ chatId: GROUP });
    expect(normalize(raw(), throwingProxy() as never)).toMatchObject({ chatId: GROUP });
  });

  /** Fields as wechaty gives them. */
  const good = {
    id: fc.string({ minLength: 1, maxLength: 16 }),
    type: fc.constantFrom(7, 14, 6, 0),
    text: fc.oneof(fc.string({ unit: 'grapheme', maxLength: 80 }), fc.tuple(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 })).map(([q, r]) => `「校友：${q}」\n- - - - - - - - - - - - - - -\n${r}`)),
    self: fc.boolean(),
    roomId: fc.option(fc.string({ maxLength: 20 }).map((s) => `${s}@chatroom`), { nil: undefined }),
    talkerType: fc.constantFrom(0, 1, 2, 3),
    image: fc.record({ mime: fc.string({ maxLength: 12 }), bytes: fc.integer(), width: fc.double(), height: fc.nat() }, { requiredKeys: [] }),
    roomTopic: fc.string({ maxLength: 20 }),
    talkerId: fc.string({ minLength: 1, maxLength: 16 }),
    talkerName: fc.string({ maxLength: 12 }),
    date: fc.date(),
    url: fc.record({ title: fc.string({ maxLength: 20 }), description: fc.string({ maxLength: 20 }), url: fc.webUrl() }, { requiredKeys: [] }),
  };
  const aliases = fc.option(fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 })), { nil: undefined });

  it('never throws, and returns null or a well-formed message, whatever it is handed', () => {
    fc.assert(
      fc.property(hostileRecord(good), aliases, (make, a) => {
        const m = normalize(make() as WechatRawMessage, { aliases: a });
        if (m === null) return;
        expect(m.platform).toBe('wechat');
        for (const k of ['id', 'chatId', 'chatTitle', 'senderId', 'senderName', 'sentAt'] as const) {
          expect(typeof m[k]).toBe('string');
          expect(m[k]!.trim()).not.toBe('');
        }
        expect(m.text).toBe(m.text.trim());
        expect(new Date(m.sentAt).toISOString()).toBe(m.sentAt);
        // text is '' only for a picture, which then has exactly one media ref: its own id
        if (m.text === '') expect(m.media).toEqual([expect.objectContaining({ kind: 'image', ref: m.id })]);
        for (const x of m.media ?? []) {
          for (const k of ['bytes', 'width', 'height'] as const) if (x[k] !== undefined) expect(Number.isSafeInteger(x[k]) && x[k]! > 0).toBe(true);
          if (x.mime !== undefined) expect(x.mime).toMatch(/^image\//);
        }
        if (m.linkCard) expect(Object.values(m.linkCard).every((v) => typeof v === 'string' && v === v.trim() && v !== '')).toBe(true);
        expect(m.text).not.toContain('- - - - - - - - - - - - - - -\n'); // a quote's header never reaches the core
        if (m.chatType === 'private') expect(m.chatId).toBe(m.senderId);
        else expect(m.chatType).toBeUndefined();
      }),
      { numRuns: 3000 },
    );
  });

  it('keeps every group text from someone else, trimmed, under its topic', () => {
    const usable = fc
      .record({ ...good, text: fc.string({ unit: 'grapheme', maxLength: 80 }), roomId: good.roomId.map((r) => r ?? 'r@chatroom'), type: fc.constant(7), self: fc.constant(false), date: fc.date({ noInvalidDate: true }) })
      .filter((r) => !r.text.startsWith('「') && r.text.trim() !== '' && r.roomTopic.trim() !== '' && r.id.trim() !== '' && r.talkerId.trim() !== '');
    fc.assert(
      fc.property(usable, (r) => {
        expect(normalize(r)).toMatchObject({ platform: 'wechat', id: r.id, chatId: r.roomTopic.trim(), text: r.text.trim(), sentAt: r.date.toISOString() });
      }),
      { numRuns: 1000 },
    );
  });
});

describe('wechatConfigFromEnv', () => {
  it('is opt-in', () => {
    expect(wechatConfigFromEnv({}, '/d')).toBeUndefined();
    expect(wechatConfigFromEnv({ RELAY_WECHAT: '1' }, '/d')).toEqual({ puppet: 'wechaty-puppet-wechat4u', dataDir: '/d' });
    expect(wechatConfigFromEnv({ WECHATY_PUPPET: 'wechaty-puppet-mock' }, '/d')?.puppet).toBe('wechaty-puppet-mock');
  });

  it('reads spacing and aliases, and names the variable when one is wrong', () => {
    const c = wechatConfigFromEnv({ RELAY_WECHAT: '1', RELAY_WECHAT_SEND_SPACING_MS: '2000-4000', RELAY_WECHAT_ALIASES: '{"旧群":"新群"}' }, '/d');
    expect(c).toMatchObject({ sendSpacingMs: [2000, 4000], aliases: { 旧群: '新群' } });
    expect(() => wechatConfigFromEnv({ RELAY_WECHAT: '1', RELAY_WECHAT_SEND_SPACING_MS: '3000-1000' }, '/d')).toThrow(/RELAY_WECHAT_SEND_SPACING_MS/);
    expect(() => wechatConfigFromEnv({ RELAY_WECHAT: '1', RELAY_WECHAT_ALIASES: '["x"]' }, '/d')).toThrow(/RELAY_WECHAT_ALIASES/);
  });
});

describe('wechat send error mapping', () => {
  it('maps Ret 1205 without a hint to the cooldown, and with a Retry-After header to that', () => {
    const plain = toAdapterError(wechat4uFrequencyError(), 'send');
    expect(plain).toBeInstanceOf(AdapterError);
    expect(plain.retryAfterMs).toBe(DEFAULT_FREQUENCY_COOLDOWN_MS);
    expect(plain.opts.status).toBe(429);
    expect(toAdapterError(wechat4uFrequencyError(), 'send', 5000).retryAfterMs).toBe(5000);
    expect(toAdapterError(wechat4uFrequencyError(90), 'send').retryAfterMs).toBe(90_000);
    expect(toAdapterError(new Error('发送消息过于频繁，可稍后再试。'), 'send', 1000).retryAfterMs).toBe(1000);
  });

  it('leaves other failures retryable without a delay', () => {
    const e = toAdapterError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'send');
    expect(e.permanent).toBe(false);
    expect(e.retryAfterMs).toBeUndefined();
    expect(e.message).toContain('socket hang up');
  });
});

describe('toPlainText (WeChat text)', () => {
  it('flattens Telegram HTML and Lark posts', () => {
    expect(toPlainText({ format: 'html', body: '<b>A&amp;B</b> &lt;急招&gt;<br><a href="https://x.cn/j?a=1&amp;b=2">投递</a>' })).toBe('A&B <急招>\n投递 https://x.cn/j?a=1&b=2');
    const post = { zh_cn: { title: '今日内推', content: [[{ tag: 'text', text: '1. ' }, { tag: 'a', text: '南瑞', href: 'https://x.cn' }], [{ tag: 'at', user_name: '王磊' }]] } };
    expect(toPlainText({ format: 'lark-post', body: JSON.stringify(post) })).toBe('今日内推\n1. 南瑞 https://x.cn\n@王磊');
    expect(toPlainText({ format: 'lark-post', body: 'not json' })).toBe('not json');
  });
});

describe('wechat adapter on wechaty + PuppetMock', () => {
  let r: Rig | undefined;
  afterEach(async () => {
    await r?.close();
    r = undefined;
  });

  it('draws the login QR with a link and bilingual instructions, and keeps the session under dataDir/wechat', async () => {
    const { logger, lines } = captureLogger();
    r = await rig({}, { scanQrcode: 'https://login.weixin.qq.com/l/abc==' }, logger);
    const out = r.printed.join('\n');
    expect(out).toContain(`https://wechaty.js.org/qrcode/${encodeURIComponent('https://login.weixin.qq.com/l/abc==')}`);
    expect(out).toContain('扫一扫');
    expect(out).toContain('Scan');
    expect(out).toMatch(/[▀▄█]/); // the small terminal QR
    expect(existsSync(join(r.dataDir, 'wechat'))).toBe(true);
    expect(out).toContain(join(r.dataDir, 'wechat'));
    await waitFor(() => lines.find((l) => /logged in/.test(l.msg)));
    expect(lines.every((l) => l.platform === 'wechat')).toBe(true);
  });

  it('reads link cards, uses the group nickname, takes private chats, and ignores types other than text/link/picture', async () => {
    r = await rig();
    const rig_ = r;
    const alumnus = rig_.wx.member('王磊');
    rig_.wx.setRoomAlias(GROUP, alumnus, '2015届-王磊-国网江苏');
    await rig_.wx.sayPrivately('王磊', 'private hello');
    await rig_.wx.sayType(GROUP, '王磊', types.Message.Video);
    await rig_.wx.sayUrl(GROUP, '王磊', { title: '国网江苏电力2026届校招', description: '电气类专业优先', url: 'https://x.cn/j/1' });
    await rig_.wx.say(GROUP, '王磊', 'marker');
    await waitFor(() => rig_.received.find((x) => x.text === 'marker'));
    await waitFor(() => rig_.received.find((x) => x.text === 'private hello')); // its own chat: not ordered with the group's
    const [priv, link, marker, ...rest] = [...rig_.received].sort((x, y) => (x.chatType === 'private' ? -1 : y.chatType === 'private' ? 1 : 0));
    expect(priv).toMatchObject({ chatType: 'private', chatId: alumnus.id, senderName: '王磊', text: 'private hello' });
    expect(link).toMatchObject({ chatId: GROUP, senderName: '2015届-王磊-国网江苏', text: '国网江苏电力2026届校招\n电气类专业优先\nhttps://x.cn/j/1' });
    expect(marker?.text).toBe('marker'); // the video was skipped
    expect(rest).toEqual([]);
  });

  it('goes on after a handler error and after a message it cannot read', async () => {
    const { logger, lines } = captureLogger();
    const seen: string[] = [];
    r = await rig({}, {}, logger, async (m) => {
      seen.push(m.text);
      if (m.text === 'boom') throw new Error('handler exploded');
    });
    const rig_ = r;
    rig_.wx.puppet.messageUrl = async () => {
      throw new Error('broken url payload');
    };
    await rig_.wx.say(GROUP, '李娜', 'boom');
    await rig_.wx.sayUrl(GROUP, '李娜', { title: 't', url: 'https://x.cn' });
    await rig_.wx.say(GROUP, '李娜', 'still here');
    await waitFor(() => (seen.includes('still here') ? true : undefined));
    expect(lines.some((l) => l.msg.includes('handler failed'))).toBe(true);
    expect(lines.some((l) => l.msg.includes('could not be read'))).toBe(true);
  });

  it('rejects a send to a topic two groups share, naming both room ids', async () => {
    r = await rig();
    r.wx.room('校友群', { id: 'aaa111@chatroom' });
    r.wx.room('校友群', { id: 'bbb222@chatroom' });
    const err = await r.adapter.send('校友群', { format: 'plain', body: 'hi' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AdapterError);
    expect((err as AdapterError).permanent).toBe(true);
    expect((err as AdapterError).message).toContain('aaa111@chatroom');
    expect((err as AdapterError).message).toContain('bbb222@chatroom');
    expect(r.wx.sends).toEqual([]);
  });

  it('rejects a send to an unknown group as permanent once the room list is loaded, retryable before', async () => {
    r = await rig();
    await r.wx.ready();
    const err = await r.adapter.send('没有这个群', { format: 'plain', body: 'hi' }).catch((e: unknown) => e);
    expect((err as AdapterError).permanent).toBe(true);
    await r.close();
    r = await rig({}, { emitReady: false });
    const early = await r.adapter.send('没有这个群', { format: 'plain', body: 'hi' }).catch((e: unknown) => e);
    expect((early as AdapterError).permanent).toBe(false);
    expect((early as AdapterError).retryAfterMs).toBeGreaterThan(0);
  });

  it('follows the alias table both ways, and a group renamed while running', async () => {
    const { logger, lines } = captureLogger();
    r = await rig({ aliases: { 电气学院就业群: CHANNEL } }, {}, logger);
    const rig_ = r;
    rig_.wx.room(CHANNEL);
    await rig_.adapter.send('电气学院就业群', { format: 'plain', body: 'via alias' });
    expect(rig_.wx.sentTexts(CHANNEL)).toEqual(['via alias']);
    await rig_.wx.say(CHANNEL, '王磊', 'inbound via alias');
    const m = await waitFor(() => rig_.received[0]);
    expect(m).toMatchObject({ chatId: '电气学院就业群', chatTitle: CHANNEL });

    rig_.wx.room(GROUP);
    await rig_.adapter.send(GROUP, { format: 'plain', body: 'before rename' });
    rig_.wx.rename(GROUP, `${GROUP}（2026）`);
    const warning = await waitFor(() => lines.find((l) => /renamed/.test(l.msg)));
    expect(warning.msg).toContain(`"${GROUP}" → "${GROUP}（2026）"`);
    await rig_.adapter.send(GROUP, { format: 'plain', body: 'after rename' });
    expect(rig_.wx.sentTexts(`${GROUP}（2026）`)).toEqual(['before rename', 'after rename']);
  });

  it('sends one at a time, spaced within the jitter bounds, and resolves when sent', async () => {
    r = await rig({ sendSpacingMs: [40, 60] }, { sendLatencyMs: 15 });
    r.wx.room(CHANNEL);
    const started = Date.now();
    const bodies = ['一', '二', '三', '四'];
    const results = await Promise.all(bodies.map((b) => r!.adapter.send(CHANNEL, { format: 'plain', body: b }).then(() => Date.now())));
    const sends = r.wx.sends;
    expect(sends.map((s) => s.text)).toEqual(bodies);
    for (let i = 1; i < sends.length; i++) {
      const gap = sends[i]!.startedAt - sends[i - 1]!.endedAt;
      expect(gap).toBeGreaterThanOrEqual(39); // timers may fire a tick early
      expect(gap).toBeLessThan(60 + 250); // generous: a loaded CI machine fires timers late
    }
    // each send resolved after its text was accepted
    for (let i = 0; i < sends.length; i++) expect(results[i]!).toBeGreaterThanOrEqual(sends[i]!.endedAt);
    expect(Date.now() - started).toBeGreaterThanOrEqual(3 * 40 + 4 * 15);
  });

  it('spaces the parts of a split message too, and flattens HTML before sending', async () => {
    r = await rig({ sendSpacingMs: [20, 20], maxChars: 30 });
    r.wx.room(CHANNEL);
    const lines = Array.from({ length: 6 }, (_, i) => `<b>${i}</b> 南瑞集团 嵌入式软件工程师`);
    await r.adapter.send(CHANNEL, { format: 'html', body: lines.join('\n') });
    const texts = r.wx.sentTexts(CHANNEL);
    expect(texts.length).toBeGreaterThan(1);
    for (const t of texts) expect(t.length).toBeLessThanOrEqual(30);
    expect(texts.join('\n')).not.toContain('<b>');
    const s = r.wx.sends;
    for (let i = 1; i < s.length; i++) expect(s[i]!.startedAt - s[i - 1]!.endedAt).toBeGreaterThanOrEqual(19);
  });

  it('fails a send with a retryable error when nobody has logged in yet', async () => {
    const wx = new WechatMock({ autoLogin: false });
    wx.room(CHANNEL);
    const adapter = createWechatAdapter(
      { puppet: 'wechaty-puppet-mock', dataDir: tmpDataDir(), sendSpacingMs: [0, 5], loginWaitMs: 50 },
      { logger: silentLogger, puppet: wx.puppet, print: () => {} },
    );
    r = { dataDir: '', wx, adapter, received: [], printed: [], close: () => adapter.stop() };
    await adapter.start(async () => {});
    const err = await adapter.send(CHANNEL, { format: 'plain', body: 'hi' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AdapterError);
    expect((err as AdapterError).permanent).toBe(false);
    expect((err as AdapterError).message).toMatch(/scan/i);
  });

  it('logs a logout with the promise of a fresh QR, and restarts wechaty when an error leaves it logged out', async () => {
    const { logger, lines } = captureLogger();
    r = await rig({ reconnectDelayMs: 20 }, {}, logger);
    const rig_ = r;
    await rig_.wx.puppet.logout('kicked');
    await waitFor(() => lines.find((l) => /fresh QR/.test(l.msg)));
    expect(rig_.adapter.isLoggedIn).toBe(false);
    rig_.wx.puppet.emit('error', { gerror: 'synccheck failed' });
    await waitFor(() => lines.find((l) => /restarting wechaty/.test(l.msg)));
    await waitFor(() => (rig_.adapter.isLoggedIn ? true : undefined));
    rig_.wx.room(CHANNEL);
    await rig_.adapter.send(CHANNEL, { format: 'plain', body: 'back' });
    expect(rig_.wx.sentTexts(CHANNEL)).toEqual(['back']);
  });

  it('an error the puppet repeats (WeChat unreachable) is one warning line without a stack, not one per retry', async () => {
    const { logger, lines } = captureLogger();
    r = await rig({}, {}, logger);
    for (let i = 0; i < 40; i++) r.wx.puppet.emit('error', { gerror: 'getaddrinfo ENOTFOUND login.wx.qq.com' });
    for (let i = 0; i < 3; i++) r.wx.puppet.emit('error', { gerror: 'synccheck failed' });
    const debugged = () => lines.filter((l) => l.level === 20 && l.msg === 'wechaty error').length;
    await waitFor(() => (debugged() >= 43 ? true : undefined));
    await vWait(20); // and nothing more comes
    const warned = lines.filter((l) => l.level >= 40 && /^wechaty error/.test(l.msg));
    expect(warned.map((l) => l.error)).toEqual([expect.stringContaining('ENOTFOUND login.wx.qq.com'), expect.stringContaining('synccheck failed')]);
    expect(JSON.stringify(warned)).not.toMatch(/\n\s+at /); // no stack frames at warn level
    expect(debugged()).toBe(43); // each one still at debug
  });

  it('reports its status: the login QR while waiting for a scan, up once logged in, down after a logout', async () => {
    const wx = new WechatMock({ autoLogin: false });
    const adapter = createWechatAdapter({ puppet: 'wechaty-puppet-mock', dataDir: tmpDataDir(), sendSpacingMs: [0, 5], handlerRetryDelaysMs: [50] }, { logger: silentLogger, puppet: wx.puppet, print: () => {} });
    r = { dataDir: '', wx, adapter, received: [], printed: [], close: () => adapter.stop() };
    const seen: { state: string; loginQr?: string; error?: string }[] = [];
    adapter.onStatusChange((st) => seen.push(st));
    await adapter.start(async () => {});
    expect(adapter.status()).toEqual({ state: 'connecting' });
    await vWait(20); // the mock puppet starts its mocker in setImmediate
    wx.mocker.scan('https://login.weixin.qq.com/l/qr1', types.ScanStatus.Waiting);
    await waitFor(() => (adapter.status().loginQr ? true : undefined));
    expect(adapter.status()).toEqual({ state: 'connecting', loginQr: 'https://login.weixin.qq.com/l/qr1' });
    wx.mocker.login(wx.self);
    await waitFor(() => (adapter.status().state === 'up' ? true : undefined));
    expect(adapter.status().loginQr).toBeUndefined();
    await wx.puppet.logout('kicked by the phone');
    await waitFor(() => (adapter.status().state === 'down' ? true : undefined));
    expect(adapter.status().error).toMatch(/logged the account out \(kicked by the phone\); scan/);
    // A fresh code after a logout keeps the account down (with its reason) until it is scanned.
    wx.mocker.scan('https://login.weixin.qq.com/l/qr2', types.ScanStatus.Waiting);
    await waitFor(() => (adapter.status().loginQr === 'https://login.weixin.qq.com/l/qr2' ? true : undefined));
    expect(adapter.status().state).toBe('down');
    expect(seen.map((x) => x.state)).toEqual(['connecting', 'connecting', 'up', 'down', 'down']); // start, QR, login, logout, new QR
  });

  it('keeps a message it has no room for in memory on disk, and handles it when there is room', async () => {
    const { logger, lines } = captureLogger();
    let release!: () => void;
    const gate = new Promise<void>((res) => (release = res));
    const seen: string[] = [];
    r = await rig({ ingestConcurrency: 1, maxQueuedMessages: 1, spoolSweepMs: 100 }, {}, logger, async (m) => {
      await gate;
      seen.push(m.text);
    });
    const rig_ = r;
    for (const t of ['one', 'two', 'three']) await rig_.wx.say(GROUP, '王磊', t);
    const full = await waitFor(() => lines.find((l) => /queue full/.test(l.msg)));
    expect(full).toMatchObject({ level: 40, platform: 'wechat' });
    release();
    await waitFor(() => (seen.length === 3 ? true : undefined));
    expect(seen).toEqual(['one', 'two', 'three']);
  });

  it('fails start with the same clear error on every try when the puppet cannot be loaded (the supervisor retries it)', async () => {
    const adapter = createWechatAdapter({ puppet: 'wechaty-puppet-not-installed', dataDir: tmpDataDir() }, { logger: silentLogger, print: () => {} });
    r = { dataDir: '', wx: new WechatMock(), adapter, received: [], printed: [], close: () => adapter.stop() };
    const first = await adapter.start(async () => {}).catch((e: unknown) => e);
    await adapter.stop();
    const second = await adapter.start(async () => {}).catch((e: unknown) => e);
    for (const e of [first, second]) {
      expect(e).toBeInstanceOf(AdapterError);
      expect((e as AdapterError).message).toMatch(/^wechat start: wechaty did not start with wechaty-puppet-not-installed: Cannot find package 'wechaty-puppet-not-installed'/);
    }
    await expect(adapter.send(CHANNEL, { format: 'plain', body: 'x' })).rejects.toThrow(/not started/);
  });

  it('builds the puppet by name when no instance is given, keeping the session dir', async () => {
    const dataDir = tmpDataDir();
    const adapter = createWechatAdapter({ puppet: 'wechaty-puppet-mock', dataDir }, { logger: silentLogger, print: () => {} });
    r = { dataDir, wx: new WechatMock(), adapter, received: [], printed: [], close: () => adapter.stop() };
    await adapter.start(async () => {});
    expect(existsSync(join(dataDir, 'wechat'))).toBe(true);
    expect(adapter.isLoggedIn).toBe(false);
  });

  it('stop() stops wechaty and rejects queued sends', async () => {
    r = await rig({ sendSpacingMs: [200, 200] });
    r.wx.room(CHANNEL);
    await r.adapter.send(CHANNEL, { format: 'plain', body: 'first' });
    const queued = r.adapter.send(CHANNEL, { format: 'plain', body: 'second' }).catch((e: unknown) => e);
    await vWait(20);
    await r.adapter.stop();
    const err = await queued;
    expect(err).toBeInstanceOf(AdapterError);
    expect(r.wx.sentTexts(CHANNEL)).toEqual(['first']);
    expect(r.wx.puppet.isLoggedIn).toBe(false);
  });
});

describe('SendQueue', () => {
  it('uses the jitter source inside [min, max]', async () => {
    const q = new SendQueue([10, 30], () => 1);
    const ends: number[] = [];
    const starts: number[] = [];
    const call = async () => {
      starts.push(Date.now());
      ends.push(Date.now());
    };
    await Promise.all([q.run((pace) => pace(call)), q.run((pace) => pace(call)), q.run((pace) => pace(call))]);
    expect(starts[1]! - ends[0]!).toBeGreaterThanOrEqual(29);
    expect(starts[2]! - ends[1]!).toBeGreaterThanOrEqual(29);
    expect(() => new SendQueue([5, 1])).toThrow(RangeError);
  });
});

function vWait(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
