// Ingest as users run it: alumni messages from 20 Telegram groups reach the real relay (createRelay)
// through the real Telegram adapter (grammY long polling, at whatever concurrency the adapter feeds the
// relay) from a loopback Bot API serving batches of up to 100 updates, and count once the relay's handler
// resolved (the post durably stored, or the message dropped). The Lark and WeChat adapter modules (and
// with them their SDKs) are loaded too, as in a relay running all three platforms.
// Measured in rounds interleaved with raw jieba cuts of the same texts (see interleavedRounds in util.ts).
// The fake runs in a child process (as Telegram's servers are not on our cores) or, to compare, in this one.
// Two halves of the path are measured the same way, to show where its time goes: the adapter with a
// handler that does nothing (openAdapterOnly), and the relay fed without an adapter (openRelayOnly).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { createTelegramAdapter } from '../../adapters/telegram/index.ts';
import { createRelay } from '../../src/app.ts';
import { ChatQueue } from '../../src/chat-queue.ts';
import type { InboundMessage } from '../../src/domain.ts';
import { silentLogger } from '../../src/log.ts';
import type { ChatAdapter, MessageHandler } from '../../src/ports.ts';
import { TelegramFakeProcess } from './telegram-fake-process.ts';
import { TelegramLimitsFake } from './telegram-limits-fake.ts';

export const GROUPS = 20;
const groupId = (g: number) => -1004000000000 - g;

/** The shipped rules with 20 more Telegram alumni groups as sources. */
function rulesWithGroups(rulesFile: string, dir: string): string {
  const doc = parseDocument(readFileSync(rulesFile, 'utf8'));
  for (let g = 0; g < GROUPS; g++) doc.addIn(['sources'], doc.createNode({ platform: 'telegram', group: String(groupId(g)), name: `海外校友群${g + 1}` }));
  const out = join(dir, 'routing-bench.yaml');
  writeFileSync(out, doc.toString());
  return out;
}

export interface RealIngest {
  /** Sends `texts` as alumni messages spread over the groups; resolves when the relay has handled every one. */
  ingest(texts: string[]): Promise<void>;
  outcomes(): Record<string, number>;
  /** Bot API traffic so far: getUpdates calls and updates served (an update is served again until confirmed). */
  traffic(): Promise<{ getUpdates: number; updatesServed: number; messages: number }>;
  close(): Promise<void>;
}

export type FakeWhere = 'child' | 'in-process';

/** Sends `texts` spread over the groups as the fake's updates; resolves once `handled()` counts them all. */
function feeder(fake: TelegramFakeProcess | TelegramLimitsFake) {
  let handled = 0;
  let want = 0;
  let wake: (() => void) | undefined;
  let sender = 0;
  return {
    /** Call once per message the handler finished with. */
    handled(): void {
      if (++handled >= want) wake?.();
    },
    async ingest(texts: string[]): Promise<void> {
      want = handled + texts.length;
      const done = new Promise<void>((r) => (wake = r));
      await fake.push(texts.map((text, i) => ({ chatId: groupId((sender + i) % GROUPS), title: '海外校友群', senderId: 5000 + ((sender + i) % 997), text })));
      sender += texts.length;
      if (handled >= want) wake?.();
      await done;
    },
    async traffic() {
      const s = fake instanceof TelegramFakeProcess ? await fake.stats() : fake;
      return { getUpdates: s.calls.getUpdates ?? 0, updatesServed: s.updatesServed, messages: sender };
    },
  };
}

async function startFake(where: FakeWhere) {
  await Promise.all([import('../../adapters/lark/index.ts'), import('../../adapters/wechat/index.ts')]);
  const fake = where === 'child' ? new TelegramFakeProcess() : new TelegramLimitsFake();
  const apiRoot = await fake.start();
  const telegram = createTelegramAdapter({ token: fake.token, apiRoot }, { logger: silentLogger, pollTimeoutSeconds: 10 });
  return { fake, telegram, feed: feeder(fake) };
}

/** The Telegram adapter alone: the same traffic, a handler that returns at once (what the relay adds is absent). */
export async function openAdapterOnly(where: FakeWhere = 'child'): Promise<RealIngest> {
  const { fake, telegram, feed } = await startFake(where);
  await telegram.start(async () => feed.handled());
  return {
    ingest: (texts) => feed.ingest(texts),
    outcomes: () => ({}),
    traffic: () => feed.traffic(),
    async close() {
      await telegram.stop();
      await fake.stop();
    },
  };
}

/**
 * The relay alone: the messages the adapter would hand over, given to the relay's handler through a
 * ChatQueue as the adapters feed it (each group in order, 32 in flight), with no platform traffic.
 */
export async function openRelayOnly(rulesFile: string): Promise<RealIngest> {
  await Promise.all([import('../../adapters/telegram/index.ts'), import('../../adapters/lark/index.ts'), import('../../adapters/wechat/index.ts')]);
  const dir = mkdtempSync(join(tmpdir(), 'alumni-relay-ingest-'));
  const relay = await createRelay({ rulesFile: rulesWithGroups(rulesFile, dir), dataDir: join(dir, 'data'), adapters: new Map(), logger: silentLogger, watchRules: false });
  await relay.start();
  const queue = new ChatQueue({ concurrency: 32 });
  let n = 0;
  return {
    async ingest(texts) {
      await Promise.all(
        texts.map((text) => {
          const k = n++;
          const chatId = String(groupId(k % GROUPS));
          const m: InboundMessage = { platform: 'telegram', id: String(k + 1), chatId, chatTitle: '海外校友群', senderId: String(5000 + (k % 997)), senderName: `校友${k % 997}`, text, sentAt: new Date().toISOString() };
          return queue.push(chatId, () => relay.onMessage(m));
        }),
      );
    },
    outcomes: () => ({ ...relay.store.counters() }),
    traffic: async () => ({ getUpdates: 0, updatesServed: 0, messages: n }),
    async close() {
      await relay.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function openRealIngest(rulesFile: string, where: FakeWhere = 'child'): Promise<RealIngest> {
  const { fake, telegram, feed } = await startFake(where);
  const dir = mkdtempSync(join(tmpdir(), 'alumni-relay-ingest-'));
  // Counts the relay's handler resolving, around the adapter the relay is given.
  const counted: ChatAdapter = {
    platform: 'telegram',
    start: (onMessage: MessageHandler) =>
      telegram.start(async (m: InboundMessage) => {
        try {
          await onMessage(m);
        } finally {
          feed.handled();
        }
      }),
    send: (chat, message, opts) => telegram.send(chat, message, opts),
    stop: () => telegram.stop(),
  };
  const relay = await createRelay({
    rulesFile: rulesWithGroups(rulesFile, dir),
    dataDir: join(dir, 'data'),
    adapters: new Map([['telegram', counted]]),
    logger: silentLogger,
    watchRules: false,
  });
  await relay.start();
  return {
    ingest: (texts) => feed.ingest(texts),
    outcomes: () => ({ ...relay.store.counters() }),
    traffic: () => feed.traffic(),
    async close() {
      await relay.stop();
      await fake.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
