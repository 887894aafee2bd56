// The data-dir lock (src/lock.ts): taken atomically by real processes racing for it, a stale lock (a
// crashed holder, a pid now used by an unrelated process) is taken over, a live holder is refused.
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { acquireLock, LockError, lockHolder, processStart, runningRelay } from '../../src/lock.ts';
import { tempDir } from '../helpers/tmp.ts';

const LOCK = fileURLToPath(new URL('../../src/lock.ts', import.meta.url));

/** A node process running `code` (ESM, with `acquireLock` imported) — the relay's own lock code, nothing else. */
function child(code: string, args: string[] = [], stdin = false): { proc: ChildProcess; out: Promise<string>; lines: (fn: (l: string) => void) => void } {
  const proc = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `import { acquireLock } from ${JSON.stringify(LOCK)};\n${code}`, ...args], {
    stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const listeners: ((l: string) => void)[] = [];
  createInterface({ input: proc.stdout! }).on('line', (l) => {
    text += `${l}\n`;
    for (const fn of listeners) fn(l);
  });
  let err = '';
  proc.stderr!.on('data', (b: Buffer) => (err += b));
  const out = new Promise<string>((resolve, reject) => proc.on('exit', (code, signal) => (code === 0 || signal ? resolve(text) : reject(new Error(`child exited ${code}: ${err}`)))));
  return { proc, out, lines: (fn) => listeners.push(fn) };
}

const lockFiles = (dir: string) => readdirSync(dir).filter((f) => f.startsWith('relay.lock.'));
const holderFile = (dir: string) => JSON.parse(readFileSync(join(dir, lockFiles(dir)[0]!), 'utf8')) as { pid: number };

/** A lock file as another relay would have written it. */
function writeLock(dir: string, gen: number, holder: { pid: number; start?: string; host?: string }) {
  writeFileSync(join(dir, `relay.lock.${gen}`), JSON.stringify({ token: `t${gen}`, since: '2026-11-21T00:00:00.000Z', host: hostname(), ...holder }));
}

describe('data-dir lock', () => {
  it('of processes racing for the same data directories, exactly one takes each (40 rounds × 4 processes)', async () => {
    const ROUNDS = 40;
    const dirs = Array.from({ length: ROUNDS }, () => tempDir());
    // Every other directory starts with a stale lock (a pid reused by an unrelated live process), so the
    // racers also race to take over a stale lock, the harder case.
    for (const [i, d] of dirs.entries()) if (i % 2) writeLock(d, 7, { pid: process.pid, start: '1' });
    // Each racer loads, says "ready", gets the common start time on stdin, tries each directory at its
    // slot (spinning for the last 2 ms so they start together), reports, and stays alive (holding what it
    // won, so no lock goes stale) until stdin closes.
    const code = `
      import { createInterface } from 'node:readline';
      const dirs = JSON.parse(process.argv[1]);
      const rl = createInterface({ input: process.stdin });
      console.log('ready');
      rl.once('line', (line) => {
        const t0 = Number(line);
        const won = [];
        for (let i = 0; i < dirs.length; i++) {
          const at = t0 + i * 25;
          while (Date.now() < at - 2) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
          while (performance.timeOrigin + performance.now() < at);
          try { acquireLock(dirs[i]); won.push(i); } catch (err) { if (err.name !== 'LockError') throw err; }
        }
        console.log(JSON.stringify({ pid: process.pid, won }));
      });`;
    const racers = Array.from({ length: 4 }, () => child(code, [JSON.stringify(dirs)], true));
    await Promise.all(racers.map((r) => new Promise<void>((resolve) => r.lines((l) => l === 'ready' && resolve()))));
    const t0 = Date.now() + 100;
    const reports = racers.map((r) => new Promise<{ pid: number; won: number[] }>((resolve) => r.lines((l) => l.startsWith('{') && resolve(JSON.parse(l)))));
    for (const r of racers) r.proc.stdin!.write(`${t0}\n`);
    const results = await Promise.all(reports);
    const winners = dirs.map((_, i) => results.filter((r) => r.won.includes(i)).map((r) => r.pid));
    // Checked while every racer is still alive: the lock file left in each directory is its one winner's.
    dirs.forEach((d, i) => {
      expect(lockFiles(d)).toHaveLength(1);
      expect(holderFile(d).pid).toBe(winners[i]![0]);
      expect(runningRelay(d)).toBe(winners[i]![0]);
    });
    for (const r of racers) r.proc.stdin!.end();
    await Promise.all(racers.map((r) => r.out));
    expect(winners.map((w) => w.length)).toEqual(dirs.map(() => 1));
    // The wins were spread over the racers (they really raced, not one after the other).
    expect(results.filter((r) => r.won.length > 0).length).toBeGreaterThan(1);
  }, 60_000);

  it('takes over a lock whose pid now belongs to an unrelated live process (pid reuse)', () => {
    for (const pid of [1, process.ppid, process.pid === 1 ? 2 : process.pid]) {
      const dir = tempDir();
      writeLock(dir, 3, { pid, start: '12345' }); // live pid, but not the process that wrote the lock
      expect(processStart(pid)).toBeDefined(); // alive: only the start time tells it apart
      expect(runningRelay(dir)).toBeUndefined();
      const release = acquireLock(dir);
      expect(lockFiles(dir)).toEqual(['relay.lock.4']);
      expect(holderFile(dir).pid).toBe(process.pid);
      release();
      expect(lockFiles(dir)).toEqual([]);
    }
  });

  it('refuses while a live relay holds the lock, naming its pid, and takes it over once that relay is killed -9', async () => {
    const dir = tempDir();
    const holder = child(`acquireLock(process.argv[1]); console.log('held'); setInterval(() => {}, 1000);`, [dir]);
    await new Promise<void>((resolve) => holder.lines((l) => l === 'held' && resolve()));
    expect(runningRelay(dir)).toBe(holder.proc.pid);
    expect(() => acquireLock(dir)).toThrow(LockError);
    expect(() => acquireLock(dir)).toThrow(new RegExp(`another alumni-relay \\(pid ${holder.proc.pid}, since `));
    holder.proc.kill('SIGKILL');
    await holder.out;
    expect(runningRelay(dir)).toBeUndefined();
    const release = acquireLock(dir);
    expect(lockHolder(dir)?.pid).toBe(process.pid);
    release();
  }, 30_000);

  it('treats a lock from another host as held (cannot check it) and says how to clear it', () => {
    const dir = tempDir();
    writeLock(dir, 1, { pid: 999_999, host: 'other-host' });
    expect(() => acquireLock(dir)).toThrow(/pid 999999 on host other-host.*delete .*relay\.lock\.1/);
  });

  it('reads an older relay.pid: a dead pid or one started after the file was written is stale, a live older one holds', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'relay.pid'), '999999999');
    acquireLock(dir)();
    const reused = tempDir();
    writeFileSync(join(reused, 'relay.pid'), String(process.pid === 1 ? 2 : process.ppid));
    utimesSync(join(reused, 'relay.pid'), new Date('2000-01-01'), new Date('2000-01-01')); // written before that process started
    acquireLock(reused)();
    const held = tempDir();
    writeFileSync(join(held, 'relay.pid'), '1'); // pid 1 started before the file was written
    expect(() => acquireLock(held)).toThrow(LockError);
  });
});
