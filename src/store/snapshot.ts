// The snapshot (relay.db.json) and the store's format version (relay.meta.json).
//
// FORMAT VERSIONS. 0: every layout before versions existed — a lowdb-era file ({version: 1}, any JSON
// layout) or a journal-era snapshot ({version: 2}), with or without journal segments; no meta file.
// 1: the same files plus relay.meta.json ({formatVersion: 1}) and `formatVersion` in the snapshot (and in
// backups). Opening reads any version up to FORMAT_VERSION and migrates it in memory (MIGRATIONS); the
// first write records the current version on disk (opening itself never writes: read-only tools open a
// running relay's store). A newer version is refused with a StoreError before anything else is read.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Delivery, Post } from '../domain.ts';
import { writeFileAtomic } from './atomic-write.ts';
import { parseReason, shownPath, StoreError } from './errors.ts';
import { lowFile } from './files.ts';
import type { Counters, DigestRecord, HotState } from './hot-state.ts';

export const FORMAT_VERSION = 1;
export const SNAPSHOT_FILE = 'relay.db.json';
export const META_FILE = 'relay.meta.json';

export interface Snapshot {
  /** The layout tag the journal-era code wrote (2); lowdb-era files say 1. Kept for older readers. */
  version: number;
  formatVersion?: number;
  seq?: number;
  posts?: Post[];
  digests?: DigestRecord[];
  deliveries?: Delivery[];
  counters?: Partial<Counters>;
  /** Posts per archived month. */
  archive?: Record<string, number>;
}

export interface Meta {
  formatVersion: number;
  /** When this version was first recorded. */
  since: string;
}

export const snapshotFile = (dir: string, fsync = true) => lowFile<Snapshot>(join(dir, SNAPSHOT_FILE), { fsync, lines: ['digests', 'deliveries', 'posts'] });

/** Migrations: MIGRATIONS[v] turns a version-v snapshot into a version v+1 one. */
const MIGRATIONS: ((s: Snapshot) => Snapshot)[] = [
  // 0 → 1: lowdb-era files were written by hand-rolled code that sometimes left arrays out.
  (s) => ({
    ...s,
    formatVersion: 1,
    posts: (s.posts ?? []).map((p) => ({ ...p, sources: p.sources ?? [], digestedFor: p.digestedFor ?? [] })),
    deliveries: (s.deliveries ?? []).map((d) => ({ ...d, sentParts: d.sentParts ?? 0, attempts: d.attempts ?? 0 })),
    digests: s.digests ?? [],
  }),
];

/** Brings a snapshot of version `from` up to FORMAT_VERSION. */
export function migrate(snap: Snapshot, from: number): Snapshot {
  let s = snap;
  for (let v = from; v < FORMAT_VERSION; v++) s = MIGRATIONS[v]!(s);
  return s;
}

function newerError(file: string, version: number): StoreError {
  return new StoreError(
    file,
    `${shownPath(file)}: this store has format version ${version}, written by a newer alumni-relay; this one reads versions up to ${FORMAT_VERSION}. ` +
      'Run the newer alumni-relay, or restore a backup made by this version (alumni-relay restore <backup-file>).',
  );
}

/** The version relay.meta.json records (0 when there is none); refuses a newer one. */
export function readMeta(dir: string): number {
  const file = join(dir, META_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw new StoreError(file, `${shownPath(file)} cannot be read (${(err as NodeJS.ErrnoException).code})`, { cause: err });
  }
  let meta: Partial<Meta>;
  try {
    meta = JSON.parse(text) as Partial<Meta>;
  } catch (err) {
    throw new StoreError(
      file,
      `${shownPath(file)} is not valid JSON (${parseReason(err)}). It only records the store's format version: move it aside (mv ${shownPath(file)} ${shownPath(file)}.bad) and the next start writes it again`,
      { cause: err },
    );
  }
  const v = meta?.formatVersion;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new StoreError(file, `${shownPath(file)} has no valid formatVersion; move it aside (mv ${shownPath(file)} ${shownPath(file)}.bad) and start again`);
  if (v > FORMAT_VERSION) throw newerError(file, v);
  return v;
}

export async function writeMeta(dir: string, fsync: boolean): Promise<void> {
  const meta: Meta = { formatVersion: FORMAT_VERSION, since: new Date().toISOString() };
  await writeFileAtomic(join(dir, META_FILE), [`${JSON.stringify(meta)}\n`], { fsync });
}

/**
 * Reads the snapshot (an empty one when there is none), checks its shape and version, and migrates it.
 * Returns the version it was stored in.
 */
export async function readSnapshot(dir: string, metaVersion: number): Promise<{ snap: Snapshot; storedVersion: number; exists: boolean }> {
  const file = join(dir, SNAPSHOT_FILE);
  const db = snapshotFile(dir);
  try {
    await db.read();
  } catch (err) {
    throw snapshotError(file, err instanceof StoreError ? err.message : `${shownPath(file)} cannot be read (${parseReason(err)})`, err);
  }
  const raw = db.data as unknown;
  if (raw === null) return { snap: { version: 2, formatVersion: FORMAT_VERSION }, storedVersion: metaVersion, exists: false };
  const bad = shapeProblem(raw);
  if (bad) throw snapshotError(file, `${shownPath(file)} is valid JSON but not a relay snapshot (${bad})`);
  const snap = raw as Snapshot;
  const stored = Math.max(metaVersion, snap.formatVersion ?? 0);
  if (stored > FORMAT_VERSION) throw newerError(file, stored);
  return { snap: migrate(snap, snap.formatVersion ?? 0), storedVersion: stored, exists: true };
}

function shapeProblem(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'not an object';
  const s = raw as Record<string, unknown>;
  for (const k of ['posts', 'digests', 'deliveries']) if (s[k] !== undefined && !Array.isArray(s[k])) return `"${k}" is not a list`;
  if (s.seq !== undefined && typeof s.seq !== 'number') return '"seq" is not a number';
  if (s.formatVersion !== undefined && typeof s.formatVersion !== 'number') return '"formatVersion" is not a number';
  return undefined;
}

/**
 * The truth about recovery: once a snapshot is written, the journal segments it covers are deleted, so
 * what it holds is in no other file of the data directory — only in backups.
 */
function snapshotError(file: string, what: string, cause?: unknown): StoreError {
  const f = shownPath(file);
  return new StoreError(
    file,
    `${what}. The journal holds only the changes made since this snapshot was written (older journal files are deleted once a snapshot covers them), ` +
      `so what the snapshot held is only in backups: restore the latest with alumni-relay restore <backup-file> --force (the current files are kept in a before-restore-… folder). ` +
      `To start from the journal alone instead, losing what only the snapshot held: mv ${f} ${f}.bad`,
    { cause },
  );
}

/**
 * Writes the snapshot of `state` at journal position `seq`: the lists are copied now and written post by
 * post while changes continue (those are in the journal after `seq`, and replay is idempotent).
 */
export async function writeSnapshot(dir: string, fsync: boolean, state: HotState, seq: number): Promise<void> {
  const db = snapshotFile(dir, fsync);
  db.data = {
    version: 2,
    formatVersion: FORMAT_VERSION,
    seq,
    counters: { ...state.counters },
    archive: { ...state.archiveCounts },
    digests: [...state.digests],
    deliveries: [...state.deliveries.values()],
    posts: [...state.posts.values()],
  };
  await db.write();
}
