// Child of scripts/bench.ts: starts the relay on the local platform over a given data directory, prints
// "listening" once start() resolved, then ingests a few messages and prints its memory as JSON.
import { LocalAdapter } from '../../adapters/local.ts';
import { createRelay } from '../../src/app.ts';
import type { Platform } from '../../src/domain.ts';
import { silentLogger } from '../../src/log.ts';
import type { ChatAdapter } from '../../src/ports.ts';

const [dataDir, rulesFile] = process.argv.slice(2) as [string, string];
const local = new LocalAdapter({ print: () => {} });
const adapters = new Map<Platform, ChatAdapter>((['local', 'wechat', 'lark', 'telegram'] as const).map((p) => [p, local]));
const relay = await createRelay({ rulesFile, dataDir, adapters, logger: silentLogger, watchRules: false });
await relay.start();
process.stdout.write(`listening ${performance.now().toFixed(1)}\n`);
const source = relay.rules().sources[0]!;
for (let i = 0; i < 20; i++) {
  await local.post({ platform: source.platform, group: source.group, senderId: `u${i}`, text: `内推：国网江苏电力2026届校园招聘第${i}批，电气工程及其自动化专业，本科/硕士，南京，投递 hr${i}@sgcc.example.cn` });
}
globalThis.gc?.();
const m = process.memoryUsage();
process.stdout.write(`${JSON.stringify({ rssMB: m.rss / 2 ** 20, heapUsedMB: m.heapUsed / 2 ** 20, hotPosts: relay.store.posts().length, allPosts: relay.store.postCount() })}\n`);
await relay.stop();
process.exit(0);
