import fc from 'fast-check';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { LocalAdapter, LOCAL_BOT_ID, normalize, toPlainText, type LocalRawMessage } from '../../adapters/local/index.ts';
import { QueueFullError } from '../../src/chat-queue.ts';
import { PLATFORMS, type InboundMessage } from '../../src/domain.ts';
import { adapterContract } from './contract.ts';
import { hostileRecord, revokedProxy, throwingProxy, withThrowingGetter } from './hostile-values.ts';

adapterContract('local', async () => {
  const adapter = new LocalAdapter({ print: () => {}, maxChars: 500 });
  const group = '东电校友会·北京分会';
  return {
    adapter,
    group,
    group2: '东电校友会·上海分会',
    channel: '电气学院2026届就业信息群',
    maxChars: 500,
    // Handed over, not handled: post() resolves only once the relay handled the message.
    injectGroupText: async (text, sender = { id: 'u-1', name: '校友' }, inGroup = group) => {
      void adapter.post({ platform: 'wechat', group: inGroup, senderId: sender.id, senderName: sender.name, text }).catch(() => undefined);
    },
    injectOwnText: (text) => adapter.post({ platform: 'wechat', group, senderId: LOCAL_BOT_ID, text }),
    sentTexts: async (chat) => adapter.sent.filter((s) => s.chat === chat).map((s) => s.text),
    failNextSendWith429: (chat, seconds) => adapter.failNextSend(chat, seconds * 1000),
    close: async () => {},
  };
});

function captureLogger() {
  const lines: { level: number; msg: string; [k: string]: unknown }[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { logger, lines };
}

describe('local normalize', () => {
  it('drops empty, own and malformed messages', () => {
    expect(normalize({ group: 'g', senderId: 'u', text: '   ' })).toBeNull();
    expect(normalize({ group: 'g', senderId: LOCAL_BOT_ID, text: 'hi' })).toBeNull();
    expect(normalize({ group: '', senderId: 'u', text: 'hi' })).toBeNull();
    expect(normalize(null as never)).toBeNull();
  });

  it('keeps the platform a sample names', () => {
    const m = normalize({ platform: 'lark', group: 'oc_1', senderId: 'u', text: ' 内推 ' }, new Date('2026-11-21T00:00:00Z'));
    expect(m).toMatchObject({ platform: 'lark', chatId: 'oc_1', text: '内推', sentAt: '2026-11-21T00:00:00.000Z' });
  });

  it('skips hostile payloads instead of throwing', () => {
    const good = { group: 'g', senderId: 'u', text: '内推' };
    for (const key of Object.keys(good)) expect(normalize(withThrowingGetter(good, key))).toBeNull();
    expect(normalize(throwingProxy() as never)).toBeNull();
    expect(normalize(revokedProxy() as never)).toBeNull();
    expect(normalize({ ...good, text: { toString: () => '内推' } } as never)).toBeNull();
    // A throwing getter on an optional field only loses that field.
    expect(normalize(withThrowingGetter({ ...good, senderName: '王磊' }, 'senderName'))).toMatchObject({ senderName: 'u', text: '内推' });
  });
});

/** Fields as a local group would give them. */
const goodLocal = {
  platform: fc.constantFrom(...PLATFORMS),
  group: fc.string({ minLength: 1, maxLength: 20 }),
  senderId: fc.string({ minLength: 1, maxLength: 12 }),
  senderName: fc.string({ maxLength: 12 }),
  text: fc.string({ unit: 'grapheme', maxLength: 80 }),
  id: fc.string({ maxLength: 12 }),
  at: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
};

function wellFormed(m: InboundMessage): void {
  expect(PLATFORMS).toContain(m.platform);
  for (const k of ['id', 'chatId', 'senderId', 'senderName', 'text', 'sentAt'] as const) {
    expect(typeof m[k]).toBe('string');
    expect(m[k].trim()).not.toBe('');
  }
  expect(m.text).toBe(m.text.trim());
  expect(new Date(m.sentAt).toISOString()).toBe(m.sentAt);
}

describe('local normalize properties', () => {
  it('never throws, and returns null or a well-formed message, whatever it is handed', () => {
    fc.assert(
      fc.property(hostileRecord(goodLocal), (make) => {
        const m = normalize(make() as LocalRawMessage, new Date('2026-11-21T00:00:00Z'));
        if (m !== null) wellFormed(m);
      }),
      { numRuns: 3000 },
    );
  });

  it('keeps every usable group text, trimmed, in its group', () => {
    const usable = fc.record({ ...goodLocal, text: fc.string({ minLength: 1, maxLength: 80 }).filter((t) => t.trim() !== '') })
      .filter((r) => r.group.trim() !== '' && r.senderId.trim() !== '' && r.senderId !== LOCAL_BOT_ID);
    fc.assert(
      fc.property(usable, (raw) => {
        const m = normalize(raw);
        expect(m).not.toBeNull();
        expect(m).toMatchObject({ platform: raw.platform, chatId: raw.group, senderId: raw.senderId, text: raw.text.trim(), sentAt: raw.at });
      }),
      { numRuns: 1000 },
    );
  });
});

describe('local ingest', () => {
  it('logs a handler failure and resolves post(), so a replay goes on', async () => {
    const { logger, lines } = captureLogger();
    const adapter = new LocalAdapter({ print: () => {}, logger });
    await adapter.start(async () => {
      throw new Error('store exploded');
    });
    await expect(adapter.post({ group: 'g', senderId: 'u', text: 'x' })).resolves.toBeUndefined();
    expect(lines.some((l) => l.msg.includes('handler failed') && l.platform === 'local')).toBe(true);
    await adapter.stop();
  });

  it('refuses a message when the queue is full, and says so in the log', async () => {
    const { logger, lines } = captureLogger();
    const adapter = new LocalAdapter({ print: () => {}, logger, ingestConcurrency: 1, maxQueuedMessages: 2 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const handled: string[] = [];
    await adapter.start(async (m) => {
      await gate;
      handled.push(m.text);
    });
    const posts = ['1', '2', '3'].map((t) => adapter.post({ group: 'g', senderId: 'u', text: t }));
    const refused = await adapter.post({ group: 'g', senderId: 'u', text: '4' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(QueueFullError);
    expect(lines.find((l) => l.msg.includes('queue full'))).toMatchObject({ level: 50, chat: 'g' });
    release();
    await Promise.all(posts);
    expect(handled).toEqual(['1', '2', '3']);
    await adapter.stop();
  });

  it('stop() waits for the messages being handled', async () => {
    const adapter = new LocalAdapter({ print: () => {} });
    let done = false;
    await adapter.start(async () => {
      await new Promise((r) => setTimeout(r, 50));
      done = true;
    });
    void adapter.post({ group: 'g', senderId: 'u', text: 'x' });
    await adapter.stop();
    expect(done).toBe(true);
  });
});

describe('toPlainText', () => {
  it('reads Telegram HTML and Lark posts as text', () => {
    expect(toPlainText({ format: 'html', body: '<b>A&amp;B</b> <a href="https://x.cn/j">投递</a>' })).toBe('A&B 投递 https://x.cn/j');
    const post = { zh_cn: { title: 'T', content: [[{ tag: 'text', text: '1. ' }, { tag: 'a', text: '链接', href: 'https://x.cn' }]] } };
    expect(toPlainText({ format: 'lark-post', body: JSON.stringify(post) })).toBe('T\n1. 链接 https://x.cn');
  });
});
