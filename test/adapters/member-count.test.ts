// The adapters' shared group-size cache: one lookup per chat at a time, kept for its TTL, failures and odd
// answers as undefined (never a rejection), a lookup that hangs given up on.
import { describe, expect, it } from 'vitest';
import { MemberCountCache } from '../../adapters/member-count.ts';

describe('MemberCountCache', () => {
  it('never rejects: a throwing lookup, a failing logger, a hanging lookup and odd answers are undefined', async () => {
    const errors: string[] = [];
    const answers: Record<string, () => Promise<number | undefined>> = {
      throws: async () => {
        throw new Error('boom');
      },
      hangs: () => new Promise(() => undefined),
      negative: async () => -3,
      fraction: async () => 2.5,
      nan: async () => Number.NaN,
      fine: async () => 8,
    };
    const cache = new MemberCountCache((chat) => answers[chat]!(), { timeoutMs: 50, onError: (chat) => errors.push(chat) });
    const results = await Promise.all(Object.keys(answers).map((c) => cache.get(c)));
    expect(results).toEqual([undefined, undefined, undefined, undefined, undefined, 8]);
    expect(errors.sort()).toEqual(['hangs', 'throws']);
    const loud = new MemberCountCache(async () => Promise.reject(new Error('x')), {
      onError: () => {
        throw new Error('logger broke');
      },
    });
    expect(await loud.get('a')).toBeUndefined();
  });

  it('forgets the oldest chat past maxEntries, and everything on clear()', async () => {
    let calls = 0;
    const cache = new MemberCountCache(async () => ++calls, { maxEntries: 2 });
    expect([await cache.get('a'), await cache.get('b'), await cache.get('a')]).toEqual([1, 2, 1]);
    await cache.get('c'); // 'b' is now the least recently used
    expect(await cache.get('a')).toBe(1);
    expect(await cache.get('b')).toBe(4);
    cache.clear();
    expect(await cache.get('a')).toBe(5);
  });
});
