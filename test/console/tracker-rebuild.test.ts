// The console's pass over the archived months runs in slices with the event loop's turn between them:
// whatever the slicing, and even when a month file is rewritten between two slices, it must end with the
// same aggregate as one uninterrupted pass over what is stored.
import { afterEach, describe, expect, it } from 'vitest';
import { syntheticPost } from '../../src/console/bench.ts';
import { ConsoleTracker } from '../../src/console/tracker.ts';
import { silentLogger } from '../../src/log.ts';
import { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/tmp.ts';

const NOW = Date.parse('2026-11-30T04:00:00Z');
const COLLEGES = ['electrical', 'computer'];
const stores: Store[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

async function seeded(n: number): Promise<{ store: Store; dir: string }> {
  const dir = tempDir();
  const store = await Store.open(dir, { fsync: false });
  stores.push(store);
  await store.importPosts(Array.from({ length: n }, (_, i) => syntheticPost(i, NOW, COLLEGES)));
  return { store, dir };
}

const trackerOf = (store: Store, dir: string, sliceMs?: number) =>
  new ConsoleTracker({ store, timeZone: () => 'Asia/Shanghai', now: () => new Date(NOW), dataDir: dir, logger: silentLogger, ...(sliceMs !== undefined && { sliceMs }) });

async function settled(t: ConsoleTracker): Promise<void> {
  while (t.building) await new Promise((r) => setImmediate(r));
}

describe('console archive pass', () => {
  it('gives the same aggregate in slices of one post as in one go, and lets the event loop run between them', async () => {
    const { store, dir } = await seeded(1500);
    expect(store.archivedMonths().length).toBeGreaterThan(3);
    const whole = trackerOf(store, dir, 60_000);
    await whole.rebuild();
    const sliced = trackerOf(store, dir, 0);
    let turns = 0;
    const ticker = setInterval(() => turns++, 0);
    await sliced.rebuild();
    clearInterval(ticker);
    expect(sliced.agg).toEqual(whole.agg);
    expect(turns).toBeGreaterThan(10);
  });

  // Slices of one post: `turns` event-loop turns in, the pass is that many posts into the archive, oldest
  // month first (≈ 125 posts a month here). The oldest month is rewritten while the pass reads it (20
  // posts in), or after it has finished it (400 posts in).
  for (const turns of [20, 400]) {
    it(`starts again when a month file is rewritten ${turns} posts into the pass (${turns < 100 ? 'the month it reads' : 'a month it has read'})`, async () => {
      const { store, dir } = await seeded(1500);
      const sliced = trackerOf(store, dir, 0);
      sliced.ready = sliced.rebuild();
      for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
      // More posts 355–364 days old (syntheticPost(i) is i % 365 days old): the oldest month's file is written anew.
      await store.importPosts(Array.from({ length: 40 }, (_, i) => syntheticPost(365 * (300 + i) + 364 - (i % 10), NOW, COLLEGES)));
      await settled(sliced);
      const fresh = trackerOf(store, dir, 60_000);
      await fresh.rebuild();
      expect(sliced.agg).toEqual(fresh.agg);
    });
  }
});
