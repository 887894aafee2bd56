// A file the store cannot read names itself and says how to recover; unreadable journal lines are
// reported with file and line, not only counted.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StoreError } from '../../src/store/errors.ts';
import { jsonErrorOffset } from '../../src/store/json-error-position.ts';
import { listSegments } from '../../src/store/journal.ts';
import { Store, type StoreLogger } from '../../src/store/store.ts';
import { post } from '../helpers/posts.ts';
import { tempDir } from '../helpers/tmp.ts';

const NOW = new Date('2026-11-21T01:00:00.000Z');
const quiet: StoreLogger = { warn: () => {}, info: () => {} };

async function storeWithSnapshot() {
  const dir = tempDir();
  const s = await Store.open(dir, { now: () => NOW, fsync: false, logger: quiet });
  for (let i = 0; i < 5; i++) await s.addPost(post());
  await s.compact();
  await s.close();
  return dir;
}

const openError = async (dir: string): Promise<StoreError> => {
  const err = await Store.open(dir, { now: () => NOW, logger: quiet }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StoreError);
  return err as StoreError;
};

describe('unreadable store files', () => {
  it('a damaged snapshot fails open with the file, the line, and the truth about recovering', async () => {
    const dir = await storeWithSnapshot();
    const file = join(dir, 'relay.db.json');
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[3] = `${lines[3]!.slice(0, 20)}}}{{`; // a post line, damaged mid-way
    writeFileSync(file, lines.join('\n'));
    const err = await openError(dir);
    expect(err.file).toBe(file);
    expect(err.message).toContain(`${file} is not valid JSON at line 4`);
    expect(err.message).toMatch(/journal holds only the changes made since this snapshot/);
    expect(err.message).toContain('alumni-relay restore <backup-file> --force');
    expect(err.message).toContain(`mv ${file} ${file}.bad`);
    expect(err.message).not.toContain('国网'); // no message text in errors
  });

  it('a snapshot cut short, or valid JSON of the wrong shape, is named too', async () => {
    const dir = await storeWithSnapshot();
    const file = join(dir, 'relay.db.json');
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.slice(0, Math.floor(text.length / 2)));
    expect((await openError(dir)).message).toMatch(/relay\.db\.json is not valid JSON: it ends at line \d+ before the JSON does \(the file was cut short\)/);
    writeFileSync(file, JSON.stringify({ version: 2, posts: 'x' }));
    expect((await openError(dir)).message).toMatch(/relay\.db\.json is valid JSON but not a relay snapshot \("posts" is not a list\)/);
  });

  it('a hand-edited (pretty-printed) snapshot with a mistake gets its line', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'relay.db.json'), '{\n  "version": 1,\n  "posts": [\n    {"id": "a",}\n  ]\n}\n');
    expect((await openError(dir)).message).toMatch(/relay\.db\.json is not valid JSON at line 4 \(Expected double-quoted property name\)/);
  });

  it('a truncated archive fails open naming the month file; a damaged one fails when read, naming it', async () => {
    const dir = tempDir();
    const s = await Store.open(dir, { now: () => NOW, fsync: false, logger: quiet });
    await s.importPosts([post({ receivedAt: '2026-06-01T00:00:00.000Z' }), post({ receivedAt: '2026-06-02T00:00:00.000Z' })]);
    await s.close();
    const file = join(dir, 'archive', 'posts-2026-06.json');
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.slice(0, text.length - 10));
    const err = await openError(dir);
    expect(err.file).toBe(file);
    expect(err.message).toMatch(/posts-2026-06\.json is not valid JSON.*cut short.*That month's archive is kept nowhere else: restore it from a backup/);
    writeFileSync(file, text.replace('"receivedAt"', '"receivedAt"::'));
    const s2 = await Store.open(dir, { now: () => NOW, logger: quiet });
    expect(() => s2.archivedPosts('2026-06')).toThrow(StoreError);
    expect(() => s2.archivedPosts('2026-06')).toThrow(/posts-2026-06\.json is not valid JSON at line 2 .*mv .*posts-2026-06\.json .*\.bad/);
  });

  it('journal lines that cannot be read are listed with file, line and reason, and logged at open', async () => {
    const dir = tempDir();
    const s1 = await Store.open(dir, { now: () => NOW, fsync: false, logger: quiet });
    const a = post();
    await s1.addPost(a);
    await s1.addPost(post());
    const [seg] = listSegments(dir);
    const lines = readFileSync(seg!.file, 'utf8').split('\n');
    lines.splice(1, 0, '{"s":2,"op":"post","post":{"id":"bro', '{"s":77,"op":"teleport"}', '[1,2]');
    writeFileSync(seg!.file, `${lines.join('\n').trimEnd()}\n{"s":99,"op":"post","po`);
    const warned: object[] = [];
    const infos: object[] = [];
    const s2 = await Store.open(dir, { now: () => NOW, logger: { warn: (o) => warned.push(o), info: (o) => infos.push(o) } });
    expect(s2.posts().map((p) => p.id)).toContain(a.id);
    expect(s2.corruptLines).toBe(3);
    const u = s2.unreadableJournalLines();
    expect(u.map(({ line, kind }) => ({ line, kind }))).toEqual([
      { line: 2, kind: 'corrupt' },
      { line: 3, kind: 'corrupt' },
      { line: 4, kind: 'corrupt' },
      { line: 6, kind: 'torn' },
    ]);
    expect(u[0]!.file).toBe(seg!.file);
    expect(u[0]!.reason).toMatch(/^not valid JSON/);
    expect(u[1]!.reason).toMatch(/unknown operation "teleport"/);
    expect(u[2]!.reason).toBe('not a journal record');
    expect(warned).toHaveLength(3);
    expect(warned[0]).toMatchObject({ line: 2, reason: expect.stringMatching(/^not valid JSON/) });
    expect(infos).toHaveLength(1);
  });

  it('a torn tail alone is reported as torn, not corrupt', async () => {
    const dir = tempDir();
    const s1 = await Store.open(dir, { now: () => NOW, fsync: false, logger: quiet });
    await s1.addPost(post());
    appendFileSync(listSegments(dir)[0]!.file, '{"s":2,"op":"po');
    const s2 = await Store.open(dir, { now: () => NOW, logger: quiet });
    expect(s2.corruptLines).toBe(0);
    expect(s2.unreadableJournalLines()).toMatchObject([{ line: 2, kind: 'torn' }]);
  });
});

describe('jsonErrorOffset (where a damaged JSON text stops being valid)', () => {
  it('agrees with JSON.parse on which texts are valid, and points inside the text', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.nat(), fc.constantFrom('', '}', ']', ',', ':', '"', 'x', '\n', '-', '0', '\\', '{', '[', 'u', 'e', '.'), fc.boolean(), (v, at, ch, pretty) => {
        const valid = JSON.stringify(v, null, pretty ? 2 : undefined) ?? 'null';
        expect(jsonErrorOffset(valid)).toBe(valid.length);
        const i = at % (valid.length + 1);
        const text = valid.slice(0, i) + ch + valid.slice(i + (ch ? 1 : 0));
        let ok = true;
        try {
          JSON.parse(text);
        } catch {
          ok = false;
        }
        const off = jsonErrorOffset(text);
        if (ok) expect(off).toBe(text.length);
        else expect(off).toBeLessThanOrEqual(text.length);
        // Where V8 names a position, ours is the same character.
        const named = /at position (\d+)/.exec(ok ? '' : (() => { try { JSON.parse(text); } catch (e) { return (e as Error).message; } return ''; })());
        if (named) expect(off).toBe(Number(named[1]));
      }),
      { numRuns: 2000 },
    );
  });
});
