// WeChat settings and how they are read from the environment.
import { ConfigError } from '../../src/config-error.ts';

/**
 * Longest text sent as one WeChat message, in UTF-16 units (2026-11).
 * Personal WeChat documents no limit for the web protocol; the WeChat surfaces that do document one
 * cut at 2048 (WeCom app messages: "最长不超过2048个字节，超过将截断",
 * https://developer.work.weixin.qq.com/document/path/90236) and bots on the newer iLink API split at
 * 2000 after silent truncation (https://github.com/NousResearch/hermes-agent/pull/16757). Clients also
 * fold long texts behind "全文". 2000 keeps every part whole and readable on a phone.
 */
export const WECHAT_MAX_CHARS = 2000;
export const DEFAULT_PUPPET = 'wechaty-puppet-wechat4u';
export const DEFAULT_SEND_SPACING_MS: [number, number] = [1500, 3000];

export interface WechatConfig {
  /** WECHATY_PUPPET; default 'wechaty-puppet-wechat4u'. */
  puppet: string;
  /** RELAY_DATA_DIR (default ./data); the session/memory card is kept in `${dataDir}/wechat/`. */
  dataDir: string;
  /** Jittered pause between two sends, ms; default [1500, 3000]. */
  sendSpacingMs?: [min: number, max: number];
  /** Old topic (as the rules name it) → current topic of the WeChat group. */
  aliases?: Record<string, string>;
  /** Longest part sent as one message; default WECHAT_MAX_CHARS. */
  maxChars?: number;
  /** retryAfterMs for a "too frequent" error that carries no hint; default 10 min. */
  frequencyCooldownMs?: number;
  /** How long a send waits for a login in progress before failing (retryable); default 10 s. */
  loginWaitMs?: number;
  /** First delay before restarting wechaty after an error left it logged out; doubles up to 5 min. Default 30 s. */
  reconnectDelayMs?: number;
  /** Options for the puppet module (WECHATY_PUPPET_TOKEN → token). */
  puppetOptions?: Record<string, unknown>;
  /** Inbound messages handled at once across groups (one at a time within a group); default 8. */
  ingestConcurrency?: number;
  /** Inbound messages waiting in memory; more wait on disk (the spool) and are queued later; default 10 000. */
  maxQueuedMessages?: number;
  /** Pauses before retrying a message the relay could not store; default [500, 2000, 5000, 15000, 60000] ms. */
  handlerRetryDelaysMs?: number[];
  /** How often messages waiting on disk are queued again; default 30 s. */
  spoolSweepMs?: number;
  /** How long fetchMedia waits for a picture's bytes; default 30 s. */
  mediaTimeoutMs?: number;
}

/** WeChat is opt-in (a person has to scan a QR): undefined unless WECHATY_PUPPET is set or RELAY_WECHAT=1. Throws ConfigError. */
export function wechatConfigFromEnv(env: NodeJS.ProcessEnv, dataDir: string): WechatConfig | undefined {
  const puppet = env.WECHATY_PUPPET?.trim();
  if (!puppet && env.RELAY_WECHAT !== '1') return undefined;
  const config: WechatConfig = { puppet: puppet || DEFAULT_PUPPET, dataDir };
  const spacing = env.RELAY_WECHAT_SEND_SPACING_MS?.trim();
  if (spacing) {
    const m = /^(\d+)\s*[-,]\s*(\d+)$/.exec(spacing);
    if (!m || Number(m[1]) > Number(m[2])) {
      throw new ConfigError(`RELAY_WECHAT_SEND_SPACING_MS must look like "1500-3000" (min-max ms), got "${spacing}"`, ['RELAY_WECHAT_SEND_SPACING_MS']);
    }
    config.sendSpacingMs = [Number(m[1]), Number(m[2])];
  }
  const aliases = env.RELAY_WECHAT_ALIASES?.trim();
  if (aliases) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(aliases);
    } catch {
      parsed = undefined;
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || Object.values(parsed).some((v) => typeof v !== 'string')) {
      throw new ConfigError('RELAY_WECHAT_ALIASES must be a JSON object of old topic → current topic, e.g. {"东电校友会":"东电校友会·2026"}', ['RELAY_WECHAT_ALIASES']);
    }
    config.aliases = parsed as Record<string, string>;
  }
  if (env.WECHATY_PUPPET_TOKEN) config.puppetOptions = { token: env.WECHATY_PUPPET_TOKEN };
  return config;
}
