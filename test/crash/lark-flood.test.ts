// Flood and kill: 1,500 signed, encrypted Lark events for one group POSTed 1,500 at a time at the relay's
// webhook (real createRelay and Lark adapter in a child process), far more than it can handle inside
// Lark's 3 s. What it cannot take it must refuse (503, queue full or deadline passed) so Lark delivers it
// again; halfway through the first wave the relay is SIGKILLed and started again. Whatever is not answered
// 200 is delivered again, as Lark does, until everything is. Then every referral is in the store exactly
// once, and no chit-chat is.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { larkSignature } from '../../adapters/lark/index.ts';
import { referralText, seeded } from '../../scripts/bench/workload.ts';
import { classifierFor } from '../../src/app.ts';
import { loadCatalog } from '../../src/catalog.ts';
import { loadRulesFile } from '../../src/rules/index.ts';
import { encryptForLark, FakeLarkServer, messageEvent } from '../fakes/lark-server.ts';

const CHILD = fileURLToPath(new URL('./lark-relay-child.ts', import.meta.url));
const GROUP = 'oc_5ad11d72b830411d72b836c20'; // a Lark source in rules/routing.yaml
const ENCRYPT_KEY = 'flood-encrypt-key-0123456789';
const TOKEN = 'flood-verification-token';
const EVENTS = 1500;
const AT_ONCE = 1500;

interface Child {
  proc: ChildProcess;
  port: number;
  stored: string[];
}

const children: ChildProcess[] = [];

function startChild(fake: FakeLarkServer, dataDir: string, rulesFile: string): Promise<Child> {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir, rulesFile, fake.baseUrl, 'webhook', fake.appId, fake.appSecret, ENCRYPT_KEY, TOKEN], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(proc);
  return new Promise((resolve, reject) => {
    let stored: string[] = [];
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      if (line.startsWith('stored ')) stored = JSON.parse(line.slice(7)) as string[];
      else if (line.startsWith('ready ')) resolve({ proc, port: Number(line.slice(6)), stored });
    });
    proc.on('exit', (code, signal) => reject(new Error(`child exited (${code ?? signal}) before ready`)));
  });
}

const exited = (proc: ChildProcess) => new Promise<void>((r) => (proc.exitCode !== null || proc.signalCode !== null ? r() : proc.once('exit', () => r())));

describe('Lark webhook: a flood with a kill -9 in the middle', () => {
  let fake: FakeLarkServer;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'alumni-relay-lark-flood-'));
    fake = new FakeLarkServer();
    await fake.start();
  });
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL'); // a failed run leaves none behind
    await fake.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 200 only for what it stored, refuses the rest, and after redelivery holds every referral exactly once', async () => {
    const rulesFile = join(dir, 'routing.yaml');
    copyFileSync('rules/routing.yaml', rulesFile);
    const catalog = loadCatalog();
    const rules = loadRulesFile(rulesFile, catalog);
    const classifier = classifierFor(rules, catalog);
    const rng = seeded(20261201);
    const texts = Array.from({ length: EVENTS }, (_, i) => (i % 3 === 0 ? `今晚${i}号桌聚餐，谁来？` : referralText(rng, i)));
    // What the pipeline keeps: referrals, and suspected scams (held for review).
    const kept = texts.map((t) => {
      const c = classifier.classify(t, new Date(), rules.defaults.timezone);
      return c.isJob || c.isScam;
    });
    const dataDir = join(dir, 'data');

    let child = await startChild(fake, dataDir, rulesFile);
    const deliver = (i: number, port: number, agent: Agent) =>
      new Promise<number>((resolve) => {
        const envelope = messageEvent({ chatId: GROUP, senderOpenId: `ou_alumnus_${i % 40}`, text: texts[i]!, messageId: `om_flood_${i}` }, { appId: fake.appId, verificationToken: TOKEN });
        const body = JSON.stringify({ encrypt: encryptForLark(JSON.stringify(envelope), ENCRYPT_KEY) });
        const timestamp = String(Math.floor(Date.now() / 1000));
        const nonce = randomBytes(8).toString('hex');
        const headers = { 'content-type': 'application/json', 'x-lark-request-timestamp': timestamp, 'x-lark-request-nonce': nonce, 'x-lark-signature': larkSignature(timestamp, nonce, ENCRYPT_KEY, body) };
        const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', agent, headers, timeout: 15_000 }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        // No answer (killed mid-request, or too slow): Lark delivers it again.
        req.on('error', () => resolve(-1));
        req.on('timeout', () => req.destroy());
        req.on('close', () => resolve(-1));
        req.end(body);
      });

    const statuses: Record<string, number> = {};
    let pending = texts.map((_, i) => i);
    let killed = false;
    for (let wave = 1; pending.length && wave <= 30; wave++) {
      const again: number[] = [];
      let answered = 0;
      let next = 0;
      const port = child.port;
      const agent = new Agent({ keepAlive: true, maxSockets: AT_ONCE });
      await Promise.all(
        Array.from({ length: AT_ONCE }, async () => {
          while (next < pending.length) {
            const i = pending[next++]!;
            const status = await deliver(i, port, agent);
            statuses[status] = (statuses[status] ?? 0) + 1;
            if (status !== 200) again.push(i);
            if (++answered === Math.floor(EVENTS / 2) && !killed) {
              killed = true;
              child.proc.kill('SIGKILL');
            }
          }
        }),
      );
      agent.destroy();
      if (child.proc.killed) {
        await exited(child.proc);
        child = await startChild(fake, dataDir, rulesFile);
      }
      pending = again;
      if (pending.length) await new Promise((r) => setTimeout(r, 500));
    }
    console.log(`lark flood: ${EVENTS} events ${AT_ONCE} at a time, one kill -9: answers ${JSON.stringify(statuses)}`);
    expect(pending).toEqual([]);
    expect(killed).toBe(true);

    child.proc.kill('SIGTERM');
    await exited(child.proc);
    const after = await startChild(fake, dataDir, rulesFile);
    after.proc.kill('SIGKILL');
    const ids = after.stored.filter((id) => id.startsWith('om_flood_'));
    expect(new Set(ids).size).toBe(ids.length); // nothing doubled
    const want = texts.map((_, i) => `om_flood_${i}`).filter((_, i) => kept[i]);
    expect([...ids].sort()).toEqual(want.sort()); // every referral (and held scam), no chit-chat
  }, 240_000);
});
