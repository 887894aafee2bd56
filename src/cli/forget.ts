// `forget`: erase one person's posts and sender data everywhere (store, journal, archives, sent digests, and
// the messages of theirs an adapter read and the relay had not handled when it stopped).
import type { Command } from 'commander';
import { storeEnqueue } from '../alumni/requests.ts';
import { AlumniService } from '../alumni/service.ts';
import { loadCatalog } from '../catalog.ts';
import { secretFromEnv } from '../feedback/hash.ts';
import { FeedbackService } from '../feedback/service.ts';
import { forgetSpooled, spooledSendersNamed } from '../inbound-spool.ts';
import { silentLogger } from '../log.ts';
import type { Context } from './context.ts';
import { storeView } from '../feedback/view.ts';
import { sweepAfterForget } from '../media/relay-media.ts';

export function registerForget(program: Command, ctx: Context): void {
  program
    .command('forget')
    .description('删除某个人的全部内推和发送者信息（存储、归档、已发速递的文字、停止时还没处理完的消息）；relay 停止时运行')
    .option('--sender <id>', '发送者在平台上的 id（Telegram 用户 id、飞书 open_id、微信联系人 id）')
    .option('--name <name>', '或者：用过这个显示名的所有发送者')
    .action(async (o: { sender?: string; name?: string }, cmd: Command) => {
      if (!o.sender && !o.name) return cmd.error('错误：forget 需要 --sender ID 或 --name 显示名');
      const store = await ctx.storeToChange('先停止它（运行中的 relay 会覆盖这次删除）');
      const ids = new Set<string>(o.sender ? [o.sender] : []);
      const dataDir = ctx.paths().dataDir;
      if (o.name) {
        for await (const p of store.allPosts()) for (const s of p.sources) if (s.senderName === o.name) ids.add(s.senderId);
        for (const id of spooledSendersNamed(dataDir, o.name)) ids.add(id);
      }
      if (ids.size === 0) {
        console.log(`存储里没有名为 ${o.name} 的发送者；没有删除任何内容。`);
        await store.close();
        return;
      }
      const rules = ctx.rules();
      const catalog = loadCatalog();
      const alumni = await AlumniService.open({
        store,
        rules: () => rules,
        catalog,
        dataDir,
        enqueue: storeEnqueue(store, () => {}, () => new Date()),
        logger: silentLogger,
      });
      // Votes and subscriptions are kept under RELAY_SECRET's hash: without it there is nothing of theirs to find.
      const secret = secretFromEnv(process.env);
      const fb = secret
        ? new FeedbackService({
            dataDir,
            secret,
            catalog,
            view: storeView(store, () => rules),
          })
        : undefined;
      for (const id of ids) {
        const r = await store.forgetSender(id);
        // The English line is what test/core/privacy.test.ts reads; the Chinese one is for the admin.
        console.log(`已删除发送者 ${id}：${r.posts} 条内推，从 ${r.sources} 条转发中移除，${r.deliveries} 条已发速递已抹去，改写 ${r.files} 个归档文件`);
        console.log(`  (sender ${id}: ${r.posts} posts erased, removed from ${r.sources} reposts, ${r.deliveries} sent digests blanked, ${r.files} archive files rewritten)`);
        const a = await alumni.forget(id);
        console.log(`  校友记录：${a.entries} 条内推记录、${a.sources} 处转发署名、${a.marks} 个待发标记已删除${a.optout ? '，不署名设置已删除' : ''}${a.mentor ? '，导师计划记录已删除' : ''}`);
        if (fb) {
          const f = await fb.forget(undefined, id);
          console.log(`  学生反馈：${f.subscriptions} 个订阅、${f.votes} 条投票已删除`);
        }
      }
      // Their messages read and not yet handled when the relay stopped: the next start would store them.
      const waiting = await forgetSpooled(dataDir, ids);
      if (waiting) console.log(`  待处理消息：${waiting} 条已删除`);
      // Their pictures too (kept under media/ for digests), now rather than at the relay's next prune.
      const pictures = sweepAfterForget(dataDir, store);
      if (pictures) console.log(`  图片：${pictures} 个海报文件已删除`);
      // Clicks and votes of the posts just erased go with them.
      await fb?.dropPosts((postId) => !!store.postById(postId));
      await fb?.close();
      await alumni.stop();
      await store.close();
    });
}
