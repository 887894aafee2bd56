// npm run bench: runs scripts/bench.ts with the node flags of `npm start` (package.json), so ingest and
// latency are measured in a process tuned as the relay is (V8 heap flags change GC work per message).
// Plain JavaScript: it only starts node again, with tsx for the TypeScript.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const start = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')).scripts.start;
const flags = start.split(/\s+/).filter((a) => a.startsWith('--'));
const r = spawnSync(process.execPath, [...flags, '--import', 'tsx', `${root}/scripts/bench.ts`, ...process.argv.slice(2)], { stdio: 'inherit', cwd: root });
process.exit(r.status ?? 1);
