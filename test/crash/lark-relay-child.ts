// The relay under test for lark-ack-kill9.test.ts: the real createRelay with the real Lark adapter
// (webhook or long connection) against the parent's loopback fake, on a data dir that survives kills.
// Prints "stored <json ids>" (every message id the store holds, after replaying the journal), then
// "ready <webhook port>".
import { createLarkAdapter } from '../../adapters/lark/index.ts';
import { createRelay } from '../../src/app.ts';
import type { Platform } from '../../src/domain.ts';
import { silentLogger } from '../../src/log.ts';
import type { ChatAdapter } from '../../src/ports.ts';

const [dataDir, rulesFile, domain, mode, appId, appSecret, encryptKey, verificationToken] = process.argv.slice(2) as [string, string, string, 'webhook' | 'ws', string, string, string, string];

const lark = createLarkAdapter(
  { appId, appSecret, domain, mode, webhookPort: 0, webhookHost: '127.0.0.1', encryptKey, verificationToken },
  { logger: silentLogger, requestTimeoutMs: 2000 },
);
const relay = await createRelay({ rulesFile, dataDir, adapters: new Map<Platform, ChatAdapter>([['lark', lark]]), logger: silentLogger, watchRules: false });
const ids: string[] = [];
for await (const post of relay.store.allPosts()) for (const s of post.sources) ids.push(s.messageId);
process.stdout.write(`stored ${JSON.stringify(ids)}\n`);
await relay.start();
process.stdout.write(`ready ${lark.webhookPort ?? 0}\n`);
