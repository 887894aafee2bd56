// `start`: run the relay; on the embedded local platform when no platform credentials are set (the demo).
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { createAdapters, REAL_PLATFORMS } from '../../adapters/index.ts';
import { createRelay, httpOptionsFromEnv } from '../app.ts';
import { looseHeapWhileStarting, START_HEAP_GROWING_PERCENT } from '../heap-growth.ts';
import { createLogger } from '../log.ts';
import { projectPath } from '../paths.ts';
import type { Rules } from '../rules/index.ts';
import { localDateTime } from '../time.ts';
import type { Context } from './context.ts';
import { padEnd } from './format.ts';

export function registerStart(program: Command, ctx: Context): void {
  program
    .command('start')
    .description('运行 relay（没有配置任何平台凭据时，运行内置的本地演示平台）')
    .addOption(new Option('--platform <name...>', '指定平台').choices(['local', ...REAL_PLATFORMS]))
    .option('--demo-every <seconds>', '本地演示：每 N 秒发一次速递，代替规则里的排期', '10')
    .action(async (o: { platform?: string[]; demoEvery: string }) => {
      const tighten = looseHeapWhileStarting(START_HEAP_GROWING_PERCENT);
      const { rules: file, dataDir, dataDirGiven } = ctx.paths();
      ctx.rules(file);
      const logger = createLogger();
      const setup = await createAdapters({ env: process.env, logger, dataDir, platforms: o.platform, samplesFile: projectPath('data', 'samples', 'messages.jsonl') });
      // The local demo replays the same samples every run; it keeps its own store and starts it afresh.
      const demo = setup.local && !dataDirGiven;
      const dir = demo ? projectPath('data', 'demo') : dataDir;
      if (demo) rmSync(dir, { recursive: true, force: true });
      const every = Math.max(1, Math.min(59, Number(o.demoEvery) || 10));
      const relay = await createRelay({
        rulesFile: file,
        dataDir: dir,
        adapters: setup.adapters,
        logger,
        scheduleOverride: setup.local ? `*/${every} * * * * *` : undefined,
        http: httpOptionsFromEnv(process.env),
      });
      await relay.start();
      tighten();
      console.log(banner(relay.rules(), relay.scheduler.nextRuns(), setup.local, every, setup.started, dir, relay.httpUrl()));

      let stopping = false;
      const stop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, 'stopping');
        await relay.stop();
        console.log(farewell(dir, demo));
        process.exit(0);
      };
      process.on('SIGINT', () => void stop('SIGINT'));
      process.on('SIGTERM', () => void stop('SIGTERM'));
    });
}

/** The last words: where the store is, and for the demo how to look at it. */
export function farewell(dir: string, demo: boolean): string {
  const cli = `npm run cli -- stats --data-dir ${dir}`;
  return demo
    ? `alumni-relay 已停止。演示数据在 ${dir}（下次演示会清空重来）；查看统计：${cli}`
    : `alumni-relay 已停止。数据在 ${dir}；查看统计：${cli}`;
}

function banner(
  rules: Rules,
  runs: { collegeId: string; expression: string; next: Date | null }[],
  local: boolean,
  every: number,
  platforms: string[],
  dir: string,
  consoleUrl: string | undefined,
): string {
  const tz = rules.defaults.timezone;
  const lines = [
    '',
    // The first line is a marker scripts wait for (scripts/bench.ts): keep its wording.
    `alumni-relay is running on: ${platforms.join(', ')}   (store: ${dir})`,
    '',
    `读取 ${rules.sources.length} 个校友群：`,
    ...rules.sources.map((s) => `  · ${s.platform.padEnd(8)} ${s.name ?? s.group}${s.name ? `  (${s.group})` : ''}`),
    '',
    `推送给 ${rules.colleges.length} 个学院（下一期速递，${tz}）：`,
    ...rules.colleges.map((c) => {
      const run = runs.find((r) => r.collegeId === c.id);
      const next = run?.next ? localDateTime(run.next, tz) : '—';
      const channels = c.channels.map((ch) => `${ch.platform}:${ch.name ?? ch.chat}`).join(', ');
      return `  · ${padEnd(c.name, 20)} 下一期 ${next}  [${run?.expression ?? ''}] → ${channels}`;
    }),
    consoleUrl ? `控制台：${consoleUrl}（登录链接见上方；设置 RELAY_ADMIN_PASSWORD 可改用密码登录）` : '控制台未启动（见上方日志）。',
    '',
  ];
  if (local) {
    lines.push(
      `本地演示：把 data/samples/messages.jsonl 里的校友消息重放到上面的群里，每一份会发到学生群的速递都打印在这里。`,
      `每 ${every} 秒一期，代替规则里的排期（--demo-every）。数据目录：${resolve(dir)}`,
      '连接真实平台：设置 TELEGRAM_BOT_TOKEN、LARK_APP_ID + LARK_APP_SECRET 或 RELAY_WECHAT=1（环境变量或 .env 文件），',
      '再运行 npm start；见 README「Connect a platform」。按 Ctrl-C 停止。',
      '',
    );
  }
  return lines.join('\n');
}
