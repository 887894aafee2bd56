// The whole relay on the embedded local platform: samples in, digests out, rules hot reload.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalAdapter, readSamples } from '../../adapters/local/index.ts';
import { createRelay, type Relay } from '../../src/app.ts';
import type { Platform } from '../../src/domain.ts';
import { silentLogger } from '../../src/log.ts';
import type { ChatAdapter, MessageHandler, SendResult } from '../../src/ports.ts';
import type { OutboundMessage } from '../../src/domain.ts';
import { tempDir } from '../helpers/tmp.ts';

let relay: Relay | undefined;
afterEach(async () => {
  await relay?.stop();
  relay = undefined;
});

async function startLocal(opts: { scheduleOverride?: string; watchRules?: boolean; now?: () => Date; telegram?: ChatAdapter } = {}) {
  const dir = tempDir();
  const rulesFile = join(dir, 'routing.yaml');
  copyFileSync('rules/routing.yaml', rulesFile);
  const local = new LocalAdapter({ print: () => {} });
  const adapters = new Map<Platform, ChatAdapter>((['local', 'wechat', 'lark', 'telegram'] as const).map((p) => [p, local]));
  if (opts.telegram) adapters.set('telegram', opts.telegram);
  relay = await createRelay({
    rulesFile,
    dataDir: join(dir, 'data'),
    adapters,
    logger: silentLogger,
    outboxIntervalMs: 50,
    watchRules: opts.watchRules ?? false,
    restart: { minDelayMs: 40, maxDelayMs: 80 },
    ...opts,
  });
  await relay.start();
  return { local, relay, rulesFile };
}

async function replaySamples(local: LocalAdapter) {
  for (const s of readSamples('data/samples/messages.jsonl')) {
    await local.post({ platform: s.platform, group: s.group, senderId: s.sender, senderName: s.sender, text: s.text });
  }
}

async function until(probe: () => boolean, ms = 5000) {
  const end = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A Telegram stand-in whose start fails (as with a dead network) until `reachable` is set. */
class FlakyTelegram implements ChatAdapter {
  readonly platform = 'telegram' as const;
  reachable = false;
  starts = 0;
  readonly sent: { chat: string; body: string }[] = [];
  async start(_onMessage: MessageHandler): Promise<void> {
    this.starts += 1;
    if (!this.reachable) throw new Error('telegram start: Network request for getMe failed (ECONNREFUSED)');
  }
  async send(chat: string, message: OutboundMessage): Promise<SendResult> {
    this.sent.push({ chat, body: message.body });
    return {};
  }
  async stop(): Promise<void> {}
}

describe('relay on the local platform', () => {
  it('routes the samples: referrals reach their colleges once, chit-chat and scams never do', async () => {
    // A Wednesday, so that the sample's "截止本周五" is still open.
    const { local, relay } = await startLocal({ now: () => new Date('2026-11-18T02:00:00Z') });
    await replaySamples(local);
    const posts = relay.store.posts();
    // The cross-posted State Grid referral is stored once, with both groups as sources.
    const sgcc = posts.filter((p) => p.text.includes('国网北京市电力公司2026届'));
    expect(sgcc).toHaveLength(1);
    expect(sgcc[0]!.sources).toHaveLength(2);
    expect(posts.filter((p) => p.status === 'review').length).toBeGreaterThanOrEqual(2);

    for (const c of relay.rules().colleges) await relay.runDigest(c.id);
    await relay.outbox.drain();
    const byChat = new Map<string, string>();
    for (const s of local.sent) byChat.set(s.chat, `${byChat.get(s.chat) ?? ''}${s.text}\n`);
    expect(byChat.get('电气学院2026届就业信息群')).toContain('国网北京市电力公司');
    expect(byChat.get('电气学院2026届就业信息群')!.split('国网北京市电力公司2026届').length - 1).toBeLessThanOrEqual(1);
    expect(byChat.get('能动学院毕业生就业群')).toContain('华能');
    expect(byChat.get('oc_0f9e8d7c6b5a49382716051f2e')).toContain('字节跳动');
    expect(byChat.get('经管学院就业实习群')).toContain('结算会计');
    expect(byChat.size).toBeGreaterThanOrEqual(5);
    const all = [...byChat.values()].join('\n');
    for (const never of ['保暖', '打字员', '刷单', '梧桐山', '面试好紧张', 'alumni dinner']) expect(all).not.toContain(never);

    // A second run has nothing new: no post is delivered to a college twice.
    const before = local.sent.length;
    for (const c of relay.rules().colleges) expect(await relay.runDigest(c.id)).toBeUndefined();
    expect(local.sent.length).toBe(before);
  });

  it('runs the other platforms while one cannot start, and delivers its digest once it is up', async () => {
    const telegram = new FlakyTelegram();
    const { local, relay } = await startLocal({ telegram });
    const health = () => Object.fromEntries(relay.health().map((h) => [h.platform, h]));
    expect(health().telegram).toMatchObject({ state: 'down' });
    expect(health().telegram!.lastError).toContain('ECONNREFUSED');
    expect(health().local).toMatchObject({ state: 'up' });

    await replaySamples(local);
    expect(relay.store.posts().length).toBeGreaterThan(0);
    expect(health().local!.lastMessageAt).toBeTruthy();
    await relay.runDigest('electrical'); // channels: a WeChat group (local here) and a Telegram channel
    await until(() => local.sent.some((s) => s.chat === '电气学院2026届就业信息群'));
    const toTelegram = () => relay.store.deliveries().find((d) => d.channel.platform === 'telegram')!;
    await until(() => toTelegram().attempts > 0);
    expect(toTelegram()).toMatchObject({ status: 'pending' }); // kept, not dropped
    expect(toTelegram().lastError).toMatch(/telegram is not connected/);
    await until(() => telegram.starts > 1); // retried in the background meanwhile (its backoff is short here)

    telegram.reachable = true;
    await until(() => health().telegram!.state === 'up');
    await until(() => telegram.sent.some((s) => s.chat === '-1001987650101'), 5000);
    expect(toTelegram().status).toBe('delivered');
  });

  it('delivers on the cron schedule', async () => {
    const { local } = await startLocal({ scheduleOverride: '* * * * * *' });
    await replaySamples(local);
    await until(() => local.sent.some((s) => s.chat === '电气学院2026届就业信息群'), 4000);
  });

  it('hot-reloads a valid edit and keeps the last good rules on an invalid one', async () => {
    const { relay, rulesFile } = await startLocal({ watchRules: true });
    const original = readFileSync(rulesFile, 'utf8');
    writeFileSync(rulesFile, original.replace('digest: "0 8,18 * * *"', 'digest: "61 8 * * *"'));
    await new Promise((r) => setTimeout(r, 600));
    expect(relay.rules().colleges[0]!.digest).toBe('0 8,18 * * *');
    writeFileSync(rulesFile, original.replace('digest: "0 8,18 * * *"', 'digest: "0 7 * * *"'));
    await until(() => relay.rules().colleges[0]!.digest === '0 7 * * *', 3000);
    expect(relay.scheduler.nextRuns().find((r) => r.collegeId === 'electrical')!.expression).toBe('0 7 * * *');
  });
});
