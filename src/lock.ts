// One relay process per data directory: the store (journal + lowdb files) has no multi-process locking,
// so a second writer (another relay, or a CLI command that changes the store) would overwrite the first's changes.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const lockFile = (dataDir: string) => join(dataDir, 'relay.pid');

/** The pid of a live relay using this data directory, if any. */
export function runningRelay(dataDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(lockFile(dataDir), 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
  try {
    process.kill(pid, 0); // signal 0: only asks whether the process exists
    return pid;
  } catch {
    return undefined; // a stale lock left by a crash
  }
}

export function acquireLock(dataDir: string): () => void {
  const other = runningRelay(dataDir);
  if (other) throw new Error(`another alumni-relay (pid ${other}) is using ${dataDir}; stop it first or use another RELAY_DATA_DIR`);
  writeFileSync(lockFile(dataDir), String(process.pid));
  return () => rmSync(lockFile(dataDir), { force: true });
}
