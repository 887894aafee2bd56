// Writing a backup of an open store (see backup-format.ts for the file). Runs in the store's
// maintenance chain, so no compaction, retention or erasure moves data between the hot state and the
// archive meanwhile; message handling goes on. The hot state is taken at one instant (seq S) and written
// post by post while changes continue — those changes are in the journal after S, and the backup copies
// each such line once it is durable; a restore replays them, as an open replays the journal after a
// snapshot (records are idempotent). Then the data directory's side state (backup-side.ts: alumni,
// feedback, console, media). The file is replaced atomically (atomic-write.ts).
import type { StoreCore } from './core.ts';
import { writeFileAtomic } from './atomic-write.ts';
import { BACKUP_TAG, type BackupHeader, gzipped, withTrailer } from './backup-format.ts';
import { archiveMonthOf } from './archives.ts';
import { sideLines } from './backup-side.ts';
import { yieldToLoop } from './files.ts';
import { FORMAT_VERSION } from './snapshot.ts';

export interface BackupSummary {
  file: string;
  formatVersion: number;
  createdAt: string;
  /** Journal sequence number the hot state was taken at. */
  seq: number;
  posts: number;
  archivedPosts: number;
  digests: number;
  archivedDigests: number;
  deliveries: number;
  /** Changes made while the backup was written, copied after the rest. */
  journal: number;
  /** Files of the side state (alumni, feedback, console, media) and their size before compression. */
  sideFiles: number;
  sideBytes: number;
  /** Compressed size. */
  bytes: number;
}

export interface BackupSource {
  core: StoreCore;
  /** The last journal sequence number assigned. */
  seq(): number;
  /** Copies each journal line appended from now on (with its durability) until the returned stop is called. */
  tap(fn: (line: string, durable: Promise<void>) => void): () => void;
  /** The data directory, whose side state (backup-side.ts) goes into the backup too. */
  dataDir: string;
}

export async function writeBackup(src: BackupSource, file: string, fsync: boolean): Promise<BackupSummary> {
  const { state, archives } = src.core;
  // ---- the instant: nothing awaits between these lines ----
  const seq = src.seq();
  const header: BackupHeader = {
    [BACKUP_TAG]: 1,
    formatVersion: FORMAT_VERSION,
    createdAt: src.core.now().toISOString(),
    seq,
    counters: { ...state.counters },
    archive: { ...state.archiveCounts },
  };
  const digests = [...state.digests];
  const deliveries = [...state.deliveries.values()];
  const posts = [...state.posts.values()];
  const later: { line: string; durable: Promise<void> }[] = [];
  const stop = src.tap((line, durable) => {
    durable.catch(() => {}); // a failed write is left out below, not an unhandled rejection here
    later.push({ line, durable });
  });
  // ----
  const summary: BackupSummary = {
    file,
    formatVersion: FORMAT_VERSION,
    createdAt: header.createdAt,
    seq,
    posts: posts.length,
    archivedPosts: 0,
    digests: digests.length,
    archivedDigests: 0,
    deliveries: deliveries.length,
    journal: 0,
    sideFiles: 0,
    sideBytes: 0,
    bytes: 0,
  };

  async function* lines(): AsyncGenerator<string> {
    yield JSON.stringify(header);
    let n = 0;
    const each = async function* (t: string, items: unknown[]) {
      for (const v of items) {
        yield JSON.stringify({ t, v });
        if (++n % 256 === 0) await yieldToLoop();
      }
    };
    yield* each('digest', digests);
    yield* each('delivery', deliveries);
    yield* each('post', posts);
    for (const name of archives.files().sort()) {
      const a = archiveMonthOf(name)!;
      const data = await archives.read(name);
      const items = (a.posts ? data?.posts : data?.digests) ?? [];
      if (!items.length) continue;
      if (a.posts) summary.archivedPosts += items.length;
      else summary.archivedDigests += items.length;
      yield JSON.stringify({ t: 'file', name, month: a.month });
      yield* each('item', items);
    }
    // Changes made meanwhile: those appended up to now, each once durable (a write that failed was not
    // acknowledged). Not `flushed()`: under a steady stream of writes the journal is never idle.
    stop();
    for (const { line, durable } of later) {
      const ok = await durable.then(
        () => true,
        () => false,
      );
      if (!ok) continue;
      summary.journal++;
      yield `{"t":"journal","v":${line.trimEnd()}}`;
    }
    const side = { files: 0, bytes: 0 };
    yield* sideLines(src.dataDir, side);
    summary.sideFiles = side.files;
    summary.sideBytes = side.bytes;
  }

  try {
    summary.bytes = await writeFileAtomic(file, gzipped(withTrailer(lines())), { fsync });
  } finally {
    stop();
  }
  return summary;
}
