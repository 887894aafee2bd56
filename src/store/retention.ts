// Privacy: retention (`prune`) and erasure on request (`forgetSender`), over the hot state and the
// archive. Both end with a compaction, so the journal segments that still held what went are deleted too.
import type { Post } from '../domain.ts';
import { archiveMonthOf } from './archives.ts';
import type { StoreCore } from './core.ts';
import { DAY, monthEnd, monthOf } from './hot-state.ts';

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

/**
 * Deletes posts received before `now - retentionDays`, and digests and finished deliveries created before
 * then, from the hot state and the archive; then (when anything went) compacts.
 */
export async function prune(core: StoreCore, now: Date, retentionDays: number): Promise<PruneResult> {
  const { state, archives } = core;
  const cutoffMs = now.getTime() - retentionDays * DAY;
  const cutoff = new Date(cutoffMs).toISOString();
  const result: PruneResult = { posts: 0, digests: 0, deliveries: 0, files: 0 };

  const oldPosts = [...state.posts.values()].filter((p) => p.receivedAt < cutoff).map((p) => p.id);
  if (oldPosts.length) {
    for (const id of oldPosts) state.removePost(id);
    result.posts += oldPosts.length;
    await core.commit({ op: 'del', ids: oldPosts });
  }
  const oldDeliveries = [...state.deliveries.values()].filter((d) => d.createdAt < cutoff && d.status !== 'pending');
  const gone = new Set(oldDeliveries.map((d) => d.id));
  const oldDigests = state.digests.filter((g) => g.createdAt < cutoff && state.deliveriesOf(g.id).every((d) => gone.has(d.id)));
  if (oldDeliveries.length || oldDigests.length) {
    const rec = { op: 'dropDigests', digests: oldDigests.map((g) => g.id), deliveries: [...gone] };
    state.apply({ s: 0, ...rec });
    result.deliveries += gone.size;
    result.digests += oldDigests.length;
    await core.commit(rec);
  }

  for (const f of archives.files()) {
    const { month, posts: isPosts } = archiveMonthOf(f)!;
    if (monthEnd(month) <= cutoffMs) {
      const n = isPosts ? (state.archiveCounts[month] ?? 0) : ((await archives.read(f))?.digests?.length ?? 0);
      archives.remove(f);
      result.files++;
      if (isPosts) {
        result.posts += n;
        state.setArchiveCount(month, 0);
        await core.commit({ op: 'archiveCount', month, n: 0 });
      } else result.digests += n;
      continue;
    }
    if (month > monthOf(cutoff)) continue;
    // The month the cutoff falls in: keep its newer half.
    if (isPosts) {
      const posts = (await archives.read(f))?.posts ?? [];
      const keep = posts.filter((p) => p.receivedAt >= cutoff);
      if (keep.length === posts.length) continue;
      result.posts += posts.length - keep.length;
      result.files++;
      if (keep.length) await archives.write(f, { version: 1, month, posts: keep });
      else archives.remove(f);
      state.setArchiveCount(month, keep.length);
      await core.commit({ op: 'archiveCount', month, n: keep.length });
    } else {
      const digests = (await archives.read(f))?.digests ?? [];
      const keep = digests.filter((g) => g.createdAt >= cutoff);
      if (keep.length === digests.length) continue;
      result.digests += digests.length - keep.length;
      result.files++;
      if (keep.length) await archives.write(f, { version: 1, month, digests: keep });
      else archives.remove(f);
    }
  }
  state.oldestMonth = state.computeOldestMonth();
  // Only when something went: the relay prunes at every start and every 6 h, and rewriting an
  // unchanged snapshot would only cost time and memory.
  if (result.posts || result.digests || result.deliveries || result.files) await core.compact();
  return result;
}

/**
 * Every post the person wrote is deleted (hot and archive), their source entries are removed from posts
 * others also posted, the rendered text of finished deliveries that carried their posts is blanked, and a
 * compaction drops the journal segments that still held them. Pending deliveries are left to go out
 * (they were rendered with the configured privacy, not the raw message).
 */
export async function forgetSender(core: StoreCore, senderId: string): Promise<ForgetResult> {
  const { state, archives } = core;
  const result: ForgetResult = { posts: 0, sources: 0, deliveries: 0, files: 0 };
  const deleted = new Set<string>();
  const touch = (p: Post): 'delete' | 'edit' | undefined => {
    if (!p.sources.some((s) => s.senderId === senderId)) return undefined;
    if (p.sources[0]?.senderId === senderId || p.sources.every((s) => s.senderId === senderId)) return 'delete';
    return 'edit';
  };

  for (const p of [...state.posts.values()]) {
    const what = touch(p);
    if (what === 'delete') {
      state.removePost(p.id);
      deleted.add(p.id);
      result.posts++;
      await core.commit({ op: 'del', ids: [p.id] });
    } else if (what === 'edit') {
      const kept = p.sources.filter((s) => s.senderId !== senderId);
      result.sources += p.sources.length - kept.length;
      state.unindex(p);
      state.putPost({ ...p, sources: kept });
      await core.commit({ op: 'post', post: state.posts.get(p.id) });
    }
  }

  for (const f of archives.files()) {
    const a = archiveMonthOf(f);
    if (!a?.posts) continue;
    const posts = (await archives.read(f))?.posts ?? [];
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
    if (keep.length) await archives.write(f, { version: 1, month: a.month, posts: keep });
    else archives.remove(f);
    state.setArchiveCount(a.month, keep.length);
    await core.commit({ op: 'archiveCount', month: a.month, n: keep.length });
  }

  if (deleted.size) {
    for (const g of state.digests) {
      if (!g.postIds.some((id) => deleted.has(id))) continue;
      for (const d of state.deliveriesOf(g.id)) {
        if (d.status === 'pending' || d.parts.length === 0) continue;
        d.parts = [];
        result.deliveries++;
        await core.commit({ op: 'delivery', id: d.id, set: { parts: [] } });
      }
    }
  }
  state.oldestMonth = state.computeOldestMonth();
  await core.flushed();
  await core.compact();
  return result;
}
