import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StoreError } from '../../src/store/errors.ts';
import { DurableJsonFile, forEachLine, lowFile, readJsonLines } from '../../src/store/files.ts';
import { tempDir } from '../helpers/tmp.ts';

describe('DurableJsonFile (lowdb adapter)', () => {
  it('writes one element per line and reads it back through lowdb, as plain JSON too', async () => {
    const file = join(tempDir(), 'x.json');
    const db = lowFile<{ version: number; note: string; posts: unknown[]; digests: unknown[] }>(file, { lines: ['digests', 'posts'], fsync: false });
    const posts = [{ id: 'a', text: '第一行\n第二行 ] , [' }, { id: 'b', n: 2.5 }, 'plain', [1, [2]], null];
    db.data = { version: 2, note: '}\n]', posts, digests: [] };
    await db.write();
    const text = readFileSync(file, 'utf8');
    expect(text.split('\n')[0]).toBe('{"version":2,"note":"}\\n]","digests":[');
    expect(text.split('\n')).toHaveLength(posts.length + 4); // head, ],"posts":[, elements, ]}, final empty
    expect(JSON.parse(text)).toEqual({ version: 2, note: '}\n]', digests: [], posts });
    const again = lowFile<typeof db.data>(file);
    await again.read();
    expect(again.data).toEqual({ version: 2, note: '}\n]', digests: [], posts });
  });

  it('reads a missing file as null and any other JSON layout whole', async () => {
    const dir = tempDir();
    expect(await new DurableJsonFile(join(dir, 'none.json')).read()).toBeNull();
    const doc = { version: 1, posts: [{ id: 'a' }, { id: 'b' }], digests: [], deliveries: [] };
    for (const text of [JSON.stringify(doc), JSON.stringify(doc, null, 2), `{"posts":[\n{"id":"a"},\n{"id":"b"}\n],"version":1,"digests":[],"deliveries":[]}\n`]) {
      writeFileSync(join(dir, 'f.json'), text);
      expect(await new DurableJsonFile(join(dir, 'f.json')).read()).toEqual(doc);
    }
  });

  it('reports a truncated file instead of reading part of it', () => {
    const file = join(tempDir(), 't.json');
    writeFileSync(file, '{"version":2,"posts":[\n{"id":"a"},\n{"id":"b"},\n');
    expect(() => readJsonLines(file)).toThrow(StoreError);
    expect(() => readJsonLines(file)).toThrow(/t\.json is not valid JSON: it ends at line 4 before the JSON does \(the file was cut short\)/);
  });

  it('reads lines across 1 MB chunk boundaries, long lines and a last line without newline', () => {
    const file = join(tempDir(), 'l.txt');
    const lines = ['短', 'x'.repeat(3 << 20), '电'.repeat(400_000), '', 'end'];
    writeFileSync(file, `${lines.join('\n')}\nte`);
    const got: [string, boolean][] = [];
    forEachLine(file, (l, complete) => void got.push([l, complete]));
    expect(got).toEqual([...lines.map((l) => [l, true]), ['te', false]]);
  });
});

describe('forEachLine (property)', () => {
  // Lines of every size around the 1 MB read (ASCII and 3-byte characters, so a read ends inside a
  // character too), an optional unterminated tail, stopping early, and a call made from inside `fn`:
  // the reused read buffer must never leak one file's or one read's bytes into another line.
  const piece = fc.oneof(
    fc.string({ maxLength: 40 }).map((x) => x.replace(/\n/g, ' ')),
    fc.integer({ min: 1, max: 1_300_000 }).map((n) => 'a'.repeat(n)),
    fc.integer({ min: 1, max: 450_000 }).map((n) => '电'.repeat(n)),
  );
  it('hands over exactly the lines of the file, whatever their sizes', () => {
    const dir = tempDir();
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), fc.option(piece, { nil: undefined }), fc.nat(10), (lines, tail, stopAt) => {
        const file = join(dir, 'f.txt');
        const other = join(dir, 'g.txt');
        writeFileSync(file, lines.map((l) => `${l}\n`).join('') + (tail ?? ''));
        writeFileSync(other, 'x\ny\n');
        const want: [string, boolean][] = [...lines.map((l): [string, boolean] => [l, true]), ...(tail ? [[tail, false] as [string, boolean]] : [])];
        const got: [string, boolean][] = [];
        forEachLine(file, (l, complete) => {
          got.push([l, complete]);
          if (got.length === 1) {
            const inner: string[] = [];
            forEachLine(other, (x) => void inner.push(x));
            expect(inner).toEqual(['x', 'y']);
          }
        });
        expect(got.length).toBe(want.length);
        for (let i = 0; i < want.length; i++) expect(got[i]![0] === want[i]![0] && got[i]![1] === want[i]![1]).toBe(true);
        const first: string[] = [];
        forEachLine(file, (l) => (first.push(l), first.length < stopAt));
        expect(first.length).toBe(Math.min(Math.max(1, stopAt), want.length));
        // Paused after every `stopAt + 1` lines and resumed from the offset it gave: the same lines.
        const resumed: [string, boolean][] = [];
        for (let from: number | undefined = 0; from !== undefined; ) {
          let n = 0;
          let pausedAt: number | undefined;
          forEachLine(
            file,
            (l, complete, next) => {
              resumed.push([l, complete]);
              if (++n <= stopAt) return true;
              pausedAt = next;
              return false;
            },
            from,
          );
          from = pausedAt;
        }
        expect(resumed.length).toBe(want.length);
        for (let i = 0; i < want.length; i++) expect(resumed[i]![0] === want[i]![0] && resumed[i]![1] === want[i]![1]).toBe(true);
      }),
      { numRuns: 40 },
    );
  }, 60_000);
});

describe('readSegment', () => {
  it('counts a bad line followed by others as corrupt, not a bad last complete line or a torn tail', async () => {
    const { readSegment } = await import('../../src/store/journal.ts');
    const file = join(tempDir(), 'relay.wal.000000000001.jsonl');
    writeFileSync(file, '{"s":1,"op":"a"}\n{"s":2,\n\n{"s":3,"op":"b"}\n{"s":4\n{"s":5,"o');
    const r = readSegment(file);
    expect(r.records.map((x) => x.s)).toEqual([1, 3]);
    expect(r.corrupt).toBe(1);
    expect(r.tornTail).toBe(true);
  });
});
