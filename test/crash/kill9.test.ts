// kill -9 at random moments: nothing acknowledged is lost, nothing is stored twice, every referral reaches
// its students, and with a platform that honours idempotency keys nothing is delivered twice.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { referralText, seeded } from '../../scripts/bench/workload.ts';
import { classifierFor } from '../../src/app.ts';
import { loadCatalog } from '../../src/catalog.ts';
import { simhash } from '../../src/dedupe.ts';
import type { Post } from '../../src/domain.ts';
import { loadRulesFile } from '../../src/rules/index.ts';
import { FingerprintIndex } from '../../src/store/fingerprint-index.ts';
import { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/tmp.ts';

const CHILD = fileURLToPath(new URL('./relay-child.ts', import.meta.url));
const SOURCES = [
  { platform: 'wechat', group: '东电校友会·北京分会' },
  { platform: 'wechat', group: '东电校友电力行业内推群' },
  { platform: 'lark', group: 'oc_5ad11d72b830411d72b836c20' },
  { platform: 'telegram', group: '-1001987650001' },
] as const;

interface Referral {
  n: number;
  text: string;
  code: string;
  channels: string[];
}

/** Referrals the classifier routes somewhere, each with its 内推码 and distinct from every other. */
function referrals(count: number, rulesFile: string): Referral[] {
  const catalog = loadCatalog();
  const rules = loadRulesFile(rulesFile, catalog);
  const classifier = classifierFor(rules, catalog);
  const rng = seeded(20261121);
  const index = new FingerprintIndex(10);
  const out: Referral[] = [];
  for (let i = 0; out.length < count; i++) {
    const text = referralText(rng, i);
    const c = classifier.classify(text, new Date(), rules.defaults.timezone);
    const fp = simhash(text);
    if (!c.isJob || c.isScam || !c.colleges.length || !c.fields.referralCode || index.near(fp).length) continue;
    index.add(fp, String(i));
    const channels = rules.colleges.filter((k) => c.colleges.includes(k.id)).flatMap((k) => k.channels.map((ch) => ch.chat));
    out.push({ n: out.length, text, code: c.fields.referralCode, channels });
  }
  return out;
}

interface LogLine {
  key: string;
  chat: string;
  text?: string;
  dedupedRepeat?: boolean;
}

/**
 * The stand-in platform's log. A kill can land inside the write of a long line (Linux stops a large
 * write at a fatal signal), leaving a torn line that the next child appends after: that send never
 * returned, so the platform never accepted it (the child skips such lines too) and the relay sends it again.
 */
const readLog = (file: string): LogLine[] =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .flatMap((l) => {
          try {
            return [JSON.parse(l) as LogLine];
          } catch {
            return [];
          }
        })
    : [];

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
};

async function run(mode: 'idempotent' | 'plain', kills: number, count: number) {
  const dir = tempDir();
  const rulesFile = join(dir, 'routing.yaml');
  copyFileSync('rules/routing.yaml', rulesFile);
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'platform.log');
  const all = referrals(count, rulesFile);
  const acked = new Set<number>();
  const windows: number[] = [];
  const rng = seeded(kills * 7919 + count);
  let next = 0; // referrals below `next` were sent at least once

  const startChild = async (): Promise<ChildProcess> => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir, rulesFile, logFile, mode], { stdio: ['pipe', 'pipe', 'inherit'] });
    child.stdin!.on('error', () => {}); // writes racing a kill
    await new Promise<void>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout! });
      lines.on('line', (line) => {
        if (line === 'ready') resolve();
        else if (line.startsWith('ack ')) acked.add(Number(line.slice(4)));
        else if (line.startsWith('W ')) windows.push(Number(line.slice(2)));
      });
      child.on('exit', (code, signal) => (signal ? undefined : reject(new Error(`child exited ${code} before ready`))));
    });
    // A platform redelivers whatever was not acknowledged before the crash.
    for (const r of all.slice(0, next)) if (!acked.has(r.n)) send(child, r);
    return child;
  };
  const send = (child: ChildProcess, r: Referral) => {
    const src = SOURCES[r.n % SOURCES.length]!;
    child.stdin!.write(`${JSON.stringify({ n: r.n, platform: src.platform, group: src.group, text: r.text })}\n`);
  };
  const feed = (child: ChildProcess, ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        for (let k = 0; k < 3 && next < all.length; k++) send(child, all[next++]!);
      }, 15);
      setTimeout(() => {
        clearInterval(timer);
        resolve();
      }, ms);
    });
  const kill9 = (child: ChildProcess) =>
    new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });

  // Half the kills land at a random moment; the other half just after the platform accepted a part
  // (within its reply time), where a send is most likely to be accepted but not yet marked.
  const logSize = () => (existsSync(logFile) ? statSync(logFile).size : 0);
  const afterNextSend = async (child: ChildProcess, ms: number) => {
    const size = logSize();
    const end = Date.now() + ms;
    const feeding = feed(child, ms);
    while (logSize() === size && Date.now() < end) await new Promise((r) => setTimeout(r, 2));
    if (Date.now() < end) await new Promise((r) => setTimeout(r, rng() * 12));
    else await feeding;
  };
  for (let k = 0; k < kills; k++) {
    const child = await startChild();
    if (k % 2) await afterNextSend(child, 2500);
    else await feed(child, 150 + rng() * 900);
    await kill9(child);
  }
  // A last run: everything is delivered, then one more kill -9.
  const child = await startChild();
  const deadline = Date.now() + 30_000;
  const done = () => {
    const log = readLog(logFile);
    return acked.size === all.length && all.every((r) => r.channels.every((ch) => log.some((l) => l.chat === ch && l.text?.includes(r.code))));
  };
  while (!done() && Date.now() < deadline) await feed(child, 300);
  await new Promise((r) => setTimeout(r, 300));
  await kill9(child);

  // ---- checks ----
  const store = await Store.open(dataDir);
  const posts: Post[] = [];
  for await (const p of store.allPosts()) posts.push(p);
  const sourcesOf = new Map<string, number>();
  for (const p of posts) for (const s of p.sources) sourcesOf.set(s.messageId, (sourcesOf.get(s.messageId) ?? 0) + 1);
  const log = readLog(logFile);
  const delivered = log.filter((l) => !l.dedupedRepeat);
  const partsSentTwice = delivered.length - new Set(delivered.map((l) => l.key)).size;
  const lost = all.filter((r) => !r.channels.every((ch) => delivered.some((l) => l.chat === ch && l.text?.includes(r.code)))).length;
  // A referral in two different digests to the same channel would be a digest-level duplicate.
  let digestTwice = 0;
  for (const r of all) {
    for (const ch of r.channels) {
      const deliveries = new Set(delivered.filter((l) => l.chat === ch && l.text?.includes(r.code)).map((l) => l.key.replace(/-\d+$/, '')));
      if (deliveries.size > 1) digestTwice++;
    }
  }
  return {
    kills,
    channels: new Set(all.flatMap((r) => r.channels)).size,
    sent: all.length,
    acked: acked.size,
    storedTwice: all.filter((r) => (sourcesOf.get(`r-${r.n}`) ?? 0) > 1).length,
    notStored: all.filter((r) => acked.has(r.n) && (sourcesOf.get(`r-${r.n}`) ?? 0) === 0).length,
    lost,
    partsSentTwice,
    repeatsDeduped: log.length - delivered.length,
    digestTwice,
    corrupt: store.corruptLines,
    windowP50: percentile(windows, 50),
    windowP99: percentile(windows, 99),
    windows: windows.length,
  };
}

describe.concurrent('crash safety (kill -9)', () => {
  it('loses nothing acknowledged, stores once, delivers every referral, and never twice with idempotency keys', async () => {
    const r = await run('idempotent', 15, 300);
    console.log(
      `crash test: ${r.kills} kills, ${r.sent} referrals sent, ${r.lost} lost, ${r.partsSentTwice} delivered twice` +
        ` (${r.repeatsDeduped} resends dropped by the platform's idempotency key; stored twice ${r.storedTwice}; mark window p50 ${r.windowP50.toFixed(2)} ms, p99 ${r.windowP99.toFixed(2)} ms over ${r.windows} parts)`,
    );
    expect(r.acked).toBe(r.sent);
    expect(r.corrupt).toBe(0);
    expect(r.notStored).toBe(0);
    expect(r.storedTwice).toBe(0);
    expect(r.lost).toBe(0);
    expect(r.digestTwice).toBe(0);
    expect(r.partsSentTwice).toBe(0);
  }, 120_000);

  it('without idempotency keys: still nothing lost, and at most the parts in flight at a kill go twice', async () => {
    const r = await run('plain', 6, 120);
    console.log(`crash test (platform ignores idempotency keys): ${r.kills} kills, ${r.sent} referrals sent, ${r.lost} lost, ${r.partsSentTwice} parts delivered twice`);
    expect(r.lost).toBe(0);
    expect(r.storedTwice).toBe(0);
    expect(r.digestTwice).toBe(0);
    // The outbox sends one part at a time per channel, channels in parallel: at a kill, at most one part
    // per channel is in flight.
    expect(r.partsSentTwice).toBeLessThanOrEqual(r.kills * r.channels);
  }, 120_000);
});
