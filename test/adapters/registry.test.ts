import { describe, expect, it } from 'vitest';
import { configuredPlatforms, createAdapters } from '../../adapters/index.ts';
import { LocalAdapter } from '../../adapters/local/index.ts';
import { silentLogger } from '../../src/log.ts';

const base = { logger: silentLogger, dataDir: '/tmp/alumni-relay-registry-test' };

describe('adapter registry', () => {
  it('starts the platforms whose credentials are set', () => {
    expect(configuredPlatforms({})).toEqual([]);
    expect(configuredPlatforms({ TELEGRAM_BOT_TOKEN: '1:x', LARK_APP_ID: 'cli_a', LARK_APP_SECRET: 's', RELAY_WECHAT: '1' })).toEqual(['telegram', 'lark', 'wechat']);
    expect(configuredPlatforms({ LARK_APP_ID: 'cli_a' })).toEqual([]); // a secret is needed too
  });

  it('falls back to one local adapter standing in for every platform', async () => {
    const setup = await createAdapters({ ...base, env: {} });
    expect(setup.local).toBe(true);
    const adapters = new Set(setup.adapters.values());
    expect(adapters.size).toBe(1);
    expect([...adapters][0]).toBeInstanceOf(LocalAdapter);
    expect([...setup.adapters.keys()].sort()).toEqual(['lark', 'local', 'telegram', 'wechat']);
  });

  it('builds the real adapters from the environment, and --platform forces a choice', async () => {
    const env = { TELEGRAM_BOT_TOKEN: '123:ABC', TELEGRAM_API_ROOT: 'http://127.0.0.1:9', LARK_APP_ID: 'cli_a1b2c3d4e5f60718', LARK_APP_SECRET: 's', LARK_DOMAIN: 'http://127.0.0.1:9' };
    const both = await createAdapters({ ...base, env });
    expect(both.local).toBe(false);
    expect(both.started).toEqual(['telegram', 'lark']);
    expect(both.adapters.get('telegram')!.platform).toBe('telegram');
    expect(both.adapters.get('lark')!.platform).toBe('lark');
    const forced = await createAdapters({ ...base, env, platforms: ['lark'] });
    expect(forced.started).toEqual(['lark']);
    const local = await createAdapters({ ...base, env, platforms: ['local'] });
    expect(local.local).toBe(true);
  });

  it('says what is missing or unknown', async () => {
    await expect(createAdapters({ ...base, env: {}, platforms: ['telegram'] })).rejects.toThrow(/TELEGRAM_BOT_TOKEN/);
    await expect(createAdapters({ ...base, env: {}, platforms: ['icq'] })).rejects.toThrow(/unknown platform icq/);
  });
});
