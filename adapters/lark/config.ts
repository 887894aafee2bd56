// Lark adapter configuration: from the environment, and the domain as the SDK takes it.
import * as lark from '@larksuiteoapi/node-sdk';

export interface LarkConfig {
  appId: string;
  appSecret: string;
  /** 'feishu' (open.feishu.cn), 'lark' (open.larksuite.com) or a base URL (tests: a loopback fake). */
  domain: string;
  mode: 'ws' | 'webhook';
  /** Webhook mode: the adapter's own HTTP server listens here. Unset: mount adapter.webhookHandler() elsewhere. */
  webhookPort?: number;
  /** Default 0.0.0.0 in production; tests use 127.0.0.1. */
  webhookHost?: string;
  encryptKey?: string;
  verificationToken?: string;
}

/** Reads LARK_APP_ID, LARK_APP_SECRET, LARK_DOMAIN, LARK_MODE, LARK_WEBHOOK_PORT, LARK_WEBHOOK_HOST, LARK_ENCRYPT_KEY, LARK_VERIFICATION_TOKEN. */
export function larkConfigFromEnv(env: NodeJS.ProcessEnv): LarkConfig | undefined {
  const appId = env.LARK_APP_ID?.trim();
  const appSecret = env.LARK_APP_SECRET?.trim();
  if (!appId || !appSecret) return undefined;
  const mode = (env.LARK_MODE?.trim().toLowerCase() || 'ws') as string;
  if (mode !== 'ws' && mode !== 'webhook') throw new Error(`LARK_MODE must be 'ws' or 'webhook', not '${mode}'`);
  const port = env.LARK_WEBHOOK_PORT?.trim();
  const webhookPort = port ? Number(port) : mode === 'webhook' ? 8787 : undefined;
  if (webhookPort !== undefined && (!Number.isInteger(webhookPort) || webhookPort < 0 || webhookPort > 65535)) {
    throw new Error(`LARK_WEBHOOK_PORT must be a port number, not '${port}'`);
  }
  const config: LarkConfig = { appId, appSecret, domain: env.LARK_DOMAIN?.trim() || 'feishu', mode };
  if (webhookPort !== undefined) config.webhookPort = webhookPort;
  if (env.LARK_WEBHOOK_HOST?.trim()) config.webhookHost = env.LARK_WEBHOOK_HOST.trim();
  if (env.LARK_ENCRYPT_KEY) config.encryptKey = env.LARK_ENCRYPT_KEY;
  if (env.LARK_VERIFICATION_TOKEN) config.verificationToken = env.LARK_VERIFICATION_TOKEN;
  return config;
}

/** What the SDK's Client / WSClient accept as `domain`. */
export function larkDomain(domain: string): lark.Domain | string {
  const d = domain.trim().toLowerCase();
  if (d === 'feishu' || d === '') return lark.Domain.Feishu;
  if (d === 'lark' || d === 'larksuite') return lark.Domain.Lark;
  if (!/^https?:\/\//.test(domain)) throw new Error(`Lark domain must be 'feishu', 'lark' or a base URL, not '${domain}'`);
  return domain.replace(/\/+$/, '');
}

/** The host the adapter talks to, for error messages. */
export function larkHost(domain: string): string {
  const d = larkDomain(domain);
  if (d === lark.Domain.Feishu) return 'open.feishu.cn';
  if (d === lark.Domain.Lark) return 'open.larksuite.com';
  try {
    return new URL(String(d)).host;
  } catch {
    return String(d);
  }
}
