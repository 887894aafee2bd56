// memberCount on Lark: the real SDK's im.v1.chat.get (GET /open-apis/im/v1/chats/:chat_id, tenant token
// included) against the loopback fake, through the PlatformSupervisor; user_count read as a number,
// cached for hours, failures → undefined and logged without secrets.
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createLarkAdapter } from '../../adapters/lark/index.ts';
import { PlatformSupervisor } from '../../src/supervisor.ts';
import { FakeLarkServer } from '../fakes/lark-server.ts';

describe('lark memberCount', () => {
  let fake: FakeLarkServer;
  let stop: () => Promise<void> = async () => {};
  afterEach(async () => {
    await stop();
    await fake.stop();
  });

  async function rig() {
    fake = new FakeLarkServer();
    const domain = await fake.start();
    let out = '';
    const logger = pino(
      { level: 'trace' },
      new Writable({
        write(chunk, _enc, cb) {
          out += String(chunk);
          cb();
        },
      }),
    );
    let now = 5_000_000;
    const adapter = createLarkAdapter(
      { appId: fake.appId, appSecret: fake.appSecret, domain, mode: 'webhook', webhookPort: 0, webhookHost: '127.0.0.1', verificationToken: 'vt-member-count' },
      { logger, requestTimeoutMs: 2000, retryDelayMs: 10, memberCounts: { now: () => now } },
    );
    const supervisor = new PlatformSupervisor(adapter, { logger, secrets: [fake.appSecret] });
    stop = () => supervisor.stop();
    await supervisor.start(async () => {});
    expect(supervisor.health().state).toBe('up');
    return { supervisor, log: () => out, advance: (ms: number) => (now += ms), asked: () => fake.callsTo('chat-info').map((c) => c.path.split('/').pop()) };
  }

  it("reads the group's user_count (bots apart) once and keeps it for 6 hours", async () => {
    const { supervisor, advance, asked } = await rig();
    fake.chats.set('oc_students_ee', { name: '电气学院 2027 届', userCount: 312, botCount: 2 });
    const [a, b] = await Promise.all([supervisor.memberCount('oc_students_ee'), supervisor.memberCount('oc_students_ee')]);
    expect([a, b]).toEqual([312, 312]);
    expect(asked()).toEqual(['oc_students_ee']);
    fake.chats.set('oc_students_ee', { userCount: 320 });
    advance(6 * 3600_000 - 1);
    expect(await supervisor.memberCount('oc_students_ee')).toBe(312);
    advance(2);
    expect(await supervisor.memberCount('oc_students_ee')).toBe(320);
  });

  it('gives undefined for an unknown chat, a hidden count and a server error, logging no secret', async () => {
    const { supervisor, log, advance } = await rig();
    expect(await supervisor.memberCount('oc_unknown')).toBeUndefined();
    fake.chats.set('oc_hidden', { name: '隐藏人数的群' });
    expect(await supervisor.memberCount('oc_hidden')).toBeUndefined();
    fake.chats.set('oc_flaky', { userCount: 40 });
    fake.failNext(1, { kind: 'server-error', status: 503 }, 'chat-info');
    expect(await supervisor.memberCount('oc_flaky')).toBeUndefined();
    advance(10 * 60_000 + 1);
    expect(await supervisor.memberCount('oc_flaky')).toBe(40);
    expect(log()).toMatch(/lark group size unknown/);
    expect(log()).toMatch(/232006/);
    expect(log()).not.toContain(fake.appSecret);
    expect(log()).not.toMatch(/t-fake-[0-9a-f]{12}/); // no tenant token
  });
});
