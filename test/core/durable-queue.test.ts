// The durable queue's erase(): what it erases is gone from the file at once (remove() only appends a del line),
// and the queue goes on appending to the rewritten file.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DurableQueue, replayJobs } from '../../src/durable-queue.ts';
import { tempDir } from '../helpers/tmp.ts';

interface Job {
  id: string;
  who: string;
}
const isJob = (x: unknown): x is Job => typeof (x as Job)?.id === 'string' && typeof (x as Job)?.who === 'string';

describe('DurableQueue.erase', () => {
  it('rewrites the file without the erased jobs; later appends still replay', async () => {
    const file = join(tempDir(), 'q.jsonl');
    const q = DurableQueue.open<Job>(file, isJob);
    await q.put({ id: 'a', who: '王磊' });
    await q.put({ id: 'b', who: '李娜' });
    await q.put({ id: 'c', who: '王磊' });
    await q.remove('b');
    expect(readFileSync(file, 'utf8')).toContain('李娜'); // remove() leaves the put line until a compaction
    expect(await q.erase((j) => j.who === '王磊')).toBe(2);
    expect(readFileSync(file, 'utf8')).toBe('');
    await q.put({ id: 'd', who: '赵强' });
    expect(await q.erase((j) => j.who === '王磊')).toBe(0);
    await q.close();
    const text = readFileSync(file, 'utf8');
    expect(text).not.toMatch(/王磊|李娜/);
    expect([...replayJobs(text, isJob).keys()]).toEqual(['d']);
  });
});
