// The data directory's state outside the post store, carried in a backup as {"t":"side"} lines:
//   alumni/    the alumni ledger, opt-outs (consent) and mentors (state.json + journal.jsonl)
//   feedback/  students' subscriptions, votes and learnt adjustments (feedback.json)
//   console/   rules versions, the audit log and daily counters
//   media/     the pictures posts were read from, and pictures still waiting to be read
// Without them a restore would bring the posts back but thank alumni who opted out and forget every
// subscription.
//
// CONSISTENCY while the relay runs: each file is replaced atomically or only appended to, so reading
// one gives a whole version of it (an append cut mid-line is a torn last line, which its reader skips, as
// after a crash). Across files only alumni/ matters: its compaction writes state.json and then empties
// journal.jsonl, and an old state.json read with an emptied journal would lose the changes between. Name
// order reads journal.jsonl first, which is safe; in any order, a folder whose files were replaced while
// it was read is read again (test/store/backup-side.test.ts fails read state-first without that check).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { isTempFile, writeFileAtomic } from './atomic-write.ts';
import { yieldToLoop } from './files.ts';

/** Folders of the data directory copied as side state (names as alumni/db.ts, feedback/state.ts, … use). */
export const SIDE_DIRS = ['alumni', 'feedback', 'console', 'media'] as const;

export interface SideLine {
  t: 'side';
  /** Relative to the data directory, '/'-separated, under one of SIDE_DIRS. */
  path: string;
  enc: 'utf8' | 'base64';
  data: string;
}

/** Files worth keeping: not our temp files, not dot files (the health probe's .write-probe). */
const kept = (name: string) => !name.startsWith('.') && !isTempFile(name);

/** Every kept file under `dir`, as paths relative to it ('/'-separated), sorted. */
function filesUnder(dir: string, rel = ''): string[] {
  let names: string[];
  try {
    names = readdirSync(join(dir, rel)).filter(kept).sort();
  } catch {
    return [];
  }
  return names.flatMap((n) => {
    const r = rel ? `${rel}/${n}` : n;
    const st = statSync(join(dir, r), { throwIfNoEntry: false });
    if (st?.isDirectory()) return filesUnder(dir, r);
    return st?.isFile() ? [r] : [];
  });
}

/** The side folders of `dataDir` that hold anything worth keeping. */
export function sideEntries(dataDir: string): string[] {
  return SIDE_DIRS.filter((d) => filesUnder(join(dataDir, d)).length > 0);
}

const identity = (file: string) => {
  const s = statSync(file, { throwIfNoEntry: false });
  return s ? `${s.ino}` : '-';
};

/** One folder read at one time: its files' contents, read again if any file was replaced meanwhile. */
function readFolder(dataDir: string, name: string): { path: string; bytes: Buffer }[] {
  const dir = join(dataDir, name);
  for (let attempt = 1; ; attempt++) {
    const files = filesUnder(dir);
    const before = files.map((f) => identity(join(dir, f)));
    const out: { path: string; bytes: Buffer }[] = [];
    for (const f of files) {
      try {
        out.push({ path: `${name}/${f}`, bytes: readFileSync(join(dir, f)) });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // removed meanwhile (a swept picture)
      }
    }
    const after = files.map((f) => identity(join(dir, f)));
    if (after.every((id, i) => id === before[i] || id === '-')) return out;
    if (attempt === 5) throw new Error(`${name}/ kept changing while it was read (5 times); try the backup again`);
  }
}

export interface SideSummary {
  files: number;
  bytes: number;
}

/** The side state of `dataDir` as backup lines; `summary` counts what was yielded. */
export async function* sideLines(dataDir: string, summary: SideSummary): AsyncGenerator<string> {
  for (const name of SIDE_DIRS) {
    for (const { path, bytes } of readFolder(dataDir, name)) {
      const text = bytes.toString('utf8');
      const utf8 = Buffer.byteLength(text) === bytes.length && Buffer.from(text, 'utf8').equals(bytes);
      const line: SideLine = { t: 'side', path, enc: utf8 ? 'utf8' : 'base64', data: utf8 ? text : bytes.toString('base64') };
      summary.files++;
      summary.bytes += bytes.length;
      yield JSON.stringify(line);
      await yieldToLoop(); // a large media folder must not hold the relay's loop
    }
  }
}

/** Why a side line from a backup cannot be written, or undefined when its path is safe. */
export function badSidePath(path: unknown): string | undefined {
  if (typeof path !== 'string' || !path) return 'a side file without a path';
  const parts = path.split('/');
  if (path.includes('\\') || path.includes('\0') || posix.isAbsolute(path) || parts.some((p) => p === '' || p === '.' || p === '..')) return `an unsafe path "${path.slice(0, 80)}"`;
  if (parts.length < 2 || !(SIDE_DIRS as readonly string[]).includes(parts[0]!)) return `a file outside the side folders "${path.slice(0, 80)}"`;
  return undefined;
}

/** Writes one side line's file under `dir` (the restore's staging folder); the caller checked its path. */
export async function writeSideFile(dir: string, line: SideLine): Promise<void> {
  const file = join(dir, ...line.path.split('/'));
  await mkdir(dirname(file), { recursive: true });
  await writeFileAtomic(file, [line.enc === 'base64' ? Buffer.from(line.data, 'base64') : Buffer.from(line.data, 'utf8')]);
}
