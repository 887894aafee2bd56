// The supervisor keeps one platform's trouble to itself: start never throws, a failed platform is
// retried with backoff and comes up later, sends wait (retryably) while it is down, health tells.
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { AdapterStatus, ObservableAdapter } from '../../src/adapter-status.ts';
import type { InboundMessage, OutboundMessage, Platform } from '../../src/domain.ts';
import { AdapterError, type MessageHandler, type SendResult } from '../../src/ports.ts';
import { describeError, PlatformDownError, PlatformSupervisor, redactSecrets, secretsFromEnv } from '../../src/supervisor.ts';

const TOKEN = '7405123456:AAFakeTokenForTestsOnly_abcdefghijklmn';
const LARK_SECRET = 'fake-lark-app-secret-9f8e7d6c';
const SECRETS = secretsFromEnv({ TELEGRAM_BOT_TOKEN: TOKEN, LARK_APP_SECRET: LARK_SECRET, LARK_APP_ID: 'cli_a1b2', PATH: '/usr/bin' });

/** A platform we control: its start fails while `failStarts` says so; it can report status changes. */
class FakePlatform implements ObservableAdapter {
  starts = 0;
  stops = 0;
  readonly sent: { chat: string; text: string }[] = [];
  handler: MessageHandler | undefined;
  private readonly listeners = new Set<(s: AdapterStatus) => void>();
  constructor(
    readonly platform: Platform,
    private readonly failStarts: (attempt: number) => Error | undefined = () => undefined,
  ) {}
  async start(onMessage: MessageHandler): Promise<void> {
    this.starts += 1;
    const err = this.failStarts(this.starts);
    if (err) throw err;
    this.handler = onMessage;
  }
  async send(chat: string, message: OutboundMessage): Promise<SendResult> {
    this.sent.push({ chat, text: message.body });
    return { messageId: String(this.sent.length) };
  }
  async stop(): Promise<void> {
    this.stops += 1;
    this.handler = undefined;
  }
  onStatusChange(listener: (s: AdapterStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  report(s: AdapterStatus): void {
    for (const l of this.listeners) l(s);
  }
  async deliver(text: string): Promise<void> {
    const m: InboundMessage = { platform: this.platform, id: `m-${text}`, chatId: 'g', senderId: 'u', senderName: 'u', text, sentAt: new Date().toISOString() };
    await this.handler?.(m);
  }
}

function captureLogger() {
  const lines: { level: number; msg: string; [k: string]: unknown }[] = [];
  const raw: string[] = [];
  const write = (s: string) => {
    raw.push(s);
    lines.push(JSON.parse(s));
  };
  const logger = pino({ level: 'debug' }, { write });
  return { logger, lines, raw };
}

async function until(probe: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const fast = { minDelayMs: 20, maxDelayMs: 80, random: () => 1 };
const running: PlatformSupervisor[] = [];
function supervise(adapter: ObservableAdapter, opts: Partial<ConstructorParameters<typeof PlatformSupervisor>[1]> = {}) {
  const s = new PlatformSupervisor(adapter, { logger: pino({ level: 'silent' }), secrets: SECRETS, ...fast, ...opts });
  running.push(s);
  return s;
}
afterEach(async () => {
  for (const s of running.splice(0)) await s.stop();
});

const send = (s: PlatformSupervisor, body: string) => s.send('chat', { format: 'plain', body });

describe('PlatformSupervisor', () => {
  it('brings up a platform whose start fails twice, while another platform runs meanwhile', async () => {
    const telegram = new FakePlatform('telegram', (n) => (n <= 2 ? new Error('getaddrinfo ENOTFOUND api.telegram.org') : undefined));
    const lark = new FakePlatform('lark');
    const tg = supervise(telegram);
    const lk = supervise(lark);
    const got: string[] = [];
    await Promise.all([tg.start(async (m) => void got.push(m.text)), lk.start(async (m) => void got.push(m.text))]);

    // Right after start: Telegram is down and retrying, Lark is up and working.
    expect(tg.health()).toMatchObject({ platform: 'telegram', state: 'down' });
    expect(tg.health().lastError).toContain('ENOTFOUND');
    expect(lk.health()).toMatchObject({ platform: 'lark', state: 'up' });
    await lark.deliver('lark still works');
    await send(lk, 'digest to lark');
    expect(got).toEqual(['lark still works']);
    expect(lark.sent.map((s) => s.text)).toEqual(['digest to lark']);

    await until(() => tg.health().state === 'up');
    expect(telegram.starts).toBe(3);
    expect(telegram.stops).toBe(2); // each failed start let go of what it held before the retry
    await telegram.deliver('telegram is back');
    expect(got).toContain('telegram is back');
    await send(tg, 'digest to telegram');
    expect(telegram.sent.map((s) => s.text)).toEqual(['digest to telegram']);
  });

  it('fails a send with a retryable AdapterError while the platform is down, timed to the next attempt', async () => {
    const lark = new FakePlatform('lark', () => new Error('connect ECONNREFUSED 127.0.0.1:9'));
    const s = supervise(lark, { minDelayMs: 60_000, maxDelayMs: 60_000 });
    await s.start(async () => {});
    const err = await send(s, 'digest').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AdapterError);
    expect(err).toBeInstanceOf(PlatformDownError); // nothing reached Lark: not the delivery's fault
    expect((err as AdapterError).permanent).toBe(false);
    expect((err as AdapterError).platform).toBe('lark');
    expect((err as AdapterError).retryAfterMs).toBeGreaterThan(50_000);
    expect((err as AdapterError).retryAfterMs).toBeLessThanOrEqual(60_000);
    expect((err as AdapterError).message).toContain('ECONNREFUSED');
    expect(lark.sent).toEqual([]);
  });

  it('logs one line without stack or secret for a platform that cannot start, and redacts its health too', async () => {
    const { logger, lines, raw } = captureLogger();
    const leaky = () => {
      const e = new Error(`401 Unauthorized for https://api.telegram.org/bot${TOKEN}/getMe (app secret ${LARK_SECRET})`);
      e.stack = `${e.message}\n    at getMe (/app/node_modules/grammy/out/core/client.js:1:1)`;
      return Object.assign(e, { cause: new Error(`token=${encodeURIComponent(TOKEN)}`) });
    };
    const telegram = new FakePlatform('telegram', (n) => (n <= 3 ? leaky() : undefined));
    const s = supervise(telegram, { logger });
    await s.start(async () => {});
    await until(() => s.health().state === 'up');

    const failures = lines.filter((l) => l.msg.includes('could not start'));
    expect(failures.length).toBe(3);
    const loud = failures.filter((l) => l.level >= 40);
    expect(loud).toHaveLength(1); // the same problem again is a debug line, not a new alarm
    const line = loud[0]!;
    expect(line.level).toBe(50);
    expect(line.msg).toMatch(/^telegram could not start: 401 Unauthorized .*Check TELEGRAM_BOT_TOKEN.*retrying in \d+ s\.$/);
    expect(line).not.toHaveProperty('err');
    expect(line).not.toHaveProperty('stack');
    const all = raw.join('');
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain(encodeURIComponent(TOKEN));
    expect(all).not.toContain(LARK_SECRET);
    expect(all).not.toMatch(/\n\s+at |client\.js/);
    expect(all).toContain('[redacted]');
    expect(lines.find((l) => /up after 4 start attempts/.test(l.msg))).toBeTruthy();
    expect(s.health().lastError).not.toContain(TOKEN);
    expect(s.health().lastError).toContain('[redacted]');
  });

  it('keeps the adapter\'s own advice and drops its repeated prefix', async () => {
    const { logger, lines } = captureLogger();
    const err = new AdapterError('telegram', 'start', 'cannot reach http://127.0.0.1:9 (ECONNREFUSED): check the network or TELEGRAM_API_ROOT');
    const s = supervise(new FakePlatform('telegram', () => err), { logger, minDelayMs: 60_000, maxDelayMs: 60_000 });
    await s.start(async () => {});
    expect(lines.find((l) => l.level === 50)?.msg).toMatch(
      /^telegram could not start: cannot reach http:\/\/127\.0\.0\.1:9 \(ECONNREFUSED\): check the network or TELEGRAM_API_ROOT\. The other platforms keep running; retrying in (30 s|1 min)\.$/,
    );
    expect(s.health().lastError).toBe('cannot reach http://127.0.0.1:9 (ECONNREFUSED): check the network or TELEGRAM_API_ROOT');
  });

  it('stops retrying when stopped during the backoff', async () => {
    const wechat = new FakePlatform('wechat', () => new Error('puppet not found'));
    const s = supervise(wechat, { minDelayMs: 40, maxDelayMs: 40 });
    await s.start(async () => {});
    expect(wechat.starts).toBe(1);
    await s.stop();
    expect(s.health().state).toBe('stopped');
    await new Promise((r) => setTimeout(r, 150));
    expect(wechat.starts).toBe(1);
    const err = await send(s, 'x').catch((e: unknown) => e);
    expect((err as AdapterError).message).toContain('stopped');
  });

  it('backs off exponentially with jitter, capped', async () => {
    const { logger, lines } = captureLogger();
    const wechat = new FakePlatform('wechat', (n) => (n <= 5 ? new Error('puppet not found') : undefined));
    let r = 0;
    const randoms = [1, 1, 1, 1, 0];
    const s = supervise(wechat, { logger, minDelayMs: 10, maxDelayMs: 40, random: () => randoms[r++] ?? 1 });
    await s.start(async () => {});
    await until(() => s.health().state === 'up');
    const delays = lines.filter((l) => l.msg.includes('could not start')).map((l) => l.retryInMs);
    // Doubling from 10 ms, capped at 40; a draw of 0 waits half the ceiling (equal jitter).
    expect(delays).toEqual([10, 20, 40, 40, 20]);
  });

  it('shows a platform the adapter reports down, and up again, without touching sends', async () => {
    const { logger, lines } = captureLogger();
    const telegram = new FakePlatform('telegram');
    const s = supervise(telegram, { logger });
    await s.start(async () => {});
    const before = s.health().since;
    await new Promise((r) => setTimeout(r, 5));
    telegram.report({ state: 'down', error: `polling stopped: 409 Conflict (bot${TOKEN})` });
    expect(s.health()).toMatchObject({ state: 'down', lastError: 'polling stopped: 409 Conflict (bot[redacted])' });
    expect(s.health().since > before).toBe(true);
    expect(lines.find((l) => l.level === 40)?.msg).toBe('telegram is down: polling stopped: 409 Conflict (bot[redacted])');
    // Sending does not depend on polling: the adapter still gets the send.
    await send(s, 'still sent');
    expect(telegram.sent).toHaveLength(1);
    telegram.report({ state: 'up' });
    expect(s.health().state).toBe('up');
    expect(lines.some((l) => l.msg === 'telegram is up again')).toBe(true);
  });

  it('surfaces a login QR the adapter reports, and the status it had when start() resolved', async () => {
    const wechat = new FakePlatform('wechat');
    Object.assign(wechat, { status: (): AdapterStatus => ({ state: 'connecting', loginQr: 'https://login.weixin.qq.com/l/abc' }) });
    const s = supervise(wechat);
    await s.start(async () => {});
    expect(s.health()).toMatchObject({ state: 'connecting', loginQr: 'https://login.weixin.qq.com/l/abc' });
    wechat.report({ state: 'up' });
    expect(s.health().state).toBe('up');
    expect(s.health().loginQr).toBeUndefined();
  });

  it('records when the last message arrived', async () => {
    const local = new FakePlatform('local');
    const s = supervise(local, { now: () => new Date('2026-11-21T08:00:00Z') });
    await s.start(async () => {});
    expect(s.health().lastMessageAt).toBeUndefined();
    await local.deliver('hello');
    expect(s.health().lastMessageAt).toBe('2026-11-21T08:00:00.000Z');
  });
});

describe('describeError / redactSecrets', () => {
  it('is one line, never throws, and hides known secrets and any Telegram token', () => {
    expect(describeError(new Error('a\n  b'))).toBe('a b');
    expect(describeError({ code: 'E1' })).toBe('{"code":"E1"}');
    const hostile = Object.defineProperty(new Error('x'), 'message', {
      get() {
        throw new Error('no');
      },
    });
    expect(describeError(hostile)).toBe('an error that cannot be printed');
    expect(describeError({ toJSON: () => { throw new Error('no'); } })).toBe('an error that cannot be printed');
    expect(describeError(`x${'y'.repeat(1000)}`).length).toBeLessThanOrEqual(300);
    expect(redactSecrets(`bot 123456789:${'A'.repeat(35)} and ${LARK_SECRET}`, SECRETS)).toBe('bot [redacted] and [redacted]');
    expect(SECRETS).not.toContain('cli_a1b2'); // an app id is not a secret
  });
});
