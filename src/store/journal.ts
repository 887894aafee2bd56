// The store's write-ahead journal: one JSON line per change, appended and fdatasync'ed before the
// change is acknowledged. Appends that arrive while a write is in flight share the next write and
// the next fdatasync (group commit), so the cost of a change does not depend on how much is stored.
//
// The journal is a series of segment files `relay.wal.<first seq>.jsonl`. A process never appends to a
// segment it did not create (a killed process may have left a torn last line), and a compaction seals
// the open segment so that the ones the new snapshot covers can be deleted.
import { close, fdatasync, fsync, open, readdirSync, unlinkSync, write } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseReason } from './errors.ts';
import { forEachLine } from './files.ts';

export interface JournalRecord {
  /** Sequence number, increasing across segments. */
  s: number;
  op: string;
  [key: string]: unknown;
}

interface Pending {
  seq: number;
  line: string;
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface Segment {
  file: string;
  firstSeq: number;
  maxSeq: number;
  /** The first fdatasync error on this segment: nothing written to it after that is acknowledged. */
  failed?: unknown;
  /** The fsync of the directory that makes this segment's file entry durable (settles, never rejects). */
  dirSynced?: Promise<void>;
}

/** fdatasyncs of consecutive batches that may overlap (libuv's pool has 4 threads). */
const MAX_SYNCS_IN_FLIGHT = 2;

// Raw descriptors (not FileHandle): a store a test never closes must not warn when garbage-collected.
const openFd = promisify(open);
const writeSome = promisify(write) as (fd: number, buf: Buffer, offset: number, length: number) => Promise<{ bytesWritten: number }>;
async function writeFd(fd: number, buf: Buffer): Promise<void> {
  for (let off = 0; off < buf.length; ) off += (await writeSome(fd, buf, off, buf.length - off)).bytesWritten;
}
const datasyncFd = promisify(fdatasync);
const fsyncFd = promisify(fsync);
const closeFd = promisify(close);

/**
 * fsyncDir (atomic-write.ts) off the event loop: a directory fsync took 653 ms in all over a 3,300-message
 * bench run when it was synchronous, every message waiting. Errors are ignored as there (Windows cannot
 * fsync a directory; the records themselves are still fdatasync'ed).
 */
async function fsyncDirAsync(dir: string): Promise<void> {
  let fd: number | undefined;
  try {
    fd = await openFd(dir, 'r');
    await fsyncFd(fd);
  } catch {
    // as fsyncDir
  } finally {
    if (fd !== undefined) await closeFd(fd).catch(() => {});
  }
}

const SEGMENT_RE = /^relay\.wal\.(\d+)\.jsonl$/;

export const segmentName = (firstSeq: number) => `relay.wal.${String(firstSeq).padStart(12, '0')}.jsonl`;

/** Segments in a data directory, oldest first. */
export function listSegments(dir: string): { file: string; firstSeq: number }[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .map((n) => SEGMENT_RE.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ file: join(dir, m[0]), firstSeq: Number(m[1]) }))
    .sort((a, b) => a.firstSeq - b.firstSeq);
}

/** A journal line that could not be read. */
export interface UnreadableLine {
  file: string;
  /** 1-based line number in the segment. */
  line: number;
  /** torn: the last line, cut off by a crash (never acknowledged, expected after a kill); corrupt: anything else. */
  kind: 'torn' | 'corrupt';
  reason: string;
}

/**
 * The records of one segment. A last line without its newline, or one that does not parse, is a write
 * the process died in the middle of: it was never acknowledged, so it is skipped (kind "torn"). A bad
 * line elsewhere is skipped and reported as "corrupt" (`corrupt` counts them). `onRecord` may return a
 * reason to report a line that parsed but is not a record it can use.
 */
export function readSegment(
  file: string,
  onRecord?: (r: JournalRecord, line: number) => string | undefined,
): { records: JournalRecord[]; corrupt: number; tornTail: boolean; unreadable: UnreadableLine[] } {
  // Line by line, 1 MB at a time (a segment can be megabytes). With `onRecord`, each record is handed
  // over as it is read and not collected (`records` stays empty), so a replay never holds them all.
  const records: JournalRecord[] = [];
  const take = onRecord ?? ((r: JournalRecord) => void records.push(r));
  const unreadable: UnreadableLine[] = [];
  let lastBad: UnreadableLine | undefined; // the previous complete line did not parse
  let tornTail = false;
  let lineNo = 0;
  forEachLine(file, (line, complete) => {
    lineNo++;
    if (!complete) {
      tornTail = true;
      unreadable.push({ file, line: lineNo, kind: 'torn', reason: 'last line cut off by a crash (never acknowledged)' });
      return;
    }
    if (lastBad) unreadable.push(lastBad); // a bad line with a complete line after it is not the torn end of a write
    lastBad = undefined;
    if (!line) return;
    let r: JournalRecord;
    try {
      r = JSON.parse(line) as JournalRecord;
    } catch (err) {
      // The final complete line may still be torn if the tail after it was zero-filled by the file system.
      lastBad = { file, line: lineNo, kind: 'corrupt', reason: `not valid JSON (${parseReason(err)})` };
      return;
    }
    const why = take(r, lineNo);
    if (why) unreadable.push({ file, line: lineNo, kind: 'corrupt', reason: why });
  });
  if (lastBad) unreadable.push({ ...lastBad, kind: 'torn', reason: `last complete line unreadable, a write cut off by a crash (${lastBad.reason})` });
  return { records, corrupt: unreadable.filter((u) => u.kind === 'corrupt').length, tornTail, unreadable };
}

export class Journal {
  private fd: number | undefined;
  private current: Segment | undefined;
  private sealRequested = false;
  private queue: Pending[] = [];
  private flushing: Promise<void> | undefined;
  /** fdatasync stages of the current segment not yet settled, oldest first. */
  private syncing: Promise<void>[] = [];
  /** Resolves the flush loop's wait for the next append while fdatasyncs run. */
  private wake: (() => void) | undefined;
  private readonly segments: Segment[] = [];
  /** Bytes appended since the last compaction started (the compaction trigger). */
  bytes = 0;
  private readonly taps = new Set<(line: string, durable: Promise<void>) => void>();

  constructor(
    private readonly dir: string,
    private lastSeq: number,
    private readonly fsync: boolean,
    existing: Segment[] = [],
  ) {
    this.segments.push(...existing);
  }

  get seq(): number {
    return this.lastSeq;
  }

  /**
   * Assigns the next sequence number and serialises the record NOW (later changes to the objects it
   * names do not leak into it); the promise resolves once the line is durable.
   */
  append(record: Omit<JournalRecord, 's'>): Promise<void> {
    const seq = ++this.lastSeq;
    // `{"s":<seq>,` + the record's own members: the same line as stringifying { s, ...record }, without
    // copying the record into a new object first.
    const body = JSON.stringify(record);
    const line = body.length > 2 ? `{"s":${seq},${body.slice(1)}\n` : `{"s":${seq}}\n`;
    const durable = new Promise<void>((resolve, reject) => {
      this.queue.push({ seq, line, resolve, reject });
      this.wake?.();
      this.kick();
    });
    for (const tap of this.taps) tap(line, durable);
    return durable;
  }

  /** Calls `fn` with each line appended from now on and its durability (a running backup copies them). */
  tap(fn: (line: string, durable: Promise<void>) => void): () => void {
    this.taps.add(fn);
    return () => this.taps.delete(fn);
  }

  /** Resolves once everything appended so far is durable (or failed). */
  async flushed(): Promise<void> {
    while (this.flushing !== undefined) await this.flushing.catch(() => {});
  }

  /** The next write starts a new segment; returns the last sequence number assigned so far. */
  seal(): number {
    this.sealRequested = true;
    if (!this.flushing) void this.closeCurrent();
    return this.lastSeq;
  }

  /** Deletes segments whose every record is at or below `seq` (a snapshot covers them). */
  dropThrough(seq: number): number {
    let dropped = 0;
    for (let i = this.segments.length - 1; i >= 0; i--) {
      const s = this.segments[i]!;
      if (s === this.current || s.maxSeq > seq) continue;
      try {
        unlinkSync(s.file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      this.segments.splice(i, 1);
      dropped++;
    }
    return dropped;
  }

  segmentFiles(): string[] {
    return this.segments.map((s) => s.file);
  }

  async close(): Promise<void> {
    await this.flushed();
    await this.closeCurrent();
  }

  private kick(): void {
    if (this.flushing !== undefined) return;
    this.flushing = this.flushLoop().finally(() => {
      this.flushing = undefined;
      // An append that came while the loop was finishing found it still running: start another.
      if (this.queue.length) this.kick();
    });
  }

  private async closeCurrent(): Promise<void> {
    const fd = this.fd;
    this.fd = undefined;
    this.current = undefined;
    this.sealRequested = false;
    if (fd !== undefined) await closeFd(fd).catch(() => {});
  }

  /**
   * Writes batches in order and fdatasyncs them with up to MAX_SYNCS_IN_FLIGHT fdatasyncs overlapping:
   * the next batch is written while the previous one's fdatasync is still running, instead of waiting
   * for it (an fdatasync on the bench VM takes 0.2 ms at the median but 3–10 ms at p90–p99, during
   * which every message in flight used to wait). A batch is acknowledged only once an fdatasync issued
   * after its write has returned AND every earlier batch is acknowledged; once an fdatasync fails, no
   * later batch of that segment is acknowledged (a later success does not prove the earlier pages
   * reached the disk) and the next batch opens a new segment. A descriptor is closed only after its
   * fdatasyncs have returned.
   */
  private async flushLoop(): Promise<void> {
    while (this.queue.length || this.syncing.length) {
      if (this.syncing.length >= MAX_SYNCS_IN_FLIGHT) {
        await this.syncing[0];
        continue;
      }
      if (!this.queue.length) {
        // An fdatasync is running: write the next append as soon as it comes, or stop once all settled.
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          void this.syncing[0]!.then(resolve);
        });
        this.wake = undefined;
        continue;
      }
      const batch = this.queue;
      this.queue = [];
      try {
        if (this.sealRequested || this.current?.failed !== undefined) {
          await this.drainSyncs();
          await this.closeCurrent();
        }
        if (this.fd === undefined) {
          const seg: Segment = { file: join(this.dir, segmentName(batch[0]!.seq)), firstSeq: batch[0]!.seq, maxSeq: 0 };
          this.fd = await openFd(seg.file, 'a');
          // The new file's directory entry must be durable before any record in it is acknowledged: the
          // batches' sync stages wait for this (the first batch is written meanwhile).
          if (this.fsync) seg.dirSynced = fsyncDirAsync(this.dir);
          this.current = seg;
          this.segments.push(seg);
        }
        let text = '';
        for (let i = 0; i < batch.length; i++) text += batch[i]!.line;
        const buf = Buffer.from(text, 'utf8');
        await writeFd(this.fd, buf);
        this.current!.maxSeq = batch[batch.length - 1]!.seq;
        this.bytes += buf.length;
      } catch (err) {
        // A failed write may have left a partial line: never append after it, start a new segment.
        if (this.current) this.current.maxSeq = Math.max(this.current.maxSeq, batch[batch.length - 1]!.seq);
        await this.drainSyncs();
        await this.closeCurrent();
        for (const p of batch) p.reject(err);
        continue;
      }
      if (this.fsync) this.syncing.push(this.syncStage(this.fd, this.current!, batch, this.syncing.at(-1)));
      else for (const p of batch) p.resolve();
    }
  }

  /** The fdatasync for `batch` (already written to `fd`); settles the batch after `prev`. Never rejects. */
  private async syncStage(fd: number, seg: Segment, batch: Pending[], prev: Promise<void> | undefined): Promise<void> {
    let err: unknown;
    try {
      await datasyncFd(fd);
    } catch (e) {
      err = e ?? new Error('fdatasync failed');
    }
    if (seg.dirSynced !== undefined) await seg.dirSynced;
    if (prev !== undefined) await prev;
    if (err !== undefined && seg.failed === undefined) seg.failed = err;
    if (seg.failed !== undefined) for (const p of batch) p.reject(seg.failed);
    else for (const p of batch) p.resolve();
    void this.syncing.shift(); // drops this stage itself (stages settle in order, so it is the oldest)
  }

  /** Waits for every fdatasync of the current segment to return. */
  private async drainSyncs(): Promise<void> {
    while (this.syncing.length) await this.syncing[this.syncing.length - 1];
  }
}
