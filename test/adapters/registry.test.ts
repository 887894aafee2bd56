import { describe, expect, it } from 'vitest';
import { configuredPlatforms, createAdapters } from '../../adapters/index.ts';
import { LocalAdapter } from '../../adapters/local/index.ts';
import { ConfigError } from '../../src/config-error.ts';
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

  it('says what is missing or unknown, as a one-line ConfigError', async () => {
    const missing = await createAdapters({ ...base, env: {}, platforms: ['telegram'] }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ConfigError);
    expect((missing as ConfigError).message).toMatch(/^telegram: set TELEGRAM_BOT_TOKEN in the environment/);
    expect((missing as ConfigError).variables).toEqual(['TELEGRAM_BOT_TOKEN']);
    const lark = await createAdapters({ ...base, env: { LARK_APP_ID: 'cli_a' }, platforms: ['lark'] }).catch((e: unknown) => e);
    expect((lark as ConfigError).variables).toEqual(['LARK_APP_ID', 'LARK_APP_SECRET']);
    await expect(createAdapters({ ...base, env: {}, platforms: ['icq'] })).rejects.toThrow(ConfigError);
    await expect(createAdapters({ ...base, env: {}, platforms: ['icq'] })).rejects.toThrow(/unknown platform icq/);
  });

  it('reports a malformed setting as a ConfigError naming the platform and the variable, without its secrets', async () => {
    const spacing = await createAdapters({ ...base, env: { RELAY_WECHAT: '1', RELAY_WECHAT_SEND_SPACING_MS: 'fast' } }).catch((e: unknown) => e);
    expect(spacing).toBeInstanceOf(ConfigError);
    expect((spacing as ConfigError).message).toMatch(/^wechat: RELAY_WECHAT_SEND_SPACING_MS must look like "1500-3000"/);
    expect((spacing as ConfigError).message).not.toContain('\n');
    expect((spacing as ConfigError).variables).toEqual(['RELAY_WECHAT_SEND_SPACING_MS']);
    // A value echoed back in the message is redacted when it is also a credential.
    const env = { RELAY_WECHAT: '1', WECHATY_PUPPET_TOKEN: 'puppet_token_0f9e8d7c', RELAY_WECHAT_SEND_SPACING_MS: 'puppet_token_0f9e8d7c' };
    const echoed = await createAdapters({ ...base, env }).catch((e: unknown) => e);
    expect((echoed as ConfigError).message).toContain('got "[redacted]"');
    expect((echoed as ConfigError).message).not.toContain('puppet_token_0f9e8d7c');
  });
});
