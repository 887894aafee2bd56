// npm start runs node with --heap-growing-percent=15 (bin/alumni-relay.js says why): a full GC each time the
// old generation grows by 15 %, which keeps the running relay's peak RSS low. While the relay starts, that is
// a full GC every 15 % of the store it loads (≈ 100 MB of live posts and indexes over 100k posts), each
// marking everything loaded so far. So the start-up runs with more room to grow, and the tight setting comes
// back once the relay listens. V8 reads the flag at every GC, so setting it at run time takes effect.
//
// How much room (2026-12-01, all three SDKs over 100k posts, 6 interleaved starts each, this VM): 15 % (as
// before) 2.4–3.4 s to the banner, median 3.1 s, peak RSS 223–229 MB; 30 %: 2.8–3.2 s, 227–233 MB; 50 %:
// 2.4–3.1 s, median 2.5 s, 235–237 MB; V8's own growth: 2.4–3.1 s, 247–248 MB.
import v8 from 'node:v8';

/** The old generation's growth between full GCs while the relay starts. */
export const START_HEAP_GROWING_PERCENT = 50;

const FLAG = /^--heap[-_]growing[-_]percent=(\d+)$/;

/** The --heap-growing-percent node was started with (command line or NODE_OPTIONS), if any. */
export function heapGrowingPercent(execArgv = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): number | undefined {
  let found: number | undefined;
  for (const arg of [...nodeOptions.split(/\s+/), ...execArgv]) {
    const m = FLAG.exec(arg);
    if (m) found = Number(m[1]);
  }
  return found;
}

/** Lets the old generation grow by `during` % between full GCs until the returned function restores node's setting. */
export function looseHeapWhileStarting(during: number): () => void {
  const tight = heapGrowingPercent();
  if (tight === undefined || tight >= during) return () => {};
  v8.setFlagsFromString(`--heap-growing-percent=${during}`);
  return () => v8.setFlagsFromString(`--heap-growing-percent=${tight}`);
}
