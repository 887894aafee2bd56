#!/usr/bin/env node
// The admin's command line: start the relay, check rules, classify text, preview digests, read stats.
// Only this file and main entry points exit the process.
import { rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import dotenv from 'dotenv';
import { createAdapters, defaultDataDir, REAL_PLATFORMS } from '../adapters/index.ts';
import { toPlainText } from './plain-text.ts';
import { classifierFor, createRelay } from './app.ts';
import { loadCatalog } from './catalog.ts';
import { composeDigest } from './digest/compose.ts';
import type { Classification, Platform } from './domain.ts';
import { createLogger } from './log.ts';
import { formatProblem, loadRulesFile, RulesError, type Rules } from './rules/index.ts';
import { Store } from './store/store.ts';
import { localDateTime } from './time.ts';
import { shortId } from './admin.ts';
import { runningRelay } from './lock.ts';

dotenv.config({ quiet: true });

const program = new Command()
  .name('alumni-relay')
  .description('把校友群里的内推按专业整理，定时推送到各学院的学生群')
  .option('--rules <file>', 'routing rules YAML', process.env.RELAY_RULES ?? 'rules/routing.yaml')
  .option('--data-dir <dir>', 'where the store lives (env RELAY_DATA_DIR)')
  .showHelpAfterError();

const rulesPath = () => resolve(program.opts<{ rules: string }>().rules);
const dataDir = () => program.opts<{ dataDir?: string }>().dataDir ?? defaultDataDir(process.env, process.cwd());

/** Loads the rules or prints every problem and exits 1. */
function rulesOrExit(file = rulesPath()): Rules {
  try {
    return loadRulesFile(file, loadCatalog());
  } catch (err) {
    if (!(err instanceof RulesError)) throw err;
    for (const p of err.problems) console.error(formatProblem(p));
    console.error(`\n${err.problems.length} problem(s) in ${file}; nothing was changed.`);
    process.exit(1);
  }
}

program
  .command('start')
  .description('run the relay (the embedded local platform when no platform credentials are set)')
  .addOption(new Option('--platform <name...>', 'force platforms').choices(['local', ...REAL_PLATFORMS]))
  .option('--demo-every <seconds>', 'local platform: send digests every N seconds instead of the configured schedules', '10')
  .action(async (o: { platform?: string[]; demoEvery: string }) => {
    const file = rulesPath();
    rulesOrExit(file);
    const logger = createLogger();
    const explicitDir = program.opts<{ dataDir?: string }>().dataDir ?? process.env.RELAY_DATA_DIR;
    const setup = await createAdapters({
      env: process.env,
      logger,
      dataDir: dataDir(),
      platforms: o.platform,
      samplesFile: resolve('data/samples/messages.jsonl'),
    });
    // The local demo replays the same samples every run; it keeps its own store and starts it afresh.
    let dir = dataDir();
    if (setup.local && !explicitDir) {
      dir = resolve('data/demo');
      rmSync(dir, { recursive: true, force: true });
    }
    const every = Math.max(1, Math.min(59, Number(o.demoEvery) || 10));
    const relay = await createRelay({
      rulesFile: file,
      dataDir: dir,
      adapters: setup.adapters,
      logger,
      scheduleOverride: setup.local ? `*/${every} * * * * *` : undefined,
    });
    await relay.start();
    printBanner(relay.rules(), relay.scheduler.nextRuns(), setup.local, every, setup.started, dir);

    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'stopping');
      await relay.stop();
      console.log('alumni-relay stopped. 再见 👋');
      process.exit(0);
    };
    process.on('SIGINT', () => void stop('SIGINT'));
    process.on('SIGTERM', () => void stop('SIGTERM'));
  });

function printBanner(
  rules: Rules,
  runs: { collegeId: string; expression: string; next: Date | null }[],
  local: boolean,
  every: number,
  platforms: string[],
  dir: string,
) {
  const tz = rules.defaults.timezone;
  const lines = [
    '',
    `alumni-relay is running on: ${platforms.join(', ')}   (store: ${dir})`,
    '',
    `Reading ${rules.sources.length} alumni groups:`,
    ...rules.sources.map((s) => `  · ${s.platform.padEnd(8)} ${s.name ?? s.group}${s.name ? `  (${s.group})` : ''}`),
    '',
    `Routing to ${rules.colleges.length} colleges (next digest, ${tz}):`,
    ...rules.colleges.map((c) => {
      const run = runs.find((r) => r.collegeId === c.id);
      const next = run?.next ? localDateTime(run.next, tz) : '—';
      const channels = c.channels.map((ch) => `${ch.platform}:${ch.name ?? ch.chat}`).join(', ');
      return `  · ${c.name.padEnd(16, '　')} next ${next}  [${run?.expression ?? ''}] → ${channels}`;
    }),
    '',
  ];
  if (local) {
    lines.push(
      `Local demo: replaying data/samples/messages.jsonl into the groups above; every digest that would reach a`,
      `student channel is printed here. Digests every ${every} s instead of the configured schedules (--demo-every).`,
      'To connect real platforms set TELEGRAM_BOT_TOKEN, LARK_APP_ID + LARK_APP_SECRET, or RELAY_WECHAT=1',
      '(in the environment or a .env file) and run npm start again; see README "Connect a platform".',
      'Press Ctrl-C to stop.',
      '',
    );
  }
  console.log(lines.join('\n'));
}

const rules = program.command('rules').description('routing rules');
rules
  .command('check [file]')
  .description('validate a rules file; exit 1 with file:line:column for every problem')
  .action((file?: string) => {
    const path = resolve(file ?? rulesPath());
    const r = rulesOrExit(path);
    console.log(`${path}: OK — ${r.sources.length} sources, ${r.colleges.length} colleges, ${r.admins.length} admins`);
  });

program
  .command('classify [text]')
  .description('explain how a message is classified; --jsonl reads {"id","text"} lines from stdin')
  .option('--jsonl', 'batch mode: JSON lines in, JSON lines out')
  .action(async (text: string | undefined, o: { jsonl?: boolean }) => {
    const r = rulesOrExit();
    const classifier = classifierFor(r, loadCatalog());
    const now = new Date();
    if (o.jsonl) {
      const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
      let n = 0;
      for await (const line of lines) {
        n++;
        if (!line.trim()) continue;
        let row: { id?: unknown; text?: unknown };
        try {
          row = JSON.parse(line);
        } catch {
          console.error(`line ${n}: not JSON; skipped`);
          continue;
        }
        const c = classifier.classify(String(row.text ?? ''), now, r.defaults.timezone);
        process.stdout.write(`${JSON.stringify(jsonlRow(row.id, c))}\n`);
      }
      return;
    }
    if (text === undefined) return program.error('give a text to classify, or --jsonl');
    console.log(explain(classifier.classify(text, now, r.defaults.timezone), r));
  });

function jsonlRow(id: unknown, c: Classification) {
  return {
    id,
    isJob: c.isJob,
    jobScore: round(c.jobScore),
    isScam: c.isScam,
    openToAll: c.openToAll,
    majorClasses: c.classes.map((k) => k.code),
    colleges: c.colleges,
    evidence: {
      detection: c.detection.map((e) => [e.term, round(e.weight)]),
      classes: Object.fromEntries(c.classes.map((k) => [k.code, k.evidence.map((e) => [e.term, round(e.weight)])])),
    },
  };
}

const round = (x: number) => Math.round(x * 1000) / 1000;

function explain(c: Classification, r: Rules): string {
  const ev = (list: { term: string; weight: number; kind: string }[]) =>
    list.map((e) => `${e.term}(${e.weight >= 0 ? '+' : ''}${round(e.weight)} ${e.kind})`).join('  ') || '—';
  const name = (id: string) => r.colleges.find((c) => c.id === id)?.name ?? id;
  const f = c.fields;
  const fields = [
    ['公司', f.company],
    ['岗位', f.roles.join('、')],
    ['城市', f.city],
    ['截止', f.deadline],
    ['届别', f.cohort],
    ['学历', f.degrees.join('/')],
    ['内推码', f.referralCode],
    ['链接', f.links.join(' ')],
    ['邮箱', f.emails.join(' ')],
  ].filter(([, v]) => v);
  return [
    `判定：${c.isScam ? '疑似诈骗，不转发（进入管理员审核）' : c.isJob ? '内推/招聘' : '不是内推'}   jobScore ${round(c.jobScore)}（阈值 ${r.defaults.detection.threshold}）  scamScore ${round(c.scamScore)}`,
    `  依据：${ev(c.detection)}`,
    c.openToAll ? '专业：不限专业' : `专业类：${c.classes.length ? '' : '—'}`,
    ...c.classes.map((k) => `  ${k.code} ${k.name}  置信度 ${round(k.confidence)}  依据：${ev(k.evidence)}`),
    `推送学院：${c.colleges.length ? c.colleges.map((id) => `${name(id)}(${id})`).join('、') : '—'}`,
    `字段：${fields.length ? fields.map(([k, v]) => `${k} ${v}`).join('；') : '—'}`,
  ].join('\n');
}

const digest = program.command('digest').description('digests');
digest
  .command('preview')
  .description('show what the next digest would contain, without sending or recording it')
  .option('--college <id>', 'only this college')
  .addOption(new Option('--platform <name>', 'render as this platform would').choices(['local', ...REAL_PLATFORMS]))
  .action(async (o: { college?: string; platform?: Platform }) => {
    const r = rulesOrExit();
    const store = await Store.open(dataDir());
    const now = new Date();
    const colleges = o.college ? r.colleges.filter((c) => c.id === o.college) : r.colleges;
    if (o.college && colleges.length === 0) program.error(`no college "${o.college}" in ${rulesPath()}`);
    for (const c of colleges) {
      const composed = composeDigest(r, c, store.undigestedFor(c.id), now, 'preview');
      if (!composed) {
        console.log(`— ${c.name}: nothing new\n`);
        continue;
      }
      for (const part of composed.render(o.platform ?? c.channels[0]!.platform)) console.log(`${toPlainText(part)}\n`);
    }
  });

/** Opens the store for a change, refusing while a relay runs on it (it would overwrite the change). */
async function storeForChange(): Promise<Store> {
  const pid = runningRelay(dataDir());
  if (pid) {
    console.error(`alumni-relay (pid ${pid}) is running on ${dataDir()}: use the chat command /relay approve|reject ID, or stop it first.`);
    process.exit(1);
  }
  return Store.open(dataDir());
}

program
  .command('review [action] [id]')
  .description('posts held for review (suspected scams) and dead-lettered deliveries; `review approve ID` / `review reject ID`')
  .action(async (action?: string, id?: string) => {
    if (action && !['approve', 'reject'].includes(action)) return program.error('review takes: approve ID | reject ID');
    if (action) {
      if (!id) return program.error(`review ${action} needs a post ID (the first 8 characters are enough)`);
      const store = await storeForChange();
      const matches = store.posts().filter((p) => p.id.startsWith(id));
      if (matches.length !== 1) return program.error(matches.length ? `ID ${id} matches ${matches.length} posts; give more characters` : `no post ${id}`);
      await store.setStatus(matches[0]!.id, action === 'approve' ? 'active' : 'rejected');
      console.log(`${action === 'approve' ? 'approved' : 'rejected'} ${matches[0]!.id}`);
      return;
    }
    const store = await Store.open(dataDir());
    const held = store.posts().filter((p) => p.status === 'review');
    console.log(held.length ? `held for review (${held.length}):` : 'nothing held for review.');
    for (const p of held) {
      console.log(`  ${shortId(p.id)}  scam ${p.classification.scamScore.toFixed(2)}  ${p.sources[0]?.platform}:${p.sources[0]?.chatId}  ${p.text.replace(/\s+/g, ' ').slice(0, 60)}`);
    }
    const dead = store.deliveries().filter((d) => d.status === 'dead');
    if (dead.length) console.log(`\ndead-lettered deliveries (${dead.length}):`);
    for (const d of dead) console.log(`  ${d.id} → ${d.channel.platform}:${d.channel.chat}, ${d.attempts} attempts: ${d.lastError ?? ''}`);
  });

program
  .command('forget')
  .description("erase one person's posts and sender data everywhere (store, archives, sent digests)")
  .option('--sender <id>', 'the sender id on its platform (Telegram user id, Lark open_id, WeChat contact id)')
  .option('--name <name>', 'or: every sender who appeared under this display name')
  .action(async (o: { sender?: string; name?: string }) => {
    if (!o.sender && !o.name) return program.error('forget needs --sender ID or --name NAME');
    const store = await storeForChange();
    const ids = new Set<string>(o.sender ? [o.sender] : []);
    if (o.name) {
      for await (const p of store.allPosts()) for (const s of p.sources) if (s.senderName === o.name) ids.add(s.senderId);
    }
    if (ids.size === 0) {
      console.log(`no sender named ${o.name} in the store; nothing erased.`);
      await store.close();
      return;
    }
    for (const id of ids) {
      const r = await store.forgetSender(id);
      console.log(`sender ${id}: ${r.posts} posts erased, removed from ${r.sources} reposts, ${r.deliveries} sent digests blanked, ${r.files} archive files rewritten`);
    }
    await store.close();
  });

program
  .command('stats')
  .description('what the relay has received, stored and delivered')
  .action(async () => {
    const r = rulesOrExit();
    const store = await Store.open(dataDir());
    const { counters } = store.data;
    const posts = store.posts();
    const deliveries = store.deliveries();
    const by = <T>(list: readonly T[], key: (t: T) => string) =>
      list.reduce<Record<string, number>>((acc, t) => ((acc[key(t)] = (acc[key(t)] ?? 0) + 1), acc), {});
    const perCollege = r.colleges.map((c) => `  ${c.name}(${c.id}): ${posts.filter((p) => p.classification.colleges.includes(c.id)).length} 条，待推送 ${store.undigestedFor(c.id).length}`);
    const dead = deliveries.filter((d) => d.status === 'dead');
    console.log(
      [
        `store: ${store.file}`,
        `messages: received ${counters.received}, not from a source ${counters.ignored}, not a referral ${counters.notJob}, scams held ${counters.scams}, referrals stored ${counters.stored}, cross-posts merged ${counters.merged}, errors ${counters.errors}`,
        `posts: ${store.postCount()} stored; recent ${JSON.stringify(by(posts, (p) => p.status))}; archived ${store.archivedMonths().map((m) => `${m.month}: ${m.posts}`).join(', ') || 'none'}`,
        'per college:',
        ...perCollege,
        `digests: ${store.data.digests.length}; deliveries: ${JSON.stringify(by(deliveries, (d) => d.status))}`,
        ...(dead.length ? ['dead letters:', ...dead.map((d) => `  ${d.id} → ${d.channel.platform}:${d.channel.chat} after ${d.attempts} attempts: ${d.lastError ?? ''}`)] : []),
      ].join('\n'),
    );
  });

await program.parseAsync(process.argv);
