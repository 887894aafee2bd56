// Registry: which platforms to run, from the environment (or --platform), and their adapters.
// Platform SDKs are imported lazily, so the local platform starts without loading any of them.
import { join } from 'node:path';
import { ConfigError } from '../src/config-error.ts';
import type { Platform } from '../src/domain.ts';
import type { Logger } from '../src/log.ts';
import type { ChatAdapter } from '../src/ports.ts';
import { redactSecrets, secretsFromEnv } from '../src/supervisor.ts';
import { LocalAdapter, readSamples } from './local/index.ts';

export const REAL_PLATFORMS = ['telegram', 'lark', 'wechat'] as const satisfies readonly Platform[];
export type RealPlatform = (typeof REAL_PLATFORMS)[number];

export interface AdapterSetup {
  /** The adapter serving each platform the rules may name. */
  adapters: Map<Platform, ChatAdapter>;
  /** True when the embedded local platform stands in for all of them. */
  local: boolean;
  started: Platform[];
}

/** Which real platforms have credentials in `env`. */
export function configuredPlatforms(env: NodeJS.ProcessEnv): RealPlatform[] {
  const out: RealPlatform[] = [];
  if (env.TELEGRAM_BOT_TOKEN) out.push('telegram');
  if (env.LARK_APP_ID && env.LARK_APP_SECRET) out.push('lark');
  if (env.WECHATY_PUPPET || env.RELAY_WECHAT === '1') out.push('wechat');
  return out;
}

export async function createAdapters(opts: {
  env: NodeJS.ProcessEnv;
  logger: Logger;
  dataDir: string;
  /** --platform: force these (``local`` alone means the embedded platform). */
  platforms?: string[];
  samplesFile?: string;
}): Promise<AdapterSetup> {
  const wanted = opts.platforms?.length ? opts.platforms : configuredPlatforms(opts.env);
  const unknown = wanted.filter((p) => p !== 'local' && !(REAL_PLATFORMS as readonly string[]).includes(p));
  if (unknown.length) throw new ConfigError(`unknown platform ${unknown.join(', ')}; expected local, ${REAL_PLATFORMS.join(', ')}`);
  if (wanted.length === 0 || (wanted.length === 1 && wanted[0] === 'local')) {
    const local = new LocalAdapter({ samples: opts.samplesFile ? readSamples(opts.samplesFile) : [] });
    const adapters = new Map<Platform, ChatAdapter>(['local', ...REAL_PLATFORMS].map((p) => [p as Platform, local]));
    return { adapters, local: true, started: ['local'] };
  }
  const adapters = new Map<Platform, ChatAdapter>();
  for (const p of wanted as RealPlatform[]) adapters.set(p, await createRealAdapter(p, opts));
  return { adapters, local: false, started: [...adapters.keys()] };
}

/**
 * Reads one platform's settings and builds its adapter (no network yet: connecting is start()'s job,
 * under the relay's supervisor). Anything wrong here is a setting to fix: it surfaces as a ConfigError
 * naming the platform, which the CLI prints as one line.
 */
async function createRealAdapter(platform: RealPlatform, opts: { env: NodeJS.ProcessEnv; logger: Logger; dataDir: string }): Promise<ChatAdapter> {
  const missing = (...vars: string[]) =>
    new ConfigError(`${platform}: set ${vars.join(' and ')} in the environment or .env (see README, "Connect a platform")`, vars);
  try {
    switch (platform) {
      case 'telegram': {
        const m = await import('./telegram/index.ts');
        const config = m.telegramConfigFromEnv(opts.env);
        if (!config) throw missing('TELEGRAM_BOT_TOKEN');
        return m.createTelegramAdapter(config, { logger: opts.logger });
      }
      case 'lark': {
        const m = await import('./lark/index.ts');
        const config = m.larkConfigFromEnv(opts.env);
        if (!config) throw missing('LARK_APP_ID', 'LARK_APP_SECRET');
        return m.createLarkAdapter(config, { logger: opts.logger });
      }
      case 'wechat': {
        const m = await import('./wechat/index.ts');
        const config = m.wechatConfigFromEnv({ RELAY_WECHAT: '1', ...opts.env }, opts.dataDir);
        if (!config) throw missing('WECHATY_PUPPET');
        return m.createWechatAdapter(config, { logger: opts.logger });
      }
    }
  } catch (err) {
    throw asConfigError(platform, err, secretsFromEnv(opts.env));
  }
}

/** A settings error from an adapter's config reader (whatever class it threw) as a one-line ConfigError naming the platform. */
function asConfigError(platform: RealPlatform, err: unknown, secrets: readonly string[]): ConfigError {
  const message = err instanceof Error ? err.message : String(err);
  const line = redactSecrets(message.split('\n')[0]!, secrets);
  const text = line.startsWith(platform) ? line : `${platform}: ${line}`;
  if (err instanceof ConfigError && text === err.message) return err;
  return new ConfigError(text, err instanceof ConfigError ? err.variables : []);
}

export const defaultDataDir = (env: NodeJS.ProcessEnv, cwd: string) => env.RELAY_DATA_DIR ?? join(cwd, 'data');
