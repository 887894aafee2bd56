// End-to-end rig: the three real adapters (grammY, the Lark node-sdk in webhook mode, wechaty on
// PuppetMock) pointed at their loopback fakes, ready to hand to createRelay. Used by test/e2e/*.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLarkAdapter, type LarkAdapter, type LarkAdapterOptions } from '../../adapters/lark/index.ts';
import { createTelegramAdapter, type TelegramAdapterOptions } from '../../adapters/telegram/index.ts';
import { createWechatAdapter, type WechatAdapter, type WechatConfig } from '../../adapters/wechat/index.ts';
import type { Platform } from '../../src/domain.ts';
import { silentLogger, type Logger } from '../../src/log.ts';
import type { ChatAdapter } from '../../src/ports.ts';
import { FakeLarkServer } from '../fakes/lark-server.ts';
import { TelegramFakeServer } from '../fakes/telegram-server.ts';
import { WechatMock } from '../fakes/wechat-mock.ts';

export const LARK_ENCRYPT_KEY = 'e2e-encrypt-key-0123456789';
export const LARK_VERIFICATION_TOKEN = 'e2e-verification-token';

export interface RigOptions {
  dataDir: string;
  /** WeChat room topics that exist (sources and channels): sends resolve rooms by topic. */
  wechatRooms: string[];
  /** Something between an adapter and its fake (a fault proxy): fake base URL → the URL the adapter uses. */
  via?: { telegram?: (url: string) => Promise<string>; lark?: (url: string) => Promise<string> };
  telegram?: Partial<Omit<TelegramAdapterOptions, 'logger'>>;
  lark?: Partial<Omit<LarkAdapterOptions, 'logger'>>;
  wechat?: Partial<WechatConfig>;
  /** How the Lark adapter hears events: 'webhook' (default) or 'ws' (the long connection to the fake). */
  larkMode?: 'webhook' | 'ws';
  logger?: Logger;
}

export interface Rig {
  tg: TelegramFakeServer;
  lark: FakeLarkServer;
  wx: WechatMock;
  larkAdapter: LarkAdapter;
  wechatAdapter: WechatAdapter;
  adapters: Map<Platform, ChatAdapter>;
  /** After the relay started the adapters: point the Lark fake at the webhook, wait for the WeChat login. */
  connect(): Promise<void>;
  /** Stops the fakes (stop the relay, and with it the adapters, first). */
  close(): Promise<void>;
}

export async function startRig(opts: RigOptions): Promise<Rig> {
  const logger = opts.logger ?? silentLogger;
  const tg = new TelegramFakeServer();
  const lark = new FakeLarkServer();
  const wx = new WechatMock();
  for (const topic of opts.wechatRooms) wx.room(topic);
  const tgUrl = await tg.start();
  const larkUrl = await lark.start();
  const telegram = createTelegramAdapter(
    { token: tg.token, apiRoot: opts.via?.telegram ? await opts.via.telegram(tgUrl) : tgUrl },
    { logger, pollTimeoutSeconds: 2, ...opts.telegram },
  );
  const larkAdapter = createLarkAdapter(
    {
      appId: lark.appId,
      appSecret: lark.appSecret,
      domain: opts.via?.lark ? await opts.via.lark(larkUrl) : larkUrl,
      ...(opts.larkMode === 'ws'
        ? { mode: 'ws' as const }
        : { mode: 'webhook' as const, webhookPort: 0, webhookHost: '127.0.0.1', encryptKey: LARK_ENCRYPT_KEY, verificationToken: LARK_VERIFICATION_TOKEN }),
    },
    { logger, requestTimeoutMs: 2000, retryDelayMs: 20, ...opts.lark },
  );
  const wechatDir = join(opts.dataDir, 'wechat-session');
  mkdirSync(wechatDir, { recursive: true });
  const wechatAdapter = createWechatAdapter(
    { puppet: 'wechaty-puppet-mock', dataDir: wechatDir, sendSpacingMs: [0, 5], ...opts.wechat },
    { logger, puppet: wx.puppet, print: () => {} },
  );
  const adapters = new Map<Platform, ChatAdapter>([
    ['telegram', telegram],
    ['lark', larkAdapter],
    ['wechat', wechatAdapter],
  ]);
  return {
    tg,
    lark,
    wx,
    larkAdapter,
    wechatAdapter,
    adapters,
    async connect() {
      if (opts.larkMode === 'ws') {
        // The adapter's start() already waited for the long connection; events go over it.
        if (!lark.wsConnections) throw new Error('the Lark adapter has no long connection: start the relay before connect()');
        await wx.loggedIn();
        await wx.ready();
        return;
      }
      const port = larkAdapter.webhookPort;
      if (!port) throw new Error('the Lark adapter is not listening: start the relay before connect()');
      lark.deliverTo({ url: `http://127.0.0.1:${port}/lark/events`, encryptKey: LARK_ENCRYPT_KEY, verificationToken: LARK_VERIFICATION_TOKEN });
      await wx.loggedIn();
      await wx.ready();
    },
    async close() {
      await Promise.allSettled([tg.stop(), lark.stop()]);
    },
  };
}

/** Writes a rules file into `dir` and returns its path. */
export function writeRules(dir: string, yaml: string): string {
  const file = join(dir, 'routing.yaml');
  writeFileSync(file, yaml);
  return file;
}

/**
 * A clock that starts at `anchor` and runs at real speed: deadlines see a fixed date, while retry
 * times (nextAttemptAt) still come due. A frozen `now` would keep every retry in the future forever.
 */
export function clockFrom(anchor: string): () => Date {
  const offset = Date.parse(anchor) - Date.now();
  return () => new Date(Date.now() + offset);
}

/**
 * Polls `probe` until it returns something other than undefined/false; after `ms` fails with `what`
 * (a function is called then, so the message can describe the state at the time of failure).
 */
export async function until<T>(what: string | (() => string), probe: () => T | undefined | false, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${typeof what === 'function' ? what() : what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The outbox as one line per delivery: for a timeout message. */
export function describeDeliveries(deliveries: readonly { id: string; channel: { platform: string; chat: string }; status: string; attempts: number; sentParts: number; parts: unknown[]; lastError?: string }[]): string {
  if (!deliveries.length) return 'no deliveries at all (no digest was built)';
  return deliveries
    .map((d) => `${d.id} → ${d.channel.platform}:${d.channel.chat} ${d.status} parts ${d.sentParts}/${d.parts.length} attempts ${d.attempts}${d.lastError ? ` (${d.lastError})` : ''}`)
    .join('; ');
}
