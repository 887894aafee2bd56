// Lark start-up failures: start() rejects with ONE clear line (what failed, what to check) — no
// stack, no secret, no SDK dump — and can be called again after a failure.
import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLarkAdapter, type LarkAdapter, type LarkConfig } from '../../adapters/lark/index.ts';
import { silentLogger } from '../../src/log.ts';
import { AdapterError } from '../../src/ports.ts';
import { FakeLarkServer } from '../fakes/lark-server.ts';

const ENCRYPT_KEY = 'enc-key-for-start-tests';
const TOKEN = 'verification-token-for-start-tests';

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function capture(): { logger: pino.Logger; text: () => string } {
  let out = '';
  const sink = new Writable({
    write(chunk, _enc, cb) {
      out += String(chunk);
      cb();
    },
  });
  return { logger: pino({ level: 'trace' }, sink), text: () => out };
}

async function startError(adapter: LarkAdapter): Promise<AdapterError> {
  const err = await adapter.start(async () => {}).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AdapterError);
  return err as AdapterError;
}

/** One line, no stack text, no secret, no SDK dump. */
function expectOneClearLine(err: AdapterError, secrets: string[]): void {
  expect(err.message).not.toMatch(/[\r\n]/);
  expect(err.message).not.toMatch(/\bat .+:\d+:\d+|\[object|AxiosError|config|headers/);
  expect(err.message.length).toBeLessThan(300);
  for (const s of secrets) expect(err.message).not.toContain(s);
  expect(err.cause).toBeUndefined();
}

describe('lark start-up failures', () => {
  let fake: FakeLarkServer;
  const adapters: LarkAdapter[] = [];
  beforeEach(async () => {
    fake = new FakeLarkServer();
    await fake.start();
  });
  afterEach(async () => {
    for (const a of adapters.splice(0)) await a.stop();
    await fake.stop();
  });

  async function make(over: Partial<LarkConfig> = {}, logger = silentLogger, opts: { requestTimeoutMs?: number; wsReadyTimeoutMs?: number } = {}): Promise<LarkAdapter> {
    const base = fake.baseUrl;
    const config: LarkConfig = { appId: fake.appId, appSecret: fake.appSecret, domain: base, mode: 'webhook', webhookPort: 0, webhookHost: '127.0.0.1', encryptKey: ENCRYPT_KEY, verificationToken: TOKEN, ...over };
    const a = createLarkAdapter(config, { logger, requestTimeoutMs: opts.requestTimeoutMs ?? 1000, wsReadyTimeoutMs: opts.wsReadyTimeoutMs ?? 8000 });
    adapters.push(a);
    return a;
  }

  it('bad app secret: names the token request, the code and what to check', async () => {
    const secret = 'a-wrong-secret-0123456789';
    const err = await startError(await make({ appSecret: secret }));
    expect(err.message).toBe('lark start: 飞书/Lark: could not get a tenant token (HTTP 400 code 10014 app secret invalid): check LARK_APP_ID / LARK_APP_SECRET');
    expect(err.permanent).toBe(true);
    expectOneClearLine(err, [secret, ENCRYPT_KEY, TOKEN]);
  });

  it('a token answer with HTTP 200 and an error code', async () => {
    const a = await make();
    fake.failNext(1, { kind: 'error', status: 200, code: 10003, msg: 'invalid app_id\nsee docs' }, 'token');
    const err = await startError(a);
    expect(err.message).toBe('lark start: 飞书/Lark: could not get a tenant token (code 10003 invalid app_id see docs): check LARK_APP_ID / LARK_APP_SECRET');
    expectOneClearLine(err, [fake.appSecret]);
  });

  it('connection refused: names the host and says to check LARK_DOMAIN and the network', async () => {
    const port = await closedPort();
    const err = await startError(await make({ domain: `http://127.0.0.1:${port}` }));
    expect(err.message).toBe(`lark start: 飞书/Lark: could not reach 127.0.0.1:${port} (ECONNREFUSED): check LARK_DOMAIN and the network (DNS, firewall, proxy)`);
    expect(err.permanent).toBe(false);
    expectOneClearLine(err, [fake.appSecret]);
  });

  it('a name that does not resolve (DNS)', async () => {
    const err = await startError(await make({ domain: 'http://open.lark-relay-test.invalid' }, silentLogger, { requestTimeoutMs: 3000 }));
    expect(err.message).toMatch(/^lark start: 飞书\/Lark: could not reach open\.lark-relay-test\.invalid \((ENOTFOUND|EAI_AGAIN|timed out)\): check LARK_DOMAIN/);
    expectOneClearLine(err, [fake.appSecret]);
  }, 15_000);

  it('a webhook port in use', async () => {
    const first = await make();
    await first.start(async () => {});
    const err = await startError(await make({ webhookPort: first.webhookPort! }));
    expect(err.message).toBe(`lark start: 飞书/Lark: the webhook server could not listen on port ${first.webhookPort} (EADDRINUSE): check LARK_WEBHOOK_PORT / LARK_WEBHOOK_HOST`);
  });

  it('long connection: a refused WebSocket handshake fails start() at once, not after the ready timeout', async () => {
    const a = await make({ mode: 'ws' }, silentLogger, { wsReadyTimeoutMs: 20_000 });
    fake.failNext(1, { kind: 'error', status: 403, code: 403 }, 'ws');
    const t0 = Date.now();
    const err = await startError(a);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(err.message).toBe(`lark start: 飞书/Lark: the long-connection WebSocket handshake with ${new URL(fake.baseUrl).host} failed: check LARK_DOMAIN, the network and any proxy`);
    expectOneClearLine(err, [fake.appSecret]);
    expect(fake.wsConnections).toBe(0);
  });

  it('long connection: the endpoint refusing the app (code 403) says to check the credentials and the long-connection setting', async () => {
    const a = await make({ mode: 'ws' });
    fake.failNext(1, { kind: 'error', status: 200, code: 403, msg: 'forbidden' }, 'ws-endpoint');
    const err = await startError(a);
    expect(err.message).toMatch(/^lark start: 飞书\/Lark: the long connection was refused \(code 403 forbidden\): check LARK_APP_ID \/ LARK_APP_SECRET and that the app receives events through the long connection/);
    expect(err.permanent).toBe(true);
    expectOneClearLine(err, [fake.appSecret]);
  });

  it('start() can be called again after a failure, in both modes, and then receives events', async () => {
    for (const mode of ['webhook', 'ws'] as const) {
      const a = await make({ mode });
      fake.failNext(1, { kind: 'error', status: 400, code: 10014, msg: 'app secret invalid' }, 'token');
      await startError(a);
      if (mode === 'ws') {
        fake.failNext(1, { kind: 'error', status: 403, code: 403 }, 'ws');
        await startError(a);
      }
      const got: string[] = [];
      await a.start(async (m) => void got.push(m.text));
      if (mode === 'webhook') fake.deliverTo({ url: `http://127.0.0.1:${a.webhookPort}/`, encryptKey: ENCRYPT_KEY, verificationToken: TOKEN });
      else fake.deliverTo(undefined);
      expect((await fake.injectMessage({ chatId: 'oc_g', senderOpenId: 'ou_a', text: `${mode} works` })).status).toBe(200);
      expect(got).toEqual([`${mode} works`]);
      await a.stop();
    }
  });

  it('the SDK logger never prints the app secret, the keys or a token, whatever fails', async () => {
    const log = capture();
    const a = await make({ mode: 'ws' }, log.logger);
    fake.failNext(1, { kind: 'error', status: 400, code: 10014, msg: 'app secret invalid' }, 'token');
    await startError(a);
    fake.failNext(1, { kind: 'error', status: 403, code: 403 }, 'ws');
    await startError(a);
    await a.start(async () => {});
    await fake.injectMessage({ chatId: 'oc_g', senderOpenId: 'ou_a', text: 'hello' });
    fake.failNext(1, { kind: 'server-error' });
    fake.failNext(1, { kind: 'error', status: 400, code: 10014, msg: 'app secret invalid' }, 'token');
    fake.revokeTokens();
    await a.send('oc_c', { format: 'plain', body: 'x' }).catch(() => undefined);
    const out = log.text();
    expect(out).toContain('"sdk":true'); // the SDK did log, at every level we pass through
    expect(out).not.toContain(fake.appSecret);
    expect(out).not.toContain(TOKEN);
    expect(out).not.toMatch(/t-fake-[0-9a-f]{12}/);
    expect(out).not.toMatch(/ticket=fake|access_key=fake/);
  });
});
