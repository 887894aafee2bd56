import fc from 'fast-check';
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

/** A ChatAdapter whose sends wait until the test lets them through, recording what is in flight. */
function gatedAdapter() {
  const sent: { chat: string; text: string }[] = [];
  const waiting: { chat: string; text: string; release: () => void; reject: (e: Error) => void }[] = [];
  const inFlight = new Map<string, number>();
  let maxInFlightPerChat = 0;
  const adapter: ChatAdapter = {
    platform: 'local',
    start: async () => {},
    stop: async () => {},
    send: async (chat, m) => {
      inFlight.set(chat, (inFlight.get(chat) ?? 0) + 1);
      maxInFlightPerChat = Math.max(maxInFlightPerChat, inFlight.get(chat)!);
      try {
        await new Promise<void>((release, reject) => waiting.push({ chat, text: m.body as string, release, reject }));
        sent.push({ chat, text: m.body as string });
        return {};
      } finally {
        inFlight.set(chat, inFlight.get(chat)! - 1);
      }
    },
  };
  const settle = () => new Promise((r) => setTimeout(r, 5));
  /** Lets the waiting send to `chat` through (after it has arrived). */
  const release = async (chat: string) => {
    for (let i = 0; i < 600 && !waiting.some((w) => w.chat === chat); i++) await settle();
    const i = waiting.findIndex((w) => w.chat === chat);
    if (i < 0) throw new Error(`no send to ${chat} is waiting`);
    waiting.splice(i, 1)[0]!.release();
    await settle();
  };
  /** Waits (bounded) until `n` sends are in flight and held. */
  const held = async (n: number) => {
    for (let i = 0; i < 600 && waiting.length < n; i++) await settle();
    if (waiting.length < n) throw new Error(`only ${waiting.length} of ${n} sends arrived`);
  };
  return { adapter, sent, waiting, release, settle, held, maxInFlight: () => maxInFlightPerChat };
}

async function realClockSetup(adapter: ChatAdapter, maxAttempts = 5) {
  const store = await Store.open(tempDir());
  const outbox = new Outbox(store, () => adapter, silentLogger, { maxAttempts: () => maxAttempts, baseDelayMs: 1000, random: () => 0.5 });
  let n = 0;
  const add = async (...ds: Delivery[]) => {
    await store.recordDigest({ id: `dg${++n}`, collegeId: 'electrical', collegeName: 'x', createdAt: '', items: [] }, ds);
    return outbox.drain();
  };
  return { store, outbox, add };
}

describe('outbox lanes run independently', () => {
  it("a new digest's channel starts at once, while another channel is still sending an earlier digest", async () => {
    const g = gatedAdapter();
    const { outbox, add } = await realClockSetup(g.adapter);
    void add(delivery('a1', '甲群', ['甲1', '甲2']));
    await g.release('甲群'); // 甲1 out; 甲2 now in flight, held
    void add(delivery('b1', '乙群', ['乙1']));
    await g.release('乙群');
    expect(g.sent.map((s) => s.text)).toEqual(['甲1', '乙1']);
    await g.release('甲群');
    expect(g.sent.map((s) => s.text)).toEqual(['甲1', '乙1', '甲2']);
    await outbox.drain();
  });

  it('a later digest to a busy channel queues behind the earlier one, one send in flight per channel', async () => {
    const g = gatedAdapter();
    const { store, add } = await realClockSetup(g.adapter);
    void add(delivery('d1', '甲群', ['一', '二']));
    for (let i = 2; i <= 4; i++) void add(delivery(`d${i}`, '甲群', [`第${i}份`], `2026-11-21T00:00:0${i}.000Z`));
    for (let i = 0; i < 5; i++) await g.release('甲群');
    expect(g.sent.map((s) => s.text)).toEqual(['一', '二', '第2份', '第3份', '第4份']);
    expect(g.maxInFlight()).toBe(1);
    expect(store.deliveries().every((d) => d.status === 'delivered')).toBe(true);
  });

  it('once started, a retry comes due on its own timer (no drain, sweep far away)', async () => {
    const adapter = new LocalAdapter({ print: () => {} });
    const { store, outbox } = await realClockSetup(adapter);
    adapter.failNextSend('学生群', 80);
    outbox.start(3_600_000); // the sweep runs once now, then not again within this test
    await store.recordDigest({ id: 'dg', collegeId: 'electrical', collegeName: 'x', createdAt: '', items: [] }, [delivery('d1', '学生群', ['一'], new Date().toISOString())]);
    await outbox.drain();
    expect(store.deliveries()[0]).toMatchObject({ status: 'pending', attempts: 1 });
    for (let i = 0; i < 300 && store.deliveries()[0]!.status === 'pending'; i++) await new Promise((r) => setTimeout(r, 10));
    expect(store.deliveries()[0]).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(adapter.sent.map((s) => s.text)).toEqual(['一']);
    await outbox.stop();
  });

  it('stop() waits for the send in flight, marks it, and starts no other; a restart resumes at the next part', async () => {
    const g = gatedAdapter();
    const { store, outbox, add } = await realClockSetup(g.adapter);
    void add(delivery('d1', '甲群', ['一', '二']), delivery('d2', '乙群', ['三'], '2026-11-21T00:00:01.000Z'));
    await g.held(2);
    let stopped = false;
    const stopping = outbox.stop().then(() => (stopped = true));
    await g.settle();
    expect(stopped).toBe(false); // 一 and 三 are in flight
    await g.release('甲群');
    await g.release('乙群');
    await stopping;
    expect(g.sent.map((s) => s.text)).toEqual(['一', '三']);
    expect(g.waiting).toHaveLength(0); // 二 was not started
    expect(store.deliveries().map((d) => [d.id, d.status, d.sentParts])).toEqual([
      ['d1', 'pending', 1],
      ['d2', 'delivered', 1],
    ]);
    const resumed = outbox.drain();
    await g.release('甲群');
    await resumed;
    expect(g.sent.map((s) => s.text)).toEqual(['一', '三', '二']);
  });

  it('a dead-lettered delivery does not hold back the next one in its channel', async () => {
    const adapter = new LocalAdapter({ print: () => {} });
    const { store, outbox, add } = await realClockSetup(adapter, 1);
    const send = adapter.send.bind(adapter);
    adapter.send = async (chat, m) => {
      if (m.body === '坏') throw new AdapterError('local', 'send', 'HTTP 502');
      return send(chat, m);
    };
    await add(delivery('d1', '学生群', ['坏']), delivery('d2', '学生群', ['好'], '2026-11-21T00:00:01.000Z'));
    await outbox.drain();
    expect(store.deliveries().map((d) => d.status)).toEqual(['dead', 'delivered']);
    expect(adapter.sent.map((s) => s.text)).toEqual(['好']);
  });
});

describe('outbox lanes (property)', () => {
  it('whatever the interleaving of digests, drains and failures: each channel gets its parts once, in order, one send at a time', async () => {
    const chats = ['甲', '乙', '丙'];
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ chat: fc.constantFrom(...chats), parts: fc.integer({ min: 1, max: 3 }), drains: fc.integer({ min: 0, max: 2 }) }), { minLength: 1, maxLength: 12 }),
        fc.array(fc.boolean(), { maxLength: 40 }),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 20 }),
        async (digests, failures, delays) => {
          const sent = new Map<string, string[]>();
          const inFlight = new Map<string, number>();
          let maxInFlight = 0;
          let call = 0;
          const adapter: ChatAdapter = {
            platform: 'local',
            start: async () => {},
            stop: async () => {},
            send: async (chat, m) => {
              const n = call++;
              inFlight.set(chat, (inFlight.get(chat) ?? 0) + 1);
              maxInFlight = Math.max(maxInFlight, inFlight.get(chat)!);
              try {
                for (let k = 0; k < delays[n % delays.length]!; k++) await new Promise((r) => setImmediate(r));
                // A refused send (the platform did not act), retried at once.
                if (failures[n]) throw new AdapterError('local', 'send', 'HTTP 503', { retryAfterMs: 0 });
                (sent.get(chat) ?? sent.set(chat, []).get(chat)!).push(m.body as string);
                return {};
              } finally {
                inFlight.set(chat, inFlight.get(chat)! - 1);
              }
            },
          };
          const { store, outbox } = await realClockSetup(adapter, 1000);
          const want = new Map<string, string[]>();
          const running: Promise<void>[] = [];
          for (const [i, dg] of digests.entries()) {
            const parts = Array.from({ length: dg.parts }, (_, k) => `${dg.chat}${i}-${k}`);
            (want.get(dg.chat) ?? want.set(dg.chat, []).get(dg.chat)!).push(...parts);
            const at = new Date(Date.UTC(2026, 10, 21, 0, 0, i)).toISOString();
            running.push(store.recordDigest({ id: `dg${i}`, collegeId: 'electrical', collegeName: 'x', createdAt: '', items: [] }, [delivery(`d${i}`, dg.chat, parts, at)]).then(() => outbox.drain()));
            for (let k = 0; k < dg.drains; k++) running.push(outbox.drain());
          }
          await Promise.all(running);
          await outbox.drain();
          expect(maxInFlight).toBeLessThanOrEqual(1);
          for (const chat of chats) expect(sent.get(chat) ?? []).toEqual(want.get(chat) ?? []);
          expect(store.deliveries().every((d) => d.status === 'delivered')).toBe(true);
          await store.close();
        },
      ),
      { numRuns: 60 },
    );
  }, 60_000);
});
