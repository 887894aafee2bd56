// Backups: taken while the relay keeps writing, restored into a new directory, they hold exactly the
// state at one moment (every change before it, none after); restore refuses a running relay's data
// directory, a store it would overwrite (unless forced, and then it keeps the old files), and a damaged
// or newer backup — before it moves anything.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Delivery, Post } from '../../src/domain.ts';
import { processStart } from '../../src/lock.ts';
import { backupStore, restoreStore, verifyBackup } from '../../src/store/backup.ts';
import { StoreError } from '../../src/store/errors.ts';
import { Store } from '../../src/store/store.ts';
import { post } from '../helpers/posts.ts';
import { tempDir } from '../helpers/tmp.ts';

const NOW = new Date('2026-11-21T01:00:00.000Z');
const quiet = { warn: () => {}, info: () => {} };

function delivery(id: string, digestId: string): Delivery {
  const at = NOW.toISOString();
  return { id, digestId, collegeId: 'electrical', channel: { platform: 'wechat', chat: '学生群' }, parts: [{ format: 'plain', body: `速递 ${id}` }], sentParts: 0, status: 'pending', attempts: 0, nextAttemptAt: at, createdAt: at };
}
const digest = (id: string, posts: Post[]) => ({ id, collegeId: 'electrical', collegeName: '电气', createdAt: NOW.toISOString(), items: posts.map((p) => ({ post: p })) });

async function everyPost(s: Store): Promise<Map<string, Post>> {
  const out = new Map<string, Post>();
  for await (const p of s.allPosts()) out.set(p.id, p);
  return out;
}

/** A store with history: archived months, hot posts, a digest with a delivery. */
async function seeded(dir: string) {
  const s = await Store.open(dir, { now: () => NOW, fsync: false, logger: quiet });
  const archived = Array.from({ length: 300 }, (_, i) => post({ receivedAt: `2026-0${6 + (i % 3)}-1${i % 10}T00:00:00.000Z` }));
  const hot = Array.from({ length: 1500 }, () => post());
  await s.importPosts([...archived, ...hot]);
  await s.recordDigest(digest('dg0', hot.slice(0, 3)), [delivery('d0', 'dg0')]);
  return s;
}

describe('backup and restore', () => {
  it('a backup taken while writes continue restores to exactly the state at one moment', async () => {
    const s = await seeded(tempDir());
    const file = join(tempDir(), 'relay.backup.gz');
    // One writer, each change awaited: the changes are a sequence, and the backup must hold a prefix of it.
    const added: Post[] = [];
    let stop = false;
    let ackedBeforeBackup = 0;
    const writer = (async () => {
      for (let k = 1; !stop; k++) {
        const p = post();
        await s.addPost(p);
        added.push(p);
        await s.updateDelivery('d0', { sentParts: k, attempts: k });
        await s.addSource(added[0]!.id, { platform: 'telegram', chatId: '-100', messageId: `src-${k}`, senderId: 'u9', senderName: 'Li', sentAt: NOW.toISOString() });
        s.count('received');
        if (k % 7 === 0) await s.recordDigest(digest(`dg${k}`, [p]), [delivery(`d${k}`, `dg${k}`)]);
      }
    })();
    while (added.length < 20) await new Promise((r) => setTimeout(r, 1));
    ackedBeforeBackup = added.length;
    const summary = await s.backup(file);
    const ackedAfterBackup = added.length;
    stop = true;
    await writer;
    expect(summary.journal).toBeGreaterThan(0); // changes made during the backup went into it

    const target = join(tempDir(), 'data');
    const restored = await restoreStore(file, target);
    const r = await Store.open(target, { now: () => NOW, logger: quiet });
    expect(r.corruptLines).toBe(0);
    // The prefix: posts 1..k of the writer, none after k.
    const have = added.map((p) => r.postById(p.id) !== undefined);
    const k = have.lastIndexOf(true) + 1;
    expect(have.slice(0, k).every(Boolean)).toBe(true);
    expect(k).toBeGreaterThanOrEqual(ackedBeforeBackup);
    expect(k).toBeLessThanOrEqual(ackedAfterBackup);
    // Everything else of that moment: the delivery's progress and the sources are those of change k (or k-1
    // for the ones the writer makes after adding post k), and every earlier post, hot and archived, is there.
    const d = r.deliveries().find((x) => x.id === 'd0')!;
    expect([k - 1, k]).toContain(d.sentParts);
    expect(d.attempts).toBe(d.sentParts);
    const sources = r.postById(added[0]!.id)!.sources.filter((x) => x.messageId.startsWith('src-')).map((x) => Number(x.messageId.slice(4)));
    expect(sources).toEqual(Array.from({ length: sources.length }, (_, i) => i + 1));
    expect([d.sentParts - 1, d.sentParts]).toContain(sources.length);
    const before = await everyPost(s);
    const after = await everyPost(r);
    // Posts the writer added may have changed after the backup's moment (sources of the first one, digests
    // recorded later): those fields are checked above and below; everything else must be equal.
    const writerPosts = new Set(added.map((p) => p.id));
    for (const [id, p] of after) {
      if (!writerPosts.has(id)) expect(p).toEqual(before.get(id));
      else expect({ ...p, sources: [], digestedFor: [] }).toEqual({ ...before.get(id)!, sources: [], digestedFor: [] });
    }
    expect(after.size).toBe(before.size - (added.length - k));
    expect(r.archivedMonths()).toEqual(s.archivedMonths());
    expect(restored.posts).toBe(after.size);
    // A post marked as carried by a digest has that digest and its delivery (never marked without them).
    const carried = r.posts().filter((p) => p.digestedFor.length);
    expect(carried.length).toBeGreaterThan(3);
    for (const p of carried) {
      const g = r.data.digests.find((x) => x.postIds.includes(p.id));
      expect(g, p.id).toBeDefined();
      expect(r.deliveries().some((x) => x.digestId === g!.id)).toBe(true);
    }
    // And the other way: every restored digest's posts are marked as carried to its college.
    for (const g of r.data.digests) for (const id of g.postIds) expect(r.postById(id)?.digestedFor).toContain(g.collegeId);
    expect(r.postById(added[0]!.id)?.digestedFor).toEqual(s.postById(added[0]!.id)?.digestedFor);
  }, 60_000);

  it('backupStore copies a stopped store (and one a relay has open) into a file verifyBackup accepts', async () => {
    const dir = tempDir();
    const s = await seeded(dir);
    await s.close();
    const file = join(tempDir(), 'b.gz');
    const summary = await backupStore(dir, file);
    expect(summary).toMatchObject({ posts: 1500, archivedPosts: 300, digests: 1, deliveries: 1, journal: 0 });
    const v = await verifyBackup(file);
    expect(v.header.formatVersion).toBe(summary.formatVersion);
    const target = tempDir();
    await restoreStore(file, target);
    const r = await Store.open(target, { now: () => NOW, logger: quiet });
    expect(r.postCount()).toBe(1800);
    expect(await everyPost(r)).toEqual(await everyPost(await Store.open(dir, { now: () => NOW, logger: quiet })));
  }, 60_000);

  it('restore refuses a store it would overwrite unless forced, and then keeps the old files aside', async () => {
    const src = await seeded(tempDir());
    const file = join(tempDir(), 'b.gz');
    await src.backup(file);
    const target = tempDir();
    const other = await Store.open(target, { now: () => NOW, fsync: false, logger: quiet });
    const mine = post();
    await other.addPost(mine);
    await other.close();
    const before = readdirSync(target).sort();
    await expect(restoreStore(file, target)).rejects.toThrow(/already holds a store \(.*\)\. Restore into an empty directory, or pass --force/);
    expect(readdirSync(target).sort()).toEqual(before);
    const r = await restoreStore(file, target, { force: true });
    expect(r.keptAside).toMatch(/before-restore-/);
    const kept = await Store.open(r.keptAside!, { logger: quiet });
    expect(kept.postById(mine.id)).toBeDefined(); // nothing lost
    const now = await Store.open(target, { logger: quiet });
    expect(now.postById(mine.id)).toBeUndefined();
    expect(now.postCount()).toBe(1800);
  }, 60_000);

  it('restore refuses while a relay holds the data directory', async () => {
    const file = join(tempDir(), 'b.gz');
    await (await seeded(tempDir())).backup(file);
    const target = tempDir();
    // A lock held by a live process that is not this one (our parent, with its real start time).
    writeFileSync(join(target, 'relay.lock.1'), JSON.stringify({ pid: process.ppid, host: hostname(), token: 'x', since: NOW.toISOString(), start: processStart(process.ppid) }));
    await expect(restoreStore(file, target)).rejects.toThrow(new RegExp(`another alumni-relay \\(pid ${process.ppid}`));
    expect(readdirSync(target)).toEqual(['relay.lock.1']);
  }, 60_000);

  it('a damaged, cut-short or newer backup is refused, naming the file, before anything is moved', async () => {
    const file = join(tempDir(), 'b.gz');
    await (await seeded(tempDir())).backup(file);
    const gz = readFileSync(file);
    const target = tempDir();
    const cases: [string, Buffer, RegExp][] = [
      ['cut.gz', gz.subarray(0, gz.length - 200), /cut\.gz is damaged or incomplete/],
      ['flip.gz', Buffer.from(gz.map((b, i) => (i === gz.length >> 1 ? b ^ 0xff : b))), /flip\.gz is damaged/],
    ];
    const lines = gunzipSync(gz).toString('utf8').split('\n');
    cases.push(['noend.gz', gzipSync(lines.slice(0, -2).join('\n')), /noend\.gz is incomplete: it stops after line \d+ without its end line/]);
    const edited = [...lines];
    edited[5] = edited[5]!.replace('"id":"', '"id":"X');
    cases.push(['edited.gz', gzipSync(edited.join('\n')), /edited\.gz is damaged: its end line does not match/]);
    const newer = [...lines];
    newer[0] = newer[0]!.replace(/"formatVersion":\d+/, '"formatVersion":99');
    cases.push(['newer.gz', gzipSync(newer.join('\n')), /newer\.gz was made by a newer alumni-relay \(store format 99; this one reads up to \d+\)/]);
    cases.push(['other.gz', gzipSync('{"hello":1}\n'), /other\.gz is not an alumni-relay backup/]);
    for (const [name, bytes, message] of cases) {
      const f = join(tempDir(), name);
      writeFileSync(f, bytes);
      const err = await restoreStore(f, target).catch((e: unknown) => e);
      expect(err, name).toBeInstanceOf(StoreError);
      expect((err as StoreError).file).toBe(f);
      expect((err as Error).message).toMatch(message);
      expect(readdirSync(target), name).toEqual([]);
    }
  }, 60_000);
});
