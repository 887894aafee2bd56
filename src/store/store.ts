// The relay's state: a write-ahead journal + a snapshot of the "hot" state + monthly archives. The
// snapshot and the archives are lowdb files (`Low` over the durable adapter in files.ts); the journal is
// the write-coalescing layer in front of them.
//
// WHY NOT lowdb ALONE (one `Low` + `JSONFile`): lowdb writes by rewriting its whole JSON file, so the cost
// of storing one message grew with the history (100k posts ≈ 250 MB of JSON per write), and its writer
// (steno) does temp + rename without fsync, which on ext4/xfs can leave an empty file after a power cut.
// Here a change costs one appended, fdatasync'ed journal line whatever is stored; lowdb files are written
// only by compaction and archiving, through an adapter that fsyncs and streams post by post; history
// leaves memory and the hot files month by month.
//
// FILES (under the data directory):
//   relay.wal.<seq>.jsonl      journal segments: one JSON line per change ({s: seq, op, ...}, counters
//                              attached). A change is acknowledged (its promise resolves) only after its
//                              line is written AND fdatasync'ed; concurrent changes share one write and
//                              one fdatasync (group commit). A killed process leaves at worst a torn last
//                              line, which was never acknowledged and is skipped; a process never appends
//                              to a segment it did not create.
//   relay.db.json              lowdb file: snapshot of the hot state ({version: 2, seq, counters, archive,
//                              digests, deliveries, posts}, one digest/delivery/post per line). Written by
//                              compaction: temp file → fdatasync → rename → fsync(dir); then the segments it
//                              covers are deleted. Compaction runs in the background when the journal has
//                              grown as large as the last snapshot (amortised O(1) per change), serialising
//                              post by post and yielding to the event loop. Records are idempotent
//                              puts/patches/deletes, so a snapshot taken while changes continue is still
//                              correct once the later records are replayed. Read line by line at open (no
//                              file-sized string). A lowdb-era file ({version: 1}, any JSON layout) is read
//                              as a snapshot at seq 0.
//   archive/posts-YYYY-MM.json lowdb file: posts received in that (UTC) month, written once the whole month
//                              is older than the hot window (`hotDays`, default 35 ≥ the 30-day dedupe and
//                              digest windows), atomically, merged by id with an existing file (a crash
//                              between the archive write and its journal record only repeats the move).
//   archive/digests-YYYY-MM.json lowdb file: digests of that month whose deliveries all went out (without the
//                              rendered parts, which repeat post text).
//
// In memory: only the hot state (recent posts, their indexes, pending/recent deliveries). `posts()`,
// `data.posts` and `undigestedFor` see hot posts; `archivedPosts(month)` / `allPosts()` read the archive.
//
// DURABILITY: kill -9 at any moment loses nothing acknowledged (every ack follows an fdatasync) and
// leaves every file readable (snapshot and archives are replaced by rename; the journal tolerates a torn
// tail). Power loss: fdatasync on the journal and temp files plus fsync of the directory after creating or
// renaming a file, so the same holds. Open with `fsync: false` only for throwaway data.
//
// PRIVACY: `prune(now, retentionDays)` drops posts, digests and finished deliveries older than the
// retention from hot state and archives; `forgetSender(id)` erases a person's posts (and their sources on
// posts others reposted) everywhere, blanks the rendered parts of finished deliveries that carried them,
// and compacts so the old journal segments are gone too.
import { mkdirSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Delivery, Digest, Evidence, Platform, Post, PostSource, PostStatus } from '../domain.ts';
import { NEAR_DUPLICATE_MAX_DISTANCE } from '../dedupe.ts';
import { FingerprintIndex } from './fingerprint-index.ts';
import { fsyncDir, lowFile } from './files.ts';
import { Journal, listSegments, readSegment, type JournalRecord } from './journal.ts';

export interface DigestRecord {
  id: string;
  collegeId: string;
  createdAt: string;
  postIds: string[];
}

export interface Counters {
  received: number;
  ignored: number;
  notJob: number;
  scams: number;
  stored: number;
  merged: number;
  errors: number;
}

export interface StoreData {
  version: number;
  posts: Post[];
  digests: DigestRecord[];
  deliveries: Delivery[];
  counters: Counters;
}

export interface StoreOptions {
  nearDuplicateDistance?: number;
  /** Posts stay in the hot state (memory, snapshot) until their whole month is older than this. Default 35. */
  hotDays?: number;
  /** fdatasync every acknowledged change (default true). */
  fsync?: boolean;
  /** Compaction starts once the journal holds this many bytes or as many as the last snapshot, whichever is more. */
  compactMinBytes?: number;
  now?: () => Date;
}

export interface PruneResult {
  posts: number;
  digests: number;
  deliveries: number;
  files: number;
}

export interface ForgetResult {
  /** Posts deleted (the person wrote them). */
  posts: number;
  /** Source entries removed from posts other people also posted. */
  sources: number;
  /** Finished deliveries whose rendered text was blanked. */
  deliveries: number;
  /** Archive files rewritten or removed. */
  files: number;
}

const emptyCounters = (): Counters => ({ received: 0, ignored: 0, notJob: 0, scams: 0, stored: 0, merged: 0, errors: 0 });

export const sourceKey = (platform: Platform, chatId: string, messageId: string) => `${platform}\u0000${chatId}\u0000${messageId}`;

const DAY = 86_400_000;
const SNAPSHOT = 'relay.db.json';
const ARCHIVE_DIR = 'archive';
const monthOf = (iso: string) => iso.slice(0, 7);
/** First instant after the (UTC) month. */
const monthEnd = (month: string): number => {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return Date.UTC(y, m, 1);
};
const POSTS_FILE_RE = /^posts-(\d{4}-\d{2})\.json$/;
const DIGESTS_FILE_RE = /^digests-(\d{4}-\d{2})\.json$/;
const fileSize = (f: string): number => {
  try {
    return statSync(f).size;
  } catch {
    return 0;
  }
};

interface Snapshot {
  version: number;
  seq?: number;
  posts?: Post[];
  digests?: DigestRecord[];
  deliveries?: Delivery[];
  counters?: Partial<Counters>;
  /** Posts per archived month. */
  archive?: Record<string, number>;
}

/** What an archive file holds: one month's posts, or one month's finished digests. */
interface ArchiveFile {
  version: 1;
  month: string;
  posts?: Post[];
  digests?: ArchivedDigest[];
}

interface ArchivedDigest extends DigestRecord {
  deliveries: (Omit<Delivery, 'parts'> & { partCount: number })[];
}

export class Store {
  readonly file: string;
  readonly archiveDir: string;
  private readonly hot = new Map<string, Post>();
  private readonly bySource = new Map<string, Post>();
  private readonly fingerprints: FingerprintIndex;
  private digestList: DigestRecord[] = [];
  private readonly deliveryMap = new Map<string, Delivery>();
  /** Deliveries recorded in memory whose digest record is not yet durable (the outbox must not see them). */
  private readonly notYetDurable = new Set<string>();
  private counters: Counters = emptyCounters();
  private countersDirty = false;
  private archiveCounts: Record<string, number> = {};
  private oldestMonth: string | undefined;
  private snapshotBytes = 0;
  private compacting: Promise<void> | undefined;
  private readonly hotDays: number;
  private readonly fsync: boolean;
  private readonly compactMinBytes: number;
  private readonly now: () => Date;
  /** The snapshot file through lowdb; its `data` is set only while it is read or written. */
  private readonly snapshotDb;
  private journal!: Journal;
  /** Unreadable journal lines skipped at open (not torn tails, which are expected after a kill). */
  corruptLines = 0;

  private constructor(
    readonly dir: string,
    opts: StoreOptions,
  ) {
    this.file = join(dir, SNAPSHOT);
    this.archiveDir = join(dir, ARCHIVE_DIR);
    this.fingerprints = new FingerprintIndex(opts.nearDuplicateDistance ?? NEAR_DUPLICATE_MAX_DISTANCE);
    this.hotDays = opts.hotDays ?? 35;
    this.fsync = opts.fsync ?? true;
    this.compactMinBytes = opts.compactMinBytes ?? 8 << 20;
    this.now = opts.now ?? (() => new Date());
    this.snapshotDb = lowFile<Snapshot>(this.file, { fsync: this.fsync, lines: ['digests', 'deliveries', 'posts'] });
  }

  /** One archive file through lowdb (a fresh `Low` per use: a month is in memory only while used). */
  private archiveDb(file: string) {
    return lowFile<ArchiveFile>(join(this.archiveDir, file), { fsync: this.fsync, lines: ['posts', 'digests'] });
  }

  /** Opens (or creates) the store in `dataDir`. Opening never writes: read-only tools may open a running relay's store. */
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
    const segments = listSegments(this.dir);
    await this.snapshotDb.read();
    const snap: Snapshot = this.snapshotDb.data ?? { version: 2 };
    this.snapshotDb.data = null; // the maps below hold the state; the parsed document can go
    this.snapshotBytes = fileSize(this.file);
    const base = snap.seq ?? 0;
    for (const p of snap.posts ?? []) this.putPost(p);
    this.digestList = snap.digests ?? [];
    for (const d of snap.deliveries ?? []) this.deliveryMap.set(d.id, d);
    this.counters = { ...emptyCounters(), ...snap.counters };
    this.archiveCounts = { ...snap.archive };
    let seq = base;
    const existing = [];
    for (const seg of segments) {
      let maxSeq = 0;
      const { corrupt } = readSegment(seg.file, (r) => {
        maxSeq = Math.max(maxSeq, r.s);
        if (r.s <= base) return;
        this.apply(r);
        seq = Math.max(seq, r.s);
      });
      this.corruptLines += corrupt;
      existing.push({ file: seg.file, firstSeq: seg.firstSeq, maxSeq: Math.max(maxSeq, seg.firstSeq) });
    }
    this.journal = new Journal(this.dir, seq, this.fsync, existing);
    this.oldestMonth = this.computeOldestMonth();
  }

  // ---- applying changes (replay and live share these) ----------------------------------------

  /**
   * Evidence entries repeat across posts (the same term, weight and kind: 400-odd distinct ones in 5k
   * bench posts), yet each post held its own ≈20 objects, 40% of a post's heap. Hot posts share one
   * instance of each (nothing mutates evidence after classification).
   */
  private readonly evidencePool = new Map<string, Map<string, Map<number, Evidence>>>(); // kind → term → weight
  private evidenceShared = 0;

  private shareEvidence(list: Evidence[]): void {
    for (let i = 0; i < list.length; i++) {
      const e = list[i]!;
      let byTerm = this.evidencePool.get(e.kind);
      let byWeight = byTerm?.get(e.term);
      const shared = byWeight?.get(e.weight);
      if (shared === e) continue;
      // Only the plain {term, weight, kind} shape is shared (Evidence has no other field).
      if (shared) {
        if (Object.keys(e).length === 3) list[i] = shared;
        continue;
      }
      if (this.evidenceShared >= 100_000 || Object.keys(e).length !== 3) continue; // bounded
      if (!byTerm) this.evidencePool.set(e.kind, (byTerm = new Map()));
      if (!byWeight) byTerm.set(e.term, (byWeight = new Map()));
      byWeight.set(e.weight, e);
      this.evidenceShared++;
    }
  }

  private putPost(p: Post): void {
    const c = p.classification;
    if (c) {
      if (Array.isArray(c.detection)) this.shareEvidence(c.detection);
      for (const k of c.classes ?? []) if (Array.isArray(k.evidence)) this.shareEvidence(k.evidence);
    }
    const old = this.hot.get(p.id);
    if (old) this.unindex(old);
    this.hot.set(p.id, p);
    for (const s of p.sources) this.bySource.set(sourceKey(s.platform, s.chatId, s.messageId), p);
    this.fingerprints.add(p.fingerprint, p.id);
    const m = monthOf(p.receivedAt);
    if (this.oldestMonth === undefined || m < this.oldestMonth) this.oldestMonth = m;
  }

  private unindex(p: Post): void {
    for (const s of p.sources) {
      const k = sourceKey(s.platform, s.chatId, s.messageId);
      if (this.bySource.get(k) === p) this.bySource.delete(k);
    }
    this.fingerprints.remove(p.id);
  }

  private removePost(id: string): void {
    const p = this.hot.get(id);
    if (!p) return;
    this.unindex(p);
    this.hot.delete(id);
  }

  /** Marks the digest's posts as carried to its college; returns the posts that were not marked before. */
  private markCarried(digest: DigestRecord): Post[] {
    const marked: Post[] = [];
    for (const id of digest.postIds) {
      const p = this.hot.get(id);
      if (p && !p.digestedFor.includes(digest.collegeId)) {
        p.digestedFor.push(digest.collegeId);
        marked.push(p);
      }
    }
    return marked;
  }

  private apply(r: JournalRecord): void {
    switch (r.op) {
      case 'post':
        this.putPost(r.post as Post);
        break;
      case 'source': {
        // Idempotent: a snapshot written while ingest went on may already hold this source.
        const p = this.hot.get(r.id as string);
        const src = r.source as PostSource;
        if (p && !p.sources.some((x) => x.platform === src.platform && x.chatId === src.chatId && x.messageId === src.messageId)) {
          p.sources.push(src);
          this.bySource.set(sourceKey(src.platform, src.chatId, src.messageId), p);
        }
        break;
      }
      case 'del':
        for (const id of r.ids as string[]) this.removePost(id);
        break;
      case 'archived':
        for (const id of r.ids as string[]) this.removePost(id);
        this.setArchiveCount(r.month as string, r.n as number);
        break;
      case 'archiveCount':
        this.setArchiveCount(r.month as string, r.n as number);
        break;
      case 'digest': {
        const digest = r.digest as DigestRecord;
        this.markCarried(digest);
        if (!this.digestList.some((d) => d.id === digest.id)) this.digestList.push(digest);
        for (const d of r.deliveries as Delivery[]) this.deliveryMap.set(d.id, d);
        break;
      }
      case 'delivery': {
        const d = this.deliveryMap.get(r.id as string);
        if (!d) break;
        Object.assign(d, r.set);
        for (const k of (r.unset as string[] | undefined) ?? []) delete (d as unknown as Record<string, unknown>)[k];
        break;
      }
      case 'dropDigests': {
        const ids = new Set(r.digests as string[]);
        this.digestList = this.digestList.filter((d) => !ids.has(d.id));
        for (const id of r.deliveries as string[]) this.deliveryMap.delete(id);
        break;
      }
      case 'counters':
        break;
    }
    if (r.c) this.counters = { ...emptyCounters(), ...(r.c as Partial<Counters>) };
  }

  private setArchiveCount(month: string, n: number): void {
    if (n > 0) this.archiveCounts[month] = n;
    else delete this.archiveCounts[month];
  }

  /** Appends a change to the journal (the in-memory change is already made) and resolves once durable. */
  private async commit(record: { op: string; [k: string]: unknown }): Promise<void> {
    this.countersDirty = false;
    record.c = this.counters; // callers pass a fresh literal: no copy
    const done = this.journal.append(record);
    this.maybeCompact();
    await done;
  }

  // ---- the API the relay uses --------------------------------------------------------------------

  get data(): Readonly<StoreData> {
    return { version: 2, posts: this.posts(), digests: this.digestList, deliveries: this.deliveries(), counters: this.counters };
  }

  /** Resolves once every change made so far (counters included) is durable. */
  async save(): Promise<void> {
    if (this.countersDirty) await this.commit({ op: 'counters' });
    await this.journal.flushed();
  }

  /** Flushes, waits for a running compaction, and closes the journal. */
  async close(): Promise<void> {
    await this.save();
    await this.compacting;
    await this.journal.close();
  }

  postById(id: string): Post | undefined {
    return this.hot.get(id);
  }

  postBySource(platform: Platform, chatId: string, messageId: string): Post | undefined {
    return this.bySource.get(sourceKey(platform, chatId, messageId));
  }

  /** A stored post whose fingerprint is within the near-duplicate distance, received after `sinceIso`. */
  findNearDuplicate(fingerprint: string, sinceIso: string): Post | undefined {
    for (const id of this.fingerprints.near(fingerprint)) {
      const p = this.hot.get(id);
      if (p && p.receivedAt >= sinceIso && p.status !== 'rejected') return p;
    }
    return undefined;
  }

  async addPost(post: Post): Promise<void> {
    this.putPost(post);
    try {
      await this.commit({ op: 'post', post });
    } catch (err) {
      this.removePost(post.id);
      throw err;
    }
  }

  async addSource(postId: string, source: PostSource): Promise<void> {
    const p = this.hot.get(postId);
    if (!p) throw new Error(`no post ${postId}`);
    p.sources.push(source);
    this.bySource.set(sourceKey(source.platform, source.chatId, source.messageId), p);
    // Only the new source is journaled, not the whole post again (replay appends it to the post).
    await this.commit({ op: 'source', id: postId, source });
  }

  async setStatus(postId: string, status: PostStatus): Promise<Post | undefined> {
    const p = this.hot.get(postId);
    if (!p) return undefined;
    p.status = status;
    await this.commit({ op: 'post', post: p });
    return p;
  }

  /** Counts an ingest outcome; saved with the next write (counters are statistics, not state). */
  count(key: keyof Counters): void {
    this.counters[key] += 1;
    this.countersDirty = true;
  }

  /** Posts in the hot window (recent months), oldest first. Older ones: `archivedPosts`, `allPosts`. */
  posts(): Post[] {
    return [...this.hot.values()];
  }

  /** Active posts routed to this college that no digest has carried to it yet. */
  undigestedFor(collegeId: string): Post[] {
    const out: Post[] = [];
    for (const p of this.hot.values()) {
      if (p.status === 'active' && p.classification.colleges.includes(collegeId) && !p.digestedFor.includes(collegeId)) out.push(p);
    }
    return out;
  }

  /**
   * Records a digest and its deliveries, and marks its posts as carried, in ONE journal record: after a
   * crash either all of it is on disk (and the outbox sends it) or none (and the next run builds it again).
   */
  async recordDigest(digest: Digest, deliveries: Delivery[]): Promise<void> {
    const record: DigestRecord = { id: digest.id, collegeId: digest.collegeId, createdAt: digest.createdAt, postIds: digest.items.map((i) => i.post.id) };
    const marked = this.markCarried(record); // at once, so no other digest takes the same posts
    this.digestList.push(record);
    for (const d of deliveries) {
      this.deliveryMap.set(d.id, d);
      this.notYetDurable.add(d.id);
    }
    try {
      await this.commit({ op: 'digest', digest: record, deliveries });
    } catch (err) {
      // Not on disk: undo, so nothing is sent for a digest a restart would not know (and build again).
      for (const p of marked) p.digestedFor = p.digestedFor.filter((c) => c !== record.collegeId);
      this.digestList = this.digestList.filter((g) => g !== record);
      for (const d of deliveries) if (this.deliveryMap.get(d.id) === d) this.deliveryMap.delete(d.id);
      throw err;
    } finally {
      for (const d of deliveries) this.notYetDurable.delete(d.id);
    }
  }

  deliveries(): Delivery[] {
    return [...this.deliveryMap.values()];
  }

  /**
   * Pending deliveries, oldest first — only those whose digest record is durable: a delivery sent before
   * its record reached the disk would, after a crash, be sent again in a rebuilt digest (new id, new
   * idempotency keys), so the platform could not drop the repeat.
   */
  pendingDeliveries(): Delivery[] {
    const out: Delivery[] = [];
    for (const d of this.deliveryMap.values()) if (d.status === 'pending' && !this.notYetDurable.has(d.id)) out.push(d);
    return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** Patches a delivery in place (the same object the caller holds) and resolves once durable. */
  async updateDelivery(id: string, patch: Partial<Delivery>): Promise<Delivery> {
    const d = this.deliveryMap.get(id);
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

  // ---- history: archive, retention, erasure ------------------------------------------------------

  /** Months in the archive and how many posts each holds. */
  archivedMonths(): { month: string; posts: number }[] {
    return Object.entries(this.archiveCounts)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([month, posts]) => ({ month, posts }));
  }

  /** Every post stored: hot and archived. */
  postCount(): number {
    return this.hot.size + Object.values(this.archiveCounts).reduce((a, b) => a + b, 0);
  }

  archivedPosts(month: string): Post[] {
    return this.archiveDb(`posts-${month}.json`).adapter.readSync()?.posts ?? [];
  }

  /** Every post, archived months first (one month in memory at a time), then the hot ones. */
  async *allPosts(): AsyncGenerator<Post> {
    for (const { month } of this.archivedMonths()) yield* (await this.readArchive(`posts-${month}.json`))?.posts ?? [];
    yield* this.hot.values();
  }

  /** Bytes on disk: snapshot, journal, archive. */
  diskUsage(): { snapshot: number; journal: number; archive: number; total: number } {
    const size = fileSize;
    const snapshot = size(this.file);
    const journal = listSegments(this.dir).reduce((a, s) => a + size(s.file), 0);
    const archive = this.archiveFiles().reduce((a, f) => a + size(join(this.archiveDir, f)), 0);
    return { snapshot, journal, archive, total: snapshot + journal + archive };
  }

  /**
   * Bulk-loads posts (a migration, a benchmark seed): months already out of the hot window go straight
   * to their archive files, the rest into the hot state. Ids already stored are replaced.
   */
  async importPosts(posts: Iterable<Post>): Promise<void> {
    const cutoff = this.now().getTime() - this.hotDays * DAY;
    const byMonth = new Map<string, Post[]>();
    const hot: Post[] = [];
    for (const p of posts) {
      const m = monthOf(p.receivedAt);
      if (monthEnd(m) <= cutoff) (byMonth.get(m) ?? byMonth.set(m, []).get(m)!).push(p);
      else hot.push(p);
    }
    for (const [month, list] of byMonth) {
      const n = await this.archiveMonth(month, list);
      this.setArchiveCount(month, n);
      await this.commit({ op: 'archiveCount', month, n });
    }
    for (const p of hot) {
      this.putPost(p);
      void this.journal.append({ op: 'post', post: p, c: this.counters });
    }
    await this.journal.flushed();
    await this.compact();
  }

  /** Moves whole months older than the hot window to the archive, then rewrites the snapshot. */
  compact(): Promise<void> {
    if (this.compacting) return this.compacting;
    this.compacting = this.runCompaction().finally(() => (this.compacting = undefined));
    return this.compacting;
  }

  private maybeCompact(): void {
    if (this.compacting) return;
    const rolled = this.oldestMonth !== undefined && monthEnd(this.oldestMonth) <= this.now().getTime() - this.hotDays * DAY;
    if (rolled || this.journal.bytes >= Math.max(this.compactMinBytes, this.snapshotBytes)) {
      void this.compact().catch(() => {
        // The journal still holds everything; the next write tries again.
      });
    }
  }

  private async runCompaction(): Promise<void> {
    await this.archiveRolledMonths();
    const seq = this.journal.seal();
    this.journal.bytes = 0;
    // Taken now, written post by post while changes continue (they are in the journal after `seq`).
    this.snapshotDb.data = {
      version: 2,
      seq,
      counters: { ...this.counters },
      archive: { ...this.archiveCounts },
      digests: [...this.digestList],
      deliveries: [...this.deliveryMap.values()],
      posts: [...this.hot.values()],
    };
    try {
      await this.snapshotDb.write();
    } finally {
      this.snapshotDb.data = null;
    }
    this.snapshotBytes = fileSize(this.file);
    this.journal.dropThrough(seq);
  }

  private computeOldestMonth(): string | undefined {
    let m: string | undefined;
    for (const p of this.hot.values()) {
      const pm = monthOf(p.receivedAt);
      if (m === undefined || pm < m) m = pm;
    }
    return m;
  }

  private async archiveRolledMonths(): Promise<void> {
    const cutoff = this.now().getTime() - this.hotDays * DAY;
    const byMonth = new Map<string, Post[]>();
    for (const p of this.hot.values()) {
      const m = monthOf(p.receivedAt);
      if (monthEnd(m) <= cutoff) (byMonth.get(m) ?? byMonth.set(m, []).get(m)!).push(p);
    }
    for (const [month, list] of [...byMonth].sort(([a], [b]) => a.localeCompare(b))) {
      const n = await this.archiveMonth(month, list);
      const ids = list.map((p) => p.id);
      for (const id of ids) this.removePost(id);
      this.setArchiveCount(month, n);
      await this.commit({ op: 'archived', month, ids, n });
    }
    this.oldestMonth = this.computeOldestMonth();

    // Digests whose deliveries have all gone out leave the hot state too (dead letters stay for admins).
    const rolledDigests = this.digestList.filter(
      (g) => monthEnd(monthOf(g.createdAt)) <= cutoff && this.deliveriesOf(g.id).every((d) => d.status === 'delivered'),
    );
    if (rolledDigests.length === 0) return;
    const byDigestMonth = new Map<string, DigestRecord[]>();
    for (const g of rolledDigests) (byDigestMonth.get(monthOf(g.createdAt)) ?? byDigestMonth.set(monthOf(g.createdAt), []).get(monthOf(g.createdAt))!).push(g);
    for (const [month, list] of byDigestMonth) {
      const file = `digests-${month}.json`;
      const existing = (await this.readArchive(file))?.digests ?? [];
      const merged = new Map(existing.map((g) => [g.id, g]));
      for (const g of list) {
        merged.set(g.id, { ...g, deliveries: this.deliveriesOf(g.id).map(({ parts, ...rest }) => ({ ...rest, partCount: parts.length })) });
      }
      await this.writeArchive(file, { version: 1, month, digests: [...merged.values()] });
      const digestIds = list.map((g) => g.id);
      const deliveryIds = list.flatMap((g) => this.deliveriesOf(g.id).map((d) => d.id));
      this.apply({ s: 0, op: 'dropDigests', digests: digestIds, deliveries: deliveryIds });
      await this.commit({ op: 'dropDigests', digests: digestIds, deliveries: deliveryIds });
    }
  }

  private deliveriesOf(digestId: string): Delivery[] {
    const out: Delivery[] = [];
    for (const d of this.deliveryMap.values()) if (d.digestId === digestId) out.push(d);
    return out;
  }

  /** Writes a month's posts into its archive file (merged by id with what is there); returns the file's post count. */
  private async archiveMonth(month: string, posts: Post[]): Promise<number> {
    const file = `posts-${month}.json`;
    const existing = (await this.readArchive(file))?.posts ?? [];
    const merged = new Map(existing.map((p) => [p.id, p]));
    for (const p of posts) merged.set(p.id, p);
    const list = [...merged.values()].sort((a, b) => a.receivedAt.localeCompare(b.receivedAt));
    await this.writeArchive(file, { version: 1, month, posts: list });
    return list.length;
  }

  private archiveFiles(): string[] {
    try {
      return readdirSync(this.archiveDir).filter((f) => POSTS_FILE_RE.test(f) || DIGESTS_FILE_RE.test(f));
    } catch {
      return [];
    }
  }

  private async readArchive(file: string): Promise<ArchiveFile | undefined> {
    const db = this.archiveDb(file);
    await db.read();
    return db.data ?? undefined;
  }

  private async writeArchive(file: string, data: ArchiveFile): Promise<void> {
    mkdirSync(this.archiveDir, { recursive: true });
    const db = this.archiveDb(file);
    db.data = data;
    await db.write();
  }

  private removeArchive(file: string): void {
    try {
      unlinkSync(join(this.archiveDir, file));
      if (this.fsync) fsyncDir(this.archiveDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }

  /**
   * Retention: deletes posts received before `now - retentionDays`, and digests and finished deliveries
   * created before then, from the hot state and the archive; then (when anything went) compacts so the
   * journal forgets them too.
   */
  async prune(now: Date, retentionDays: number): Promise<PruneResult> {
    const cutoffMs = now.getTime() - retentionDays * DAY;
    const cutoff = new Date(cutoffMs).toISOString();
    const result: PruneResult = { posts: 0, digests: 0, deliveries: 0, files: 0 };

    const oldPosts = [...this.hot.values()].filter((p) => p.receivedAt < cutoff).map((p) => p.id);
    if (oldPosts.length) {
      for (const id of oldPosts) this.removePost(id);
      result.posts += oldPosts.length;
      await this.commit({ op: 'del', ids: oldPosts });
    }
    const oldDeliveries = this.deliveries().filter((d) => d.createdAt < cutoff && d.status !== 'pending');
    const gone = new Set(oldDeliveries.map((d) => d.id));
    const oldDigests = this.digestList.filter((g) => g.createdAt < cutoff && this.deliveriesOf(g.id).every((d) => gone.has(d.id)));
    if (oldDeliveries.length || oldDigests.length) {
      const rec = { op: 'dropDigests', digests: oldDigests.map((g) => g.id), deliveries: [...gone] };
      this.apply({ s: 0, ...rec });
      result.deliveries += gone.size;
      result.digests += oldDigests.length;
      await this.commit(rec);
    }

    for (const f of this.archiveFiles()) {
      const month = (POSTS_FILE_RE.exec(f) ?? DIGESTS_FILE_RE.exec(f))![1]!;
      const isPosts = POSTS_FILE_RE.test(f);
      if (monthEnd(month) <= cutoffMs) {
        const n = isPosts ? this.archiveCounts[month] ?? 0 : ((await this.readArchive(f))?.digests?.length ?? 0);
        this.removeArchive(f);
        result.files++;
        if (isPosts) {
          result.posts += n;
          this.setArchiveCount(month, 0);
          await this.commit({ op: 'archiveCount', month, n: 0 });
        } else result.digests += n;
        continue;
      }
      if (month > monthOf(cutoff)) continue;
      // The month the cutoff falls in: keep its newer half.
      if (isPosts) {
        const posts = (await this.readArchive(f))?.posts ?? [];
        const keep = posts.filter((p) => p.receivedAt >= cutoff);
        if (keep.length === posts.length) continue;
        result.posts += posts.length - keep.length;
        result.files++;
        if (keep.length) await this.writeArchive(f, { version: 1, month, posts: keep });
        else this.removeArchive(f);
        this.setArchiveCount(month, keep.length);
        await this.commit({ op: 'archiveCount', month, n: keep.length });
      } else {
        const digests = (await this.readArchive(f))?.digests ?? [];
        const keep = digests.filter((g) => g.createdAt >= cutoff);
        if (keep.length === digests.length) continue;
        result.digests += digests.length - keep.length;
        result.files++;
        if (keep.length) await this.writeArchive(f, { version: 1, month, digests: keep });
        else this.removeArchive(f);
      }
    }
    this.oldestMonth = this.computeOldestMonth();
    // Only when something went: the relay prunes at every start and every 6 h, and rewriting an
    // unchanged snapshot would only cost time and memory.
    if (result.posts || result.digests || result.deliveries || result.files) await this.compact();
    return result;
  }

  /**
   * Erasure on request: every post the person wrote is deleted (hot and archive), their source entries are
   * removed from posts others also posted, the rendered text of finished deliveries that carried their posts
   * is blanked, and a compaction drops the journal segments that still held them. Pending deliveries are
   * left to go out (they were rendered with the configured privacy, not the raw message).
   */
  async forgetSender(senderId: string): Promise<ForgetResult> {
    const result: ForgetResult = { posts: 0, sources: 0, deliveries: 0, files: 0 };
    const deleted = new Set<string>();
    const touch = (p: Post): 'delete' | 'edit' | undefined => {
      if (!p.sources.some((s) => s.senderId === senderId)) return undefined;
      if (p.sources[0]?.senderId === senderId || p.sources.every((s) => s.senderId === senderId)) return 'delete';
      return 'edit';
    };

    for (const p of [...this.hot.values()]) {
      const what = touch(p);
      if (what === 'delete') {
        this.removePost(p.id);
        deleted.add(p.id);
        result.posts++;
        await this.commit({ op: 'del', ids: [p.id] });
      } else if (what === 'edit') {
        const kept = p.sources.filter((s) => s.senderId !== senderId);
        result.sources += p.sources.length - kept.length;
        this.unindex(p);
        this.putPost({ ...p, sources: kept });
        await this.commit({ op: 'post', post: this.hot.get(p.id) });
      }
    }

    for (const f of this.archiveFiles()) {
      const m = POSTS_FILE_RE.exec(f);
      if (!m) continue;
      const month = m[1]!;
      const posts = (await this.readArchive(f))?.posts ?? [];
      let changed = false;
      const keep: Post[] = [];
      for (const p of posts) {
        const what = touch(p);
        if (what === 'delete') {
          deleted.add(p.id);
          result.posts++;
          changed = true;
        } else if (what === 'edit') {
          const kept = p.sources.filter((s) => s.senderId !== senderId);
          result.sources += p.sources.length - kept.length;
          keep.push({ ...p, sources: kept });
          changed = true;
        } else keep.push(p);
      }
      if (!changed) continue;
      result.files++;
      if (keep.length) await this.writeArchive(f, { version: 1, month, posts: keep });
      else this.removeArchive(f);
      this.setArchiveCount(month, keep.length);
      await this.commit({ op: 'archiveCount', month, n: keep.length });
    }

    if (deleted.size) {
      for (const g of this.digestList) {
        if (!g.postIds.some((id) => deleted.has(id))) continue;
        for (const d of this.deliveriesOf(g.id)) {
          if (d.status === 'pending' || d.parts.length === 0) continue;
          d.parts = [];
          result.deliveries++;
          await this.commit({ op: 'delivery', id: d.id, set: { parts: [] } });
        }
      }
    }
    this.oldestMonth = this.computeOldestMonth();
    await this.journal.flushed();
    await this.compact();
    return result;
  }
}
