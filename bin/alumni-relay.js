#!/usr/bin/env node
// The `alumni-relay` command (npm link, a global install, the container's entrypoint): the compiled CLI,
// built once at install (`npm ci` runs `prepare`).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  console.error(`alumni-relay: 找不到 ${cli.pathname}：请先在项目目录里运行 npm ci（或 npm run build）。`);
  process.exit(1);
}
process.setSourceMapsEnabled(true);
await import(cli.href);
