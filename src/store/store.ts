// The relay's state in one lowdb JSON file under the data directory.
// lowdb rewrites the whole file on each write (temp file + rename, so a crash leaves the old or the new
// file, never half of one). Writes are coalesced: callers that ask while a write is in flight share the
// next one, and every `await` of a mutation returns only once the change is on disk.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Low } from 'lowdb';
import { JSONFile } from 'lowdb/node';
import type { Delivery, Digest, Platform, Post, PostSource, PostStatus } from '../domain.ts';
import { NEAR_DUPLICATE_MAX_DISTANCE } from '../dedupe.ts';
import { FingerprintIndex } from './fingerprint-index.ts';

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
  version: 1;
  posts: Post[];
  digests: DigestRecord[];
  deliveries: Delivery[];
  counters: Counters;
}

const emptyCounters = (): Counters => ({ received: 0, ignored: 0, notJob: 0, scams: 0, stored: 0, merged: 0, errors: 0 });
const emptyData = (): StoreData => ({ version: 1, posts: [], digests: [], deliveries: [], counters: emptyCounters() });

export const sourceKey = (platform: Platform, chatId: string, messageId: string) => `${platform}\u0000${chatId}\u0000${messageId}`;

export class Store {
  private readonly bySource = new Map<string, Post>();
  private readonly byId = new Map<string, Post>();
  private readonly fingerprints: FingerprintIndex;
  private writing: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  private constructor(
    private readonly db: Low<StoreData>,
    readonly file: string,
    nearDuplicateDistance: number,
  ) {
    this.fingerprints = new FingerprintIndex(nearDuplicateDistance);
    for (const p of db.data.posts) this.index(p);
  }

  static async open(dataDir: string, opts: { nearDuplicateDistance?: number } = {}): Promise<Store> {
    mkdirSync(dataDir, { recursive: true });
    const file = join(dataDir, 'relay.db.json');
    const db = new Low<StoreData>(new JSONFile<StoreData>(file), emptyData());
    await db.read();
    db.data = { ...emptyData(), ...db.data, counters: { ...emptyCounters(), ...db.data?.counters } };
    return new Store(db, file, opts.nearDuplicateDistance ?? NEAR_DUPLICATE_MAX_DISTANCE);
  }

  get data(): Readonly<StoreData> {
    return this.db.data;
  }

  private index(p: Post): void {
    this.byId.set(p.id, p);
    for (const s of p.sources) this.bySource.set(sourceKey(s.platform, s.chatId, s.messageId), p);
    this.fingerprints.add(p.fingerprint, p.id);
  }

  /** Persists the current state; concurrent callers share one write. */
  save(): Promise<void> {
    if (this.queued) return this.queued;
    if (!this.writing) {
      this.writing = this.db.write().finally(() => (this.writing = undefined));
      return this.writing;
    }
    this.queued = this.writing.then(() => {
      this.queued = undefined;
      return this.save();
    });
    return this.queued;
  }

  postById(id: string): Post | undefined {
    return this.byId.get(id);
  }

  postBySource(platform: Platform, chatId: string, messageId: string): Post | undefined {
    return this.bySource.get(sourceKey(platform, chatId, messageId));
  }

  /** A stored post whose fingerprint is within the near-duplicate distance, received after `sinceIso`. */
  findNearDuplicate(fingerprint: string, sinceIso: string): Post | undefined {
    for (const id of this.fingerprints.near(fingerprint)) {
      const p = this.byId.get(id);
      if (p && p.receivedAt >= sinceIso && p.status !== 'rejected') return p;
    }
    return undefined;
  }

  async addPost(post: Post): Promise<void> {
    this.db.data.posts.push(post);
    this.index(post);
    await this.save();
  }

  async addSource(postId: string, source: PostSource): Promise<void> {
    const p = this.byId.get(postId);
    if (!p) throw new Error(`no post ${postId}`);
    p.sources.push(source);
    this.bySource.set(sourceKey(source.platform, source.chatId, source.messageId), p);
    await this.save();
  }

  async setStatus(postId: string, status: PostStatus): Promise<Post | undefined> {
    const p = this.byId.get(postId);
    if (!p) return undefined;
    p.status = status;
    await this.save();
    return p;
  }

  /** Counts an ingest outcome; saved with the next write (counters are statistics, not state). */
  count(key: keyof Counters): void {
    this.db.data.counters[key] += 1;
  }

  posts(): readonly Post[] {
    return this.db.data.posts;
  }

  /** Active posts routed to this college that no digest has carried to it yet. */
  undigestedFor(collegeId: string): Post[] {
    return this.db.data.posts.filter(
      (p) => p.status === 'active' && p.classification.colleges.includes(collegeId) && !p.digestedFor.includes(collegeId),
    );
  }

  /**
   * Records a digest and its deliveries, and marks its posts as carried, in ONE write: after a crash
   * either all of it is on disk (and the outbox sends it) or none (and the next run builds it again).
   */
  async recordDigest(digest: Digest, deliveries: Delivery[]): Promise<void> {
    const postIds = digest.items.map((i) => i.post.id);
    for (const id of postIds) {
      const p = this.byId.get(id);
      if (p && !p.digestedFor.includes(digest.collegeId)) p.digestedFor.push(digest.collegeId);
    }
    this.db.data.digests.push({ id: digest.id, collegeId: digest.collegeId, createdAt: digest.createdAt, postIds });
    this.db.data.deliveries.push(...deliveries);
    await this.save();
  }

  deliveries(): readonly Delivery[] {
    return this.db.data.deliveries;
  }

  /** Pending deliveries, oldest first. */
  pendingDeliveries(): Delivery[] {
    return this.db.data.deliveries.filter((d) => d.status === 'pending').sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async updateDelivery(id: string, patch: Partial<Delivery>): Promise<Delivery> {
    const d = this.db.data.deliveries.find((x) => x.id === id);
    if (!d) throw new Error(`no delivery ${id}`);
    Object.assign(d, patch);
    await this.save();
    return d;
  }
}
