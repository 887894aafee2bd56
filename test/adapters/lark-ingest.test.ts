// Lark ingest: an event is acknowledged (webhook 200 / ws response code 200) only once the handler
// resolved; failures, a passed deadline and a full queue are not acknowledged, so Lark delivers again.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createLarkAdapter, type LarkAdapter, type LarkAdapterOptions, type LarkConfig } from '../../adapters/lark/index.ts';
import type { InboundMessage } from '../../src/domain.ts';
import { silentLogger } from '../../src/log.ts';
import { FakeLarkServer, type FakeMessageSpec } from '../fakes/lark-server.ts';

const GROUP = 'oc_alumni_beijing_0001';
const GROUP2 = 'oc_alumni_shanghai_0002';
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

const alumnus = (text: string, extra: Partial<FakeMessageSpec> = {}): FakeMessageSpec => ({ chatId: GROUP, senderOpenId: 'ou_alumnus', text, ...extra });

describe('lark ingest: acknowledge only what is handled', () => {
  let fake: FakeLarkServer;
  let adapter: LarkAdapter | undefined;
  let server: Server | undefined;
  afterEach(async () => {
    await adapter?.stop();
    adapter = undefined;
    if (server) await new Promise<void>((r) => server!.close(() => r()));
    server = undefined;
    await fake.stop();
  });

  async function webhookAdapter(handler: (m: InboundMessage) => Promise<void>, opts: Partial<LarkAdapterOptions> = {}, over: Partial<LarkConfig> = {}): Promise<LarkAdapter> {
    fake = new FakeLarkServer();
    const base = await fake.start();
    const config: LarkConfig = { appId: fake.appId, appSecret: fake.appSecret, domain: base, mode: 'webhook', webhookPort: 0, webhookHost: '127.0.0.1', encryptKey: ENCRYPT_KEY, verificationToken: TOKEN, ...over };
    adapter = createLarkAdapter(config, { logger: silentLogger, requestTimeoutMs: 1000, retryDelayMs: 20, ...opts });
    await adapter.start(handler);
    if (adapter.webhookPort) fake.deliverTo({ url: `http://127.0.0.1:${adapter.webhookPort}/lark/events`, encryptKey: ENCRYPT_KEY, verificationToken: TOKEN });
    return adapter;
  }

  it('a redelivery while the first copy is in flight waits for the same outcome; the handler runs once', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const seen: string[] = [];
    await webhookAdapter(async (m) => {
      seen.push(m.text);
      await gate;
    });
    const event = fake.event(alumnus('一次'));
    const a = fake.injectEvent(event);
    await waitFor(() => (seen.length ? true : undefined));
    const b = fake.injectEvent(event);
    await new Promise((r) => setTimeout(r, 100));
    release();
    expect((await a).status).toBe(200);
    expect((await b).status).toBe(200);
    expect((await fake.injectEvent(event)).status).toBe(200); // handled: acknowledged at once
    expect(seen).toEqual(['一次']);
  });

  it('a failed event is not recorded as seen: its redelivery runs again and is acknowledged', async () => {
    let fail = true;
    const stored: string[] = [];
    await webhookAdapter(async (m) => {
      if (fail) throw new Error('disk full');
      stored.push(m.text);
    });
    const event = fake.event(alumnus('重投'));
    expect((await fake.injectEvent(event)).status).toBe(500);
    fail = false;
    expect((await fake.injectEvent(event)).status).toBe(200);
    expect(stored).toEqual(['重投']);
  });

  it('past the ack deadline: 503 (Lark redelivers); the work goes on, and the redelivery is acknowledged without running twice', async () => {
    let calls = 0;
    await webhookAdapter(
      async () => {
        calls++;
        await new Promise((r) => setTimeout(r, 400));
      },
      { ackDeadlineMs: 150 },
    );
    const event = fake.event(alumnus('慢'));
    expect((await fake.injectEvent(event)).status).toBe(503);
    await new Promise((r) => setTimeout(r, 400));
    expect((await fake.injectEvent(event)).status).toBe(200); // handled meanwhile: acknowledged, not run again
    expect(calls).toBe(1);
  });

  it('a full queue answers 503 (logged) instead of dropping silently; the refused event is accepted later', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const stored: string[] = [];
    await webhookAdapter(
      async (m) => {
        await gate;
        stored.push(m.text);
      },
      { maxQueue: 1, ackDeadlineMs: 5000 },
    );
    const running = fake.injectMessage(alumnus('running'));
    await waitFor(() => (adapter!.eventsAccepted === 1 ? true : undefined));
    const waiting = fake.injectMessage(alumnus('waiting'));
    await waitFor(() => (adapter!.eventsAccepted === 2 ? true : undefined));
    const refused = fake.event(alumnus('refused'));
    expect((await fake.injectEvent(refused)).status).toBe(503);
    release();
    expect((await running).status).toBe(200);
    expect((await waiting).status).toBe(200);
    expect((await fake.injectEvent(refused)).status).toBe(200);
    expect(stored).toEqual(['running', 'waiting', 'refused']);
  });

  it('different chats are handled at once, and a hung contact API costs at most the name timeout', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const got: InboundMessage[] = [];
    await webhookAdapter(
      async (m) => {
        if (m.chatId === GROUP) await gate;
        got.push(m);
      },
      { nameTimeoutMs: 150, requestTimeoutMs: 5000 },
    );
    fake.failNext(1, { kind: 'hang' }, 'contact');
    fake.users.set('ou_other', '周九');
    const stuck = fake.injectMessage(alumnus('stuck'));
    const t0 = Date.now();
    const other = await fake.injectMessage(alumnus('other chat', { chatId: GROUP2, senderOpenId: 'ou_slow' }));
    expect(other.status).toBe(200);
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(got.map((m) => [m.text, m.senderName])).toEqual([['other chat', 'ou_slow']]); // open_id stood in for the name
    release();
    expect((await stuck).status).toBe(200);
  });

  it('webhookHandler() mounts on another HTTP server; 503 before start and after stop', async () => {
    const got: string[] = [];
    await webhookAdapter(async (m) => void got.push(m.text), {}, { webhookPort: undefined });
    expect(adapter!.webhookPort).toBeUndefined();
    const handler = adapter!.webhookHandler();
    server = createServer((req, res) => {
      if (req.url === '/hooks/lark') handler(req, res);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/lark`;
    fake.deliverTo({ url, encryptKey: ENCRYPT_KEY, verificationToken: TOKEN });
    expect((await fake.injectMessage(alumnus('mounted'))).status).toBe(200);
    expect(got).toEqual(['mounted']);
    const raw = await adapter!.handleWebhook(JSON.stringify({ type: 'url_verification', challenge: 'c', token: TOKEN }), {});
    expect(raw).toEqual({ status: 200, body: JSON.stringify({ challenge: 'c' }) });
    await adapter!.stop();
    expect((await fake.injectMessage(alumnus('after stop'))).status).toBe(503);
    expect(got).toEqual(['mounted']);
  });
});

describe('lark ingest over the long connection', () => {
  let fake: FakeLarkServer;
  let adapter: LarkAdapter | undefined;
  afterEach(async () => {
    await adapter?.stop();
    adapter = undefined;
    await fake.stop();
  });

  it('the response frame goes out only after the handler resolved: code 200, or 500 when it threw', async () => {
    fake = new FakeLarkServer();
    const base = await fake.start();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const stored: string[] = [];
    adapter = createLarkAdapter({ appId: fake.appId, appSecret: fake.appSecret, domain: base, mode: 'ws' }, { logger: silentLogger, requestTimeoutMs: 1000 });
    await adapter.start(async (m) => {
      if (m.text === 'poison') throw new Error('handler failed');
      await gate;
      stored.push(m.text);
    });
    let acked = false;
    const slow = fake.injectMessage(alumnus('slow')).then((r) => {
      acked = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(acked).toBe(false);
    release();
    expect((await slow).status).toBe(200);
    expect(stored).toEqual(['slow']);
    expect((await fake.injectMessage(alumnus('poison'))).status).toBe(500);
  });
});
