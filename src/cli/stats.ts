// `stats`: what the relay has received, stored and delivered, as aligned Chinese text or (--json) for machines.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadCatalog } from '../catalog.ts';
import { FeedbackService } from '../feedback/service.ts';
import { FEEDBACK_DIR, FEEDBACK_FILE } from '../feedback/state.ts';
import { type FeedbackCounts, feedbackCounts } from '../feedback/stats.ts';
import type { DeliveryStatus, PostStatus } from '../domain.ts';
import type { Rules } from '../rules/index.ts';
import type { Store } from '../store/store.ts';
import type { Context } from './context.ts';
import { table } from './format.ts';
import { storeView } from '../feedback/view.ts';

export interface StatsReport {
  dataDir: string;
  messages: { received: number; ignored: number; notJob: number; scams: number; stored: number; merged: number; errors: number };
  posts: { total: number; recent: Record<PostStatus, number>; archived: { month: string; posts: number }[] };
  colleges: { id: string; name: string; recentPosts: number; backlog: number }[];
  digests: number;
  deliveries: Record<DeliveryStatus, number>;
  deadLetters: { id: string; channel: string; attempts: number; lastError: string }[];
  /** Students' feedback per college (absent when feedback never ran: no RELAY_SECRET). */
  feedback?: FeedbackCounts['colleges'];
  /** Journal lines that could not be read at open and were skipped (not torn last lines, which a kill leaves). */
  unreadableJournalLines: { file: string; line: number; reason: string }[];
}

export function buildStats(store: Store, rules: Rules, feedback?: FeedbackCounts): StatsReport {
  const posts = store.posts();
  const deliveries = store.deliveries();
  const recent: Record<PostStatus, number> = { active: 0, review: 0, rejected: 0 };
  for (const p of posts) recent[p.status] += 1;
  const byStatus: Record<DeliveryStatus, number> = { pending: 0, delivered: 0, dead: 0 };
  for (const d of deliveries) byStatus[d.status] += 1;
  return {
    dataDir: store.dir,
    messages: { ...store.counters() },
    posts: { total: store.postCount(), recent, archived: store.archivedMonths() },
    colleges: rules.colleges.map((c) => ({
      id: c.id,
      name: c.name,
      recentPosts: posts.filter((p) => p.status === 'active' && p.classification.colleges.includes(c.id)).length,
      backlog: store.undigestedFor(c.id).length,
    })),
    // '@alumni' (acks, summaries) and '@personal' (subscriptions) records are not college digests (ids start with a letter).
    digests: store.digests().filter((g) => !g.collegeId.startsWith('@')).length,
    deliveries: byStatus,
    deadLetters: deliveries
      .filter((d) => d.status === 'dead')
      .map((d) => ({ id: d.id, channel: `${d.channel.platform}:${d.channel.chat}`, attempts: d.attempts, lastError: d.lastError ?? '' })),
    ...(feedback && { feedback: feedback.colleges }),
    unreadableJournalLines: store
      .unreadableJournalLines()
      .filter((u) => u.kind === 'corrupt')
      .map((u) => ({ file: u.file, line: u.line, reason: u.reason })),
  };
}

const n = (x: number) => x.toLocaleString('en-US');

export function renderStats(s: StatsReport): string {
  const m = s.messages;
  const archived = s.posts.archived.reduce((a, x) => a + x.posts, 0);
  const review = 'alumni-relay review 查看';
  const sections: [string, string[][]][] = [
    [
      '消息',
      [
        ['收到', n(m.received)],
        ['不在来源群（忽略）', n(m.ignored)],
        ['不是内推', n(m.notJob)],
        ['疑似诈骗（待审核）', n(m.scams)],
        ['存为内推', n(m.stored)],
        ['多群重复、已合并', n(m.merged)],
        ['处理出错', n(m.errors)],
      ],
    ],
    [
      '内推',
      [
        ['共存储', n(s.posts.total), archived ? `其中已归档 ${n(archived)}` : ''],
        ['近期有效', n(s.posts.recent.active)],
        ['待审核', n(s.posts.recent.review), s.posts.recent.review ? review : ''],
        ['已拒绝', n(s.posts.recent.rejected)],
        ...s.posts.archived.map((a) => [`归档 ${a.month}`, n(a.posts)]),
      ],
    ],
    [
      '推送',
      [
        ['已生成速递', n(s.digests)],
        ['已送达', n(s.deliveries.delivered)],
        ['等待发送', n(s.deliveries.pending)],
        ['已放弃（死信）', n(s.deliveries.dead), s.deliveries.dead ? review : ''],
      ],
    ],
  ];
  // The label/number sections share one set of column widths, so every number lines up down the page.
  const aligned = table(sections.flatMap(([, rows]) => rows), ['l', 'r', 'l'], '  ');
  let at = 0;
  const block = ([title, rows]: [string, string[][]]) => [title, ...aligned.slice(at, (at += rows.length)), ''];
  const lines = [
    `数据目录  ${s.dataDir}`,
    '',
    ...block(sections[0]!),
    ...block(sections[1]!),
    '各学院（近期有效内推 / 待推送）',
    ...table(
      s.colleges.map((c) => [c.name, c.id, n(c.recentPosts), n(c.backlog)]),
      ['l', 'l', 'r', 'r'],
      '  ',
    ),
    '',
    ...block(sections[2]!),
  ];
  if (s.feedback) {
    const name = new Map(s.colleges.map((c) => [c.id, c.name]));
    lines.push(
      '学生反馈（送达 / 点击 / 👍 / 👎 / 订阅人数）',
      ...table(
        s.feedback.map((f) => [name.get(f.collegeId) ?? f.collegeId, n(f.delivered), n(f.clicks), n(f.up), n(f.down), n(f.subscribers)]),
        ['l', 'r', 'r', 'r', 'r', 'r'],
        '  ',
      ),
      '',
    );
  }
  if (s.deadLetters.length) {
    lines.push('死信', ...table(s.deadLetters.map((d) => [d.id, `→ ${d.channel}`, `${d.attempts} 次`, d.lastError]), [], '  '), '');
  }
  const bad = s.unreadableJournalLines;
  if (bad.length) {
    lines.push(`注意：日志（journal）里有 ${n(bad.length)} 行无法读取，已跳过：`, ...bad.slice(0, 20).map((u) => `  ${u.file}:${u.line}  ${u.reason}`));
    if (bad.length > 20) lines.push(`  …另有 ${n(bad.length - 20)} 行（stats --json 列出全部）`);
    lines.push('');
  }
  return lines.join('\n').trimEnd();
}

export function registerStats(program: Command, ctx: Context): void {
  program
    .command('stats')
    .description('统计：收到、存储、推送了多少（各学院待推送的积压）')
    .option('--json', '输出 JSON（给脚本和监控用）')
    .action(async (o: { json?: boolean }) => {
      const rules = ctx.rules();
      const store = await ctx.storeToRead();
      // Feedback counts from its state file when the relay kept one (counting hashes nobody: no secret needed).
      const { dataDir } = ctx.paths();
      let counts: FeedbackCounts | undefined;
      if (existsSync(join(dataDir, FEEDBACK_DIR, FEEDBACK_FILE))) {
        const view = storeView(store, () => rules);
        counts = feedbackCounts(new FeedbackService({ dataDir, secret: process.env.RELAY_SECRET || 'stats-cli-no-hashing', catalog: loadCatalog(), view }), view);
      }
      const report = buildStats(store, rules, counts);
      console.log(o.json ? JSON.stringify(report, null, 2) : renderStats(report));
    });
}
