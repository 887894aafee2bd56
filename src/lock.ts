// One relay process per data directory: the store (journal + lowdb files) has no multi-process locking,
// so a second writer (another relay, a restore, a CLI command that changes the store) would overwrite
// the first's changes.
//
// HOW. The lock is a series of files relay.lock.<generation>; the holder is whoever wrote the highest
// generation, if that process is still alive. To take it: read the highest generation; if its holder is
// alive, refuse; otherwise create the next generation with O_EXCL (`wx`) — of two processes racing for the
// same generation exactly one succeeds — then check that no higher generation appeared (a process working
// from an older listing may create a lower one; it loses that check and backs off), and delete the lower
// generations. No step removes a file another process could still be deciding on, which is what makes
// "check, then take over a stale lock" race-free without flock (Node has none).
//
// ALIVE. A holder records pid, host, a random token and, on Linux, its start time (field 22 of
// /proc/<pid>/stat, clock ticks since boot) and the boot id: a pid reused by another process, or a
// reboot, shows as a different start time or boot id. Elsewhere only `kill(pid, 0)` can tell, so a reused
// pid looks alive there (delete the lock file by hand). A holder on another host (a data directory on a
// network file system) cannot be checked and is taken as alive.
// A relay.pid from an older alumni-relay counts as alive only if that pid's process started before the
// file was written.
import { randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export interface LockHolder {
  pid: number;
  host: string;
  token: string;
  /** When it took the lock (ISO). */
  since: string;
  /** Linux: the process's start time in clock ticks after boot, and the boot id. */
  start?: string;
  boot?: string;
}

export class LockError extends Error {
  override readonly name = 'LockError';
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder,
    readonly file: string,
  ) {
    const where = holder.host === hostname() ? `pid ${holder.pid}` : `pid ${holder.pid} on host ${holder.host}`;
    super(
      `another alumni-relay (${where}, since ${holder.since}) is using ${dataDir}; stop it first or use another RELAY_DATA_DIR` +
        (holder.host === hostname() ? '' : ` (if that host no longer runs it, delete ${file})`),
    );
  }
}

const LOCK_RE = /^relay\.lock\.(\d+)$/;
const LEGACY = 'relay.pid';
const lockName = (gen: number) => `relay.lock.${gen}`;

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Linux: the start time of a process (clock ticks after boot), or undefined when there is no such process. */
export function processStart(pid: number): string | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  // "pid (comm) state ppid …": comm may hold spaces and parentheses, so count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19]; // field 22 overall; fields[0] is field 3 (state)
}

const hasProc = (): boolean => processStart(process.pid) !== undefined;
const bootId = (): string | undefined => readText('/proc/sys/kernel/random/boot_id')?.trim();

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the process that wrote `h` still runs. */
export function holderAlive(h: LockHolder): boolean {
  if (h.host !== hostname()) return true; // cannot tell: refuse rather than risk two writers
  if (h.start !== undefined && hasProc()) {
    if (h.boot !== undefined && h.boot !== bootId()) return false; // rebooted since
    return processStart(h.pid) === h.start; // undefined: gone; different: the pid was reused
  }
  return pidExists(h.pid);
}

const me = (): LockHolder => {
  const start = processStart(process.pid);
  const boot = bootId();
  return { pid: process.pid, host: hostname(), token: randomUUID(), since: new Date().toISOString(), ...(start ? { start } : {}), ...(boot ? { boot } : {}) };
};

/** This same process (a relay it started and did not stop, in tests): not another relay. */
const isThisProcess = (h: LockHolder) => h.pid === process.pid && h.host === hostname() && h.start === processStart(process.pid);

function generations(dir: string): { gen: number; file: string }[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .map((n) => LOCK_RE.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ gen: Number(m[1]), file: join(dir, m[0]) }))
    .sort((a, b) => b.gen - a.gen);
}

type Read = { holder: LockHolder } | { empty: true; ageMs: number } | { missing: true };

function readHolder(file: string): Read {
  const text = readText(file);
  if (text === undefined) return { missing: true };
  try {
    const h = JSON.parse(text) as LockHolder;
    if (Number.isInteger(h.pid) && typeof h.token === 'string') return { holder: h };
  } catch {
    // being written, or its writer died between creating and writing it
  }
  let ageMs = 0;
  try {
    ageMs = Date.now() - statSync(file).mtimeMs;
  } catch {
    return { missing: true };
  }
  return { empty: true, ageMs };
}

/** A relay.pid left by an older alumni-relay: its pid, if that process started before the file was written. */
function legacyHolder(dir: string): LockHolder | undefined {
  const file = join(dir, LEGACY);
  const pid = Number(readText(file)?.trim());
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || !pidExists(pid)) return undefined;
  if (hasProc()) {
    const btime = Number(/^btime (\d+)$/m.exec(readText('/proc/stat') ?? '')?.[1]);
    const ticks = Number(processStart(pid));
    // USER_HZ is 100 on every Linux build Node supports; 2 s of slack for the rounding of btime.
    const startedMs = btime * 1000 + ticks * 10;
    if (Number.isFinite(startedMs) && startedMs > statSync(file).mtimeMs + 2000) return undefined; // pid reused
  }
  return { pid, host: hostname(), token: 'relay.pid', since: statSync(file).mtime.toISOString() };
}

/** The live holder of the lock on `dataDir` (this process included), if any. */
export function lockHolder(dataDir: string): LockHolder | undefined {
  for (let attempt = 0; attempt < 20; attempt++) {
    const top = generations(dataDir)[0];
    if (!top) return legacyHolder(dataDir);
    const r = readHolder(top.file);
    if ('missing' in r) continue; // replaced meanwhile: look again
    if ('empty' in r) return r.ageMs < 2000 ? { pid: 0, host: hostname(), token: '', since: new Date().toISOString() } : undefined;
    return holderAlive(r.holder) ? r.holder : undefined;
  }
  return undefined;
}

/** The pid of a live relay (another process) using this data directory, if any. */
export function runningRelay(dataDir: string): number | undefined {
  const h = lockHolder(dataDir);
  return h && !isThisProcess(h) && h.pid > 0 ? h.pid : undefined;
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * Takes the lock on `dataDir` or throws a LockError naming the live holder. Returns the release
 * function (it removes the lock file only while it is still ours).
 */
export function acquireLock(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const mine = me();
  const text = `${JSON.stringify(mine)}\n`;
  for (let attempt = 0; attempt < 200; attempt++) {
    const top = generations(dataDir)[0];
    if (top) {
      const r = readHolder(top.file);
      if ('missing' in r) continue;
      if ('empty' in r) {
        if (r.ageMs < 2000) {
          sleep(5); // its writer is between create and write
          continue;
        }
      } else if (holderAlive(r.holder) && !isThisProcess(r.holder)) throw new LockError(dataDir, r.holder, top.file);
    } else {
      const legacy = legacyHolder(dataDir);
      if (legacy) throw new LockError(dataDir, legacy, join(dataDir, LEGACY));
    }
    const gen = (top?.gen ?? 0) + 1;
    const file = join(dataDir, lockName(gen));
    let fd: number;
    try {
      fd = openSync(file, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue; // another process took this generation
      throw err;
    }
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if ((generations(dataDir)[0]?.gen ?? gen) !== gen) {
      unlinkSync(file); // we worked from an older listing: a newer generation exists
      continue;
    }
    for (const g of generations(dataDir)) if (g.gen < gen) removeQuietly(g.file);
    removeQuietly(join(dataDir, LEGACY));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (readText(file) === text) removeQuietly(file);
    };
  }
  throw new Error(`could not take the lock on ${dataDir} (it kept changing); try again`);
}

function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
}
