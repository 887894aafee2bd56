// Profiling aid (not part of `npm run bench`): the real ingest path of bench section 1 on its own, so it can
// be run under `node --cpu-prof` or with event-loop and fdatasync counts. Usage:
//   npx tsx scripts/bench/profile-ingest.ts [messages=4000] [child|in-process]
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { loadJieba } from '../../src/classify/tokenizer.ts';
import { normaliseText } from '../../src/pipeline.ts';
import { openRealIngest, type FakeWhere } from './ingest-real.ts';
import { interleavedRounds, median, range, r2 } from './util.ts';
import { workload } from './workload.ts';

const n = Number(process.argv[2] ?? 4000);
const where = (process.argv[3] ?? 'child') as FakeWhere;
const RULES = fileURLToPath(new URL('../../rules/routing.yaml', import.meta.url));
const real = await openRealIngest(RULES, where);
const jieba = loadJieba();
await real.ingest(workload(200, 99).map((w) => w.text));
const texts = workload(n, 1).map((w) => w.text);
const rounds = 4;
const chunks = Array.from({ length: rounds }, (_, r) => texts.slice((r * n) / rounds, ((r + 1) * n) / rounds));
const h = monitorEventLoopDelay({ resolution: 1 });
h.enable();
const cpu = process.cpuUsage();
// Event-loop utilisation while ingesting only (not during the cut windows): below 1, the relay waited.
let idle = 0;
let active = 0;
const out = await interleavedRounds(chunks, normaliseText, (s) => jieba.cut(s), 250, async (c) => {
  const before = performance.eventLoopUtilization();
  await real.ingest(c);
  const d = performance.eventLoopUtilization(before);
  idle += d.idle;
  active += d.active;
});
const used = process.cpuUsage(cpu);
h.disable();
console.log(JSON.stringify({
  ratio: r2(median(out.map((x) => x.ratio))), range: range(out.map((x) => x.ratio)),
  ingest: out.map((x) => Math.round(x.ingest)), cut: out.map((x) => Math.round(x.cut)),
  ingestElu: r2(active / (active + idle)), ingestIdleMs: Math.round(idle), cpuMs: Math.round((used.user + used.system) / 1000), loopDelayP99Ms: r2(h.percentile(99) / 1e6), outcomes: real.outcomes(), traffic: await real.traffic(),
}));
await real.close();
