// The relay's state: a write-ahead journal + a snapshot of the "hot" state + monthly archives. The
// snapshot and the archives are lowdb files (`Low` over the durable adapter in files.ts); the journal is
// the write-coalescing layer in front of them.
//
// WHY NOT lowdb ALONE (one `Low` + `JSONFile`): lowdb writes by rewriting its whole JSON file, so the cost
// of storing one message grew with the history (100k posts ≈ 250 MB of JSON per write), and its writer
// (steno) does temp + rename without fsync, which on ext4/xfs can leave an empty file after a power cut.
// Here a change costs one appended, fdatasync'ed journal line whatever is stored; lowdb files are written
// only by compaction and archiving (atomic-write.ts), streaming post by post; history leaves memory and
// the hot files month by month.
//
// FILES (under the data directory):
//   relay.wal.<seq>.jsonl      journal segments (journal.ts): one JSON line per change ({s: seq, op, ...},
//                              counters attached), acknowledged only after write + fdatasync (group
//                              commit). A killed process leaves at worst a torn last line, never
//                              acknowledged, skipped and reported as "torn"; any other unreadable line is
//                              skipped and reported as "corrupt" (`unreadableJournalLines()`, logged at open).
//   relay.db.json              snapshot of the hot state (snapshot.ts), written by compaction; then the
//                              segments it covers are deleted — so what it holds exists only there (and in
//                              backups). Compaction runs in the background when the journal has grown as
//                              large as the last snapshot; records are idempotent, so a snapshot taken
//                              while changes continue is correct once the later records are replayed.
//   relay.meta.json            the store's format version (snapshot.ts); older layouts migrate on open.
//   archive/posts-YYYY-MM.json, archive/digests-YYYY-MM.json   history by month (archives.ts, rollover.ts).
// In memory (hot-state.ts): recent posts and their indexes, pending/recent deliveries, counters.
//
// DURABILITY: kill -9 at any moment loses nothing acknowledged and leaves every file readable; power
// loss too (fdatasync + directory fsync). Open with `fsync: false` only for throwaway data. A file that
// cannot be read fails `Store.open` with a StoreError that names it and says how to recover.
// PRIVACY: retention.ts. BACKUPS: backup.ts (`store.backup(file)` while running).
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { NEAR_DUPLICATE_MAX_DISTANCE } from '../dedupe.ts';
import type { Delivery, Digest, Platform, Post, PostImage, PostSource, PostStatus } from '../domain.ts';
import { ARCHIVE_DIR, Archives } from './archives.ts';
import { removeStaleTemps } from './atomic-write.ts';
import { type BackupSummary, writeBackup } from './backup-write.ts';
import type { StoreCore } from './core.ts';
import { shownPath } from './errors.ts';
import { type Counters, type DigestRecord, DAY, HotState, monthEnd, sourceKey } from './hot-state.ts';
import { Journal, listSegments, type UnreadableLine } from './journal.ts';
import { loadStore } from './load.ts';
import { type StoreData, type StoreLogger, type StoreOptions, stderrLogger } from './options.ts';
import { forgetSender, prune, type ForgetResult, type PruneResult } from './retention.ts';
import { archiveRolledMonths, importPosts } from './rollover.ts';
import { FORMAT_VERSION, SNAPSHOT_FILE, writeMeta, writeSnapshot } from './snapshot.ts';

export type { Counters, DigestRecord } from './hot-state.ts';
export type { ForgetResult, PruneResult } from './retention.ts';
export type { UnreadableLine } from './journal.ts';
export type { StoreData, StoreLogger, StoreOptions } from './options.ts';
export { sourceKey } from './hot-state.ts';
export { StoreError } from './errors.ts';

const fileSize = (f: string): number => {
  try {
    return statSync(f).size;
  } catch {
    return 0;
  }
};

export class Store {
  readonly file: string;
  readonly archiveDir: string;
  private readonly state: HotState;
  private readonly archives: Archives;
  /** Deliveries recorded in memory whose digest record is not yet durable (the outbox must not see them). */
  private readonly notYetDurable = new Set<string>();
  private countersDirty = false;
  private snapshotBytes = 0;
  private compacting: Promise<void> | undefined;
  /** Compaction, retention, erasure, import and backup run one at a time, in this chain. */
  private maintenance: Promise<unknown> = Promise.resolve();
  private readonly hotDays: number;
  private readonly fsync: boolean;
  private readonly compactMinBytes: number;
  private readonly now: () => Date;
  private readonly logger: StoreLogger;
  private journal!: Journal;
  private readonly unreadable: UnreadableLine[] = [];
  /** The version relay.meta.json records (0: none); the first write records FORMAT_VERSION (opening never writes). */
  private metaVersion = FORMAT_VERSION;
  /** The snapshot on disk is of an older version: rewrite it after the first write. */
  private snapshotOld = false;
  private readonly core: StoreCore;

  private constructor(
    readonly dir: string,
    opts: StoreOptions,
  ) {
    this.file = join(dir, SNAPSHOT_FILE);
    this.archiveDir = join(dir, ARCHIVE_DIR);
    this.state = new HotState(opts.nearDuplicateDistance ?? NEAR_DUPLICATE_MAX_DISTANCE);
    this.hotDays = opts.hotDays ?? 35;
    this.fsync = opts.fsync ?? true;
    this.archives = new Archives(this.archiveDir, this.fsync);
    this.compactMinBytes = opts.compactMinBytes ?? 8 << 20;
    this.now = opts.now ?? (() => new Date());
    this.logger = opts.logger ?? stderrLogger;
    this.core = {
      state: this.state,
      archives: this.archives,
      hotDays: this.hotDays,
      now: () => this.now(),
      commit: (r) => this.commit(r),
      flushed: () => this.journal.flushed(),
      compact: () => this.runCompaction(), // callers already hold the maintenance chain
    };
  }

  /**
   * Opens (or creates) the store in `dataDir`. Opening never writes: read-only tools may open a running
   * relay's store. Throws a StoreError naming the file when a file cannot be read or is of a newer version.
   */
  static async open(dataDir: string, opts: StoreOptions = {}): Promise<Store> {
    mkdirSync(dataDir, { recursive: true });
    for (let attempt = 0; ; attempt++) {
      const store = new Store(dataDir, opts);
      try {
        await store.load();
        return store;
      } catch (err) {
        // A running relay compacted between our listing and reading its segments: read again.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' && attempt < 5) continue;
        throw err;
      }
    }
  }

  private async load(): Promise<void> {
    const loaded = await loadStore(this.dir, this.archiveDir, this.state);
    this.metaVersion = loaded.metaVersion;
    this.snapshotOld = loaded.snapshotOld;
    this.snapshotBytes = fileSize(this.file);
    this.unreadable.push(...loaded.unreadable);
    for (const u of this.unreadable) {
      const at = { file: shownPath(u.file), line: u.line, reason: u.reason };
      if (u.kind === 'corrupt') this.logger.warn(at, 'journal line unreadable, skipped');
      else this.logger.info(at, 'torn journal line skipped (a write cut off by a crash; it was never acknowledged)');
    }
    this.journal = new Journal(this.dir, loaded.seq, this.fsync, loaded.segments);
  }

  /** Appends a change to the journal (the in-memory change is already made) and resolves once durable. */
  private async commit(record: { op: string; [k: string]: unknown }): Promise<void> {
    const format = this.metaVersion === FORMAT_VERSION ? undefined : this.recordFormat();
    this.countersDirty = false;
    record.c = this.state.counters; // callers pass a fresh literal: no copy
    const done = this.journal.append(record);
    this.maybeCompact();
    await (format !== undefined ? Promise.all([done, format]) : done);
  }

  /**
   * The migration's write, once, alongside the first record (the two fsyncs overlap): the meta file, then
   * the snapshot with formatVersion in the background. The first change is acknowledged only once the meta
   * file is durable too.
   */
  private recordingFormat: Promise<void> | undefined;
  private recordFormat(): Promise<void> {
    this.recordingFormat ??= writeMeta(this.dir, this.fsync).then(
      () => {
        this.metaVersion = FORMAT_VERSION;
        if (this.snapshotOld) void this.compact().catch(() => {});
      },
      (err: unknown) => {
        this.recordingFormat = undefined; // the next write tries again
        throw err;
      },
    );
    return this.recordingFormat;
  }

  // ---- what the relay, the CLI and the console read -----------------------------------------------

  /** The whole hot state as one object. Copies every hot post and delivery into new arrays on each read: for digests or counters alone use `digests()` / `counters()`. */
  get data(): Readonly<StoreData> {
    return { version: 2, posts: this.posts(), digests: this.state.digests, deliveries: this.deliveries(), counters: this.state.counters };
  }

  /** Digest records in the hot window, oldest first (the store's own array: read, never change it). No copy of the posts, unlike `data.digests`. */
  digests(): readonly DigestRecord[] {
    return this.state.digests;
  }

  /** Ingest counters (the live object: read, never change it). No copy of the posts, unlike `data.counters`. */
  counters(): Readonly<Counters> {
    return this.state.counters;
  }

  /** Journal lines skipped at open: torn tails (a crash cut a write short) and corrupt lines, with file and line. */
  unreadableJournalLines(): readonly UnreadableLine[] {
    return this.unreadable;
  }

  /** Corrupt journal lines skipped at open (torn tails, expected after a kill, are not counted). */
  get corruptLines(): number {
    return this.unreadable.filter((u) => u.kind === 'corrupt').length;
  }

  postById(id: string): Post | undefined {
    return this.state.posts.get(id);
  }

  postBySource(platform: Platform, chatId: string, messageId: string): Post | undefined {
    return this.state.bySource.get(sourceKey(platform, chatId, messageId));
  }

  /** A stored post whose fingerprint is within the near-duplicate distance, received after `sinceIso`. */
  findNearDuplicate(fingerprint: string, sinceIso: string): Post | undefined {
    for (const id of this.state.fingerprints.near(fingerprint)) {
      const p = this.state.posts.get(id);
      if (p && p.receivedAt >= sinceIso && p.status !== 'rejected') return p;
    }
    return undefined;
  }

  /** Posts in the hot window (recent months), oldest first. Older ones: `archivedPosts`, `allPosts`. */
  posts(): Post[] {
    return [...this.state.posts.values()];
  }

  /** Active posts routed to this college that no digest has carried to it yet. */
  undigestedFor(collegeId: string): Post[] {
    const out: Post[] = [];
    for (const p of this.state.routedTo(collegeId)) {
      if (p.status === 'active' && !p.digestedFor.includes(collegeId)) out.push(p);
    }
    return out;
  }

  deliveries(): Delivery[] {
    return [...this.state.deliveries.values()];
  }

  /**
   * Pending deliveries, oldest first — only those whose digest record is durable: a delivery sent before
   * its record reached the disk would, after a crash, be sent again in a rebuilt digest (new id, new
   * idempotency keys), so the platform could not drop the repeat.
   */
  pendingDeliveries(): Delivery[] {
    const out: Delivery[] = [];
    for (const d of this.state.deliveries.values()) if (d.status === 'pending' && !this.notYetDurable.has(d.id)) out.push(d);
    return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** Months in the archive and how many posts each holds. */
  archivedMonths(): { month: string; posts: number }[] {
    return Object.entries(this.state.archiveCounts)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([month, posts]) => ({ month, posts }));
  }

  /** Every post stored: hot and archived. */
  postCount(): number {
    return this.state.posts.size + Object.values(this.state.archiveCounts).reduce((a, b) => a + b, 0);
  }

  archivedPosts(month: string): Post[] {
    return this.archives.readSync(`posts-${month}.json`)?.posts ?? [];
  }

  /** Calls `fn` with each archived post of `month`, one parsed line at a time (no month-sized array). */
  forEachArchivedPost(month: string, fn: (post: Post) => unknown, from = 0): number | undefined {
    return this.archives.forEachPost(`posts-${month}.json`, fn, from);
  }

  /** Changes whenever the month's archive file is written: a paused forEachArchivedPost checks it before going on. */
  archivedMonthStamp(month: string): string | undefined {
    return this.archives.stamp(`posts-${month}.json`);
  }

  /** Every post, archived months first (one month in memory at a time), then the hot ones. */
  async *allPosts(): AsyncGenerator<Post> {
    for (const { month } of this.archivedMonths()) yield* (await this.archives.read(`posts-${month}.json`))?.posts ?? [];
    yield* this.state.posts.values();
  }

  /** Bytes on disk: snapshot, journal, archive. */
  diskUsage(): { snapshot: number; journal: number; archive: number; total: number } {
    const snapshot = fileSize(this.file);
    const journal = listSegments(this.dir).reduce((a, s) => a + fileSize(s.file), 0);
    const archive = this.archives.files().reduce((a, f) => a + fileSize(join(this.archiveDir, f)), 0);
    return { snapshot, journal, archive, total: snapshot + journal + archive };
  }

  // ---- changes ---------------------------------------------------------------------------------------

  /** Resolves once every change made so far (counters included) is durable. */
  async save(): Promise<void> {
    if (this.countersDirty) await this.commit({ op: 'counters' });
    await this.journal.flushed();
  }

  /** Flushes, waits for running maintenance (compaction, backup), and closes the journal. */
  async close(): Promise<void> {
    await this.save();
    await this.maintenance.catch(() => {});
    await this.journal.close();
  }

  async addPost(post: Post): Promise<void> {
    this.state.putPost(post);
    try {
      await this.commit({ op: 'post', post });
    } catch (err) {
      this.state.removePost(post.id);
      throw err;
    }
  }

  /**
   * One more source of a stored post (a cross-post). `media`: the pictures the cross-post was read from,
   * kept on a post that has none (its text came first, the poster after). Undone in memory if the write
   * fails, so a retry adds it once.
   */
  async addSource(postId: string, source: PostSource, media?: PostImage[]): Promise<void> {
    const p = this.state.posts.get(postId);
    if (!p) throw new Error(`no post ${postId}`);
    const key = sourceKey(source.platform, source.chatId, source.messageId);
    const attach = media?.length && !p.media?.length ? media.map((x) => ({ ...x })) : undefined;
    p.sources.push(source);
    if (attach) p.media = attach;
    this.state.bySource.set(key, p);
    try {
      // Only the new source is journaled (replay appends it to the post), unless pictures came with it.
      await this.commit(attach ? { op: 'post', post: p } : { op: 'source', id: postId, source });
    } catch (err) {
      p.sources.splice(p.sources.lastIndexOf(source), 1);
      if (attach) delete p.media;
      this.state.bySource.delete(key);
      throw err;
    }
  }

  async setStatus(postId: string, status: PostStatus): Promise<Post | undefined> {
    const p = this.state.posts.get(postId);
    if (!p) return undefined;
    p.status = status;
    await this.commit({ op: 'post', post: p });
    return p;
  }

  /** Counts an ingest outcome; saved with the next write (counters are statistics, not state). */
  count(key: keyof Counters): void {
    this.state.counters[key] += 1;
    this.countersDirty = true;
  }

  /**
   * Records a digest and its deliveries, and marks its posts as carried, in ONE journal record: after a
   * crash either all of it is on disk (and the outbox sends it) or none (and the next run builds it again).
   */
  async recordDigest(digest: Digest, deliveries: Delivery[]): Promise<void> {
    const { state } = this;
    const record: DigestRecord = { id: digest.id, collegeId: digest.collegeId, createdAt: digest.createdAt, postIds: digest.items.map((i) => i.post.id) };
    const marked = state.markCarried(record); // at once, so no other digest takes the same posts
    state.digests.push(record);
    for (const d of deliveries) {
      state.deliveries.set(d.id, d);
      this.notYetDurable.add(d.id);
    }
    try {
      await this.commit({ op: 'digest', digest: record, deliveries });
    } catch (err) {
      // Not on disk: undo, so nothing is sent for a digest a restart would not know (and build again).
      for (const p of marked) p.digestedFor = p.digestedFor.filter((c) => c !== record.collegeId);
      state.digests = state.digests.filter((g) => g !== record);
      for (const d of deliveries) if (state.deliveries.get(d.id) === d) state.deliveries.delete(d.id);
      throw err;
    } finally {
      for (const d of deliveries) this.notYetDurable.delete(d.id);
    }
  }

  /** Patches a delivery in place (the same object the caller holds) and resolves once durable. */
  async updateDelivery(id: string, patch: Partial<Delivery>): Promise<Delivery> {
    const d = this.state.deliveries.get(id);
    if (!d) throw new Error(`no delivery ${id}`);
    const set: Record<string, unknown> = {};
    const unset: string[] = [];
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) {
        unset.push(k);
        delete (d as unknown as Record<string, unknown>)[k];
      } else {
        set[k] = v;
        (d as unknown as Record<string, unknown>)[k] = v;
      }
    }
    await this.commit({ op: 'delivery', id, set, ...(unset.length ? { unset } : {}) });
    return d;
  }

  // ---- maintenance: one at a time ------------------------------------------------------------------

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.maintenance.catch(() => {}).then(fn);
    this.maintenance = run;
    return run;
  }

  /** Bulk-loads posts (a migration, a benchmark seed): months out of the hot window go straight to the archive. */
  importPosts(posts: Iterable<Post>): Promise<void> {
    return this.exclusive(async () => {
      await importPosts(this.core, posts);
      await this.runCompaction();
    });
  }

  /** Retention: see retention.ts. */
  prune(now: Date, retentionDays: number): Promise<PruneResult> {
    return this.exclusive(() => prune(this.core, now, retentionDays));
  }

  /** Erasure on request: see retention.ts. */
  forgetSender(senderId: string): Promise<ForgetResult> {
    return this.exclusive(() => forgetSender(this.core, senderId));
  }

  /** Writes a backup of this (running) store to `file`: see backup.ts. */
  backup(file: string): Promise<BackupSummary> {
    return this.exclusive(() => writeBackup({ core: this.core, seq: () => this.journal.seq, tap: (fn) => this.journal.tap(fn), dataDir: this.dir }, file, this.fsync));
  }

  /** Moves whole months older than the hot window to the archive, then rewrites the snapshot. */
  compact(): Promise<void> {
    if (this.compacting !== undefined) return this.compacting;
    this.compacting = this.exclusive(() => this.runCompaction()).finally(() => (this.compacting = undefined));
    return this.compacting;
  }

  private maybeCompact(): void {
    if (this.compacting !== undefined) return;
    const old = this.state.oldestMonth;
    const rolled = old !== undefined && monthEnd(old) <= this.now().getTime() - this.hotDays * DAY;
    if (rolled || this.journal.bytes >= Math.max(this.compactMinBytes, this.snapshotBytes)) {
      void this.compact().catch(() => {
        // The journal still holds everything; the next write tries again.
      });
    }
  }

  private async runCompaction(): Promise<void> {
    for (const d of [this.dir, this.archiveDir]) removeStaleTemps(d); // left by a killed compaction
    await archiveRolledMonths(this.core);
    const seq = this.journal.seal();
    this.journal.bytes = 0;
    await writeSnapshot(this.dir, this.fsync, this.state, seq);
    this.snapshotOld = false;
    this.snapshotBytes = fileSize(this.file);
    this.journal.dropThrough(seq);
  }
}

