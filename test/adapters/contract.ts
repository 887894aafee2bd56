// The one contract every chat adapter passes (local, telegram, lark, wechat).
// Each adapter's test file supplies a harness: the adapter wired to a fake of its platform.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InboundMessage } from '../../src/domain.ts';
import { AdapterError, type ChatAdapter } from '../../src/ports.ts';

export interface ContractHarness {
  adapter: ChatAdapter;
  /** A group the adapter listens to, addressed as the rules would name it. */
  group: string;
  /** A chat the adapter may send to (a student channel). */
  channel: string;
  /** The platform's limit on one message, in characters. */
  maxChars: number;
  /** A second group the adapter listens to (to check that groups are handled concurrently). */
  group2: string;
  /** The platform delivers a text message from another member into `group` (or `inGroup`). Resolves once the platform handed it over, not once it was handled. */
  injectGroupText(text: string, sender?: { id: string; name: string }, inGroup?: string): Promise<void>;
  /** The platform delivers a message the bot itself sent into `group`. */
  injectOwnText(text: string): Promise<void>;
  /** Plain text of every message the platform accepted for `chat`, in order. */
  sentTexts(chat: string): Promise<string[]>;
  /** The platform answers the next send to `chat` with 429 and this retry-after. */
  failNextSendWith429(chat: string, retryAfterSeconds: number): void;
  close(): Promise<void>;
}

async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, ms = 5000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function adapterContract(name: string, makeHarness: () => Promise<ContractHarness>, timeoutMs = 15_000): void {
  describe(`adapter contract: ${name}`, () => {
    let h: ContractHarness;
    let received: InboundMessage[];

    beforeEach(async () => {
      h = await makeHarness();
      received = [];
      await h.adapter.start(async (m) => {
        received.push(m);
      });
    }, timeoutMs);

    afterEach(async () => {
      await h.adapter.stop();
      await h.close();
    }, timeoutMs);

    it('receives a group text as one InboundMessage', async () => {
      await h.injectGroupText('国网江苏电力2026届校招内推，电气类专业优先', { id: 'u-alumnus-1', name: '王磊' });
      const m = await waitFor(() => received[0]);
      expect(m.text).toBe('国网江苏电力2026届校招内推，电气类专业优先');
      expect(m.chatId).toBe(h.group);
      expect(m.senderName).toContain('王磊');
      expect(m.id).toBeTruthy();
      expect(Number.isNaN(Date.parse(m.sentAt))).toBe(false);
    }, timeoutMs);

    it('ignores its own messages', async () => {
      await h.injectOwnText('【电气学院】今日内推速递');
      await h.injectGroupText('marker after own message', { id: 'u-2', name: '李娜' });
      await waitFor(() => received.find((m) => m.text === 'marker after own message'));
      expect(received.map((m) => m.text)).not.toContain('【电气学院】今日内推速递');
    }, timeoutMs);

    it('sends a plain message to a chat', async () => {
      await h.adapter.send(h.channel, { format: 'plain', body: '今日内推 1 条：南瑞集团 嵌入式软件工程师' });
      const texts = await waitFor(async () => {
        const t = await h.sentTexts(h.channel);
        return t.length ? t : undefined;
      });
      expect(texts.join('\n')).toContain('南瑞集团 嵌入式软件工程师');
    }, timeoutMs);

    it('splits a message longer than the platform limit on line boundaries', async () => {
      const line = '1. 国家电网某省公司 2026届 电气工程及其自动化 本科/硕士 内推，截止12月5日。';
      const lines = Array.from({ length: Math.ceil((h.maxChars * 2.5) / line.length) }, (_, i) => `${i} ${line}`);
      const body = lines.join('\n');
      await h.adapter.send(h.channel, { format: 'plain', body });
      const texts = await waitFor(async () => {
        const t = await h.sentTexts(h.channel);
        return t.length >= 3 ? t : undefined;
      });
      for (const t of texts) expect(t.length).toBeLessThanOrEqual(h.maxChars);
      expect(texts.join('\n').split('\n').filter(Boolean)).toEqual(lines);
    }, timeoutMs);

    it('surfaces a 429 as an AdapterError with retryAfterMs, and sends again afterwards', async () => {
      h.failNextSendWith429(h.channel, 120);
      const err = await h.adapter.send(h.channel, { format: 'plain', body: 'rate limited' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(AdapterError);
      expect((err as AdapterError).retryAfterMs).toBe(120_000);
      await h.adapter.send(h.channel, { format: 'plain', body: 'after the limit' });
      const texts = await waitFor(async () => {
        const t = await h.sentTexts(h.channel);
        return t.includes('after the limit') ? t : undefined;
      });
      expect(texts).not.toContain('rate limited');
    }, timeoutMs);

    it('keeps going after the handler fails on a message', async () => {
      await h.adapter.stop();
      received = [];
      await h.adapter.start(async (m) => {
        if (m.text === 'poison') throw new Error('handler failed');
        received.push(m);
      });
      await h.injectGroupText('poison', { id: 'u-4', name: '钱七' });
      await h.injectGroupText('after poison', { id: 'u-4', name: '钱七' });
      await waitFor(() => received.find((m) => m.text === 'after poison'));
    }, timeoutMs);

    it('keeps the order of one group while the handler is slow, and handles another group meanwhile', async () => {
      await h.adapter.stop();
      received = [];
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      await h.adapter.start(async (m) => {
        if (m.text === 'slow-1') await gate; // the first message of `group` is stuck in the store
        received.push(m);
      });
      await h.injectGroupText('slow-1', { id: 'u-5', name: '孙八' });
      await h.injectGroupText('slow-2', { id: 'u-5', name: '孙八' });
      await h.injectGroupText('other group', { id: 'u-6', name: '周九' }, h.group2);
      // The other group is not held up by the stuck one…
      const other = await waitFor(() => received.find((m) => m.text === 'other group'));
      expect(other.chatId).toBe(h.group2);
      expect(received.map((m) => m.text)).not.toContain('slow-2');
      // …and within the stuck group the second message waits for the first.
      release();
      await waitFor(() => received.find((m) => m.text === 'slow-2'));
      const order = received.map((m) => m.text).filter((t) => t.startsWith('slow-'));
      expect(order).toEqual(['slow-1', 'slow-2']);
    }, timeoutMs);

    it('delivers nothing after stop', async () => {
      await h.adapter.stop();
      await h.injectGroupText('after stop', { id: 'u-3', name: '赵敏' }).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 300));
      expect(received.map((m) => m.text)).not.toContain('after stop');
    }, timeoutMs);
  });
}
