// `report contributors` (contribution records per alumnus for a month, text or --csv) and `preview`
// (what an alumni group would be sent: ack | daily | hint | guide | thanks). Both only read: the store
// and data/alumni are opened without writing, so they are safe while the relay runs.
import type { Command } from 'commander';
import { ackText, type Contributor, dailyText, guideText, hintText, thanksText } from '../alumni/compose.ts';
import type { LedgerEntry } from '../alumni/ledger.ts';
import { previousMonth } from '../alumni/plan.ts';
import { type AlumniConfig, alumniConfigOf, groupKey } from '../alumni/rules.ts';
import { AlumniService } from '../alumni/service.ts';
import { loadCatalog } from '../catalog.ts';
import { silentLogger } from '../log.ts';
import { localDate } from '../time.ts';
import { type Context, fail } from './context.ts';
import { table } from './format.ts';
import { KINDS, type Kind, previewText } from '../alumni/preview.ts';
import { csvCell } from '../csv.ts';

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

async function openAlumni(ctx: Context) {
  const rules = ctx.rules();
  const store = await ctx.storeToRead();
  const alumni = await AlumniService.open({
    store,
    rules: () => rules,
    catalog: loadCatalog(),
    dataDir: ctx.paths().dataDir,
    enqueue: async () => {
      throw new Error('read-only');
    },
    logger: silentLogger,
    readOnly: true,
  });
  alumni.syncOnly(); // in memory: what the relay's next sweep would record
  return { rules, store, alumni, cfg: alumniConfigOf(rules) };
}


export function contributorsCsv(month: string, rows: readonly Contributor[], optedOut: ReadonlySet<string>): string {
  const header = ['month', 'platform', 'sender_id', 'name', 'referrals', 'colleges', 'student_groups', 'students', 'clicks', 'likes', 'opted_out'];
  const lines = rows.map((r) => {
    const [platform, ...id] = r.key.split(':');
    return [month, platform, id.join(':'), r.name, r.referrals, r.colleges, r.channels, r.members, r.clicks, r.likes, optedOut.has(r.key) ? 'yes' : 'no'].map(csvCell).join(',');
  });
  return [header.join(','), ...lines].join('\n');
}

export function contributorsTable(month: string, rows: readonly Contributor[], optedOut: ReadonlySet<string>): string {
  if (!rows.length) return `${month} 没有校友内推记录。`;
  const body = rows.map((r) => [
    r.name + (optedOut.has(r.key) ? '（不署名）' : ''),
    r.key,
    String(r.referrals),
    String(r.colleges),
    String(r.channels),
    r.members === undefined ? '—' : String(r.members),
    String(r.clicks),
    String(r.likes),
  ]);
  const total = rows.reduce((a, r) => a + r.referrals, 0);
  return [`${month} 校友内推贡献（${rows.length} 位校友，${total} 条内推）：`, ...table([['校友', '平台:id', '内推', '学院', '学生群', '约学生数', '点开', '👍'], ...body], ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r'], '  ')].join('\n');
}

export function registerAlumni(program: Command, ctx: Context): void {
  const report = program.command('report').description('报表');
  report
    .command('contributors')
    .description('校友内推贡献：每位校友某月发的内推、转到的学院和学生群、点开和 👍')
    .option('--month <YYYY-MM>', '月份（默认上个月，规则里的时区）')
    .option('--csv', '输出 CSV（UTF-8，第一行是列名）')
    .action(async (o: { month?: string; csv?: boolean }, cmd: Command) => {
      if (o.month && !MONTH.test(o.month)) return cmd.error(`错误：--month 要写成 YYYY-MM，例如 2026-11，不是 "${o.month}"`);
      const { alumni, cfg, store } = await openAlumni(ctx);
      const month = o.month ?? previousMonth(localDate(new Date(), cfg.timeZone).slice(0, 7));
      const rows = alumni.contributors(month);
      console.log(o.csv ? contributorsCsv(month, rows, alumni.optedOut()) : contributorsTable(month, rows, alumni.optedOut()));
      await store.close();
    });

  program
    .command('preview <kind>')
    .description('预览发到校友群的消息：ack（回执）、daily（每日小结）、hint（发帖提示）、guide（发帖指南）、thanks（月度致谢）')
    .requiredOption('--group <group>', '校友群：规则 sources 里的 group 或 name')
    .option('--month <YYYY-MM>', 'thanks 的月份（默认上个月）')
    .action(async (kind: string, o: { group: string; month?: string }, cmd: Command) => {
      if (!(KINDS as readonly string[]).includes(kind)) return cmd.error(`错误：preview 后面是 ${KINDS.join(' | ')} 之一，不是 "${kind}"`);
      if (o.month && !MONTH.test(o.month)) return cmd.error(`错误：--month 要写成 YYYY-MM，例如 2026-11，不是 "${o.month}"`);
      const { alumni, cfg, store } = await openAlumni(ctx);
      const src = [...cfg.sources.entries()].find(([, s]) => s.group === o.group || s.name === o.group);
      if (!src) fail(`错误：规则里没有校友群 "${o.group}"。可用：${[...cfg.sources.values()].map((s) => s.name).join('、')}`);
      const [group, settings] = src;
      const { text, example } = previewText(kind as Kind, group, cfg, alumni.entries(), alumni.optedOut(), new Date(), o.month);
      const off =
        (kind === 'ack' && settings.ack !== 'reply') || (kind === 'daily' && settings.ack !== 'daily') || (kind === 'hint' && !settings.hints) || (kind === 'thanks' && !settings.thanks);
      console.log(`# ${settings.name}（${group}）· ${kind}${example ? '（示例数据）' : ''}${off ? '（本群当前设置下不会发送）' : ''}`);
      console.log(text);
      await store.close();
    });
}
