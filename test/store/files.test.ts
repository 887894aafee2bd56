import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DurableJsonFile, lowFile, parseJsonLines } from '../../src/store/files.ts';
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
    const text = '{"version":2,"posts":[\n{"id":"a"},\n{"id":"b"},\n';
    expect(() => parseJsonLines(Buffer.from(text))).toThrow(SyntaxError);
  });
});
