// memberCount on Telegram: getChatMemberCount through the real grammY client against the loopback fake,
// through the PlatformSupervisor as the relay uses it; cached for hours, failures → undefined.
import { afterEach, describe, expect, it } from 'vitest';
import { createTelegramAdapter } from '../../adapters/telegram/index.ts';
import { silentLogger } from '../../src/log.ts';
import { PlatformSupervisor } from '../../src/supervisor.ts';
import { TelegramFakeServer } from '../fakes/telegram-server.ts';

describe('telegram memberCount', () => {
  let fake: TelegramFakeServer;
  let stop: () => Promise<void> = async () => {};
  afterEach(async () => {
    await stop();
    await fake.stop();
  });

  async function rig() {
    fake = new TelegramFakeServer();
    const apiRoot = await fake.start();
    let now = 1_000_000;
    const adapter = createTelegramAdapter(
      { token: fake.token, apiRoot },
      { logger: silentLogger, pollTimeoutSeconds: 1, throttle: false, retry: { attempts: 0, networkAttempts: 0 }, memberCounts: { now: () => now } },
    );
    const supervisor = new PlatformSupervisor(adapter, { logger: silentLogger, secrets: [fake.token] });
    stop = () => supervisor.stop();
    return { supervisor, advance: (ms: number) => (now += ms), asked: () => fake.callsOf('getChatMemberCount').map((c) => String(c.payload.chat_id)) };
  }

  it('asks Telegram once per chat and keeps the answer for 6 hours', async () => {
    const { supervisor, advance, asked } = await rig();
    expect(await supervisor.memberCount('-1001')).toBeUndefined(); // not started: nothing asked
    expect(asked()).toEqual([]);
    await supervisor.start(async () => {});
    fake.memberCounts.set('-1001', 57);
    fake.memberCounts.set('-1002', 230);
    const [a, b, again] = await Promise.all([supervisor.memberCount('-1001'), supervisor.memberCount('-1002'), supervisor.memberCount('-1001')]);
    expect([a, b, again]).toEqual([56, 229, 56]); // the bot is not one of the people
    expect(asked().sort()).toEqual(['-1001', '-1002']); // one request per chat, also when asked twice at once
    fake.memberCounts.set('-1001', 60);
    advance(5 * 3600_000);
    expect(await supervisor.memberCount('-1001')).toBe(56);
    advance(1 * 3600_000 + 1);
    expect(await supervisor.memberCount('-1001')).toBe(59);
    expect(asked().filter((c) => c === '-1001')).toHaveLength(2);
  });

  it('gives undefined, never an error, for a chat Telegram does not know or a server failure, and does not ask again at once', async () => {
    const { supervisor, advance, asked } = await rig();
    await supervisor.start(async () => {});
    expect(await supervisor.memberCount('-1009')).toBeUndefined(); // 400 chat not found
    fake.memberCounts.set('-1003', 12);
    fake.failNext(1, { kind: '5xx', status: 502 }, { method: 'getChatMemberCount' });
    expect(await supervisor.memberCount('-1003')).toBeUndefined();
    expect(await supervisor.memberCount('-1003')).toBeUndefined(); // remembered as unknown for a while
    expect(asked()).toEqual(['-1009', '-1003']);
    advance(10 * 60_000 + 1);
    expect(await supervisor.memberCount('-1003')).toBe(11);
  });
});
