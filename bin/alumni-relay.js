#!/usr/bin/env -S node --max-semi-space-size=2 --no-allocation-site-pretenuring --heap-growing-percent=15
// The `alumni-relay` command (npm link, a global install, the container's entrypoint): the compiled CLI,
// built once at install (`npm ci` runs `prepare`).
// The node flags are those `npm start` should run with (package.json):
// --max-semi-space-size=2 (MB): V8 sizes the young generation when the heap is created, so the flag must be
//   on node's command line (a later v8.setFlagsFromString would not resize it); the relay's allocations are
//   short-lived message objects, and the default 16 MB semi-spaces (×3 with the copy) sat in the RSS peak.
// --no-allocation-site-pretenuring: with young objects promoted that soon, V8 saw JSON.parse's posts
//   "survive" while the console read the 100k-post archive at start and allocated them straight in the old
//   generation, which then grew with garbage (bench, all three SDKs over 100k posts: peak RSS 326–330 →
//   286–290 MB, 2 runs each; ingest rate unchanged).
// --heap-growing-percent=15: V8 lets the old generation grow by up to ×4 before its next full GC, sized
//   for throughput; the relay's live heap is ≈ 100 MB over 100k posts, and the peak was garbage from the
//   start-up archive read and the message stream. Collecting after 15% growth: 288–289 → 264–270 MB
//   (2026-12-01, all three SDKs over 100k posts; ingest ratio 0.09–0.10 with it, 0.10 without). While the
//   relay starts it may grow by 50 % (src/heap-growth.ts: loading the store was a full GC every 15 %).
// No --enable-source-maps: node then loads the map of every module that names one, dependencies
//   included (wechaty, rxjs, zod…): ≈ 10 MB more (252–258 vs 264–270 MB). Stack traces point into
//   dist/; for src/ paths run with NODE_OPTIONS=--enable-source-maps (dist/ keeps its .map files).
// `env -S` splits the line's arguments (coreutils ≥ 8.30, BSD/macOS env), and npm's Windows shims read the
// same line (2026-12: cmd-shim's shebang pattern accepts `env -S`, https://github.com/npm/cmd-shim/blob/main/lib/index.js).
// `node bin/alumni-relay.js` skips the line: give the flags yourself (the Dockerfile's ENTRYPOINT does).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  console.error(`alumni-relay: 找不到 ${cli.pathname}：请先在项目目录里运行 npm ci（或 npm run build）。`);
  process.exit(1);
}
process.setSourceMapsEnabled(true);
await import(cli.href);
