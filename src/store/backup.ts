// Backup and restore of a data directory (the file format: backup-format.ts).
//
//   backupStore(dataDir, file)       a consistent copy, whether a relay runs on dataDir or not: opens the
//                                    store read-only (opening never writes) and writes what it read;
//                                    if the running relay compacted or archived meanwhile, it starts again.
//   store.backup(file)               the same from inside the running relay (no second copy in memory).
//   restoreStore(file, dataDir)      reads and checks the whole backup into a staging folder inside
//                                    dataDir, opens it as a store, and only then moves it into place —
//                                    under the data-dir lock (refused while a relay runs), into an empty
//                                    store unless `force`, in which case the current files are moved to
//                                    dataDir/before-restore-<time>/ (never deleted).
//   verifyBackup(file)               reads a backup through and checks it, without writing anything.
// A backup carries the data directory's side state too (backup-side.ts: alumni, feedback, console,
// media), and a restore puts it back with the store.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Delivery, Post } from '../domain.ts';
import { acquireLock } from '../lock.ts';
import { ARCHIVE_DIR, type ArchiveFile, Archives } from './archives.ts';
import { fsyncDir, isTempFile, writeFileAtomic } from './atomic-write.ts';
import { badSidePath, SIDE_DIRS, sideEntries, writeSideFile } from './backup-side.ts';
import { BACKUP_TAG, type BackupHeader, type BackupLine, gunzippedLines } from './backup-format.ts';
import type { BackupSummary } from './backup-write.ts';
import { parseReason, shownPath, StoreError } from './errors.ts';
import type { DigestRecord } from './hot-state.ts';
import { segmentName } from './journal.ts';
import { FORMAT_VERSION, META_FILE, migrate, SNAPSHOT_FILE, snapshotFile, writeMeta } from './snapshot.ts';
import { Store } from './store.ts';

export type { BackupSummary } from './backup-write.ts';

/**
 * The files of a data directory that make up its store, and its side folders that hold anything (the
 * lock, backups and other files are not).
 */
export function storeEntries(dataDir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dataDir);
  } catch {
    return [];
  }
  const side = sideEntries(dataDir);
  return names.filter((n) => {
    if (side.includes(n)) return true;
    if (n === SNAPSHOT_FILE || n === META_FILE || /^relay\.wal\.\d+\.jsonl$/.test(n)) return true;
    if (n !== ARCHIVE_DIR) return false;
    try {
      return readdirSync(join(dataDir, n)).some((f) => !isTempFile(f));
    } catch {
      return false;
    }
  });
}

/** What changes when a relay compacts, archives or prunes: the snapshot and the archive files. */
function maintenanceMark(dataDir: string): string {
  const stat = (f: string) => {
    try {
      const s = statSync(f);
      return `${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch {
      return '-';
    }
  };
  const archive = join(dataDir, ARCHIVE_DIR);
  const files = existsSync(archive) ? readdirSync(archive).filter((f) => !isTempFile(f)).sort() : [];
  return [stat(join(dataDir, SNAPSHOT_FILE)), ...files.map((f) => `${f}=${stat(join(archive, f))}`)].join('|');
}

/**
 * Writes a consistent backup of the store in `dataDir` to `file` (gzip'ed JSON lines, one file), whether
 * or not a relay runs on it. The store is opened read-only; if a running relay rewrites the snapshot or
 * the archive while the backup is written, the backup is taken again (up to 5 times).
 */
export async function backupStore(dataDir: string, file: string, opts: { fsync?: boolean } = {}): Promise<BackupSummary> {
  for (let attempt = 1; ; attempt++) {
    const before = maintenanceMark(dataDir);
    const store = await Store.open(dataDir, { fsync: opts.fsync ?? true });
    const summary = await store.backup(file);
    if (maintenanceMark(dataDir) === before) return summary;
    if (attempt === 5) throw new StoreError(dataDir, `${shownPath(dataDir)} kept changing (the running relay compacted during each of 5 backups); try again`);
  }
}

export interface VerifiedBackup {
  header: BackupHeader;
  lines: number;
  /** Files of the side state (alumni, feedback, console, media) it holds. */
  sideFiles: number;
}

/**
 * Reads a backup through and hands each line to `onLine`; throws a StoreError naming the file when it
 * is not a backup, is damaged or cut short, or comes from a newer alumni-relay.
 */
async function readBackup(file: string, onLine?: (l: BackupLine) => Promise<void> | void): Promise<VerifiedBackup> {
  const bad = (why: string, cause?: unknown) => new StoreError(file, `${shownPath(file)} ${why}`, { cause });
  if (!existsSync(file)) throw bad('does not exist');
  const hash = createHash('sha256');
  let header: BackupHeader | undefined;
  let n = 0;
  let end: { lines: number; sha256: string } | undefined;
  let sideFiles = 0;
  try {
    for await (const text of gunzippedLines(file)) {
      if (end) throw bad(`has lines after its end line (line ${n + 2})`);
      let line: BackupLine | BackupHeader;
      try {
        line = JSON.parse(text) as BackupLine | BackupHeader;
      } catch (err) {
        throw bad(`is damaged: line ${n + 1} is not valid JSON (${parseReason(err)})`, err);
      }
      if (n === 0) {
        const h = line as BackupHeader;
        if (h[BACKUP_TAG] !== 1) throw bad('is not an alumni-relay backup');
        if (!(h.formatVersion <= FORMAT_VERSION)) {
          throw bad(`was made by a newer alumni-relay (store format ${h.formatVersion}; this one reads up to ${FORMAT_VERSION}): restore it with that version`);
        }
        header = h;
      } else if ((line as BackupLine).t === 'end') {
        end = line as { lines: number; sha256: string };
        continue;
      } else {
        if ((line as BackupLine).t === 'side') sideFiles++;
        await onLine?.(line as BackupLine);
      }
      hash.update(`${text}\n`);
      n++;
    }
  } catch (err) {
    if (err instanceof StoreError) throw err;
    throw bad(`is damaged or incomplete (${parseReason(err)})`, err);
  }
  if (!header) throw bad('is empty');
  if (!end) throw bad(`is incomplete: it stops after line ${n} without its end line (the backup was cut short)`);
  if (end.lines !== n || end.sha256 !== hash.digest('hex')) throw bad(`is damaged: its end line does not match its ${n} lines`);
  return { header, lines: n, sideFiles };
}

/** Checks a backup without writing anything. */
export async function verifyBackup(file: string): Promise<VerifiedBackup> {
  return readBackup(file);
}

/** Writes the backup's content as a store into `dir` (a fresh folder). */
async function stage(file: string, dir: string): Promise<VerifiedBackup> {
  const digests: DigestRecord[] = [];
  const deliveries: Delivery[] = [];
  const posts: Post[] = [];
  const journal: string[] = [];
  const archives = new Archives(join(dir, ARCHIVE_DIR), true);
  const archiveCounts: Record<string, number> = {};
  let open: { name: string; month: string; items: unknown[] } | undefined;
  const closeArchive = async () => {
    if (!open) return;
    const isPosts = open.name.startsWith('posts-');
    const data: ArchiveFile = isPosts ? { version: 1, month: open.month, posts: open.items as Post[] } : { version: 1, month: open.month, digests: open.items as ArchiveFile['digests'] };
    // A month written to the archive twice would read twice: the first copy wins (names are unique per backup).
    if (!existsSync(join(archives.dir, open.name))) await archives.write(open.name, data);
    if (isPosts) archiveCounts[open.month] = open.items.length;
    open = undefined;
  };
  const verified = await readBackup(file, async (l) => {
    if (l.t === 'file') {
      await closeArchive();
      if (!/^(posts|digests)-\d{4}-\d{2}\.json$/.test(l.name)) throw new StoreError(file, `${shownPath(file)} names an unexpected archive file "${String(l.name).slice(0, 60)}"`);
      open = { name: l.name, month: l.month, items: [] };
    } else if (l.t === 'item') {
      if (!open) throw new StoreError(file, `${shownPath(file)} is damaged: an archive item before any archive file`);
      open.items.push(l.v);
    } else if (l.t === 'digest') digests.push(l.v as DigestRecord);
    else if (l.t === 'delivery') deliveries.push(l.v as Delivery);
    else if (l.t === 'post') posts.push(l.v as Post);
    else if (l.t === 'journal') journal.push(JSON.stringify(l.v));
    else if (l.t === 'side') {
      const bad = badSidePath(l.path) ?? (l.enc === 'utf8' || l.enc === 'base64' ? (typeof l.data === 'string' ? undefined : 'a side file without data') : `an unknown encoding for ${l.path}`);
      if (bad) throw new StoreError(file, `${shownPath(file)} is damaged or not ours: it holds ${bad}`);
      await writeSideFile(dir, l);
    }
  });
  await closeArchive();
  const { header } = verified;
  const snap = migrate(
    { version: 2, formatVersion: header.formatVersion, seq: header.seq, counters: header.counters, archive: archiveCounts, digests, deliveries, posts },
    header.formatVersion,
  );
  const db = snapshotFile(dir, true);
  db.data = snap;
  await db.write();
  if (journal.length) {
    const first = (JSON.parse(journal[0]!) as { s: number }).s;
    await writeFileAtomic(join(dir, segmentName(first)), journal.map((l) => `${l}\n`), { fsync: true });
  }
  await writeMeta(dir, true);
  return verified;
}

export interface RestoreResult {
  backup: VerifiedBackup;
  /** Posts in the restored store, hot and archived. */
  posts: number;
  /** Where the store files that were there before went (force only). */
  keptAside?: string;
}

/**
 * Restores `file` into `dataDir`. Refuses while a relay holds the data-dir lock, and when `dataDir`
 * already holds a store unless `force` (then those files are moved to before-restore-<time>/). The
 * backup is read, checked and opened as a store in a staging folder before anything is moved.
 */
export async function restoreStore(file: string, dataDir: string, opts: { force?: boolean } = {}): Promise<RestoreResult> {
  mkdirSync(dataDir, { recursive: true });
  const release = acquireLock(dataDir);
  const staging = join(dataDir, `.restore-${process.pid}`);
  try {
    const existing = storeEntries(dataDir);
    if (existing.length && !opts.force) {
      throw new StoreError(
        dataDir,
        `${shownPath(dataDir)} already holds a store (${existing.join(', ')}). Restore into an empty directory, or pass --force: the current files are then moved to ${shownPath(dataDir)}/before-restore-<time>/, not deleted`,
      );
    }
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging);
    const backup = await stage(file, staging);
    const check = await Store.open(staging, { fsync: false });
    const posts = check.postCount();
    if (check.corruptLines) throw new StoreError(file, `${shownPath(file)} restored with ${check.corruptLines} unreadable journal lines; not moved into place`);
    await check.close();

    let keptAside: string | undefined;
    if (existing.length) {
      keptAside = join(dataDir, `before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`);
      mkdirSync(keptAside);
      for (const name of existing) renameSync(join(dataDir, name), join(keptAside, name));
      fsyncDir(keptAside);
    }
    // Left after the moves above: empty, or temp and dot files only (storeEntries counts the rest).
    for (const d of [ARCHIVE_DIR, ...SIDE_DIRS]) if (existsSync(join(staging, d)) || d === ARCHIVE_DIR) rmSync(join(dataDir, d), { recursive: true, force: true });
    // The snapshot last: until it is in place, a start would see no store rather than half of one.
    const names = readdirSync(staging).sort((a, b) => Number(a === SNAPSHOT_FILE) - Number(b === SNAPSHOT_FILE));
    for (const name of names) renameSync(join(staging, name), join(dataDir, name));
    fsyncDir(dataDir);
    rmdirSync(staging);
    return { backup, posts, ...(keptAside ? { keptAside } : {}) };
  } finally {
    rmSync(staging, { recursive: true, force: true });
    release();
  }
}
