import { describe, expect, it } from 'vitest';
import { LocalAdapter } from '../../adapters/local/index.ts';
import type { Delivery } from '../../src/domain.ts';
import { silentLogger } from '../../src/log.ts';
import { backoffMs, Outbox } from '../../src/outbox.ts';
import { AdapterError, type ChatAdapter } from '../../src/ports.ts';
import { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/tmp.ts';

function delivery(id: string, chat: string, parts: string[], createdAt = '2026-11-21T00:00:00.000Z'): Delivery {
  return {
    id,
    digestId: `dg-${id}`,
    collegeId: 'electrical',
    channel: { platform: 'wechat', chat },
    parts: parts.map((body) => ({ format: 'plain' as const, body })),
    sentParts: 0,
    status: 'pending',
    attempts: 0,
    nextAttemptAt: createdAt,
    createdAt,
  };
}

async function setup(maxAttempts = 3) {
  let clock = new Date('2026-11-21T01:00:00.000Z');
  const store = await Store.open(tempDir());
  const adapter = new LocalAdapter({ print: () => {} });
  const dead: Delivery[] = [];
  const outbox = new Outbox(store, () => adapter, silentLogger, {
    maxAttempts: () => maxAttempts,
    baseDelayMs: 1000,
    random: () => 0.5,
    now: () => clock,
    onDead: (d) => dead.push(d),
  });
  const add = (...ds: Delivery[]) => store.recordDigest({ id: 'dg', collegeId: 'electrical', collegeName: 'x', createdAt: '', items: [] }, ds);
  return { store, adapter, outbox, dead, add, advance: (ms: number) => (clock = new Date(clock.getTime() + ms)) };
}

describe('outbox', () => {
  it('sends every part in order and marks the delivery delivered', async () => {
    const { store, adapter, outbox, add } = await setup();
    await add(delivery('d1', '学生群', ['第一部分', '第二部分']));
    await outbox.drain();
    expect(adapter.sent.map((s) => s.text)).toEqual(['第一部分', '第二部分']);
    expect(store.deliveries()[0]).toMatchObject({ status: 'delivered', sentParts: 2 });
  });

  it('honours a 429 retry-after, holds later deliveries to that channel, and resumes at the failed part', async () => {
    const { store, adapter, outbox, add, advance } = await setup();
    await add(delivery('d1', '学生群', ['一', '二']), delivery('d2', '学生群', ['三'], '2026-11-21T00:00:01.000Z'), delivery('d3', '别的群', ['四']));
    adapter.failNextSend('学生群', 30_000);
    await outbox.drain();
    expect(adapter.sent.map((s) => s.text)).toEqual(['四']);
    expect(store.deliveries()[0]).toMatchObject({ status: 'pending', attempts: 1, nextAttemptAt: '2026-11-21T01:00:30.000Z' });
    advance(10_000);
    await outbox.drain();
    expect(adapter.sent).toHaveLength(1);
    advance(20_000);
    await outbox.drain();
    expect(adapter.sent.map((s) => s.text)).toEqual(['四', '一', '二', '三']);
  });

  it('does not resend parts that went out before a failure', async () => {
    const { adapter, outbox, add, advance } = await setup();
    await add(delivery('d1', '学生群', ['一', '二', '三']));
    const send = adapter.send.bind(adapter);
    let calls = 0;
    adapter.send = async (chat, m) => {
      if (++calls === 2) throw new AdapterError('local', 'send', 'network down');
      return send(chat, m);
    };
    await outbox.drain();
    advance(60_000);
    await outbox.drain();
    expect(adapter.sent.map((s) => s.text)).toEqual(['一', '二', '三']);
  });

  it('dead-letters after the maximum attempts and tells the admins once', async () => {
    const { store, adapter, outbox, dead, add, advance } = await setup(3);
    await add(delivery('d1', '学生群', ['一']));
    adapter.send = async () => {
      throw new AdapterError('local', 'send', 'HTTP 502');
    };
    for (let i = 0; i < 5; i++) {
      await outbox.drain();
      advance(3_600_000);
    }
    expect(store.deliveries()[0]).toMatchObject({ status: 'dead', attempts: 3, lastError: 'local send: HTTP 502' });
    expect(dead.map((d) => d.id)).toEqual(['d1']);
  });

  it('dead-letters at once on a permanent error', async () => {
    const { store, adapter, outbox, add } = await setup(8);
    await add(delivery('d1', '学生群', ['一']));
    adapter.send = async () => {
      throw new AdapterError('local', 'send', 'chat not found', { permanent: true });
    };
    await outbox.drain();
    expect(store.deliveries()[0]).toMatchObject({ status: 'dead', attempts: 1 });
  });

  it('passes ${delivery}-${part} as the idempotency key and measures the send→durable-mark window', async () => {
    const { adapter, outbox, add } = await setup();
    await add(delivery('d1', '学生群', ['一', '二']));
    const keys: (string | undefined)[] = [];
    const send = adapter.send.bind(adapter);
    const spy: ChatAdapter['send'] = async (chat, m, o) => {
      keys.push(o?.idempotencyKey);
      return send(chat, m);
    };
    adapter.send = spy;
    await outbox.drain();
    expect(keys).toEqual(['d1-0', 'd1-1']);
    expect(outbox.markWindowsMs).toHaveLength(2);
    expect(outbox.markWindowsMs.every((ms) => ms >= 0 && ms < 1000)).toBe(true);
  });

  it('after a restart sends what was not delivered, from the first unsent part', async () => {
    const dir = tempDir();
    const s1 = await Store.open(dir);
    await s1.recordDigest({ id: 'dg', collegeId: 'electrical', collegeName: 'x', createdAt: '', items: [] }, [delivery('d1', '学生群', ['一', '二', '三']), delivery('d2', '别的群', ['四'])]);
    await s1.updateDelivery('d1', { sentParts: 1 }); // the process died after part 1 was marked
    const s2 = await Store.open(dir);
    const adapter = new LocalAdapter({ print: () => {} });
    await new Outbox(s2, () => adapter, silentLogger, { maxAttempts: () => 3 }).drain();
    const to = (chat: string) => adapter.sent.filter((s) => s.chat === chat).map((s) => s.text);
    expect(to('学生群')).toEqual(['二', '三']);
    expect(to('别的群')).toEqual(['四']);
    const s3 = await Store.open(dir);
    expect(s3.deliveries().map((d) => d.status)).toEqual(['delivered', 'delivered']);
  });

  it('backs off exponentially with jitter, capped', () => {
    const mid = () => 0.5;
    expect([1, 2, 3, 4].map((a) => backoffMs(a, 1000, 60_000, mid))).toEqual([750, 1500, 3000, 6000]);
    expect(backoffMs(20, 1000, 60_000, mid)).toBe(45_000);
    expect(backoffMs(3, 1000, 60_000, () => 0)).toBe(2000);
    expect(backoffMs(3, 1000, 60_000, () => 1)).toBe(4000);
  });
});

describe('outbox lanes', () => {
  it('a slow channel does not hold up the others', async () => {
    const { adapter, outbox, add } = await setup();
    await add(delivery('slow', '慢群', ['慢']), delivery('fast', '快群', ['快'], '2026-11-21T00:00:01.000Z'));
    const send = adapter.send.bind(adapter);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    adapter.send = async (chat, m) => {
      if (chat === '慢群') await gate;
      return send(chat, m);
    };
    const pass = outbox.drain();
    for (let i = 0; i < 50 && !adapter.sent.length; i++) await new Promise((r) => setTimeout(r, 10));
    expect(adapter.sent.map((s) => s.text)).toEqual(['快']);
    release();
    await pass;
    expect(adapter.sent.map((s) => s.text)).toEqual(['快', '慢']);
  });
});
