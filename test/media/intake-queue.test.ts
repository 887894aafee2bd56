// The pictures' durable queue and their files: what is put survives a reopen (a restart, a kill), a torn last
// line is skipped, compaction keeps exactly the live jobs; picture files are named by content, written once, and
// swept when nobody names them.
import { appendFileSync, existsSync, readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { InboundMessage } from '../../src/domain.ts';
import { isMediaFileName, listMediaFiles, mediaDir, saveMediaFile, sweepMediaFiles } from '../../src/media/media-files.ts';
import { jobId, MediaQueue, QUEUE_FILE, replayQueue, type MediaJob } from '../../src/media/media-queue.ts';
import { tempDir } from '../helpers/tmp.ts';

const message = (id: string, text = ''): InboundMessage => ({
  platform: 'telegram',
  id,
  chatId: '-100123',
  senderId: 'u1',
  senderName: '李娜',
  text,
  sentAt: '2026-11-18T02:00:00.000Z',
  media: [{ kind: 'image', ref: `file-${id}` }],
});
const job = (id: string, step = 0): MediaJob => {
  const m = message(id, `caption ${id}`);
  return { id: jobId(m), message: m, images: [{ ref: `file-${id}`, failures: step }], notBefore: step, createdAt: '2026-11-18T02:00:00.000Z' };
};

describe('MediaQueue', () => {
  it('keeps what was put (its last state) and forgets what was removed, across a reopen', async () => {
    const dir = tempDir();
    const q = MediaQueue.open(dir);
    await q.put(job('1'));
    await q.put(job('2'));
    await q.put(job('1', 3));
    await q.remove(job('2').id);
    await q.put(job('3'));
    await q.close();
    const again = MediaQueue.open(dir);
    expect(again.list().map((j) => [j.message.id, j.notBefore])).toEqual([
      ['1', 3],
      ['3', 0],
    ]);
    // Reopening rewrote the file with the live jobs only.
    expect(readFileSync(join(dir, QUEUE_FILE), 'utf8').trim().split('\n')).toHaveLength(2);
    await again.close();
  });

  it('skips a line torn by a kill mid-write (never acknowledged) and keeps the rest', async () => {
    const dir = tempDir();
    const q = MediaQueue.open(dir);
    await q.put(job('1'));
    await q.close();
    appendFileSync(join(dir, QUEUE_FILE), JSON.stringify({ op: 'put', job: job('2') }).slice(0, 40));
    const again = MediaQueue.open(dir);
    expect(again.list().map((j) => j.message.id)).toEqual(['1']);
    // The next append starts on a line of its own.
    await again.put(job('4'));
    await again.close();
    expect(MediaQueue.open(dir).list().map((j) => j.message.id)).toEqual(['1', '4']);
  });

  it('ignores lines that are not its own (garbage, wrong shapes)', () => {
    const text = ['{"op":"put","job":{"id":"x"}}', 'null', '42', '{"op":"del"}', JSON.stringify({ op: 'put', job: job('7') }), ''].join('\n');
    expect([...replayQueue(text).values()].map((j) => j.message.id)).toEqual(['7']);
  });

  it('property: after any run of puts and removes (with compactions), a reopen sees exactly the live jobs', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom('put', 'del'), fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 1000 })), { minLength: 1, maxLength: 120 }),
        fc.boolean(),
        async (ops, torn) => {
          const dir = tempDir();
          const q = MediaQueue.open(dir, { fsync: false });
          const model = new Map<string, number>();
          for (const [op, n, step] of ops) {
            const j = job(String(n), step);
            if (op === 'put') {
              await q.put(j);
              model.set(j.id, step);
            } else {
              await q.remove(j.id);
              model.delete(j.id);
            }
          }
          await q.close();
          if (torn) appendFileSync(join(dir, QUEUE_FILE), '{"op":"del","id":"tele');
          const again = MediaQueue.open(dir, { fsync: false });
          expect(new Map(again.list().map((j) => [j.id, j.notBefore]))).toEqual(model);
          await again.close();
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('picture files', () => {
  const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.from('a tiny body')]);

  it('are named by their content and written once', async () => {
    const dataDir = tempDir();
    const a = await saveMediaFile(dataDir, PNG, 'png');
    expect(a.created).toBe(true);
    expect(isMediaFileName(a.file)).toBe(true);
    expect(a.file).toMatch(/^[0-9a-f]{64}\.png$/);
    const b = await saveMediaFile(dataDir, PNG, 'png');
    expect(b).toEqual({ file: a.file, created: false });
    expect(readFileSync(join(mediaDir(dataDir), a.file)).equals(PNG)).toBe(true);
    const c = await saveMediaFile(dataDir, Buffer.concat([PNG, Buffer.from('!')]), 'jpeg');
    expect(c.file).toMatch(/\.jpg$/);
    expect(listMediaFiles(dataDir).sort()).toEqual([a.file, c.file].sort());
    expect(readdirSync(mediaDir(dataDir)).some((f) => f.endsWith('.tmp'))).toBe(false);
  });

  it('the sweep removes old files nobody names, keeps named, young and foreign ones', async () => {
    const dataDir = tempDir();
    const named = (await saveMediaFile(dataDir, Buffer.from('named'), 'png')).file;
    const orphan = (await saveMediaFile(dataDir, Buffer.from('orphan'), 'png')).file;
    const young = (await saveMediaFile(dataDir, Buffer.from('young'), 'webp')).file;
    writeFileSync(join(mediaDir(dataDir), QUEUE_FILE), '');
    const old = (Date.now() - 2 * 3600_000) / 1000;
    for (const f of [named, orphan, QUEUE_FILE]) utimesSync(join(mediaDir(dataDir), f), old, old);
    expect(sweepMediaFiles(dataDir, new Set([named]))).toEqual([orphan]);
    expect(existsSync(join(mediaDir(dataDir), orphan))).toBe(false);
    expect(listMediaFiles(dataDir).sort()).toEqual([named, young].sort());
    expect(existsSync(join(mediaDir(dataDir), QUEUE_FILE))).toBe(true);
    expect(sweepMediaFiles(tempDir(), new Set())).toEqual([]); // no folder at all: nothing to do
  });
});
