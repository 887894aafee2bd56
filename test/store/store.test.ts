import { appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Delivery, Post } from '../../src/domain.ts';
import { listSegments } from '../../src/store/journal.ts';
import { Store } from '../../src/store/store.ts';
import { post } from '../helpers/posts.ts';
import { tempDir } from '../helpers/tmp.ts';

const NOW = new Date('2026-11-21T01:00:00.000Z');

function delivery(id: string, digestId: string, createdAt = NOW.toISOString(), status: Delivery['status'] = 'pending'): Delivery {
  return {
    id,
    digestId,
    collegeId: 'electrical',
    channel: { platform: 'wechat', chat: '学生群' },
    parts: [{ format: 'plain', body: `速递 ${id}` }],
    sentParts: 0,
    status,
    attempts: 0,
    nextAttemptAt: createdAt,
    createdAt,
  };
}

const digest = (id: string, posts: Post[], createdAt = NOW.toISOString()) => ({
  id,
  collegeId: 'electrical',
  collegeName: '电气',
  createdAt,
  items: posts.map((p) => ({ post: p })),
});

const at = (iso: string) => ({ receivedAt: iso, sources: [{ platform: 'wechat' as const, chatId: 'g', messageId: `m-${iso}-${Math.random()}`, senderId: 'u1', senderName: '王磊', sentAt: iso }] });

describe('Store', () => {
  it('keeps every acknowledged change across a reopen, without a snapshot', async () => {
    const dir = tempDir();
    const s1 = await Store.open(dir, { now: () => NOW });
    const a = post();
    const b = post();
    await s1.addPost(a);
    await s1.addPost(b);
    await s1.addSource(a.id, { platform: 'telegram', chatId: '-1001', messageId: '7', senderId: 'u2', senderName: 'Li', sentAt: NOW.toISOString() });
    await s1.setStatus(b.id, 'review');
    s1.count('received');
    await s1.recordDigest(digest('dg1', [a]), [delivery('d1', 'dg1')]);
    await s1.updateDelivery('d1', { sentParts: 1, lastError: 'x' });
    await s1.updateDelivery('d1', { status: 'delivered', lastError: undefined });
    expect(existsSync(s1.file)).toBe(false); // nothing compacted yet: all in the journal

    const s2 = await Store.open(dir, { now: () => NOW });
    expect(s2.posts().map((p) => p.id)).toEqual([a.id, b.id]);
    expect(s2.postBySource('telegram', '-1001', '7')?.id).toBe(a.id);
    expect(s2.postById(b.id)?.status).toBe('review');
    expect(s2.postById(a.id)?.digestedFor).toEqual(['electrical']);
    expect(s2.data.counters.received).toBe(1);
    // digests() and counters(): what data.digests / data.counters hold, without copying every post.
    expect(s2.counters()).toEqual(s2.data.counters);
    expect(s2.digests().map((g) => [g.id, g.postIds])).toEqual([['dg1', [a.id]]]);
    expect(s2.digests()).toEqual(s2.data.digests);
    expect(s2.deliveries()[0]).toMatchObject({ status: 'delivered', sentParts: 1 });
    expect(s2.deliveries()[0]).not.toHaveProperty('lastError');
    expect(s2.undigestedFor('electrical')).toEqual([]);
  });

  it('skips a torn last line (a write the process died in) and never appends after it', async () => {
    const dir = tempDir();
    const s1 = await Store.open(dir, { now: () => NOW });
    const a = post();
    await s1.addPost(a);
    const [seg] = listSegments(dir);
    appendFileSync(seg!.file, '{"s":99,"op":"post","post":{"id":"half'); // kill -9 mid-write
    const s2 = await Store.open(dir, { now: () => NOW });
    expect(s2.posts().map((p) => p.id)).toEqual([a.id]);
    expect(s2.corruptLines).toBe(0);
    const b = post();
    await s2.addPost(b);
    expect(listSegments(dir)).toHaveLength(2); // the new write went to a new segment
    const s3 = await Store.open(dir, { now: () => NOW });
    expect(s3.posts().map((p) => p.id)).toEqual([a.id, b.id]);
  });

  it('opening never writes (read-only tools may open a running relay’s store)', async () => {
    const dir = tempDir();
    const s1 = await Store.open(dir, { now: () => NOW });
    await s1.addPost(post());
    const before = readdirSync(dir).sort();
    await Store.open(dir, { now: () => NOW });
    expect(readdirSync(dir).sort()).toEqual(before);
  });

  it('reads a lowdb-era relay.db.json and continues from it', async () => {
    const dir = tempDir();
    const old = post();
    writeFileSync(join(dir, 'relay.db.json'), JSON.stringify({ version: 1, posts: [old], digests: [], deliveries: [], counters: { received: 3 } }));
    const s = await Store.open(dir, { now: () => NOW });
    expect(s.posts().map((p) => p.id)).toEqual([old.id]);
    expect(s.data.counters).toMatchObject({ received: 3, stored: 0 });
    const fresh = post();
    await s.addPost(fresh);
    expect((await Store.open(dir, { now: () => NOW })).posts()).toHaveLength(2);
  });

  it('compacts in the background once the journal outgrows the snapshot, and drops covered segments', async () => {
    const dir = tempDir();
    const s = await Store.open(dir, { now: () => NOW, compactMinBytes: 20_000 });
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) {
      const p = post();
      ids.push(p.id);
      await s.addPost(p);
    }
    await s.close();
    expect(existsSync(s.file)).toBe(true);
    expect(JSON.parse(readFileSync(s.file, 'utf8')).version).toBe(2);
    expect(listSegments(dir).length).toBeLessThanOrEqual(2);
    const s2 = await Store.open(dir, { now: () => NOW });
    expect(s2.posts().map((p) => p.id)).toEqual(ids);
  });

  it('streams an archived month post by post, the same posts as reading it whole', async () => {
    const dir = tempDir();
    const s = await Store.open(dir, { now: () => NOW, hotDays: 35 });
    const old = Array.from({ length: 40 }, (_, i) => post({ ...at(`2026-08-${String(1 + (i % 28)).padStart(2, '0')}T00:00:00.000Z`), text: `第${i}条，含逗号,和换行\n及 "引号" ],"digests":[ 这样的字` }));
    await s.importPosts(old);
    expect(s.archivedMonths()).toEqual([{ month: '2026-08', posts: 40 }]);
    const streamed: Post[] = [];
    s.forEachArchivedPost('2026-08', (p) => streamed.push(p));
    expect(streamed).toEqual(s.archivedPosts('2026-08'));
    expect(streamed.map((p) => p.id).sort()).toEqual(old.map((p) => p.id).sort());
    // A month with no archive file gives nothing; a file in another layout is read whole.
    const none: Post[] = [];
    s.forEachArchivedPost('2026-01', (p) => none.push(p));
    expect(none).toEqual([]);
    const file = join(dir, 'archive', 'posts-2026-08.json');
    writeFileSync(file, JSON.stringify({ posts: old.slice(0, 3) }, null, 2));
    const pretty: Post[] = [];
    s.forEachArchivedPost('2026-08', (p) => pretty.push(p));
    expect(pretty.map((p) => p.id)).toEqual(old.slice(0, 3).map((p) => p.id));
    await s.close();
  });

  it('moves whole months older than the hot window to archive files, and finds them there', async () => {
    const dir = tempDir();
    const s = await Store.open(dir, { now: () => NOW, hotDays: 35 });
    const sep = post(at('2026-09-10T00:00:00.000Z'));
    const oct = post(at('2026-10-02T00:00:00.000Z'));
    const nov = post(at('2026-11-20T00:00:00.000Z'));
    await s.importPosts([sep, oct, nov]);
    // 2026-11-21 − 35 d = 10-17: September is out of the window; October is not yet wholly out.
    expect(s.posts().map((p) => p.id).sort()).toEqual([oct.id, nov.id].sort());
    expect(s.archivedMonths()).toEqual([{ month: '2026-09', posts: 1 }]);
    expect(s.archivedPosts('2026-09')[0]!.id).toBe(sep.id);
    expect(s.postCount()).toBe(3);

    // A month later October rolls out at the next write.
    let now = new Date('2026-12-10T00:00:00.000Z');
    const s2 = await Store.open(dir, { now: () => now, hotDays: 35 });
    expect(s2.posts()).toHaveLength(2);
    await s2.addPost(post(at('2026-12-09T00:00:00.000Z')));
    await s2.close();
    expect(s2.archivedMonths().map((m) => m.month)).toEqual(['2026-09', '2026-10']);
    expect(s2.posts().map((p) => p.id)).not.toContain(oct.id);
    const all: string[] = [];
    for await (const p of s2.allPosts()) all.push(p.id);
    expect(all).toHaveLength(4);
    now = new Date('2026-12-10T00:00:00.000Z');
    const s3 = await Store.open(dir, { now: () => now });
    expect(s3.postCount()).toBe(4);
    expect(s3.posts()).toHaveLength(2);
  });

  it('prunes posts, digests and finished deliveries past the retention, hot and archived', async () => {
    const dir = tempDir();
    const s = await Store.open(dir, { now: () => NOW });
    const old = post(at('2026-03-03T00:00:00.000Z'));
    const edge = post(at('2026-05-20T00:00:00.000Z'));
    const kept = post(at('2026-06-10T00:00:00.000Z'));
    const recent = post(at('2026-11-20T00:00:00.000Z'));
    await s.importPosts([old, edge, kept, recent]);
    await s.recordDigest(digest('dg-old', [], '2026-04-01T00:00:00.000Z'), [delivery('d-old', 'dg-old', '2026-04-01T00:00:00.000Z', 'delivered')]);
    await s.recordDigest(digest('dg-pending', [], '2026-04-01T00:00:00.000Z'), [delivery('d-pending', 'dg-pending', '2026-04-01T00:00:00.000Z')]);
    // 180 days before 2026-11-21 is 2026-05-25.
    const r = await s.prune(NOW, 180);
    expect(r).toMatchObject({ posts: 2, digests: 1, deliveries: 1 });
    const s2 = await Store.open(dir, { now: () => NOW });
    const all: string[] = [];
    for await (const p of s2.allPosts()) all.push(p.id);
    expect(all.sort()).toEqual([kept.id, recent.id].sort());
    expect(s2.deliveries().map((d) => d.id)).toEqual(['d-pending']);
    expect(existsSync(join(dir, 'archive', 'posts-2026-03.json'))).toBe(false);
  });

  it('forgets a sender everywhere: their posts, their sources on others’ posts, delivered text', async () => {
    const dir = tempDir();
    const s = await Store.open(dir, { now: () => NOW });
    const src = (senderId: string, iso: string) => ({ platform: 'wechat' as const, chatId: 'g', messageId: `m-${senderId}-${iso}`, senderId, senderName: senderId, sentAt: iso });
    const archivedTheirs = post({ receivedAt: '2026-06-01T00:00:00.000Z', sources: [src('alice', '2026-06-01')] });
    const archivedShared = post({ receivedAt: '2026-06-02T00:00:00.000Z', sources: [src('bob', '2026-06-02'), src('alice', '2026-06-03')] });
    const hotTheirs = post({ receivedAt: '2026-11-20T00:00:00.000Z', sources: [src('alice', '2026-11-20')] });
    const hotOther = post({ receivedAt: '2026-11-20T00:00:00.000Z', sources: [src('bob', '2026-11-20')] });
    await s.importPosts([archivedTheirs, archivedShared, hotTheirs, hotOther]);
    await s.recordDigest(digest('dg1', [hotTheirs, hotOther]), [delivery('d1', 'dg1', NOW.toISOString(), 'delivered')]);

    const r = await s.forgetSender('alice');
    expect(r).toMatchObject({ posts: 2, sources: 1, deliveries: 1, files: 1 });
    const s2 = await Store.open(dir, { now: () => NOW });
    const all: Post[] = [];
    for await (const p of s2.allPosts()) all.push(p);
    expect(all.map((p) => p.id).sort()).toEqual([archivedShared.id, hotOther.id].sort());
    expect(all.flatMap((p) => p.sources.map((x) => x.senderId))).not.toContain('alice');
    expect(s2.deliveries()[0]!.parts).toEqual([]);
    // Nothing on disk names her any more (journal segments included).
    const files = [s2.file, ...listSegments(dir).map((x) => x.file), ...readdirSync(join(dir, 'archive')).map((f) => join(dir, 'archive', f))];
    for (const f of files) expect(readFileSync(f, 'utf8')).not.toContain('alice');
  });

  it('write cost stays flat as the history grows (journal append, not a whole-file rewrite)', async () => {
    const dir = tempDir();
    const s = await Store.open(dir, { now: () => NOW });
    const bytesPerWrite = async () => {
      const before = s.diskUsage().journal;
      await s.addPost(post());
      return s.diskUsage().journal - before;
    };
    const small = await bytesPerWrite();
    await s.importPosts(Array.from({ length: 3000 }, () => post()));
    const large = await bytesPerWrite();
    expect(large).toBeLessThan(small * 1.5);
  });
  it('shows the outbox a digest’s deliveries only once its record is durable', async () => {
    const s = await Store.open(tempDir(), { now: () => NOW });
    const a = post();
    await s.addPost(a);
    const recording = s.recordDigest(digest('dg1', [a]), [delivery('d1', 'dg1')]);
    expect(s.undigestedFor('electrical')).toEqual([]); // no second digest takes the post meanwhile
    expect(s.pendingDeliveries()).toEqual([]); // a crash now loses the record: nothing may be sent
    await recording;
    expect(s.pendingDeliveries().map((d) => d.id)).toEqual(['d1']);
  });
});
