// kill -9 while pictures wait to be read: every picture message the relay acknowledged ends up as its referral,
// with its picture on disk, exactly once; nothing stays in the queue. (The stand-in OCR in the child is slow, so
// kills land between the acknowledgement and the read, during the read, and during the store write.)
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { referralText, seeded } from '../../scripts/bench/workload.ts';
import { classifierFor } from '../../src/app.ts';
import { loadCatalog } from '../../src/catalog.ts';
import { simhash } from '../../src/dedupe.ts';
import type { Post } from '../../src/domain.ts';
import { mediaDir } from '../../src/media/media-files.ts';
import { MediaQueue, QUEUE_FILE, replayQueue } from '../../src/media/media-queue.ts';
import { loadRulesFile } from '../../src/rules/index.ts';
import { FingerprintIndex } from '../../src/store/fingerprint-index.ts';
import { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/tmp.ts';

const CHILD = fileURLToPath(new URL('./pictures-relay-child.ts', import.meta.url));
const SOURCES = [
  { platform: 'wechat', group: '东电校友会·北京分会' },
  { platform: 'lark', group: 'oc_5ad11d72b830411d72b836c20' },
  { platform: 'telegram', group: '-1001987650001' },
] as const;

/** Referral texts the classifier takes (distinct, each with its 内推码), as "read" from picture n. */
function referrals(count: number, rulesFile: string): { text: string; code: string }[] {
  const catalog = loadCatalog();
  const rules = loadRulesFile(rulesFile, catalog);
  const classifier = classifierFor(rules, catalog);
  const rng = seeded(20261201);
  const index = new FingerprintIndex(10);
  const out: { text: string; code: string }[] = [];
  for (let i = 0; out.length < count; i++) {
    const text = referralText(rng, i);
    const c = classifier.classify(text, new Date(), rules.defaults.timezone);
    const fp = simhash(text);
    if (!c.isJob || c.isScam || !c.fields.referralCode || index.near(fp).length) continue;
    index.add(fp, String(i));
    out.push({ text, code: c.fields.referralCode });
  }
  return out;
}

describe('crash safety of pictures (kill -9)', () => {
  it('every acknowledged picture message becomes its referral with its picture, once; the queue ends empty', { timeout: 120_000 }, async () => {
    const dir = tempDir();
    const rulesFile = join(dir, 'routing.yaml');
    copyFileSync('rules/routing.yaml', rulesFile);
    const dataDir = join(dir, 'data');
    const COUNT = 40;
    const all = referrals(COUNT, rulesFile);
    const texts = JSON.stringify(Object.fromEntries(all.map((r, n) => [n, r.text])));
    const acked = new Set<number>();
    const rng = seeded(4242);
    let next = 0;
    let drained = false;

    const send = (child: ChildProcess, n: number) => {
      const src = SOURCES[n % SOURCES.length]!;
      child.stdin!.write(`${JSON.stringify({ n, platform: src.platform, group: src.group })}\n`);
    };
    const startChild = async (): Promise<ChildProcess> => {
      const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir, rulesFile, texts], { stdio: ['pipe', 'pipe', 'inherit'] });
      child.stdin!.on('error', () => {});
      await new Promise<void>((resolve, reject) => {
        createInterface({ input: child.stdout! }).on('line', (line) => {
          if (line === 'ready') resolve();
          else if (line === 'drained') drained = true;
          else if (line.startsWith('ack ')) acked.add(Number(line.slice(4)));
        });
        child.on('exit', (code, signal) => (signal ? undefined : reject(new Error(`child exited ${code} before ready`))));
      });
      // The platform delivers again what was not acknowledged before the crash.
      for (let n = 0; n < next; n++) if (!acked.has(n)) send(child, n);
      return child;
    };
    const feed = async (child: ChildProcess, ms: number) => {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        if (next < COUNT) send(child, next++);
        await new Promise((r) => setTimeout(r, 60));
      }
    };
    const kill9 = (child: ChildProcess) =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      });

    const ackedBeforeKills: number[] = [];
    const pendingAtKills: number[] = [];
    const queueFile = join(mediaDir(dataDir), QUEUE_FILE);
    for (let k = 0; k < 6; k++) {
      const child = await startChild();
      await feed(child, 150 + rng() * 500);
      ackedBeforeKills.push(acked.size);
      await kill9(child);
      pendingAtKills.push(existsSync(queueFile) ? replayQueue(readFileSync(queueFile, 'utf8')).size : 0);
    }
    const child = await startChild();
    const deadline = Date.now() + 60_000;
    while (acked.size < COUNT && Date.now() < deadline) await feed(child, 100);
    child.stdin!.write('drain\n');
    while (!drained && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await kill9(child);
    expect(acked.size).toBe(COUNT);
    expect(drained).toBe(true);

    const store = await Store.open(dataDir);
    const posts: Post[] = [];
    for await (const p of store.allPosts()) posts.push(p);
    const byMessage = new Map<string, Post[]>();
    for (const p of posts) for (const s of p.sources) byMessage.set(s.messageId, [...(byMessage.get(s.messageId) ?? []), p]);
    const missing = all.map((_, n) => n).filter((n) => (byMessage.get(`p-${n}`) ?? []).length === 0);
    const twice = all.map((_, n) => n).filter((n) => (byMessage.get(`p-${n}`) ?? []).length > 1);
    const wrongText = all.map((r, n) => [r, n] as const).filter(([r, n]) => byMessage.get(`p-${n}`)?.[0] && !byMessage.get(`p-${n}`)![0]!.text.includes(r.code));
    const noPicture = posts.filter((p) => !p.media?.length || !existsSync(join(mediaDir(dataDir), p.media[0]!.file)));
    console.log(`pictures kill -9: ${ackedBeforeKills.length} kills, acked after each ${ackedBeforeKills.join('/')}, jobs on disk at each ${pendingAtKills.join('/')}, posts ${posts.length}, missing ${missing.length}, twice ${twice.length}, without picture ${noPicture.length}`);
    expect({ missing, twice, wrongText: wrongText.length, noPicture: noPicture.length }).toEqual({ missing: [], twice: [], wrongText: 0, noPicture: 0 });
    expect(posts).toHaveLength(COUNT);
    expect(pendingAtKills.some((n) => n > 0)).toBe(true); // some kills did land with pictures waiting
    await store.close();
    expect(MediaQueue.open(mediaDir(dataDir)).size).toBe(0);
  });
});
