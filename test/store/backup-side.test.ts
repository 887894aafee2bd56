// Backups carry the data directory's side state: the alumni ledger and opt-outs, students' subscriptions,
// rules versions and the audit log, and the pictures posts were read from. A restore brings them back byte
// for byte, a backup taken while another process keeps changing the alumni state (and compacting it)
// holds every change acknowledged before it began, and a backup cannot write outside those folders.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AlumniDb, ALUMNI_DIR } from '../../src/alumni/db.ts';
import { OPTOUTS } from '../../src/alumni/ledger-sync.ts';
import { emptyData, FEEDBACK_DIR, loadFeedback, saveFeedback } from '../../src/feedback/state.ts';
import { MEDIA_DIR } from '../../src/media/media-files.ts';
import { SIDE_DIRS, sideLines, writeSideFile } from '../../src/store/backup-side.ts';
import { backupStore, restoreStore, verifyBackup } from '../../src/store/backup.ts';
import { StoreError } from '../../src/store/errors.ts';
import { Store } from '../../src/store/store.ts';
import { post } from '../helpers/posts.ts';
import { tempDir } from '../helpers/tmp.ts';

const NOW = new Date('2026-11-21T01:00:00.000Z');
const quiet = { warn: () => {}, info: () => {} };

/** Every file under `dir` (relative path → bytes). */
function tree(dir: string, rel = ''): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  if (!existsSync(join(dir, rel))) return out;
  for (const n of readdirSync(join(dir, rel))) {
    const r = rel ? `${rel}/${n}` : n;
    if (statSync(join(dir, r)).isDirectory()) for (const [k, v] of tree(dir, r)) out.set(k, v);
    else out.set(r, readFileSync(join(dir, r)));
  }
  return out;
}

/** A data directory as a running relay leaves it: a store, alumni state, feedback, console files, pictures. */
async function dataDirWithSideState(dir: string) {
  const s = await Store.open(dir, { now: () => NOW, fsync: false, logger: quiet });
  await s.addPost(post());
  await s.close();
  const db = await AlumniDb.open(dir, { fsync: false });
  db.put(OPTOUTS, 'telegram:777', NOW.toISOString());
  db.put('ledger', 'p1', { thanked: true, names: ['周校友（2010级电气）'] });
  await db.flushed();
  await db.compact(); // state.json and an emptied journal…
  db.put('mentors', 'wechat:wx-1', { topics: ['电网'] }); // …then one more journal line
  await db.flushed();
  await db.close();
  await saveFeedback(dir, { ...emptyData(), subscriptions: [{ platform: 'telegram', chat: '555', collegeId: 'electrical', classes: ['0806'], at: NOW.toISOString() } as never] }, false);
  mkdirSync(join(dir, 'console', 'rules-versions'), { recursive: true });
  writeFileSync(join(dir, 'console', 'rules-versions', '2026-11-20T08-00-00Z.yaml'), 'defaults:\n  maxItemsPerDigest: 20\n');
  writeFileSync(join(dir, 'console', 'audit.jsonl'), '{"at":"2026-11-20T08:00:00Z","action":"rules.save"}\n');
  writeFileSync(join(dir, 'console', '.write-probe'), ''); // the health probe's: not state
  mkdirSync(join(dir, MEDIA_DIR), { recursive: true });
  const picture = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xff, 0xfe, 0x00, 0x80, 0xc3]); // not UTF-8
  writeFileSync(join(dir, MEDIA_DIR, `${'a'.repeat(64)}.png`), picture);
  writeFileSync(join(dir, MEDIA_DIR, `.${'b'.repeat(64)}.png.${process.pid}.tmp`), 'half a picture'); // a temp file
  return { picture };
}

/** A gzip'ed backup with the given lines between a header and a correct end line. */
function craftedBackup(lines: object[]): Buffer {
  const body = [{ alumniRelayBackup: 1, formatVersion: 1, createdAt: NOW.toISOString(), seq: 0, counters: {}, archive: {} }, ...lines].map((l) => `${JSON.stringify(l)}\n`).join('');
  const end = { t: 'end', lines: lines.length + 1, sha256: createHash('sha256').update(body).digest('hex') };
  return gzipSync(`${body}${JSON.stringify(end)}\n`);
}

describe('backup and restore of the side state', () => {
  it('names the same folders the modules write to', () => {
    expect([...SIDE_DIRS].sort()).toEqual([ALUMNI_DIR, FEEDBACK_DIR, MEDIA_DIR, 'console'].sort());
  });

  it('restores opt-outs, subscriptions, rules versions, the audit log and pictures byte for byte, without temp or probe files', async () => {
    const dir = tempDir();
    const { picture } = await dataDirWithSideState(dir);
    const file = join(tempDir(), 'b.gz');
    const summary = await backupStore(dir, file);
    expect(summary.sideFiles).toBe(6); // alumni state + journal, feedback, a rules version + the audit log, a picture
    expect((await verifyBackup(file)).sideFiles).toBe(summary.sideFiles);

    const target = join(tempDir(), 'data');
    const r = await restoreStore(file, target);
    expect(r.backup.sideFiles).toBe(summary.sideFiles);
    const want = [...tree(dir)].filter(([p]) => SIDE_DIRS.some((d) => p.startsWith(`${d}/`)) && !p.split('/').pop()!.startsWith('.'));
    expect(want.length).toBe(summary.sideFiles);
    const got = tree(target);
    for (const [p, bytes] of want) expect(got.get(p), p).toEqual(bytes);
    expect([...got.keys()].filter((p) => p.split('/').pop()!.startsWith('.'))).toEqual([]);
    expect(got.get(`${MEDIA_DIR}/${'a'.repeat(64)}.png`)).toEqual(picture);

    const db = await AlumniDb.open(target, { readOnly: true });
    expect(db.get(OPTOUTS, 'telegram:777')).toBe(NOW.toISOString());
    expect(db.get('mentors', 'wechat:wx-1')).toEqual({ topics: ['电网'] });
    expect(loadFeedback(target, NOW).data.subscriptions).toHaveLength(1);
  }, 60_000);

  it('a backup taken while another process writes and compacts the alumni state holds every change acknowledged before it', async () => {
    const dir = tempDir();
    // The writer: puts k = 1, 2, … each flushed, compacted (state.json rewritten, journal emptied) and
    // then reported, until killed. Compacting at every change makes a read that falls between the two
    // rewrites likely: it would pair the old state.json with the emptied journal.
    const script = `
      import { AlumniDb } from ${JSON.stringify(new URL('../../src/alumni/db.ts', import.meta.url).href)};
      const db = await AlumniDb.open(${JSON.stringify(dir)}, { fsync: false });
      for (let k = 1; ; k++) {
        db.put('ledger', 'k' + k, { k });
        await db.flushed();
        if (k % 2 === 0) await db.compact();
        process.stdout.write(k + '\\n');
      }`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let acked = 0;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (acked = Math.max(acked, ...d.trim().split('\n').map(Number))));
    try {
      while (acked < 20) await new Promise((r) => setTimeout(r, 5));
      // The side state as a backup reads it, 400 times, each restored and opened as the relay would.
      for (let i = 0; i < 400; i++) {
        const before = acked;
        const target = tempDir();
        for await (const l of sideLines(dir, { files: 0, bytes: 0 })) await writeSideFile(target, JSON.parse(l));
        const db = await AlumniDb.open(target, { readOnly: true });
        const missing = Array.from({ length: before }, (_, k) => k + 1).filter((k) => db.get('ledger', `k${k}`) === undefined);
        expect(missing, `read ${i}`).toEqual([]);
        await new Promise((r) => setTimeout(r, 1));
      }
      // And once through backupStore and restoreStore.
      const before = acked;
      const file = join(tempDir(), 'b.gz');
      await backupStore(dir, file);
      const target = join(tempDir(), 'data');
      await restoreStore(file, target);
      const db = await AlumniDb.open(target, { readOnly: true });
      expect(Array.from({ length: before }, (_, k) => k + 1).filter((k) => db.get('ledger', `k${k}`) === undefined)).toEqual([]);
    } finally {
      child.kill('SIGKILL');
    }
  }, 120_000);

  it('refuses a backup that would write outside the side folders, before anything is written', async () => {
    for (const path of ['../../evil.txt', 'alumni/../../evil.txt', '/etc/evil', 'cache/x.json', 'alumni', 'alumni//x', 'media\\..\\x']) {
      const f = join(tempDir(), 'crafted.gz');
      writeFileSync(f, craftedBackup([{ t: 'side', path, enc: 'utf8', data: 'x' }]));
      const target = join(tempDir(), 'data');
      const err = await restoreStore(f, target).catch((e: unknown) => e);
      expect(err, path).toBeInstanceOf(StoreError);
      expect((err as Error).message, path).toMatch(/crafted\.gz is damaged or not ours: it holds (an unsafe path|a file outside the side folders)/);
      expect(readdirSync(target), path).toEqual([]);
      expect(existsSync(join(target, '..', 'evil.txt'))).toBe(false);
    }
  });

  it('with --force, keeps the alumni state it replaces aside, and a store without side state still restores', async () => {
    const src = tempDir();
    await dataDirWithSideState(src);
    const file = join(tempDir(), 'b.gz');
    await backupStore(src, file);
    const target = tempDir();
    await (await Store.open(target, { now: () => NOW, fsync: false, logger: quiet })).close();
    const mine = await AlumniDb.open(target, { fsync: false });
    mine.put(OPTOUTS, 'wechat:mine', NOW.toISOString());
    await mine.close();
    await expect(restoreStore(file, target)).rejects.toThrow(/already holds a store \(.*alumni.*\)/);
    const r = await restoreStore(file, target, { force: true });
    expect((await AlumniDb.open(r.keptAside!, { readOnly: true })).get(OPTOUTS, 'wechat:mine')).toBe(NOW.toISOString());
    expect((await AlumniDb.open(target, { readOnly: true })).get(OPTOUTS, 'telegram:777')).toBe(NOW.toISOString());

    const plain = tempDir();
    await (await Store.open(plain, { now: () => NOW, fsync: false, logger: quiet })).close();
    const f2 = join(tempDir(), 'plain.gz');
    expect((await backupStore(plain, f2)).sideFiles).toBe(0);
    const t2 = join(tempDir(), 'data');
    expect((await restoreStore(f2, t2)).backup.sideFiles).toBe(0);
    expect(SIDE_DIRS.filter((d) => existsSync(join(t2, d)))).toEqual([]);
  }, 60_000);
});
