// `digest preview`: what each college's next digest would contain, rendered for a platform, without sending or recording it.
import { Option, type Command } from 'commander';
import { REAL_PLATFORMS } from '../../adapters/index.ts';
import { composeDigest } from '../digest/compose.ts';
import type { Platform } from '../domain.ts';
import { toPlainText } from '../plain-text.ts';
import type { Rules } from '../rules/index.ts';
import { type Context, fail } from './context.ts';

/** "electrical（电气与电子工程学院）、…": what --college accepts. */
export const collegeList = (r: Rules) => r.colleges.map((c) => `${c.id}（${c.name}）`).join('、');

export function registerDigest(program: Command, ctx: Context): void {
  const digest = program.command('digest').description('速递');
  digest
    .command('preview')
    .description('预览下一期速递的内容（不发送，也不记录）')
    .option('--college <id>', '只看这个学院（学院 id，见 rules/routing.yaml）')
    .addOption(new Option('--platform <name>', '按这个平台的格式显示').choices(['local', ...REAL_PLATFORMS]))
    .action(async (o: { college?: string; platform?: Platform }) => {
      const r = ctx.rules();
      const colleges = o.college ? r.colleges.filter((c) => c.id === o.college) : r.colleges;
      if (o.college && colleges.length === 0) fail(`错误：规则里没有学院 "${o.college}"。可用的学院 id：${collegeList(r)}`);
      const store = await ctx.storeToRead();
      const now = new Date();
      for (const c of colleges) {
        const composed = composeDigest(r, c, store.undigestedFor(c.id), now, 'preview');
        if (!composed) {
          console.log(`— ${c.name}：没有新内推\n`);
          continue;
        }
        for (const part of composed.render(o.platform ?? c.channels[0]!.platform)) console.log(`${toPlainText(part)}\n`);
      }
    });
}
