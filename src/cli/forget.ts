// `forget`: erase one person's posts and sender data everywhere (store, journal, archives, sent digests).
import type { Command } from 'commander';
import type { Context } from './context.ts';

export function registerForget(program: Command, ctx: Context): void {
  program
    .command('forget')
    .description('删除某个人的全部内推和发送者信息（存储、归档、已发速递的文字）；relay 停止时运行')
    .option('--sender <id>', '发送者在平台上的 id（Telegram 用户 id、飞书 open_id、微信联系人 id）')
    .option('--name <name>', '或者：用过这个显示名的所有发送者')
    .action(async (o: { sender?: string; name?: string }, cmd: Command) => {
      if (!o.sender && !o.name) return cmd.error('错误：forget 需要 --sender ID 或 --name 显示名');
      const store = await ctx.storeToChange('先停止它（运行中的 relay 会覆盖这次删除）');
      const ids = new Set<string>(o.sender ? [o.sender] : []);
      if (o.name) {
        for await (const p of store.allPosts()) for (const s of p.sources) if (s.senderName === o.name) ids.add(s.senderId);
      }
      if (ids.size === 0) {
        console.log(`存储里没有名为 ${o.name} 的发送者；没有删除任何内容。`);
        await store.close();
        return;
      }
      for (const id of ids) {
        const r = await store.forgetSender(id);
        // The English line is what test/core/privacy.test.ts reads; the Chinese one is for the admin.
        console.log(`已删除发送者 ${id}：${r.posts} 条内推，从 ${r.sources} 条转发中移除，${r.deliveries} 条已发速递已抹去，改写 ${r.files} 个归档文件`);
        console.log(`  (sender ${id}: ${r.posts} posts erased, removed from ${r.sources} reposts, ${r.deliveries} sent digests blanked, ${r.files} archive files rewritten)`);
      }
      await store.close();
    });
}
