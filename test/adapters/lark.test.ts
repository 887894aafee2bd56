import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createLarkAdapter, larkConfigFromEnv, larkUuid, normalize, type LarkAdapter, type LarkConfig, type LarkMessageEvent } from '../../adapters/lark/index.ts';
import type { InboundMessage } from '../../src/domain.ts';
import { silentLogger } from '../../src/log.ts';
import { AdapterError } from '../../src/ports.ts';
import { FakeLarkServer, postEvent, type FakeMessageSpec } from '../fakes/lark-server.ts';
import { adapterContract } from './contract.ts';

const GROUP = 'oc_alumni_beijing_0001';
const GROUP2 = 'oc_alumni_shanghai_0002';
const CHANNEL = 'oc_students_ee_2026';
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
  url: () => string;
  close(): Promise<void>;
}

async function rig(
  over: Partial<LarkConfig> = {},
  adapterOpts: Partial<Parameters<typeof createLarkAdapter>[1]> = {},
  fake = new FakeLarkServer(),
): Promise<Rig> {
  const base = await fake.start();
  const config: LarkConfig = {
    appId: fake.appId,
    appSecret: fake.appSecret,
    domain: base,
    mode: 'webhook',
    webhookPort: 0,
    webhookHost: '127.0.0.1',
    encryptKey: ENCRYPT_KEY,
    verificationToken: TOKEN,
    ...over,
  };
  const adapter = createLarkAdapter(config, { logger: silentLogger, requestTimeoutMs: 1000, retryDelayMs: 20, ...adapterOpts });
  const url = () => `http://127.0.0.1:${adapter.webhookPort}/lark/events`;
  const received: InboundMessage[] = [];
  return {
    fake,
    adapter,
    received,
    url,
    async close() {
      await adapter.stop();
      await fake.stop();
    },
  };
}

async function startWebhookRig(over: Partial<LarkConfig> = {}, adapterOpts: Partial<Parameters<typeof createLarkAdapter>[1]> = {}): Promise<Rig> {
  const r = await rig(over, adapterOpts);
  await r.adapter.start(async (m) => {
    r.received.push(m);
  });
  const target: { url: string; encryptKey?: string; verificationToken?: string } = { url: r.url() };
  const cfg = { encryptKey: ENCRYPT_KEY, verificationToken: TOKEN, ...over };
  if (cfg.encryptKey) target.encryptKey = cfg.encryptKey;
  if (cfg.verificationToken) target.verificationToken = cfg.verificationToken;
  r.fake.deliverTo(target);
  return r;
}

// ───────────────────────────── the contract, webhook mode ─────────────────────────────

adapterContract('lark', async () => {
  const fake = new FakeLarkServer();
  const r = await rig({}, { maxChars: 500 }, fake);
  const deliver = () => fake.deliverTo({ url: r.url(), encryptKey: ENCRYPT_KEY, verificationToken: TOKEN });
  return {
    adapter: r.adapter,
    group: GROUP,
    channel: CHANNEL,
    maxChars: 500,
    group2: GROUP2,
    // Lark answers the POST only once the event is stored, so "handed over" is: the adapter took the
    // event in (it is queued behind its chat), or Lark got its answer (an ignored or refused event).
    async injectGroupText(text, sender = { id: 'u-1', name: '校友' }, inGroup = GROUP) {
      deliver();
      const openId = `ou_${sender.id}`;
      fake.users.set(openId, sender.name);
      const before = r.adapter.eventsAccepted;
      let answer: { status: number } | Error | undefined;
      fake.injectMessage({ chatId: inGroup, senderOpenId: openId, text }, { timeoutMs: 10_000 }).then(
        (res) => (answer = res),
        (e: unknown) => (answer = e instanceof Error ? e : new Error(String(e))),
      );
      await waitFor(() => (answer !== undefined || r.adapter.eventsAccepted > before ? true : undefined), 5000);
      if (answer instanceof Error) throw answer;
    },
    async injectOwnText(text) {
      deliver();
      await fake.injectMessage({ chatId: GROUP, senderOpenId: fake.botOpenId, senderType: 'app', text });
    },
    sentTexts: async (chat) => fake.sentTexts(chat),
    failNextSendWith429: (_chat, seconds) => fake.failNext(1, { kind: 'rate-limit', resetSeconds: seconds }),
    close: () => fake.stop(),
  };
});

// ───────────────────────────── normalize ─────────────────────────────

function ev(message: Partial<NonNullable<LarkMessageEvent['message']>>, sender: Partial<NonNullable<LarkMessageEvent['sender']>> = {}): LarkMessageEvent {
  return {
    event_id: 'ev_1',
    sender: { sender_id: { open_id: 'ou_alumnus', union_id: 'on_x', user_id: 'u1' }, sender_type: 'user', tenant_key: 't', ...sender },
    message: {
      message_id: 'om_1',
      create_time: '1763683200000',
      chat_id: GROUP,
      chat_type: 'group',
      message_type: 'text',
      content: JSON.stringify({ text: 'hello' }),
      ...message,
    },
  };
}

describe('lark normalize', () => {
  const ctx = { botOpenId: 'ou_bot', appId: 'cli_a1b2c3d4e5f60718' };

  it('turns a group text into an InboundMessage with the platform time', () => {
    expect(normalize(ev({ content: JSON.stringify({ text: ' 南瑞集团 2026届 内推 ' }) }), ctx)).toEqual({
      platform: 'lark',
      id: 'om_1',
      chatId: GROUP,
      senderId: 'ou_alumnus',
      senderName: 'ou_alumnus',
      text: '南瑞集团 2026届 内推',
      sentAt: '2025-11-21T00:00:00.000Z',
    });
  });

  it('drops @bot and @all placeholders and names other mentions', () => {
    const m = normalize(
      ev({
        content: JSON.stringify({ text: '@_user_1 国网江苏内推，简历发 @_user_2 @_all 截止12月5日' }),
        mentions: [
          { key: '@_user_1', id: { open_id: 'ou_bot' }, name: '校友内推助手' },
          { key: '@_user_2', id: { open_id: 'ou_zhang' }, name: '张伟' },
        ],
      }),
      ctx,
    );
    expect(m?.text).toBe('国网江苏内推，简历发 @张伟 截止12月5日');
  });

  const postBody = {
    title: '【内推】南瑞集团',
    content: [
      [
        { tag: 'text', text: '嵌入式软件工程师，' },
        { tag: 'a', text: '投递链接', href: 'https://jobs.example.cn/nr/1' },
      ],
      [{ tag: 'img', image_key: 'img_v2_x' }],
      [
        { tag: 'at', user_id: 'ou_li', user_name: '李娜' },
        { tag: 'text', text: ' 可内推 ' },
        { tag: 'emotion', emoji_type: 'SMILE' },
      ],
      [{ tag: 'a', text: 'https://x.cn/a', href: 'https://x.cn/a' }],
      [{ tag: 'code_block', language: 'PLAIN', text: 'REF-2026' }],
    ],
  };
  const postText = '【内推】南瑞集团\n嵌入式软件工程师，投递链接 (https://jobs.example.cn/nr/1)\n\n@李娜 可内推\nhttps://x.cn/a\nREF-2026';

  it('flattens a post without a locale wrapper (as events carry it)', () => {
    expect(normalize(ev({ message_type: 'post', content: JSON.stringify(postBody) }), ctx)?.text).toBe(postText);
  });

  it('flattens a post wrapped in a locale key', () => {
    expect(normalize(ev({ message_type: 'post', content: JSON.stringify({ zh_cn: postBody }) }), ctx)?.text).toBe(postText);
    expect(normalize(ev({ message_type: 'post', content: JSON.stringify({ en_us: postBody }) }), ctx)?.text).toBe(postText);
  });

  it('returns null for what is not a usable text, post or picture', () => {
    expect(normalize(ev({ message_type: 'image', content: JSON.stringify({ file_key: 'x' }) }), ctx)).toBeNull();
    expect(normalize(ev({ message_type: 'file', content: JSON.stringify({ file_key: 'file_x' }) }), ctx)).toBeNull();
    expect(normalize(ev({ message_type: 'post', content: JSON.stringify({ content: [[{ tag: 'emotion', emoji_type: 'SMILE' }]] }) }), ctx)).toBeNull();
    expect(normalize(ev({ chat_type: 'topic' }), ctx)).toBeNull();
    expect(normalize(ev({}, { sender_type: 'app' }), ctx)).toBeNull();
    expect(normalize(ev({}, { sender_id: { open_id: 'ou_bot' } }), ctx)).toBeNull();
    expect(normalize(ev({ content: '{"text": "unterminated' }), ctx)).toBeNull();
    expect(normalize(ev({ content: JSON.stringify({ text: '   ' }) }), ctx)).toBeNull();
    expect(normalize(ev({ content: JSON.stringify({ text: '@_user_1' }), mentions: [{ key: '@_user_1', id: { open_id: 'ou_bot' }, name: 'bot' }] }), ctx)).toBeNull();
    expect(normalize({} as LarkMessageEvent, ctx)).toBeNull();
    expect(normalize(null as never, ctx)).toBeNull();
  });
});

// ───────────────────────────── config ─────────────────────────────

describe('larkConfigFromEnv', () => {
  it('needs an app id and secret, defaults to the long connection on feishu', () => {
    expect(larkConfigFromEnv({ LARK_APP_ID: 'cli_x' })).toBeUndefined();
    expect(larkConfigFromEnv({ LARK_APP_ID: 'cli_x', LARK_APP_SECRET: 's' })).toEqual({ appId: 'cli_x', appSecret: 's', domain: 'feishu', mode: 'ws' });
  });

  it('reads the webhook settings', () => {
    expect(
      larkConfigFromEnv({
        LARK_APP_ID: 'cli_x',
        LARK_APP_SECRET: 's',
        LARK_DOMAIN: 'lark',
        LARK_MODE: 'webhook',
        LARK_WEBHOOK_PORT: '9000',
        LARK_ENCRYPT_KEY: 'k',
        LARK_VERIFICATION_TOKEN: 't',
      }),
    ).toEqual({ appId: 'cli_x', appSecret: 's', domain: 'lark', mode: 'webhook', webhookPort: 9000, encryptKey: 'k', verificationToken: 't' });
    expect(() => larkConfigFromEnv({ LARK_APP_ID: 'a', LARK_APP_SECRET: 's', LARK_MODE: 'poll' })).toThrow(/LARK_MODE/);
  });
});

// ───────────────────────────── webhook ─────────────────────────────

describe('lark webhook', () => {
  let r: Rig | undefined;
  afterEach(async () => {
    await r?.close();
    r = undefined;
  });

  const alumnus = (text: string, extra: Partial<FakeMessageSpec> = {}): FakeMessageSpec => ({ chatId: GROUP, senderOpenId: 'ou_alumnus', text, ...extra });

  it('answers the URL-verification challenge, plain and encrypted, and refuses a wrong token', async () => {
    r = await startWebhookRig();
    const plain = await postEvent(r.url(), { type: 'url_verification', challenge: 'ch-1', token: TOKEN });
    expect(plain).toEqual({ status: 200, body: JSON.stringify({ challenge: 'ch-1' }) });
    const encrypted = await postEvent(r.url(), { type: 'url_verification', challenge: 'ch-2', token: TOKEN }, { encrypt: true, encryptKey: ENCRYPT_KEY, sign: false });
    expect(JSON.parse(encrypted.body)).toEqual({ challenge: 'ch-2' });
    const wrong = await postEvent(r.url(), { type: 'url_verification', challenge: 'ch-3', token: 'nope' });
    expect(wrong.status).toBe(401);
  });

  it('decrypts and delivers a signed, encrypted event, resolving the sender name once', async () => {
    r = await startWebhookRig();
    r.fake.users.set('ou_alumnus', '王磊');
    expect((await r.fake.injectMessage(alumnus('国网江苏内推 1'), { encrypt: true })).status).toBe(200);
    expect((await r.fake.injectMessage(alumnus('国网江苏内推 2'), { encrypt: true })).status).toBe(200);
    await waitFor(() => r!.received[1]);
    expect(r.received.map((m) => [m.text, m.senderName, m.chatId])).toEqual([
      ['国网江苏内推 1', '王磊', GROUP],
      ['国网江苏内推 2', '王磊', GROUP],
    ]);
    expect(r.fake.callsTo('contact')).toHaveLength(1);
  });

  it('answers 401 to a bad signature, an unsigned event and a wrong verification token, and delivers none of them', async () => {
    r = await startWebhookRig();
    expect((await r.fake.injectMessage(alumnus('forged'), { badSignature: true })).status).toBe(401);
    expect((await postEvent(r.url(), r.fake.event(alumnus('unsigned')), { sign: false })).status).toBe(401);
    const wrongToken = r.fake.event(alumnus('wrong token'));
    wrongToken.header.token = 'other';
    expect((await r.fake.injectEvent(wrongToken)).status).toBe(401);
    await r.fake.injectMessage(alumnus('marker'));
    await waitFor(() => r!.received.find((m) => m.text === 'marker'));
    expect(r.received.map((m) => m.text)).toEqual(['marker']);
  });

  it('delivers a redelivered event (same event_id) once', async () => {
    r = await startWebhookRig();
    const event = r.fake.event(alumnus('只投一次'));
    expect((await r.fake.injectEvent(event)).status).toBe(200);
    expect((await r.fake.injectEvent(event)).status).toBe(200);
    await r.fake.injectMessage(alumnus('marker'));
    await waitFor(() => r!.received.find((m) => m.text === 'marker'));
    expect(r.received.map((m) => m.text)).toEqual(['只投一次', 'marker']);
  });

  it('answers 200 only once the handler resolved, 500 when it threw; one chat in order', async () => {
    r = await rig();
    let release!: () => void;
    const gate = new Promise<void>((res) => (release = res));
    const seen: string[] = [];
    await r.adapter.start(async (m) => {
      seen.push(m.text);
      if (m.text === 'first') await gate;
      if (m.text === 'second') throw new Error('handler bug');
    });
    r.fake.deliverTo({ url: r.url(), encryptKey: ENCRYPT_KEY, verificationToken: TOKEN });
    const answers: Record<string, number> = {};
    const post = (text: string) => r!.fake.injectMessage(alumnus(text)).then((res) => (answers[text] = res.status));
    const first = post('first');
    await waitFor(() => (seen.length === 1 ? true : undefined));
    const rest = [post('second'), post('third')];
    await new Promise((res) => setTimeout(res, 200));
    expect(answers).toEqual({}); // nothing acknowledged while the first is not stored
    expect(seen).toEqual(['first']);
    release();
    await Promise.all([first, ...rest]);
    expect(seen).toEqual(['first', 'second', 'third']);
    expect(answers).toEqual({ first: 200, second: 500, third: 200 });
  });

  it('rejects an unreadable body with 400 and keeps going; works without an encrypt key', async () => {
    r = await startWebhookRig({ encryptKey: undefined, verificationToken: undefined });
    const res = await fetch(r.url(), { method: 'POST', body: 'not json', signal: AbortSignal.timeout(2000) });
    expect(res.status).toBe(400);
    expect((await postEvent(r.url(), { encrypt: 'AAAA' })).status).toBe(400);
    await r.fake.injectMessage(alumnus('plain event'));
    await waitFor(() => r!.received[0]);
    expect(r.received[0]!.text).toBe('plain event');
  });

  it('delivers p2p chats (private) and pictures (text \'\'), and skips files and blank texts end to end', async () => {
    r = await startWebhookRig();
    await r.fake.injectMessage(alumnus('private', { chatType: 'p2p' }));
    await r.fake.injectMessage(alumnus('', { messageType: 'image', content: { image_key: 'img_x' } }));
    await r.fake.injectMessage(alumnus('', { messageType: 'file', content: { file_key: 'file_x' } }));
    await r.fake.injectMessage(alumnus('   '));
    await r.fake.injectMessage(alumnus('marker'));
    await waitFor(() => r!.received[2]);
    expect(r.received.map((m) => [m.text, m.chatType ?? 'group', m.media?.length ?? 0])).toEqual([
      ['private', 'private', 0],
      ['', 'group', 1],
      ['marker', 'group', 0],
    ]);
  });
});

// ───────────────────────────── send ─────────────────────────────

describe('lark send', () => {
  let r: Rig | undefined;
  afterEach(async () => {
    await r?.close();
    r = undefined;
  });

  const errorOf = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as AdapterError);

  it('passes the idempotency key as uuid, so a repeated send posts once', async () => {
    r = await startWebhookRig();
    await r.adapter.send(CHANNEL, { format: 'plain', body: '今日内推 1 条' }, { idempotencyKey: 'dlv-42:0' });
    const again = await r.adapter.send(CHANNEL, { format: 'plain', body: '今日内推 1 条' }, { idempotencyKey: 'dlv-42:0' });
    expect(r.fake.sent).toHaveLength(1);
    expect(r.fake.sent[0]).toMatchObject({ receiveId: CHANNEL, receiveIdType: 'chat_id', msgType: 'text', uuid: 'dlv-42:0', text: '今日内推 1 条' });
    expect(again.messageId).toBe(r.fake.sent[0]!.messageId);
  });

  it('gives each split part its own uuid (key-index) and keeps uuids within 50 chars', async () => {
    r = await startWebhookRig({}, { maxChars: 40 });
    const body = Array.from({ length: 6 }, (_, i) => `${i}. 国家电网某省公司 电气工程 内推`).join('\n');
    await r.adapter.send(CHANNEL, { format: 'plain', body }, { idempotencyKey: 'dlv-7' });
    expect(r.fake.sent.length).toBeGreaterThan(1);
    expect(r.fake.sent.map((m) => m.uuid)).toEqual(r.fake.sent.map((_, i) => `dlv-7-${i}`));
    expect(r.fake.sentTexts(CHANNEL).join('\n')).toBe(body);
    const long = 'x'.repeat(80);
    expect(larkUuid(long, 3, 5).length).toBeLessThanOrEqual(50);
    expect(larkUuid(long, 0, 1).length).toBeLessThanOrEqual(50);
    expect(larkUuid(long, 3, 5)).not.toBe(larkUuid(long, 2, 5));
  });

  it('keeps every text part under the 150 KB request-body limit', async () => {
    r = await startWebhookRig();
    const line = '国家电网有限公司2026届高校毕业生招聘（第二批）内推，电气类、计算机类、通信类专业，"引号"\\反斜杠';
    const body = Array.from({ length: 6000 }, (_, i) => `${i} ${line}`).join('\n');
    await r.adapter.send(CHANNEL, { format: 'plain', body });
    expect(r.fake.sent.length).toBeGreaterThan(1);
    for (const m of r.fake.sent) expect(m.bodyBytes).toBeLessThanOrEqual(150 * 1024);
    expect(r.fake.sentTexts(CHANNEL).join('\n')).toBe(body);
  });

  it('sends html as text with tags stripped and links kept', async () => {
    r = await startWebhookRig();
    await r.adapter.send(CHANNEL, { format: 'html', body: '<b>南瑞 &amp; 许继</b><br><a href="https://x.cn/j">投递</a>' });
    expect(r.fake.sent[0]).toMatchObject({ msgType: 'text', text: '南瑞 & 许继\n投递 https://x.cn/j' });
  });

  it('sends lark-post as a post, and splits an oversized post by paragraphs', async () => {
    r = await startWebhookRig({}, { maxPostBytes: 1200 });
    const small = { zh_cn: { title: '电气学院内推速递', content: [[{ tag: 'text', text: '1. ' }, { tag: 'a', text: '南瑞', href: 'https://x.cn/1' }]] } };
    await r.adapter.send(CHANNEL, { format: 'lark-post', body: JSON.stringify(small) });
    expect(r.fake.sent[0]).toMatchObject({ msgType: 'post', content: JSON.stringify(small), text: '电气学院内推速递\n1. 南瑞 https://x.cn/1' });

    const paragraphs = Array.from({ length: 30 }, (_, i) => [{ tag: 'text', text: `${i}. 国网某省公司 电气工程及其自动化 内推` }]);
    await r.adapter.send(CHANNEL, { format: 'lark-post', body: JSON.stringify({ zh_cn: { title: '速递', content: paragraphs } }) }, { idempotencyKey: 'p' });
    const posts = r.fake.sent.slice(1);
    expect(posts.length).toBeGreaterThan(1);
    for (const p of posts) {
      expect(p.msgType).toBe('post');
      expect(p.bodyBytes).toBeLessThanOrEqual(1200);
    }
    expect(posts.map((p) => JSON.parse(p.content).zh_cn.title)).toEqual(['速递', ...posts.slice(1).map(() => undefined)]);
    expect(posts.flatMap((p) => JSON.parse(p.content).zh_cn.content)).toEqual(paragraphs);
    await expect(r.adapter.send(CHANNEL, { format: 'lark-post', body: '{oops' })).rejects.toMatchObject({ permanent: true });
  });

  it('surfaces 99991400 with x-ogw-ratelimit-reset as retryAfterMs without retrying a long wait', async () => {
    r = await startWebhookRig();
    r.fake.failNext(1, { kind: 'rate-limit', resetSeconds: 37 });
    const err = await errorOf(r.adapter.send(CHANNEL, { format: 'plain', body: 'x' }));
    expect(err).toBeInstanceOf(AdapterError);
    expect(err).toMatchObject({ retryAfterMs: 37_000, permanent: false, opts: { status: 429 } });
    expect(r.fake.callsTo('messages')).toHaveLength(1);
  });

  it('treats 99991400 on HTTP 400 as a rate limit, and retries a short one in the adapter', async () => {
    r = await startWebhookRig();
    r.fake.failNext(1, { kind: 'rate-limit', resetSeconds: 5, httpStatus: 400 });
    expect(await errorOf(r.adapter.send(CHANNEL, { format: 'plain', body: 'a' }))).toMatchObject({ retryAfterMs: 5000, permanent: false });
    r.fake.failNext(1, { kind: 'rate-limit', resetSeconds: 0 });
    await r.adapter.send(CHANNEL, { format: 'plain', body: 'b' });
    expect(r.fake.sentTexts(CHANNEL)).toEqual(['b']);
  });

  it('retries one 5xx, surfaces two as retryable, and marks other 4xx permanent', async () => {
    r = await startWebhookRig();
    r.fake.failNext(1, { kind: 'server-error', status: 502 });
    await r.adapter.send(CHANNEL, { format: 'plain', body: 'after one 502' });
    expect(r.fake.sentTexts(CHANNEL)).toEqual(['after one 502']);

    r.fake.failNext(2, { kind: 'server-error' });
    expect(await errorOf(r.adapter.send(CHANNEL, { format: 'plain', body: 'x' }))).toMatchObject({ permanent: false, opts: { status: 500 } });

    r.fake.failNext(1, { kind: 'error', status: 400, code: 230002, msg: 'Bot/User can NOT be out of the chat.' });
    const err = await errorOf(r.adapter.send(CHANNEL, { format: 'plain', body: 'x' }));
    expect(err).toMatchObject({ permanent: true, opts: { status: 400 } });
    expect(err!.message).toContain('230002');
  });

  it('bounds a hung request by the timeout and reports it as retryable', async () => {
    r = await startWebhookRig({}, { requestTimeoutMs: 200 });
    r.fake.failNext(2, { kind: 'hang' });
    const t0 = Date.now();
    const err = await errorOf(r.adapter.send(CHANNEL, { format: 'plain', body: 'x' }, { idempotencyKey: 'hang-1' }));
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(err).toBeInstanceOf(AdapterError);
    expect(err!.permanent).toBe(false);
    await r.adapter.send(CHANNEL, { format: 'plain', body: 'x' }, { idempotencyKey: 'hang-1' });
    expect(r.fake.sent).toHaveLength(1);
  });

  it('fetches a new tenant token when the cached one is revoked', async () => {
    r = await startWebhookRig();
    await r.adapter.send(CHANNEL, { format: 'plain', body: 'one' });
    r.fake.revokeTokens();
    await r.adapter.send(CHANNEL, { format: 'plain', body: 'two' });
    expect(r.fake.sentTexts(CHANNEL)).toEqual(['one', 'two']);
    expect(r.fake.callsTo('token').length).toBe(2);
  });

  it('never logs the app secret, encrypt key or tenant token', async () => {
    let out = '';
    const sink = new Writable({
      write(chunk, _enc, cb) {
        out += String(chunk);
        cb();
      },
    });
    const logger = pino({ level: 'trace' }, sink);
    const fake = new FakeLarkServer();
    r = await rig({}, { logger }, fake);
    await r.adapter.start(async () => {});
    fake.deliverTo({ url: r.url(), encryptKey: ENCRYPT_KEY, verificationToken: TOKEN });
    await fake.injectMessage({ chatId: GROUP, senderOpenId: 'ou_a', text: 'hi' });
    await r.adapter.send(CHANNEL, { format: 'plain', body: 'x' });
    fake.failNext(1, { kind: 'error', status: 400, code: 10014, msg: 'app secret invalid' }, 'token');
    fake.revokeTokens();
    await r.adapter.send(CHANNEL, { format: 'plain', body: 'y' }).catch(() => undefined);
    expect(out.length).toBeGreaterThan(0);
    expect(out).not.toContain(fake.appSecret);
    expect(out).not.toContain(ENCRYPT_KEY);
    expect(out).not.toMatch(/t-fake-[0-9a-f]{12}/);
  });
});

// ───────────────────────────── long connection ─────────────────────────────

describe('lark long connection (ws mode)', () => {
  let r: Rig | undefined;
  afterEach(async () => {
    await r?.close();
    r = undefined;
  });

  it('connects through /callback/ws/endpoint, receives events, acknowledges them and dedupes redeliveries', async () => {
    r = await rig({ mode: 'ws' });
    r.fake.users.set('ou_alumnus', '王磊');
    await r.adapter.start(async (m) => {
      r!.received.push(m);
    });
    expect(r.fake.callsTo('ws-endpoint')).toHaveLength(1);
    expect(r.fake.wsConnections).toBe(1);
    const event = r.fake.event({ chatId: GROUP, senderOpenId: 'ou_alumnus', text: '许继电气 内推' });
    const ack = await r.fake.injectEvent(event);
    expect(ack.status).toBe(200);
    await r.fake.injectEvent(event);
    await r.fake.injectMessage({ chatId: GROUP, senderOpenId: r.fake.botOpenId, senderType: 'app', text: 'own' });
    await r.fake.injectMessage({ chatId: GROUP, senderOpenId: 'ou_alumnus', text: 'marker' });
    await waitFor(() => r!.received.find((m) => m.text === 'marker'));
    expect(r.received.map((m) => [m.text, m.senderName])).toEqual([
      ['许继电气 内推', '王磊'],
      ['marker', '王磊'],
    ]);
    await r.adapter.stop();
    await waitFor(() => (r!.fake.wsConnections === 0 ? true : undefined));
  });

  it('fails start() on refused credentials and on a malformed app id', async () => {
    const fake = new FakeLarkServer();
    r = await rig({ mode: 'ws', appSecret: 'wrong' }, {}, fake);
    await expect(r.adapter.start(async () => {})).rejects.toBeInstanceOf(AdapterError);
    const bad = createLarkAdapter({ appId: 'not-an-app-id', appSecret: 's', domain: fake.baseUrl, mode: 'ws' }, { logger: silentLogger, requestTimeoutMs: 500 });
    await expect(bad.start(async () => {})).rejects.toThrow(/cli_/);
    await bad.stop();
  });
});
