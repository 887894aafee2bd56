// The store's format version: an unversioned (v0) store opens and is migrated on its first write; a store
// written by a newer alumni-relay is refused with a clear message before anything is parsed.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StoreError } from '../../src/store/errors.ts';
import { segmentName } from '../../src/store/journal.ts';
import { FORMAT_VERSION } from '../../src/store/snapshot.ts';
import { Store } from '../../src/store/store.ts';
import { post } from '../helpers/posts.ts';
import { tempDir } from '../helpers/tmp.ts';

const NOW = new Date('2026-11-21T01:00:00.000Z');
const meta = (dir: string) => JSON.parse(readFileSync(join(dir, 'relay.meta.json'), 'utf8')) as { formatVersion: number };

describe('store format version', () => {
  it('a v0 snapshot (lowdb era, arrays left out) opens, and its first write migrates the files to the current version', async () => {
    const dir = tempDir();
    const { digestedFor: _, ...old } = post();
    writeFileSync(join(dir, 'relay.db.json'), JSON.stringify({ version: 1, posts: [old], counters: { received: 3 } }));
    const s = await Store.open(dir, { now: () => NOW });
    expect(readdirSync(dir)).toEqual(['relay.db.json']); // opening never writes
    expect(s.postById(old.id)?.digestedFor).toEqual([]); // the migration filled in what v0 left out
    expect(s.data.digests).toEqual([]);
    await s.addPost(post());
    await s.close();
    expect(meta(dir).formatVersion).toBe(FORMAT_VERSION);
    const snap = JSON.parse(readFileSync(join(dir, 'relay.db.json'), 'utf8')) as { formatVersion: number; version: number; posts: unknown[] };
    expect(snap).toMatchObject({ formatVersion: FORMAT_VERSION, version: 2 });
    expect(snap.posts).toHaveLength(2);
    const again = await Store.open(dir, { now: () => NOW });
    expect(again.posts()).toHaveLength(2);
    expect(again.data.counters.received).toBe(3);
  });

  it('a v0 journal-only store (segments, no snapshot, no meta) opens and gets its meta file at the first write', async () => {
    const dir = tempDir();
    const p = post();
    writeFileSync(join(dir, segmentName(1)), `${JSON.stringify({ s: 1, op: 'post', post: p, c: { received: 1 } })}\n`);
    const s = await Store.open(dir, { now: () => NOW });
    expect(s.posts().map((x) => x.id)).toEqual([p.id]);
    expect(existsSync(join(dir, 'relay.meta.json'))).toBe(false);
    await s.addPost(post());
    expect(meta(dir).formatVersion).toBe(FORMAT_VERSION);
    await s.close();
    expect((await Store.open(dir, { now: () => NOW })).posts()).toHaveLength(2);
  });

  it('a new store records the current version at its first write', async () => {
    const dir = tempDir();
    const s = await Store.open(dir, { now: () => NOW });
    await s.addPost(post());
    expect(meta(dir).formatVersion).toBe(FORMAT_VERSION);
  });

  it('refuses a store from a newer alumni-relay (meta file or snapshot), saying what to do', async () => {
    const dir = tempDir();
    const s = await Store.open(dir, { now: () => NOW });
    await s.addPost(post());
    await s.close();
    writeFileSync(join(dir, 'relay.meta.json'), JSON.stringify({ formatVersion: FORMAT_VERSION + 6 }));
    const err = await Store.open(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).file).toBe(join(dir, 'relay.meta.json'));
    expect((err as Error).message).toMatch(
      new RegExp(`format version ${FORMAT_VERSION + 6}, written by a newer alumni-relay; this one reads versions up to ${FORMAT_VERSION}\\. Run the newer alumni-relay, or restore a backup made by this version`),
    );

    const dir2 = tempDir();
    writeFileSync(join(dir2, 'relay.db.json'), JSON.stringify({ version: 2, formatVersion: FORMAT_VERSION + 1, posts: [] }));
    await expect(Store.open(dir2)).rejects.toThrow(/relay\.db\.json: this store has format version \d+, written by a newer alumni-relay/);
  });

  it('a damaged meta file is named, with what to do', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'relay.meta.json'), '{"formatVersion": 1');
    await expect(Store.open(dir)).rejects.toThrow(/relay\.meta\.json is not valid JSON .*It only records the store's format version: move it aside/);
  });
});
