// `feedback show|reset [--college ID]`: what students' votes taught the routing, and undoing it.
import type { Command } from 'commander';
import { loadCatalog } from '../catalog.ts';
import { adjustmentRows } from '../feedback/describe.ts';
import { FeedbackService } from '../feedback/service.ts';
import { feedbackCounts } from '../feedback/stats.ts';
import { runningRelay } from '../lock.ts';
import { type Context, fail } from './context.ts';
import { storeView } from '../feedback/view.ts';

export function registerFeedback(program: Command, ctx: Context): void {
  program
    .command('feedback <action>')
    .description('学生反馈：feedback show 查看按 👍/👎 学到的路由调整和计数；feedback reset 清除调整（--college 只针对一个学院；relay 停止时运行，运行中请用控制台）')
    .option('--college <id>', '只看/只清除这个学院')
    .action(async (action: string, o: { college?: string }, cmd: Command) => {
      if (action !== 'show' && action !== 'reset') return cmd.error(`错误：feedback 后面只能跟 show 或 reset，不能是 "${action}"`);
      const rules = ctx.rules();
      if (o.college && !rules.colleges.some((c) => c.id === o.college)) fail(`错误：没有 id 为 ${o.college} 的学院（可用：${rules.colleges.map((c) => c.id).join('、')}）`);
      const { dataDir } = ctx.paths();
      if (action === 'reset') {
        const pid = runningRelay(dataDir);
        if (pid) fail(`alumni-relay（pid ${pid}）正在使用 ${dataDir}：请在控制台的反馈页重置，或者先停止它。`);
      }
      const store = await ctx.storeToRead();
      const catalog = loadCatalog();
      // show and reset hash nobody: the secret is not needed here.
      const fb = new FeedbackService({
        dataDir,
        secret: process.env.RELAY_SECRET || 'feedback-cli-no-hashing',
        catalog,
        view: storeView(store, () => rules),
      });
      try {
        if (action === 'reset') {
          const ids = await fb.reset(o.college);
          console.log(`已清除 ${ids.join('、')} 的反馈调整；此前的投票不再影响路由（👍/👎 计数保留）。`);
          return;
        }
        const rows = adjustmentRows(fb.adjustments(), o.college, catalog);
        const counts = feedbackCounts(fb, storeView(store, () => rules));
        for (const c of counts.colleges) {
          if (o.college && c.collegeId !== o.college) continue;
          const reset = fb.resets()[c.collegeId];
          console.log(`${c.collegeId}：送达 ${c.delivered}  点击 ${c.clicks}  👍 ${c.up}  👎 ${c.down}  订阅 ${c.subscribers}${reset ? `  （${reset.slice(0, 10)} 重置过）` : ''}`);
          const mine = rows.filter((r) => r.collegeId === c.collegeId);
          if (!mine.length) console.log('  没有学到的调整');
          for (const r of mine.slice(0, 30)) console.log(`  ${r.weight >= 0 ? '+' : '−'}${Math.abs(r.weight).toFixed(2)}  ${r.label}  ${r.voters} 人（👍 ${r.up} 👎 ${r.down}）`);
          if (mine.length > 30) console.log(`  …另有 ${mine.length - 30} 项`);
        }
      } finally {
        await fb.close();
        await store.close();
      }
    });
}
