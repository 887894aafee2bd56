// The CLI as an admin runs it: a real child process, real files, real signals.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { LocalAdapter } from '../../adapters/local/index.ts';
import { createRelay } from '../../src/app.ts';
import type { Platform } from '../../src/domain.ts';
import { silentLogger } from '../../src/log.ts';
import type { ChatAdapter } from '../../src/ports.ts';
import { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/tmp.ts';

// What ships: the compiled dist/cli.js that `npm start` and bin/alumni-relay.js run, built fresh here.
const ROOT = resolve('.');
const CLI = ['--enable-source-maps', join(ROOT, 'dist/cli.js')];
// No relay HTTP server answers on port 1: `health` falls back to the data directory's lock.
const BASE_ENV = { RELAY_RULES: '', RELAY_DATA_DIR: '', RELAY_HTTP_PORT: '1' };
const cli = (args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}) =>
  spawnSync(process.execPath, [...CLI, ...args], {
    encoding: 'utf8',
    input: opts.input,
    cwd: opts.cwd,
    env: { ...process.env, ...BASE_ENV, ...opts.env },
    timeout: 60_000,
  });

/** A data directory holding one referral for electrical and one chat message, as a stopped relay leaves it. */
async function storeWithOneReferral(): Promise<string> {
  const dataDir = tempDir();
  const local = new LocalAdapter({ print: () => {} });
  const adapters = new Map<Platform, ChatAdapter>((['local', 'wechat', 'lark', 'telegram'] as const).map((p) => [p, local]));
  const relay = await createRelay({ rulesFile: 'rules/routing.yaml', dataDir, adapters, logger: silentLogger, watchRules: false });
  await relay.start();
  await local.post({ platform: 'wechat', group: '东电校友会·北京分会', senderId: 'u1', senderName: '王磊', text: '国网江苏电力2026届校园招聘，电气工程及其自动化专业本科/硕士，南京，网申 https://zhaopin.sgcc.com.cn/x' });
  await local.post({ platform: 'wechat', group: '东电校友会·北京分会', senderId: 'u2', senderName: '张婷', text: '今天好冷' });
  await relay.stop();
  return dataDir;
}

// Each command is a fresh node process loading the segmenter (1–3 s on a busy machine); several per test.
describe('alumni-relay CLI', { timeout: 90_000 }, () => {
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
    expect(r.stderr).toContain(`${file} 中有 7 个问题；什么都没有改动。`);
  });

  it('rules check: accepts the shipped example, also when run from another directory', () => {
    for (const cwd of [ROOT, tempDir()]) {
      const r = cli(['rules', 'check'], { cwd });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain(`${join(ROOT, 'rules/routing.yaml')}：没有问题 — 5 个校友群，11 个学院`);
    }
  });

  it('rules schema: prints the committed JSON Schema', () => {
    const r = cli(['rules', 'schema']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(readFileSync('rules/routing.schema.json', 'utf8'));
  });

  it('--version prints the version in package.json; --help is in Chinese', () => {
    expect(cli(['--version']).stdout.trim()).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
    const help = cli(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('用法： alumni-relay [options] [command]');
    expect(help.stdout).toMatch(/命令：[\s\S]*stats \[options\] +统计/);
    expect(help.stdout).not.toMatch(/display help|Usage:|Options:/);
  });

  it('a usage error shows that subcommand’s help, not the root help, in Chinese', () => {
    const bad = cli(['review', 'frob']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('错误：review 后面只能跟 approve ID 或 reject ID，不能是 "frob"');
    expect(bad.stderr).toContain('用法： alumni-relay review [options] [action] [id]');
    expect(bad.stderr).not.toContain('命令：');
    const unknown = cli(['stats', '--jsno']);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain("错误：未知选项 '--jsno'");
    expect(unknown.stderr).toContain('（是不是 --json？）');
    expect(unknown.stderr).toContain('用法： alumni-relay stats [options]');
    const choice = cli(['digest', 'preview', '--platform', 'qq']);
    expect(choice.stderr).toContain("错误：选项 '--platform <name>' 的取值 'qq' 无效；可选：local, telegram, lark, wechat");
    expect(choice.stderr).toContain('用法： alumni-relay digest preview [options]');
  });

  it('read-only commands warn about a missing --data-dir and never create it', () => {
    const missing = join(tempDir(), 'dat');
    for (const args of [['stats'], ['digest', 'preview'], ['review']]) {
      const r = cli([...args, '--data-dir', missing]);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr).toContain(`数据目录 ${missing} 不存在（路径写错了？）；没有创建它。`);
    }
    for (const args of [['rules', 'check'], ['classify', '今晚一起吃饭吗']]) {
      const r = cli([...args, '--data-dir', missing]);
      expect(r.status, args.join(' ')).toBe(0);
      expect(r.stderr).toContain(`注意：数据目录 ${missing} 不存在`);
    }
    expect(existsSync(missing)).toBe(false);
  });

  it('classify --jsonl: one JSON line per input line, most likely class first', () => {
    const input = [
      { id: 'a', text: '南瑞集团2026届校招内推：电气工程及其自动化专业，本科/硕士，南京，网申截止12月10日' },
      { id: 'b', text: '今晚一起吃饭吗' },
    ]
      .map((r) => JSON.stringify(r))
      .join('\n');
    const r = cli(['classify', '--jsonl'], { input: `${input}\nnot json\nnull\n` });
    expect(r.status).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ id: 'a', isJob: true, majorClasses: ['0806'] });
    expect(rows[0].colleges).toContain('electrical');
    expect(rows[0].evidence.classes['0806'].length).toBeGreaterThan(0);
    expect(rows[1]).toMatchObject({ id: 'b', isJob: false, majorClasses: [] });
    expect(r.stderr).toContain('第 3 行不是 JSON，已跳过');
    expect(r.stderr).toContain('第 4 行不是 {"id","text"} 对象，已跳过');
  });

  it('classify "<text>": explains the decision in Chinese, evidence kinds included', () => {
    const r = cli(['classify', '华为2026届校招：嵌入式软件开发工程师，通信工程、电子信息工程专业，深圳']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('判定：内推/招聘');
    expect(r.stdout).toMatch(/0807 电子信息类 .*通信工程\(\+[\d.]+ 专业名称\)/);
    expect(r.stdout).toMatch(/校招\(\+[\d.]+ 招聘词\)/);
    expect(r.stdout).toContain('推送学院：');
    // Every evidence label is Chinese: no "(+1 major-name)" left.
    expect(r.stdout).not.toMatch(/\([+-][\d.]+ [a-z-]+\)/);
  });

  it('digest preview --college with an unknown id lists the valid ones', () => {
    const r = cli(['digest', 'preview', '--college', 'electric']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('错误：规则里没有学院 "electric"。可用的学院 id：electrical（电气与电子工程学院）、energy（');
  });

  it('digest preview and stats: show the pending digest and counts without sending or recording anything', async () => {
    const dataDir = await storeWithOneReferral();
    const preview = cli(['digest', 'preview', '--college', 'electrical', '--platform', 'telegram', '--data-dir', dataDir]);
    expect(preview.status).toBe(0);
    expect(preview.stdout).toContain('📮 电气与电子工程学院｜校友内推速递');
    expect(preview.stdout).toContain('国网江苏电力');
    expect(preview.stdout).toContain('投递链接 https://zhaopin.sgcc.com.cn/x');

    const stats = cli(['stats', '--data-dir', dataDir]);
    expect(stats.status).toBe(0);
    expect(stats.stdout).not.toMatch(/[{}]/); // no raw JSON
    const lines = stats.stdout.split('\n');
    expect(lines).toContain(`数据目录  ${dataDir}`);
    // Labels padded to one width (a CJK character is two cells), numbers right-aligned in one column.
    const section = lines.slice(lines.indexOf('消息') + 1, lines.indexOf('消息') + 8);
    expect(section.map((l) => l.replace(/ +\d+$/, ''))).toEqual(['  收到', '  不在来源群（忽略）', '  不是内推', '  疑似诈骗（待审核）', '  存为内推', '  多群重复、已合并', '  处理出错']);
    const cells = (s: string) => [...s].reduce((w, ch) => w + (/[\u3000-\u9fff\uff00-\uff60]/.test(ch) ? 2 : 1), 0);
    expect(new Set(section.map(cells)).size).toBe(1);
    expect(section[0]).toMatch(/收到 +2$/);
    // …and down the page: the other sections' numbers stand in the same column.
    for (const label of ['共存储', '近期有效', '已生成速递', '已放弃（死信）']) expect(cells(lines.find((l) => l.startsWith(`  ${label} `))!)).toBe(cells(section[0]!));
    expect(section[4]).toMatch(/存为内推 +1$/);
    expect(stats.stdout).toMatch(/\n {2}电气与电子工程学院 +electrical +1 +1\n/);
    expect(stats.stdout).toMatch(/\n {2}水利与水电工程学院 +water +0 +0\n/);

    const json = JSON.parse(cli(['stats', '--json', '--data-dir', dataDir]).stdout);
    expect(json.messages).toMatchObject({ received: 2, stored: 1, notJob: 1 });
    expect(json.colleges.find((c: { id: string }) => c.id === 'electrical')).toEqual({ id: 'electrical', name: '电气与电子工程学院', recentPosts: 1, backlog: 1 });

    const store = await Store.open(dataDir);
    expect(store.data.digests).toHaveLength(0);
    await store.close();
  });

  it('backup and restore: the store round-trips through one file; restore refuses a non-empty store without --force', async () => {
    const dataDir = await storeWithOneReferral();
    const file = join(tempDir(), 'relay-backup.jsonl.gz');
    const backup = cli(['backup', file, '--data-dir', dataDir]);
    expect(backup.status, backup.stderr).toBe(0);
    expect(backup.stdout).toContain(`已备份 ${dataDir} → ${file}`);
    expect(backup.stdout).toContain('1 条内推');
    const check = cli(['restore', file, '--check']);
    expect(check.status, check.stderr).toBe(0);
    expect(check.stdout).toMatch(/：完整 — \d+ 行/);

    const target = join(tempDir(), 'restored');
    const restore = cli(['restore', file, '--data-dir', target]);
    expect(restore.status, restore.stderr).toBe(0);
    expect(restore.stdout).toContain(`恢复到 ${target}：1 条内推`);
    const stats = (dir: string) => JSON.parse(cli(['stats', '--json', '--data-dir', dir]).stdout);
    const { dataDir: _a, ...before } = stats(dataDir);
    const { dataDir: _b, ...after } = stats(target);
    expect(after).toEqual(before);

    // Over an existing store: refused in one line (no stack), nothing moved.
    const again = cli(['restore', file, '--data-dir', target]);
    expect(again.status).toBe(1);
    expect(again.stderr.trim().split('\n')).toHaveLength(1);
    expect(again.stderr).toContain('--force');
    expect(again.stderr).not.toMatch(/\n\s+at /);
    const forced = cli(['restore', file, '--force', '--data-dir', target]);
    expect(forced.status, forced.stderr).toBe(0);
    expect(forced.stdout).toMatch(/原有的文件移到了 .*before-restore-/);

    // A damaged backup: one line naming the file.
    const damaged = join(tempDir(), 'damaged.gz');
    writeFileSync(damaged, readFileSync(file).subarray(0, 40));
    const bad = cli(['restore', damaged, '--check']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^alumni-relay 无法继续：.*damaged\.gz/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });

  it('stats lists journal lines it could not read', async () => {
    const dataDir = await storeWithOneReferral();
    const segment = readdirSync(dataDir).find((f) => /^relay\.wal\..*\.jsonl$/.test(f));
    expect(segment).toBeDefined();
    const path = join(dataDir, segment!);
    writeFileSync(path, `{"s":0,"op":\n${readFileSync(path, 'utf8')}`);
    const stats = cli(['stats', '--data-dir', dataDir]);
    expect(stats.status).toBe(0);
    expect(stats.stdout).toMatch(new RegExp(`注意：日志（journal）里有 1 行无法读取，已跳过：\\n  .*${segment!.replace(/\./g, '\\.')}:1 `));
    expect(JSON.parse(cli(['stats', '--json', '--data-dir', dataDir]).stdout).unreadableJournalLines).toMatchObject([{ line: 1 }]);
  });

  it('start: a setting to fix is one line without a stack, and nothing is created', () => {
    const dataDir = join(tempDir(), 'store');
    const r = cli(['start', '--platform', 'telegram'], { env: { TELEGRAM_BOT_TOKEN: '', RELAY_DATA_DIR: dataDir } });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^alumni-relay 无法继续：telegram: .*TELEGRAM_BOT_TOKEN/)]);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('health: exit 1 when no relay holds the data directory', () => {
    const dataDir = tempDir();
    const r = cli(['health', '--data-dir', dataDir]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`没有 relay 在使用 ${dataDir}`);
  });

  it('start: runs on the local platform, prints digests for several colleges, is healthy, exits 0 on SIGINT saying where its store is', async () => {
    const dataDir = tempDir();
    const child = spawn(process.execPath, [...CLI, 'start', '--demo-every', '3'], {
      // Port 0: the console on any free port (its URL is printed).
      env: { ...process.env, ...BASE_ENV, RELAY_HTTP_PORT: '0', RELAY_DATA_DIR: dataDir, TELEGRAM_BOT_TOKEN: '', LARK_APP_ID: '', WECHATY_PUPPET: '', RELAY_WECHAT: '' },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const headers = () => new Set(out.match(/📮 [^｜\n]+｜校友内推速递/g) ?? []);
    const until = Date.now() + 30_000;
    while (headers().size < 3 && Date.now() < until && child.exitCode === null) await new Promise((r) => setTimeout(r, 200));
    expect(out).toContain('alumni-relay is running on: local');
    expect(out).toMatch(/下一期 \d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
    expect(headers().size).toBeGreaterThanOrEqual(3);
    // The console runs in the demo too: its URL is printed, /healthz answers, the one-time login link works.
    const consoleUrl = /控制台：(http:\/\/\S+?)（/.exec(out)?.[1];
    expect(consoleUrl).toBeTruthy();
    const healthz = await fetch(`${consoleUrl}/healthz`);
    expect(healthz.status).toBe(200);
    expect(((await healthz.json()) as { platforms: { platform: string; state: string }[] }).platforms[0]).toMatchObject({ platform: 'local', state: 'up' });
    const loginUrl = /(http:\/\/\S+\/login\/once\/\S+)/.exec(err)?.[1];
    expect(loginUrl).toBeTruthy();
    const login = await fetch(loginUrl!, { redirect: 'manual' });
    expect([302, 303]).toContain(login.status);
    const health = cli(['health', '--data-dir', dataDir]);
    expect(health.status).toBe(0);
    expect(health.stdout).toContain(`正常：pid ${child.pid} 正在使用 ${dataDir}`);
    const code = await new Promise<number | null>((resolve) => {
      child.on('exit', (c) => resolve(c));
      child.kill('SIGINT');
    });
    expect(code).toBe(0);
    expect(out).toContain(`alumni-relay 已停止。数据在 ${dataDir}；查看统计：npm run cli -- stats --data-dir ${dataDir}`);
    expect(err).not.toMatch(/"level":(50|60)/);
    expect(out).not.toContain('打字员');
  }, 45_000);

  // The WeChat stack is bundled into the build (scripts/build.mjs): what runs only there, such as a bundled
  // module's __dirname, must work there. No WeChat server is reachable here: the puppet starts, tries to log
  // in and says why it cannot, and the relay keeps running.
  it('start --platform wechat: the bundled wechaty and wechat4u start and try to log in', async () => {
    const dataDir = tempDir();
    const child = spawn(process.execPath, [...CLI, 'start', '--platform', 'wechat'], {
      env: { ...process.env, ...BASE_ENV, RELAY_HTTP_PORT: '0', RELAY_DATA_DIR: dataDir, RELAY_WECHAT: '1', WECHATY_PUPPET: '' },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const until = Date.now() + 30_000;
    while (!(out.includes('alumni-relay is running on: wechat') && /wechat listening; waiting for login/.test(err)) && Date.now() < until && child.exitCode === null) {
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(child.exitCode, err).toBeNull();
    expect(out).toContain('alumni-relay is running on: wechat');
    expect(err).toMatch(/"puppet":"wechaty-puppet-wechat4u".*wechat listening; waiting for login/);
    const code = await new Promise<number | null>((resolve) => {
      child.on('exit', (c) => resolve(c));
      child.kill('SIGINT');
    });
    expect(code, err).toBe(0);
    expect(err).not.toMatch(/is not defined|is not a constructor|Cannot find module/);
  }, 45_000);
});
