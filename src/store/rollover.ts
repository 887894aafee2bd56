// Moving history out of the hot state: whole months older than the hot window go to their archive files
// (posts), and digests whose deliveries have all gone out go to the digest archive. Each move writes the
// archive file first and journals it after, so a crash in between only repeats the move (archives merge
// by id).
import type { Post } from '../domain.ts';
import type { DigestRecord } from './hot-state.ts';
import { DAY, monthEnd, monthOf } from './hot-state.ts';
import type { StoreCore } from './core.ts';

/** Groups posts by (UTC) month. */
export function byMonth<T>(items: Iterable<T>, at: (x: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const x of items) {
    const m = monthOf(at(x));
    const list = out.get(m);
    if (list) list.push(x);
    else out.set(m, [x]);
  }
  return out;
}

/** The first instant that is still in the hot window. */
export const hotCutoff = (core: StoreCore): number => core.now().getTime() - core.hotDays * DAY;

/** Bulk load: months already out of the hot window go straight to their archive files, the rest to the hot state. */
export async function importPosts(core: StoreCore, posts: Iterable<Post>): Promise<void> {
  const cutoff = hotCutoff(core);
  const hot: Post[] = [];
  const old: Post[] = [];
  for (const p of posts) (monthEnd(monthOf(p.receivedAt)) <= cutoff ? old : hot).push(p);
  for (const [month, list] of byMonth(old, (p) => p.receivedAt)) {
    const n = await core.archives.addPosts(month, list);
    core.state.setArchiveCount(month, n);
    await core.commit({ op: 'archiveCount', month, n });
  }
  const writes: Promise<void>[] = [];
  for (const p of hot) {
    core.state.putPost(p);
    writes.push(core.commit({ op: 'post', post: p }));
  }
  await Promise.all(writes);
}

export async function archiveRolledMonths(core: StoreCore): Promise<void> {
  const { state, archives } = core;
  const cutoff = hotCutoff(core);
  const rolled = [...state.posts.values()].filter((p) => monthEnd(monthOf(p.receivedAt)) <= cutoff);
  for (const [month, list] of [...byMonth(rolled, (p) => p.receivedAt)].sort(([a], [b]) => a.localeCompare(b))) {
    const n = await archives.addPosts(month, list);
    const ids = list.map((p) => p.id);
    for (const id of ids) state.removePost(id);
    state.setArchiveCount(month, n);
    await core.commit({ op: 'archived', month, ids, n });
  }
  state.oldestMonth = state.computeOldestMonth();

  // Digests whose deliveries have all gone out leave the hot state too (dead letters stay for admins).
  const rolledDigests = state.digests.filter(
    (g) => monthEnd(monthOf(g.createdAt)) <= cutoff && state.deliveriesOf(g.id).every((d) => d.status === 'delivered'),
  );
  for (const [month, list] of byMonth<DigestRecord>(rolledDigests, (g) => g.createdAt)) {
    const file = `digests-${month}.json`;
    const merged = new Map(((await archives.read(file))?.digests ?? []).map((g) => [g.id, g]));
    for (const g of list) {
      merged.set(g.id, { ...g, deliveries: state.deliveriesOf(g.id).map(({ parts, ...rest }) => ({ ...rest, partCount: parts.length })) });
    }
    await archives.write(file, { version: 1, month, digests: [...merged.values()] });
    const digestIds = list.map((g) => g.id);
    const deliveryIds = list.flatMap((g) => state.deliveriesOf(g.id).map((d) => d.id));
    state.apply({ s: 0, op: 'dropDigests', digests: digestIds, deliveries: deliveryIds });
    await core.commit({ op: 'dropDigests', digests: digestIds, deliveries: deliveryIds });
  }
}
