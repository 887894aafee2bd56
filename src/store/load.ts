// Opening a store: the format version first (a newer store is refused before anything is parsed), then
// the snapshot, a cheap check that each archive month was written to the end, and a replay of the journal
// segments after the snapshot's seq. Nothing is written. Lines that cannot be replayed are returned with
// file, line and reason.
import { checkArchiveEnd } from './archives.ts';
import { emptyCounters, HotState } from './hot-state.ts';
import { listSegments, readSegment, type UnreadableLine } from './journal.ts';
import { FORMAT_VERSION, readMeta, readSnapshot } from './snapshot.ts';

export interface Loaded {
  /** What relay.meta.json records (0: no meta file yet). */
  metaVersion: number;
  /** The snapshot on disk is of an older format version. */
  snapshotOld: boolean;
  /** The last sequence number replayed. */
  seq: number;
  segments: { file: string; firstSeq: number; maxSeq: number }[];
  unreadable: UnreadableLine[];
}

export async function loadStore(dir: string, archiveDir: string, state: HotState): Promise<Loaded> {
  const metaVersion = readMeta(dir);
  const segments = listSegments(dir);
  const { snap, storedVersion, exists } = await readSnapshot(dir, metaVersion);
  const base = snap.seq ?? 0;
  for (const p of snap.posts ?? []) state.putPost(p);
  state.digests = snap.digests ?? [];
  for (const d of snap.deliveries ?? []) state.deliveries.set(d.id, d);
  state.counters = { ...emptyCounters(), ...snap.counters };
  state.archiveCounts = { ...snap.archive };
  for (const month of Object.keys(state.archiveCounts)) checkArchiveEnd(archiveDir, `posts-${month}.json`);
  let seq = base;
  const loaded: Loaded = { metaVersion, snapshotOld: exists && storedVersion < FORMAT_VERSION, seq, segments: [], unreadable: [] };
  for (const seg of segments) {
    let maxSeq = 0;
    const { unreadable } = readSegment(seg.file, (r) => {
      const bad = HotState.invalid(r);
      if (bad) return bad;
      maxSeq = Math.max(maxSeq, r.s);
      if (r.s <= base) return undefined;
      try {
        state.apply(r);
      } catch (err) {
        return `cannot be applied (${(err as Error).message.slice(0, 120)})`;
      }
      seq = Math.max(seq, r.s);
      return undefined;
    });
    loaded.unreadable.push(...unreadable);
    loaded.segments.push({ file: seg.file, firstSeq: seg.firstSeq, maxSeq: Math.max(maxSeq, seg.firstSeq) });
  }
  loaded.seq = seq;
  state.oldestMonth = state.computeOldestMonth();
  return loaded;
}

