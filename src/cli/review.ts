// `review`: posts held as suspected scams and dead-lettered deliveries; approve or reject a held post.
import type { Command } from 'commander';
import { shortId } from '../admin.ts';
import { type Context, fail } from './context.ts';

const CHAT_HINT = '运行中请在群里用 /relay approve|reject ID，或者先停止它';

export function registerReview(program: Command, ctx: Context): void {
  program
    .command('review [action] [id]')
    .description('待审核的帖子（疑似诈骗）和发送失败的投递；review approve ID / review reject ID 放行或拒绝（relay 停止时；运行中请在群里用 /relay approve）')
    .action(async (action: string | undefined, id: string | undefined, _o: unknown, cmd: Command) => {
      if (action && action !== 'approve' && action !== 'reject') return cmd.error(`错误：review 后面只能跟 approve ID 或 reject ID，不能是 "${action}"`);
      if (action) {
        if (!id) return cmd.error(`错误：review ${action} 需要帖子 ID（前 8 个字符即可）`);
        const store = await ctx.storeToChange(CHAT_HINT);
        const matches = store.posts().filter((p) => p.id.startsWith(id));
        if (matches.length !== 1) fail(matches.length ? `错误：ID ${id} 对应 ${matches.length} 个帖子，请多给几个字符` : `错误：没有 ID 为 ${id} 的帖子（alumni-relay review 列出待审核的帖子）`);
        await store.setStatus(matches[0]!.id, action === 'approve' ? 'active' : 'rejected');
        await store.close();
        console.log(`${action === 'approve' ? '已放行，将进入下一期速递' : '已拒绝'}：${matches[0]!.id}`);
        return;
      }
      const store = await ctx.storeToRead();
      const held = store.posts().filter((p) => p.status === 'review');
      console.log(held.length ? `待审核（${held.length}）：` : '没有待审核的帖子。');
      for (const p of held) {
        console.log(`  ${shortId(p.id)}  诈骗分 ${p.classification.scamScore.toFixed(2)}  ${p.sources[0]?.platform}:${p.sources[0]?.chatId}  ${p.text.replace(/\s+/g, ' ').slice(0, 60)}`);
      }
      const dead = store.deliveries().filter((d) => d.status === 'dead');
      if (dead.length) console.log(`\n发送失败、已放弃的投递（${dead.length}）：`);
      for (const d of dead) console.log(`  ${d.id} → ${d.channel.platform}:${d.channel.chat}，${d.attempts} 次：${d.lastError ?? ''}`);
    });
}
