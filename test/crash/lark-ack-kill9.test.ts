// Issue 10.1 for Lark: an acknowledged event is a stored event. The relay (real createRelay + the real
// Lark adapter, in a child process) gets a referral from the loopback fake; the instant Lark's
// acknowledgement arrives (the webhook's HTTP 200, or the long connection's response frame), the
// child is SIGKILLed. Restarted on the same data dir, it must hold the referral. Lark does not
// deliver an acknowledged event again, so anything lost here would be lost for good.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { larkSignature } from '../../adapters/lark/index.ts';
import { referralText, seeded } from '../../scripts/bench/workload.ts';
import { classifierFor } from '../../src/app.ts';
import { loadCatalog } from '../../src/catalog.ts';
import { loadRulesFile } from '../../src/rules/index.ts';
import { encryptForLark, FakeLarkServer, type LarkEventEnvelope, messageEvent } from '../fakes/lark-server.ts';

const CHILD = fileURLToPath(new URL('./lark-relay-child.ts', import.meta.url));
const GROUP = 'oc_5ad11d72b830411d72b836c20'; // a Lark source in rules/routing.yaml
const ENCRYPT_KEY = 'crash-encrypt-key-0123456789';
const TOKEN = 'crash-verification-token';

/** Referral texts the shipped rules store (the classifier calls them jobs). */
function referrals(count: number, rulesFile: string): string[] {
  const catalog = loadCatalog();
  const rules = loadRulesFile(rulesFile, catalog);
  const classifier = classifierFor(rules, catalog);
  const rng = seeded(20261122);
  const out: string[] = [];
  for (let i = 0; out.length < count; i++) {
    const text = referralText(rng, i);
    if (classifier.classify(text, new Date(), rules.defaults.timezone).isJob) out.push(text);
  }
  return out;
}

interface Child {
  proc: ChildProcess;
  port: number;
  stored: string[];
}

async function startChild(fake: FakeLarkServer, dataDir: string, rulesFile: string, mode: 'webhook' | 'ws'): Promise<Child> {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir, rulesFile, fake.baseUrl, mode, fake.appId, fake.appSecret, ENCRYPT_KEY, TOKEN], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stored: string[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      if (line.startsWith('stored ')) stored = JSON.parse(line.slice(7)) as string[];
      else if (line.startsWith('ready ')) resolve(Number(line.slice(6)));
    });
    proc.on('exit', (code, signal) => reject(new Error(`child exited (${code ?? signal}) before ready`)));
  });
  return { proc, port, stored };
}

const exited = (proc: ChildProcess) => new Promise<void>((r) => (proc.exitCode !== null || proc.signalCode !== null ? r() : proc.once('exit', () => r())));

/** POSTs the event as Lark does (encrypted, signed) and SIGKILLs the child in the same tick its answer arrives. */
function postAndKillOnAnswer(port: number, envelope: LarkEventEnvelope, proc: ChildProcess): Promise<number> {
  const body = JSON.stringify({ encrypt: encryptForLark(JSON.stringify(envelope), ENCRYPT_KEY) });
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = randomBytes(8).toString('hex');
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/',
        headers: {
          'content-type': 'application/json',
          'x-lark-request-timestamp': timestamp,
          'x-lark-request-nonce': nonce,
          'x-lark-signature': larkSignature(timestamp, nonce, ENCRYPT_KEY, body),
        },
      },
      (res) => {
        proc.kill('SIGKILL');
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('Lark: kill -9 the instant an event is acknowledged, nothing is lost', () => {
  let fake: FakeLarkServer;
  let rulesFile: string;
  let texts: string[];
  let dir: string; // one for both tests (tempDir() is removed after each)
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'alumni-relay-lark-crash-'));
    fake = new FakeLarkServer();
    await fake.start();
    rulesFile = join(dir, 'routing.yaml');
    copyFileSync('rules/routing.yaml', rulesFile);
    texts = referrals(20, rulesFile);
  });
  afterAll(async () => {
    await fake.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function run(mode: 'webhook' | 'ws', kills: number): Promise<{ acked: string[]; found: string[] }> {
    const dataDir = join(dir, `data-${mode}`);
    const acked: string[] = [];
    let found: string[] = [];
    for (let k = 0; k <= kills; k++) {
      const child = await startChild(fake, dataDir, rulesFile, mode);
      found = child.stored;
      // Every referral acknowledged before an earlier kill is in the store this restart replayed.
      expect(acked.filter((id) => !found.includes(id)), `after ${k} kills`).toEqual([]);
      if (k === kills) {
        child.proc.kill('SIGKILL');
        await exited(child.proc);
        break;
      }
      const messageId = `om_${mode}_crash_${k}`;
      const envelope = messageEvent({ chatId: GROUP, senderOpenId: `ou_alumnus_${k}`, text: texts[k]!, messageId }, { appId: fake.appId, verificationToken: TOKEN });
      let status: number;
      if (mode === 'webhook') status = await postAndKillOnAnswer(child.port, envelope, child.proc);
      else {
        while (fake.wsConnections !== 1) await new Promise((r) => setTimeout(r, 5));
        status = await new Promise<number>((resolve) => {
          fake.onWsAck = (_id, ack) => {
            child.proc.kill('SIGKILL'); // in the tick the response frame arrives
            fake.onWsAck = undefined;
            resolve((ack as { code?: number }).code ?? 0);
          };
          void fake.injectEvent(envelope).catch(() => undefined);
        });
      }
      expect(status).toBe(200);
      acked.push(messageId);
      await exited(child.proc);
    }
    return { acked, found };
  }

  it('webhook: 10 kills right after the 200, every acknowledged referral is stored after the restart', async () => {
    const { acked, found } = await run('webhook', 10);
    console.log(`lark webhook crash test: 10 kills at the 200, ${acked.filter((id) => found.includes(id)).length}/${acked.length} acknowledged referrals stored after restart`);
    expect(acked).toHaveLength(10);
    expect(acked.every((id) => found.includes(id))).toBe(true);
  }, 180_000);

  it('long connection: 5 kills right after the response frame, every acknowledged referral is stored after the restart', async () => {
    const { acked, found } = await run('ws', 5);
    console.log(`lark ws crash test: 5 kills at the response frame, ${acked.filter((id) => found.includes(id)).length}/${acked.length} acknowledged referrals stored after restart`);
    expect(acked).toHaveLength(5);
    expect(acked.every((id) => found.includes(id))).toBe(true);
  }, 180_000);
});
