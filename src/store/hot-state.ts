// The store's in-memory state: recent ("hot") posts with their indexes (by id, by source message, by
// fingerprint), digests, deliveries, counters and the archive's per-month post counts — and `apply`,
// which replays one journal record onto it. Replay at open and live changes share these methods, so a
// change recorded once means the same thing after a restart.
import type { Delivery, Evidence, Platform, Post, PostSource } from '../domain.ts';
import { FingerprintIndex } from './fingerprint-index.ts';
import type { JournalRecord } from './journal.ts';

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

export const emptyCounters = (): Counters => ({ received: 0, ignored: 0, notJob: 0, scams: 0, stored: 0, merged: 0, errors: 0 });

const collegesOf = (p: Post): readonly string[] => (Array.isArray(p.classification?.colleges) ? p.classification.colleges : []);

export const sourceKey = (platform: Platform, chatId: string, messageId: string) => `${platform}\u0000${chatId}\u0000${messageId}`;

export const DAY = 86_400_000;
export const monthOf = (iso: string) => iso.slice(0, 7);
/** First instant after the (UTC) month. */
export const monthEnd = (month: string): number => {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return Date.UTC(y, m, 1);
};

/** The journal operations this version writes and reads. */
const OPS = new Set(['post', 'source', 'del', 'archived', 'archiveCount', 'digest', 'delivery', 'dropDigests', 'counters']);

export class HotState {
  readonly posts = new Map<string, Post>();
  readonly bySource = new Map<string, Post>();
  readonly fingerprints: FingerprintIndex;
  /**
   * Per college, the hot posts routed to it (a post's classification never changes in place: a changed
   * post is put again). Status and digestedFor do change in place, so undigestedFor checks those live;
   * this only spares it the posts of other colleges (30 colleges × 15k hot posts: a third of a digest run).
   */
  private readonly byCollege = new Map<string, Set<Post>>();
  digests: DigestRecord[] = [];
  readonly deliveries = new Map<string, Delivery>();
  counters: Counters = emptyCounters();
  archiveCounts: Record<string, number> = {};
  oldestMonth: string | undefined;

  constructor(nearDuplicateDistance: number) {
    this.fingerprints = new FingerprintIndex(nearDuplicateDistance);
  }

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

  putPost(p: Post): void {
    const c = p.classification;
    if (c) {
      if (Array.isArray(c.detection)) this.shareEvidence(c.detection);
      for (const k of c.classes ?? []) if (Array.isArray(k.evidence)) this.shareEvidence(k.evidence);
    }
    const old = this.posts.get(p.id);
    if (old) this.unindex(old);
    this.posts.set(p.id, p);
    for (const s of p.sources) this.bySource.set(sourceKey(s.platform, s.chatId, s.messageId), p);
    for (const c of collegesOf(p)) {
      let set = this.byCollege.get(c);
      if (!set) this.byCollege.set(c, (set = new Set()));
      set.add(p);
    }
    this.fingerprints.add(p.fingerprint, p.id);
    const m = monthOf(p.receivedAt);
    if (this.oldestMonth === undefined || m < this.oldestMonth) this.oldestMonth = m;
  }

  unindex(p: Post): void {
    for (const s of p.sources) {
      const k = sourceKey(s.platform, s.chatId, s.messageId);
      if (this.bySource.get(k) === p) this.bySource.delete(k);
    }
    this.fingerprints.remove(p.id);
    for (const c of collegesOf(p)) {
      const set = this.byCollege.get(c);
      if (!set?.delete(p) || set.size) continue;
      this.byCollege.delete(c);
    }
  }

  /** Hot posts routed to the college, in the order they were stored. */
  routedTo(collegeId: string): Iterable<Post> {
    return this.byCollege.get(collegeId) ?? [];
  }

  removePost(id: string): void {
    const p = this.posts.get(id);
    if (!p) return;
    this.unindex(p);
    this.posts.delete(id);
  }

  /** Marks the digest's posts as carried to its college; returns the posts that were not marked before. */
  markCarried(digest: DigestRecord): Post[] {
    const marked: Post[] = [];
    for (const id of digest.postIds) {
      const p = this.posts.get(id);
      if (p && !p.digestedFor.includes(digest.collegeId)) {
        p.digestedFor.push(digest.collegeId);
        marked.push(p);
      }
    }
    return marked;
  }

  setArchiveCount(month: string, n: number): void {
    if (n > 0) this.archiveCounts[month] = n;
    else delete this.archiveCounts[month];
  }

  computeOldestMonth(): string | undefined {
    let m: string | undefined;
    for (const p of this.posts.values()) {
      const pm = monthOf(p.receivedAt);
      if (m === undefined || pm < m) m = pm;
    }
    return m;
  }

  deliveriesOf(digestId: string): Delivery[] {
    const out: Delivery[] = [];
    for (const d of this.deliveries.values()) if (d.digestId === digestId) out.push(d);
    return out;
  }

  /** Why a parsed journal line cannot be a record of this version, or undefined when it can. */
  static invalid(r: unknown): string | undefined {
    if (typeof r !== 'object' || r === null || Array.isArray(r)) return 'not a journal record';
    const rec = r as Partial<JournalRecord>;
    if (typeof rec.s !== 'number' || !Number.isInteger(rec.s) || rec.s < 0) return 'no sequence number';
    if (typeof rec.op !== 'string') return 'no operation';
    if (!OPS.has(rec.op)) return `unknown operation "${rec.op.slice(0, 40)}" (written by a newer alumni-relay?)`;
    return undefined;
  }

  /** Replays one record (idempotent: a snapshot written while changes went on may already hold it). */
  apply(r: JournalRecord): void {
    switch (r.op) {
      case 'post':
        this.putPost(r.post as Post);
        break;
      case 'source': {
        const p = this.posts.get(r.id as string);
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
        if (!this.digests.some((d) => d.id === digest.id)) this.digests.push(digest);
        for (const d of r.deliveries as Delivery[]) this.deliveries.set(d.id, d);
        break;
      }
      case 'delivery': {
        const d = this.deliveries.get(r.id as string);
        if (!d) break;
        Object.assign(d, r.set);
        for (const k of (r.unset as string[] | undefined) ?? []) delete (d as unknown as Record<string, unknown>)[k];
        break;
      }
      case 'dropDigests': {
        const ids = new Set(r.digests as string[]);
        this.digests = this.digests.filter((d) => !ids.has(d.id));
        for (const id of r.deliveries as string[]) this.deliveries.delete(id);
        break;
      }
      case 'counters':
        break;
    }
    if (r.c) this.counters = { ...emptyCounters(), ...(r.c as Partial<Counters>) };
  }
}
