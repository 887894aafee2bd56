import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChatQueue, QueueFullError } from '../../src/chat-queue.ts';

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

describe('ChatQueue', () => {
  it('keeps each chat in order while chats run in parallel', async () => {
    const q = new ChatQueue({ concurrency: 8 });
    const log: string[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const jobs: Promise<void>[] = [];
    for (let i = 0; i < 5; i++) {
      for (const chat of ['a', 'b', 'c']) {
        jobs.push(
          q.push(chat, async () => {
            inFlight++;
            maxInFlight = Math.max(maxInFlight, inFlight);
            await tick(5);
            log.push(`${chat}${i}`);
            inFlight--;
          }),
        );
      }
    }
    await Promise.all(jobs);
    for (const chat of ['a', 'b', 'c']) expect(log.filter((e) => e.startsWith(chat))).toEqual([0, 1, 2, 3, 4].map((i) => `${chat}${i}`));
    expect(maxInFlight).toBe(3); // one per chat, three chats
  });

  it('never runs more than `concurrency` tasks at once, and settles each push with its task', async () => {
    const q = new ChatQueue({ concurrency: 2 });
    let inFlight = 0;
    let max = 0;
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        q.push(`chat-${i}`, async () => {
          inFlight++;
          max = Math.max(max, inFlight);
          await tick(2);
          inFlight--;
          if (i === 3) throw new Error('boom');
        }),
      ),
    );
    expect(max).toBe(2);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
    await q.onIdle();
    expect(q.size + q.active).toBe(0);
  });

  it('a task that throws synchronously does not stop its chat', async () => {
    const q = new ChatQueue();
    const done: number[] = [];
    const first = q.push('x', () => {
      throw new Error('sync');
    });
    const second = q.push('x', async () => {
      done.push(2);
    });
    await expect(first).rejects.toThrow('sync');
    await second;
    expect(done).toEqual([2]);
  });

  it('refuses beyond maxQueued instead of growing without bound', async () => {
    const q = new ChatQueue({ concurrency: 1, maxQueued: 2 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const running = q.push('a', () => gate);
    const w1 = q.push('a', async () => {});
    const w2 = q.push('a', async () => {});
    await expect(q.push('a', async () => {})).rejects.toBeInstanceOf(QueueFullError);
    release();
    await Promise.all([running, w1, w2]);
  });

  it('property: any interleaving keeps per-chat FIFO order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd'), fc.nat(3)), { maxLength: 40 }), fc.integer({ min: 1, max: 5 }), async (tasks, concurrency) => {
        const q = new ChatQueue({ concurrency });
        const seen = new Map<string, number[]>();
        await Promise.all(
          tasks.map(([chat, delay], i) =>
            q.push(chat, async () => {
              await tick(delay);
              seen.set(chat, [...(seen.get(chat) ?? []), i]);
            }),
          ),
        );
        for (const list of seen.values()) expect(list).toEqual([...list].sort((x, y) => x - y));
      }),
      { numRuns: 30 },
    );
  });
});
