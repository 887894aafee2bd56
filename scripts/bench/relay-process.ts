// Cold start and peak RSS of the relay as `npm start` runs it: the compiled dist/cli.js in its own process.
//   local:    the embedded local platform (no SDK loaded), replaying the sample messages, a digest every 2 s;
//   all-sdks: Telegram (grammY) polling a loopback Bot API, Feishu/Lark (node-sdk) on its long connection to
//             a loopback fake, WeChat (wechaty + wechat4u, as deployed) waiting for its QR login; alumni
//             messages arrive through the Telegram fake while RSS is watched.
// Time is from spawn to the banner printed once start() resolved; RSS is sampled every 50 ms, no forced GC.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { FakeLarkServer } from '../../test/fakes/lark-server.ts';
import { TelegramLimitsFake } from './telegram-limits-fake.ts';
import { workload } from './workload.ts';

export type RelayMode = 'local' | 'all-sdks';

export interface RelayRun {
  ms: number;
  rssMB: number;
  /** At the RSS peak: anonymous memory (heaps, malloc) and file-backed pages (node's binary, native addons). */
  anonMB: number;
  fileMB: number;
}

const r2 = (x: number) => Math.round(x * 100) / 100;

/** RSS of a process and its anonymous / file-backed parts, in MB (Linux /proc). */
export const rssOf = (pid: number): { rss: number; anon: number; file: number } => {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) / 1024;
    return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') };
  } catch {
    return { rss: NaN, anon: NaN, file: NaN };
  }
};

/** The Telegram group the all-sdks run's messages come from: the rules' first Telegram source. */
function telegramSource(rulesFile: string): number {
  const m = /platform:\s*telegram\s*\n\s*group:\s*"?(-?\d+)"?/.exec(readFileSync(rulesFile, 'utf8'));
  if (!m) throw new Error(`${rulesFile} has no Telegram source`);
  return Number(m[1]);
}

/** The node flags `npm start` runs dist/cli.js with (package.json's start script), so the bench measures the same process. */
export function startNodeFlags(root: string): string[] {
  const start = (JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as { scripts: Record<string, string> }).scripts.start ?? '';
  const m = /^node\s+(.*?)\s*dist\/cli\.js\b/.exec(start);
  if (!m) throw new Error(`package.json's start script is not "node [flags] dist/cli.js …": ${start}`);
  return m[1]!.split(/\s+/).filter(Boolean);
}

export async function relayProcess(opts: {
  root: string;
  dataDir: string;
  rulesFile: string;
  mode: RelayMode;
  watchMs: number;
  /** Extra node flags (e.g. --max-semi-space-size=…), before the script. */
  nodeFlags?: string[];
  /** Measure without --enable-source-maps even if npm start has it. */
  sourceMaps?: boolean;
  /** all-sdks: leave these platforms out (to measure what one SDK costs). */
  without?: ('telegram' | 'lark' | 'wechat')[];
}): Promise<RelayRun> {
  // RELAY_HTTP_PORT=0: the console (on by default) gets a free port; on a busy 8080 it would not start
  // at all and the relay would be measured without it.
  const env: NodeJS.ProcessEnv = { ...process.env, RELAY_DATA_DIR: opts.dataDir, RELAY_HTTP_PORT: '0' };
  for (const k of Object.keys(env)) if (/^(TELEGRAM_|LARK_|WECHATY_|RELAY_WECHAT)/.test(k)) delete env[k];
  let args = ['start', '--platform', 'local', '--demo-every', '2'];
  let telegram: TelegramLimitsFake | undefined;
  let lark: FakeLarkServer | undefined;
  if (opts.mode === 'all-sdks') {
    telegram = new TelegramLimitsFake();
    lark = new FakeLarkServer();
    Object.assign(env, {
      TELEGRAM_BOT_TOKEN: telegram.token,
      TELEGRAM_API_ROOT: await telegram.start(),
      LARK_APP_ID: lark.appId,
      LARK_APP_SECRET: lark.appSecret,
      LARK_DOMAIN: await lark.start(),
      RELAY_WECHAT: '1',
    });
    args = ['start', '--platform', ...(['telegram', 'lark', 'wechat'] as const).filter((p) => !opts.without?.includes(p))];
  }
  const a = performance.now();
  const flags = startNodeFlags(opts.root).filter((f) => opts.sourceMaps !== false || f !== '--enable-source-maps');
  const child = spawn(process.execPath, [...flags, ...(opts.nodeFlags ?? []), 'dist/cli.js', '--rules', opts.rulesFile, ...args], {
    cwd: opts.root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logTail = ''; // the relay logs at its default level, as in use; kept only to explain a failure
  child.stderr.on('data', (d: Buffer) => (logTail = (logTail + d.toString()).slice(-4000)));
  let ms = NaN;
  let peak = { rss: 0, anon: 0, file: 0 };
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  try {
    for await (const line of createInterface({ input: child.stdout })) {
      if (line.startsWith('alumni-relay is running on')) {
        ms = performance.now() - a;
        break;
      }
    }
    child.stdout.resume(); // digests keep printing; nobody reads them
    const messages = telegram ? workload(Math.ceil(opts.watchMs / 10), 4242) : [];
    const chatId = telegram ? telegramSource(opts.rulesFile) : 0;
    let fed = 0;
    for (const until = performance.now() + opts.watchMs; performance.now() < until; await new Promise((r) => setTimeout(r, 50))) {
      const now = rssOf(child.pid!);
      if (now.rss > peak.rss) peak = now;
      // ≈ 100 alumni messages a second through the Bot API fake, while RSS is watched.
      if (telegram && fed < messages.length) {
        const batch = messages.slice(fed, fed + 5);
        telegram.push(batch.map((w, i) => ({ chatId, title: '海外校友群', senderId: 1000 + ((fed + i) % 97), text: w.text })));
        fed += batch.length;
      }
    }
    child.kill('SIGINT');
    const code = await exited;
    if (code !== 0 || Number.isNaN(ms)) throw new Error(`the relay (${opts.mode}) did not start and stop cleanly (exit ${code}):\n${logTail}`);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await telegram?.stop();
    await lark?.stop();
  }
  return { ms: r2(ms), rssMB: r2(peak.rss), anonMB: r2(peak.anon), fileMB: r2(peak.file) };
}
