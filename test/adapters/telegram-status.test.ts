// A Telegram connection that stops working after start must show on /healthz (through the supervisor's
// health()), not only in a log line: a failing getUpdates, and a revoked token that stops polling for good.
import { afterEach, describe, expect, it } from 'vitest';
import { createTelegramAdapter } from '../../adapters/telegram/index.ts';
import { silentLogger } from '../../src/log.ts';
import { PlatformSupervisor } from '../../src/supervisor.ts';
import { TelegramFakeServer } from '../fakes/telegram-server.ts';

async function until(probe: () => boolean, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('telegram status after start', () => {
  let fake: TelegramFakeServer;
  let stop: () => Promise<void> = async () => {};
  afterEach(async () => {
    await stop();
    await fake.stop();
  });

  it('goes down while getUpdates fails and up again once it answers; a revoked token stays down with what to check', async () => {
    fake = new TelegramFakeServer();
    const apiRoot = await fake.start();
    const adapter = createTelegramAdapter({ token: fake.token, apiRoot }, { logger: silentLogger, pollTimeoutSeconds: 1, throttle: false });
    const supervisor = new PlatformSupervisor(adapter, { logger: silentLogger, secrets: [fake.token] });
    stop = () => supervisor.stop();
    await supervisor.start(async () => {});
    expect(supervisor.health()).toMatchObject({ platform: 'telegram', state: 'up' });

    fake.failNext(1, { kind: '5xx', status: 502 }, { method: 'getUpdates' });
    await until(() => supervisor.health().state === 'down');
    expect(supervisor.health().lastError).toContain('getUpdates failed');
    await until(() => supervisor.health().state === 'up'); // the next poll answers

    fake.failNext(1, { kind: 'error', status: 401, description: 'Unauthorized' }, { method: 'getUpdates' });
    await until(() => supervisor.health().state === 'down');
    expect(supervisor.health().lastError).toContain('TELEGRAM_BOT_TOKEN');
    expect(JSON.stringify(supervisor.health())).not.toContain(fake.token);
    await new Promise((r) => setTimeout(r, 300));
    expect(supervisor.health().state).toBe('down'); // polling stopped for good: it does not come back by itself
  }, 30_000);
});
