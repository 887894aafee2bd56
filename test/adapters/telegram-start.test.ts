// start() failures: one clear line naming what failed and what to check, never the bot token (in
// the message, the stack, the cause, or a log line), and start() works once the cause is fixed.
import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createTelegramAdapter, redact } from '../../adapters/telegram/index.ts';
import { AdapterError, type ChatAdapter } from '../../src/ports.ts';
import { TelegramFakeServer } from '../fakes/telegram-server.ts';

const TOKEN = '7012345678:AAH-secret_TokenPart-0123456789abcdefXYZ';
const SECRET = TOKEN.split(':')[1]!;

function captureLogger() {
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      raw.push(String(chunk));
      cb();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), raw };
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** Every text an error could show when logged or printed: message, stack, the cause chain. */
function everyText(err: unknown): string {
  const out: string[] = [];
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 6; depth++) {
    out.push(String(e));
    if (e instanceof Error) out.push(e.message, e.stack ?? '', JSON.stringify(e), JSON.stringify(Object.entries(e)));
    e = e instanceof Error ? e.cause : undefined;
  }
  return out.join('\n');
}

function expectNoToken(text: string): void {
  expect(text).not.toContain(TOKEN);
  expect(text).not.toContain(SECRET);
}

const adapters: ChatAdapter[] = [];
const fakes: TelegramFakeServer[] = [];
afterEach(async () => {
  for (const a of adapters.splice(0)) await a.stop();
  for (const f of fakes.splice(0)) await f.stop();
});

describe('telegram start() failures', () => {
  it('unreachable Bot API: one line naming the root and the network error, no token anywhere; start works once it is up', async () => {
    const port = await closedPort();
    const apiRoot = `http://127.0.0.1:${port}`;
    const { logger, raw } = captureLogger();
    const a = createTelegramAdapter({ token: TOKEN, apiRoot }, { logger, throttle: false, pollTimeoutSeconds: 1, retry: { networkAttempts: 1, networkBaseDelayMs: 10 } });
    adapters.push(a);
    const err = await a.start(async () => {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AdapterError);
    const e = err as AdapterError;
    expect(e.message).toBe(`telegram start: cannot reach ${apiRoot} (ECONNREFUSED): check the network or TELEGRAM_API_ROOT`);
    expect(e.message).not.toContain('\n');
    expect(e.permanent).toBe(false);
    expect(String(e.cause)).toMatch(/ECONNREFUSED/);
    expectNoToken(everyText(e));
    expect(raw.join('')).toContain('cannot reach');
    expectNoToken(raw.join(''));

    // The same adapter starts once the Bot API answers there (a supervisor retries start()).
    const fake = new TelegramFakeServer({ token: TOKEN });
    fakes.push(fake);
    await listenOn(fake, port);
    const got: string[] = [];
    await a.start(async (m) => {
      got.push(m.text);
    });
    fake.injectMessage({ chat: { id: -1001, type: 'supergroup', title: 'g' }, from: { id: 5, first_name: 'A' }, text: '启动后的内推' });
    await until(() => got.length > 0);
    expect(got).toEqual(['启动后的内推']);
    expectNoToken(raw.join(''));
  });

  it('401 Unauthorized: a permanent error pointing at TELEGRAM_BOT_TOKEN and @BotFather, no token anywhere', async () => {
    const fake = new TelegramFakeServer({ token: '7012345678:the-real-one-0000000000000000000' });
    fakes.push(fake);
    const apiRoot = await fake.start();
    const { logger, raw } = captureLogger();
    const a = createTelegramAdapter({ token: TOKEN, apiRoot }, { logger, throttle: false });
    adapters.push(a);
    const err = await a.start(async () => {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AdapterError);
    const e = err as AdapterError;
    expect(e.message).toBe('telegram start: Telegram refused the bot token (401 Unauthorized): check TELEGRAM_BOT_TOKEN with @BotFather');
    expect(e).toMatchObject({ permanent: true, opts: { status: 401 } });
    expectNoToken(everyText(e));
    expectNoToken(raw.join(''));
    // Called again (say, after the token was fixed in the environment and the process kept running): same answer, no leak, no hang.
    const again = await a.start(async () => {}).catch((x: unknown) => x);
    expect((again as Error).message).toBe(e.message);
  });

  it('a 5xx from the Bot API at start: retryable, names the root', async () => {
    const fake = new TelegramFakeServer({ token: TOKEN });
    fakes.push(fake);
    const apiRoot = await fake.start();
    fake.failNext(10, { kind: '5xx', status: 502 }, { method: 'getMe' });
    const a = createTelegramAdapter({ token: TOKEN, apiRoot }, { logger: captureLogger().logger, throttle: false, retry: { attempts: 0 } });
    adapters.push(a);
    const err = (await a.start(async () => {}).catch((e: unknown) => e)) as AdapterError;
    expect(err.message).toBe(`telegram start: ${apiRoot} answered 502 Bad Gateway: check TELEGRAM_API_ROOT, or try again later`);
    expect(err.permanent).toBe(false);
  });

  it('redact removes the token, its secret half, and any /bot…/ path', () => {
    expect(redact(`request to http://h/bot${TOKEN}/getMe failed`, TOKEN)).toBe('request to http://h/bot<token>/getMe failed');
    expect(redact(`token ${SECRET} leaked`, TOKEN)).toBe('token <token> leaked');
    expect(redact('GET https://api.telegram.org/bot1:other/sendMessage')).toBe('GET https://api.telegram.org/bot<token>/sendMessage');
  });
});

/** The fake on the port the adapter was configured with. */
async function listenOn(fake: TelegramFakeServer, port: number): Promise<void> {
  await fake.start(port);
}

async function until(probe: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 15));
  }
}
