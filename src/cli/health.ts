// `health`: is a relay running on this data directory? For container HEALTHCHECKs and monitoring.
// Asks the relay's HTTP server (GET /healthz on RELAY_HTTP_PORT, default 8080) when one answers; a relay
// without one (before the HTTP server lands, or with it disabled) counts as healthy while the process
// holding the data directory's lock (relay.pid) is alive.
import type { Command } from 'commander';
import { runningRelay } from '../lock.ts';
import type { Context } from './context.ts';

export type HealthAnswer = { via: 'http'; ok: boolean; status: number } | { via: 'lock'; ok: boolean; pid?: number };

/** GET /healthz; undefined when nothing listens there (connection refused, timeout). */
async function httpHealth(port: number, timeoutMs: number): Promise<{ ok: boolean; status: number } | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    if (res.status === 404) return undefined; // something else on that port, or a relay without /healthz
    return { ok: res.ok, status: res.status };
  } catch {
    return undefined;
  }
}

export async function checkHealth(dataDir: string, env: NodeJS.ProcessEnv, timeoutMs = 2000): Promise<HealthAnswer> {
  const port = Number(env.RELAY_HTTP_PORT || 8080);
  const http = Number.isInteger(port) && port > 0 ? await httpHealth(port, timeoutMs) : undefined;
  if (http) return { via: 'http', ...http };
  const pid = runningRelay(dataDir);
  return { via: 'lock', ok: pid !== undefined, pid };
}

export function registerHealth(program: Command, ctx: Context): void {
  program
    .command('health')
    .description('检查 relay 是否在运行（GET /healthz，没有 HTTP 服务时看数据目录的锁）；正常退出码 0，否则 1')
    .action(async () => {
      const { dataDir } = ctx.paths();
      const h = await checkHealth(dataDir, process.env);
      if (h.via === 'http') console.log(h.ok ? `正常（/healthz ${h.status}）` : `异常（/healthz ${h.status}）`);
      else console.log(h.ok ? `正常：pid ${h.pid} 正在使用 ${dataDir}` : `没有 relay 在使用 ${dataDir}`);
      process.exitCode = h.ok ? 0 : 1;
    });
}
