// npm run bench [-- --quick] (BENCH_KEEP=1 keeps the data directories): speed and memory of the relay on a seeded, realistic workload.
//   1. raw nodejieba.cut throughput vs the full ingest path (normalise → detect → classify → dedupe → store,
//      the store fdatasync'ing every acknowledged message) on the same texts;
//   2. ingest latency with 1k, 10k and 100k posts already stored (history spread over months, as in use);
//   3. the outbox's send→durable-mark window while messages are being ingested;
//   4. digest selection + rendering for 30 colleges × 500 candidate posts;
//   5. cold start to listening and peak RSS of the relay as `npm start` runs it (compiled), over an empty
//      and over the 100k-post store; size on disk.
// Prints a table, then (last line) one JSON object with every figure and pass/fail per target.
import { spawn, spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { classifierFor } from '../src/app.ts';
import { loadJieba } from '../src/classify/tokenizer.ts';
import { loadCatalog } from '../src/catalog.ts';
import { simhash } from '../src/dedupe.ts';
import { buildDigest, selectPosts } from '../src/digest/build.ts';
import { renderDigest } from '../src/digest/render.ts';
import type { Delivery, InboundMessage, Platform, Post } from '../src/domain.ts';
import { silentLogger } from '../src/log.ts';
import { Outbox } from '../src/outbox.ts';
import { createPipeline, normaliseText } from '../src/pipeline.ts';
import type { ChatAdapter } from '../src/ports.ts';
import { loadRulesFile } from '../src/rules/index.ts';
import { Store } from '../src/store/store.ts';
import { seeded, workload, type WorkItem } from './bench/workload.ts';

const quick = process.argv.includes('--quick');
const RULES = fileURLToPath(new URL('../rules/routing.yaml', import.meta.url));
const SIZES = [1_000, 10_000, 100_000];
const cfg = quick
  ? { throughputMsgs: 4_000, rounds: 4, cutWindowMs: 250, latencyMsgs: 600, pool: 300, windowDeliveries: 150, rssWatchMs: 4_000 }
  : { throughputMsgs: 24_000, rounds: 8, cutWindowMs: 400, latencyMsgs: 3_000, pool: 1_200, windowDeliveries: 600, rssWatchMs: 8_000 };

const DAY = 86_400_000;
const t = () => performance.now();
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
};
const r2 = (x: number) => Math.round(x * 100) / 100;
const tmp = () => mkdtempSync(join(tmpdir(), 'alumni-relay-bench-'));
const dirs: string[] = [];
const log = (s: string) => process.stderr.write(`${s}\n`);

const catalog = loadCatalog();
const rules = loadRulesFile(RULES, catalog);
const classifier = classifierFor(rules, catalog); // also loads jieba's user dictionary
// The raw cut runs on the very dictionary the classifier uses (trimmed main dictionary + user words).
const nodejieba = loadJieba();
const tz = rules.defaults.timezone;
const sources = rules.sources;

let msgN = 0;
const inbound = (w: WorkItem, i: number): InboundMessage => {
  const s = sources[i % sources.length]!;
  return { platform: s.platform, id: `b-${++msgN}`, chatId: s.group, senderId: `u${i % 997}`, senderName: `校友${i % 997}`, text: w.text, sentAt: new Date().toISOString() };
};

async function openStore(dir: string) {
  const store = await Store.open(dir);
  const pipeline = createPipeline({ store, rules: () => rules, classify: (text, at, zone) => classifier.classify(text, at, zone), fingerprint: simhash, logger: silentLogger });
  return { store, pipeline };
}

/** Runs `work` over `items` with `concurrency` in flight. */
async function pool<T>(items: T[], concurrency: number, work: (x: T, i: number) => Promise<unknown>) {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) {
      const i = next++;
      await work(items[i]!, i);
    }
  }));
}

// ---- 1. cut vs ingest throughput ------------------------------------------------------------------
// A shared VM's speed drifts by ±30% within seconds (the cut rate alone ranged 42k–71k msgs/s between
// runs here), so the two rates are compared under the same conditions: rounds of [cut the chunk's
// texts for a while → ingest the chunk → cut them again], one ratio per round (ingest ÷ the mean of the
// two cut windows around it); the ratio reported is the median round.
log('1/5 throughput: jieba cut vs full ingest, interleaved rounds …');
const texts = workload(cfg.throughputMsgs, 1);
const rounds = cfg.rounds;
const chunkOf = (r: number) => texts.slice(Math.floor((r * texts.length) / rounds), Math.floor(((r + 1) * texts.length) / rounds));
/** Cuts per second of `folded` over one window of ≈ `ms` (whole passes over the texts). */
const cutRate = (folded: string[], ms: number) => {
  let cuts = 0;
  const start = t();
  while (t() - start < ms) for (const s of folded) (nodejieba.cut(s), cuts++);
  return cuts / ((t() - start) / 1000);
};

const tpDir = tmp();
dirs.push(tpDir);
const tp = await openStore(tpDir);
for (const [i, w] of workload(200, 99).entries()) await tp.pipeline.handle(inbound(w, i)); // warm up
cutRate(chunkOf(0).map((w) => normaliseText(w.text)), 300);
const tpRounds: { cut: number; ingest: number; ratio: number }[] = [];
let tpDone = 0;
for (let r = 0; r < rounds; r++) {
  const chunk = chunkOf(r);
  const folded = chunk.map((w) => normaliseText(w.text));
  const before = cutRate(folded, cfg.cutWindowMs);
  const a = t();
  await pool(chunk, 32, (w, i) => tp.pipeline.handle(inbound(w, tpDone + i)));
  const ingest = chunk.length / ((t() - a) / 1000);
  tpDone += chunk.length;
  const cut = (before + cutRate(folded, cfg.cutWindowMs)) / 2;
  tpRounds.push({ cut, ingest, ratio: ingest / cut });
}
const seqTexts = workload(Math.min(2000, cfg.throughputMsgs), 3);
const seqFolded = seqTexts.map((w) => normaliseText(w.text));
const seqCut = cutRate(seqFolded, cfg.cutWindowMs);
const seqStart = t();
for (const [i, w] of seqTexts.entries()) await tp.pipeline.handle(inbound(w, tpDone + i));
const ingestSeqPerSec = seqTexts.length / ((t() - seqStart) / 1000);
const seqRatio = ingestSeqPerSec / ((seqCut + cutRate(seqFolded, cfg.cutWindowMs)) / 2);
const outcomes = { ...tp.store.data.counters };
await tp.store.close();
const ratios = tpRounds.map((x) => x.ratio);
const ratio = pct(ratios, 50);
const cutPerSec = pct(tpRounds.map((x) => x.cut), 50);
const ingestPerSec = pct(tpRounds.map((x) => x.ingest), 50);

// ---- seed posts: real classifications of generated referrals, cloned over the history -------------
log('    classifying a pool of referrals for seeding …');
const poolPosts: Post[] = workload(cfg.pool * 4, 7)
  .filter((w) => w.kind === 'referral')
  .slice(0, cfg.pool)
  .map((w) => {
    const text = normaliseText(w.text);
    const { routing: _routing, ...classification } = classifier.classify(text, new Date(), tz);
    return { id: '', text, fingerprint: simhash(text), sources: [], receivedAt: '', status: 'active', classification, digestedFor: [] } as Post;
  });

/** `n` posts spread over the history: ≈100 a day (a busy relay), at least 60 days. */
function* history(n: number, seed: number, now = Date.now()): Generator<Post[]> {
  const rng = seeded(seed);
  const days = Math.max(60, Math.ceil(n / 100));
  const start = now - days * DAY;
  const perMonth = new Map<string, Post[]>();
  let month = '';
  for (let i = 0; i < n; i++) {
    const at = new Date(start + (i / n) * days * DAY);
    const base = poolPosts[Math.floor(rng() * poolPosts.length)]!;
    const fp = (BigInt(Math.floor(rng() * 2 ** 32)) << 32n) | BigInt(Math.floor(rng() * 2 ** 32));
    const s = sources[i % sources.length]!;
    const p: Post = {
      ...base,
      id: randomUUID(),
      fingerprint: fp.toString(16).padStart(16, '0'),
      sources: [{ platform: s.platform, chatId: s.group, messageId: `seed-${seed}-${i}`, senderId: `u${i % 5000}`, senderName: `校友${i % 5000}`, sentAt: at.toISOString() }],
      receivedAt: at.toISOString(),
      digestedFor: at.getTime() < now - 2 * DAY ? [...base.classification.colleges] : [],
    };
    const m = p.receivedAt.slice(0, 7);
    if (m !== month && perMonth.size) {
      yield* perMonth.values();
      perMonth.clear();
    }
    month = m;
    (perMonth.get(m) ?? perMonth.set(m, []).get(m)!).push(p);
  }
  yield* perMonth.values();
}

// ---- 2 & 3. latency at 1k / 10k / 100k stored, and the outbox mark window -------------------------
const latency: Record<string, { p50: number; p99: number; p99Stored: number; hot: number; seedS: number }> = {};
let bigDir = '';
let markWindow = { p50: NaN, p99: NaN, parts: 0 };
for (const size of SIZES) {
  log(`2/5 latency with ${size} posts stored …`);
  const dir = tmp();
  dirs.push(dir);
  const seedStart = t();
  {
    const s = await Store.open(dir);
    for (const month of history(size, size)) await s.importPosts(month);
    await s.close();
  }
  const seedS = (t() - seedStart) / 1000;
  const { store, pipeline } = await openStore(dir);
  const items = workload(cfg.latencyMsgs, size + 5);
  const all: number[] = [];
  const stored: number[] = [];
  for (const [i, w] of items.entries()) {
    const a = t();
    const outcome = await pipeline.handle(inbound(w, i));
    const ms = t() - a;
    all.push(ms);
    if (outcome === 'stored' || outcome === 'merged' || outcome === 'scam') stored.push(ms);
  }
  latency[size] = { p50: r2(pct(all, 50)), p99: r2(pct(all, 99)), p99Stored: r2(pct(stored, 99)), hot: store.posts().length, seedS: r2(seedS) };

  if (size === SIZES[SIZES.length - 1]) {
    log('3/5 outbox mark window under ingest load …');
    const accept: ChatAdapter = { platform: 'local', start: async () => {}, stop: async () => {}, send: async () => ({}) };
    const outbox = new Outbox(store, () => accept, silentLogger, { maxAttempts: () => 8 });
    const now = new Date().toISOString();
    const deliveries: Delivery[] = Array.from({ length: cfg.windowDeliveries }, (_, i) => ({
      id: `bench-${i}`, digestId: `bench-dg-${i}`, collegeId: 'electrical', channel: { platform: 'local' as Platform, chat: `ch-${i % 20}` },
      parts: [1, 2, 3].map((k) => ({ format: 'plain' as const, body: `速递 ${i} 第${k}部分 `.repeat(80) })),
      sentParts: 0, status: 'pending' as const, attempts: 0, nextAttemptAt: now, createdAt: now,
    }));
    await store.recordDigest({ id: 'bench-dg', collegeId: 'electrical', collegeName: 'x', createdAt: now, items: [] }, deliveries);
    const load = workload(cfg.latencyMsgs, 77);
    await Promise.all([outbox.drain(), pool(load, 8, (w, i) => pipeline.handle(inbound(w, i)))]);
    markWindow = { p50: r2(pct(outbox.markWindowsMs, 50)), p99: r2(pct(outbox.markWindowsMs, 99)), parts: outbox.markWindowsMs.length };
    bigDir = dir;
  }
  await store.close();
}

// ---- 4. digest for 30 colleges × 500 posts --------------------------------------------------------
log('4/5 digests: 30 colleges × 500 posts …');
const digestDir = tmp();
dirs.push(digestDir);
const colleges = Array.from({ length: 30 }, (_, i) => ({ id: `college-${i}`, name: `第${i + 1}学院`, platforms: (['wechat', 'telegram', 'lark'] as Platform[]).slice(0, 1 + (i % 3)) }));
const dstore = await Store.open(digestDir);
{
  const rng = seeded(30);
  const now = Date.now();
  const posts: Post[] = [];
  for (const c of colleges) {
    for (let k = 0; k < 500; k++) {
      const base = poolPosts[Math.floor(rng() * poolPosts.length)]!;
      const at = new Date(now - rng() * 20 * DAY).toISOString();
      posts.push({ ...base, id: randomUUID(), sources: [{ platform: 'wechat', chatId: sources[0]!.group, messageId: `d-${c.id}-${k}`, senderId: 'u', senderName: '王磊（2012级电气）', sentAt: at }], receivedAt: at, classification: { ...base.classification, colleges: [c.id] }, digestedFor: [] });
    }
  }
  await dstore.importPosts(posts);
}
const names = new Map(sources.map((s) => [`${s.platform}:${s.group}`, s.name ?? s.group]));
const digestRuns: number[] = [];
let digestParts = 0;
for (let run = 0; run < 5; run++) {
  const at = new Date();
  const a = t();
  for (const c of colleges) {
    const opt = { now: at, timeZone: tz, maxItems: rules.defaults.maxItemsPerDigest };
    const digest = buildDigest(c, selectPosts(dstore.undigestedFor(c.id), opt), { ...opt, id: `dg-${c.id}`, explain: rules.defaults.explain });
    for (const p of c.platforms) digestParts += renderDigest(digest, p, { now: at, timeZone: tz, privacy: rules.privacy, sourceName: (pl, chat) => names.get(`${pl}:${chat}`) ?? chat }).length;
  }
  digestRuns.push(t() - a);
}
await dstore.close();
const digestMs = r2(pct(digestRuns.slice(1), 50)); // first run warms the JIT

// ---- 5. cold start + RSS of the relay as `npm start` runs it ---------------------------------------
// The real command (compiled dist/cli.js, local platform) over a data directory: time from spawn to the
// banner it prints once start() resolved, then the peak RSS while it replays the sample messages into
// the store and sends digests for a few seconds (sampled every 50 ms; no forced GC).
log('5/5 cold start and RSS …');
const ROOT = fileURLToPath(new URL('..', import.meta.url));
{
  const b = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, encoding: 'utf8' });
  if (b.status !== 0) throw new Error(`build failed: ${b.stderr}`);
}
const rssOf = (pid: number): number => {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
  } catch {
    const ps = spawnSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' });
    return Number(ps.stdout.trim()) / 1024;
  }
};
async function coldStart(dataDir: string, rulesFile = RULES): Promise<{ ms: number; rssMB: number }> {
  const a = t();
  const child = spawn(process.execPath, ['--enable-source-maps', 'dist/cli.js', '--rules', rulesFile, 'start', '--platform', 'local', '--demo-every', '2'], {
    cwd: ROOT,
    env: { ...process.env, RELAY_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logTail = ''; // the relay logs at its default level, as in use; kept only to explain a failure
  child.stderr.on('data', (d: Buffer) => (logTail = (logTail + d.toString()).slice(-4000)));
  let ms = NaN;
  let peak = 0;
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  for await (const line of createInterface({ input: child.stdout })) {
    if (line.startsWith('alumni-relay is running on')) {
      ms = t() - a;
      break;
    }
  }
  child.stdout.resume(); // digests keep printing; nobody reads them
  for (const until = t() + cfg.rssWatchMs; t() < until; await new Promise((r) => setTimeout(r, 50))) peak = Math.max(peak, rssOf(child.pid!));
  child.kill('SIGINT');
  if ((await exited) !== 0 || Number.isNaN(ms)) throw new Error(`the relay did not start and stop cleanly:\n${logTail}`);
  return { ms: r2(ms), rssMB: r2(peak) };
}
const emptyDir = tmp();
dirs.push(emptyDir);
const coldEmpty = await coldStart(emptyDir);
// The seeded history spans ≈1000 days at 100 posts a day; with the shipped retention (180 days) the relay
// would prune 80% of it at start and measure an 18k store. Keep all 100k: same rules, retention raised.
const keepAllRules = join(emptyDir, 'routing-keep-all.yaml');
writeFileSync(keepAllRules, readFileSync(RULES, 'utf8').replace(/^(\s*retentionDays:\s*)\d+/m, `$1${Math.ceil(SIZES.at(-1)! / 100) + 400}`));
const cold100k = await coldStart(bigDir, keepAllRules);
const bigStore = await Store.open(bigDir);
const disk = bigStore.diskUsage();
const stored100k = { hot: bigStore.posts().length, all: bigStore.postCount() };
await bigStore.close();
const diskMB = { total: r2(disk.total / 2 ** 20), hot: r2((disk.snapshot + disk.journal) / 2 ** 20), archive: r2(disk.archive / 2 ** 20) };
if (process.env.BENCH_KEEP) log(`kept: ${dirs.join(' ')}`);
else for (const d of dirs) rmSync(d, { recursive: true, force: true });

// ---- report ---------------------------------------------------------------------------------------
const targets = {
  ingestCutRatio: { value: r2(ratio), target: '>= 0.25', pass: ratio >= 0.25 },
  p99At100kMs: { value: latency[100_000]!.p99, target: '<= 20', pass: latency[100_000]!.p99 <= 20 },
  p99At100kVs1k: { value: r2(latency[100_000]!.p99 / latency[1_000]!.p99), target: '<= 2', pass: latency[100_000]!.p99 <= 2 * latency[1_000]!.p99 },
  digest30x500Ms: { value: digestMs, target: '<= 200', pass: digestMs <= 200 },
  coldStartMs: { value: Math.max(coldEmpty.ms, cold100k.ms), target: '<= 3000', pass: Math.max(coldEmpty.ms, cold100k.ms) <= 3000 },
  rssAt100kMB: { value: cold100k.rssMB, target: '<= 250', pass: cold100k.rssMB <= 250 },
};
const machine = { nproc: cpus().length, cpu: cpus()[0]?.model ?? '?', node: process.version, platform: `${process.platform}-${process.arch}` };

const rows: [string, string, string][] = [
  ['jieba cut (msgs/s)', String(Math.round(cutPerSec)), ''],
  ['ingest, 32 in flight (msgs/s)', String(Math.round(ingestPerSec)), `ratio ${r2(ratio)} (≥ 0.25) ${targets.ingestCutRatio.pass ? 'PASS' : 'FAIL'}; median of ${rounds} rounds, ${r2(Math.min(...ratios))}–${r2(Math.max(...ratios))}`],
  ['ingest, one at a time (msgs/s)', String(Math.round(ingestSeqPerSec)), `ratio ${r2(seqRatio)}`],
  ...SIZES.map((n): [string, string, string] => [
    `ingest latency, ${n.toLocaleString('en')} stored (p50 / p99 ms)`,
    `${latency[n]!.p50} / ${latency[n]!.p99}`,
    `p99 of stored msgs ${latency[n]!.p99Stored}; hot posts ${latency[n]!.hot}`,
  ]),
  ['p99 at 100k (≤ 20 ms, ≤ 2× 1k)', `${latency[100_000]!.p99}`, `${targets.p99At100kMs.pass && targets.p99At100kVs1k.pass ? 'PASS' : 'FAIL'} (×${targets.p99At100kVs1k.value})`],
  ['outbox send→durable mark (p50 / p99 ms)', `${markWindow.p50} / ${markWindow.p99}`, `${markWindow.parts} parts, ingest running`],
  ['digest 30 colleges × 500 posts (ms)', String(digestMs), `${digestParts / 5} messages rendered per run; ${targets.digest30x500Ms.pass ? 'PASS' : 'FAIL'}`],
  ['cold start to listening (ms)', `${coldEmpty.ms} empty / ${cold100k.ms} 100k`, targets.coldStartMs.pass ? 'PASS' : 'FAIL'],
  ['RSS, relay over 100k posts (MB)', String(cold100k.rssMB), `${stored100k.hot} hot / ${stored100k.all} total; ${targets.rssAt100kMB.pass ? 'PASS' : 'FAIL'}`],
  ['store on disk, 100k posts (MB)', String(diskMB.total), `hot ${diskMB.hot}, archive ${diskMB.archive}`],
];
const w0 = Math.max(...rows.map((r) => r[0].length));
const w1 = Math.max(...rows.map((r) => r[1].length));
console.log(`\nalumni-relay bench${quick ? ' (--quick)' : ''} — ${machine.nproc} × ${machine.cpu}, node ${machine.node}`);
for (const [a, b, c] of rows) console.log(`${a.padEnd(w0)}  ${b.padStart(w1)}  ${c}`);
console.log(
  JSON.stringify({
    quick,
    machine,
    cutPerSec: Math.round(cutPerSec),
    ingestPerSec: Math.round(ingestPerSec),
    ingestSequentialPerSec: Math.round(ingestSeqPerSec),
    ingestCutRounds: ratios.map(r2),
    outcomes,
    latencyMs: latency,
    markWindowMs: markWindow,
    digest30x500Ms: digestMs,
    coldStartMs: { empty: coldEmpty.ms, at100k: cold100k.ms },
    rssMB: { at100k: cold100k.rssMB, empty: coldEmpty.rssMB },
    diskMB,
    targets,
    pass: Object.values(targets).every((x) => x.pass),
  }),
);
