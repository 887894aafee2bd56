// The CLI as an admin runs it: a real child process, real files, real signals.
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { LocalAdapter } from '../../adapters/local/index.ts';
import { createRelay } from '../../src/app.ts';
import type { Platform } from '../../src/domain.ts';
import { silentLogger } from '../../src/log.ts';
import type { ChatAdapter } from '../../src/ports.ts';
import { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/tmp.ts';

// What ships: the compiled dist/cli.js that `npm start` and bin/alumni-relay.js run, built fresh here.
const CLI = ['--enable-source-maps', 'dist/cli.js'];
const cli = (args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}) =>
  spawnSync(process.execPath, [...CLI, ...args], { encoding: 'utf8', input: opts.input, env: { ...process.env, ...opts.env }, timeout: 60_000 });

describe('alumni-relay CLI', () => {
  beforeAll(() => {
    const build = spawnSync(process.execPath, ['scripts/build.mjs'], { encoding: 'utf8', timeout: 60_000 });
    expect(build.status, build.stderr).toBe(0);
  });

  it('rules check: exits 1 and names file:line:column for a syntax error, a misspelt key, a bad cron and an unknown class', () => {
    const file = join(tempDir(), 'bad.yaml');
    writeFileSync(
      file,
      `defaults:
  timezon: Asia/Shanghai
sources:
  - platform: wechat
    group: 校友群
colleges:
  - id: ee
    name: 电气学院
    classes: ["0806", "0899"]
    digest: "0 9 * * 8"
    channels:
      - platform: telegram
        chat: "-100123"
  - id: cs
    name: [计算机
`,
    );
    const r = cli(['rules', 'check', file]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`${file}:16:1: YAML 语法错误`));
    expect(r.stderr).toContain(`${file}:2:3 defaults.timezon: 未知的键 "timezon"。提示：是不是 "timezone"？`);
    expect(r.stderr).toMatch(new RegExp(`${file}:9:23 colleges\\[0\\]\\.classes\\[1\\]: 2026 年专业目录里没有专业类代码 "0899"`));
    expect(r.stderr).toMatch(new RegExp(`${file}:10:13 colleges\\[0\\]\\.digest: "0 9 \\* \\* 8" 不是有效的 cron 表达式`));
  });

  it('rules check: accepts the shipped example', () => {
    const r = cli(['rules', 'check']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('OK — 5 sources, 11 colleges');
  });

  it('classify --jsonl: one JSON line per input line, most likely class first', () => {
    const input = [
      { id: 'a', text: '南瑞集团2026届校招内推：电气工程及其自动化专业，本科/硕士，南京，网申截止12月10日' },
      { id: 'b', text: '今晚一起吃饭吗' },
    ]
      .map((r) => JSON.stringify(r))
      .join('\n');
    const r = cli(['classify', '--jsonl'], { input: `${input}\nnot json\n` });
    expect(r.status).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ id: 'a', isJob: true, majorClasses: ['0806'] });
    expect(rows[0].colleges).toContain('electrical');
    expect(rows[0].evidence.classes['0806'].length).toBeGreaterThan(0);
    expect(rows[1]).toMatchObject({ id: 'b', isJob: false, majorClasses: [] });
    expect(r.stderr).toContain('line 3: not JSON');
  });

  it('classify "<text>": explains the decision in Chinese', () => {
    const r = cli(['classify', '华为2026届校招：嵌入式软件开发工程师，通信工程、电子信息工程专业，深圳']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('判定：内推/招聘');
    expect(r.stdout).toContain('0807 电子信息类');
    expect(r.stdout).toContain('推送学院：');
  });

  it('digest preview and stats: show the pending digest and counts without sending or recording anything', async () => {
    const dataDir = tempDir();
    const local = new LocalAdapter({ print: () => {} });
    const adapters = new Map<Platform, ChatAdapter>((['local', 'wechat', 'lark', 'telegram'] as const).map((p) => [p, local]));
    const relay = await createRelay({ rulesFile: 'rules/routing.yaml', dataDir, adapters, logger: silentLogger, watchRules: false });
    await relay.start();
    await local.post({ platform: 'wechat', group: '东电校友会·北京分会', senderId: 'u1', senderName: '王磊', text: '国网江苏电力2026届校园招聘，电气工程及其自动化专业本科/硕士，南京，网申 https://zhaopin.sgcc.com.cn/x' });
    await local.post({ platform: 'wechat', group: '东电校友会·北京分会', senderId: 'u2', senderName: '张婷', text: '今天好冷' });
    await relay.stop();

    const preview = cli(['digest', 'preview', '--college', 'electrical', '--platform', 'telegram', '--data-dir', dataDir]);
    expect(preview.status).toBe(0);
    expect(preview.stdout).toContain('📮 电气与电子工程学院｜校友内推速递');
    expect(preview.stdout).toContain('国网江苏电力');
    expect(preview.stdout).toContain('投递链接 https://zhaopin.sgcc.com.cn/x');
    const stats = cli(['stats', '--data-dir', dataDir]);
    expect(stats.stdout).toContain('received 2');
    expect(stats.stdout).toContain('referrals stored 1');
    expect(stats.stdout).toMatch(/电气与电子工程学院\(electrical\): 1 条，待推送 1/);
    const store = await Store.open(dataDir);
    expect(store.data.digests).toHaveLength(0);
    await store.close();
  });

  it('start: runs on the local platform, prints digests for several colleges, exits 0 on SIGINT', async () => {
    const dataDir = tempDir();
    const child = spawn(process.execPath, [...CLI, 'start', '--demo-every', '3'], {
      env: { ...process.env, RELAY_DATA_DIR: dataDir, TELEGRAM_BOT_TOKEN: '', LARK_APP_ID: '', WECHATY_PUPPET: '', RELAY_WECHAT: '' },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const headers = () => new Set(out.match(/📮 [^｜\n]+｜校友内推速递/g) ?? []);
    const until = Date.now() + 30_000;
    while (headers().size < 3 && Date.now() < until && child.exitCode === null) await new Promise((r) => setTimeout(r, 200));
    expect(out).toContain('alumni-relay is running on: local');
    expect(out).toMatch(/next \d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
    expect(headers().size).toBeGreaterThanOrEqual(3);
    const code = await new Promise<number | null>((resolve) => {
      child.on('exit', (c) => resolve(c));
      child.kill('SIGINT');
    });
    expect(code).toBe(0);
    expect(err).not.toMatch(/"level":(50|60)/);
    expect(out).not.toContain('打字员');
  }, 45_000);
});
