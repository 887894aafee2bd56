// GET /healthz: each platform connection, the last message per platform, outbox backlog and dead letters.
// 503 when a platform has been down (or stuck connecting) longer than `downAfterMs`, or the data directory
// cannot be written.
import { mkdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PlatformHealth } from '../ports.ts';

export interface HealthInput {
  platforms: PlatformHealth[];
  now: Date;
  downAfterMs: number;
  backlog: number;
  dead: number;
  storeWritable: { ok: boolean; error?: string };
}

export interface HealthReport {
  status: 'ok' | 'degraded' | 'failing';
  checkedAt: string;
  platforms: (Omit<PlatformHealth, 'loginQr'> & { downForMs?: number; needsLogin?: boolean })[];
  outbox: { backlog: number; dead: number };
  store: { writable: boolean; error?: string };
  problems: string[];
}

/** Pure: the report and its HTTP status. */
export function healthReport(input: HealthInput): { code: 200 | 503; body: HealthReport } {
  const problems: string[] = [];
  let failing = false;
  const platforms = input.platforms.map((p) => {
    const { loginQr, ...rest } = p;
    const since = Date.parse(p.since);
    const forMs = Number.isFinite(since) ? Math.max(0, input.now.getTime() - since) : 0;
    const out: HealthReport['platforms'][number] = { ...rest, ...(loginQr ? { needsLogin: true } : {}) };
    if (p.state === 'down' || p.state === 'connecting') {
      out.downForMs = forMs;
      if (forMs > input.downAfterMs) {
        failing = true;
        problems.push(`${p.platform} ${p.state} for ${Math.round(forMs / 1000)} s${p.lastError ? `: ${p.lastError}` : ''}`);
      } else problems.push(`${p.platform} ${p.state}`);
    } else if (p.state === 'stopped') problems.push(`${p.platform} stopped`);
    return out;
  });
  if (!input.storeWritable.ok) {
    failing = true;
    problems.push(`data directory not writable: ${input.storeWritable.error ?? 'unknown error'}`);
  }
  if (input.dead > 0) problems.push(`${input.dead} dead letter(s)`);
  return {
    code: failing ? 503 : 200,
    body: {
      status: failing ? 'failing' : problems.length ? 'degraded' : 'ok',
      checkedAt: input.now.toISOString(),
      platforms,
      outbox: { backlog: input.backlog, dead: input.dead },
      store: { writable: input.storeWritable.ok, ...(input.storeWritable.error ? { error: input.storeWritable.error } : {}) },
      problems,
    },
  };
}

/** Writes and removes a probe file in the data directory, at most once per `cacheMs`. */
export function writeProbe(dataDirOf: () => string, cacheMs = 5000): () => { ok: boolean; error?: string } {
  let last = 0;
  let result: { ok: boolean; error?: string } = { ok: true };
  return () => {
    const t = Date.now();
    if (t - last < cacheMs) return result;
    last = t;
    const dataDir = dataDirOf();
    const file = join(dataDir, 'console', '.write-probe');
    try {
      mkdirSync(join(dataDir, 'console'), { recursive: true });
      writeFileSync(file, String(t));
      unlinkSync(file);
      result = { ok: true };
    } catch (err) {
      result = { ok: false, error: (err as NodeJS.ErrnoException).code ?? 'write failed' };
    }
    return result;
  };
}
