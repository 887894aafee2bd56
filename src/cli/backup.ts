// `backup FILE` and `restore FILE`: the whole data directory (the store's snapshot, journal and archives, and
// the alumni, feedback, console and media folders) as one gzip'ed file, and back.
// A backup may be taken while the relay runs (it reads a consistent state); a restore needs it stopped.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { backupStore, restoreStore, verifyBackup } from '../store/backup.ts';
import { type Context, fail } from './context.ts';

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

export function registerBackup(program: Command, ctx: Context): void {
  program
    .command('backup <file>')
    .description('把整个数据目录备份到一个文件（gzip）；relay 运行时也可以备份')
    .action(async (file: string) => {
      const { dataDir, dataDirGiven } = ctx.paths();
      if (!existsSync(dataDir)) fail(`数据目录 ${dataDir} 不存在${dataDirGiven ? '（路径写错了？）' : ''}；没有可备份的内容，也没有创建它。`);
      const s = await backupStore(dataDir, resolve(file));
      console.log(
        `已备份 ${dataDir} → ${s.file}（${kb(s.bytes)}）：${s.posts + s.archivedPosts} 条内推（其中归档 ${s.archivedPosts}），` +
          `${s.digests + s.archivedDigests} 期速递，${s.deliveries} 个投递${s.journal ? `，备份期间的 ${s.journal} 个改动` : ''}；` +
          `校友、反馈、控制台和图片 ${s.sideFiles} 个文件（${kb(s.sideBytes)}）`,
      );
      console.log(`恢复：alumni-relay restore ${s.file} --data-dir 目标目录`);
    });

  program
    .command('restore <file>')
    .description('从备份文件恢复数据目录（relay 停止时）；目标已有数据时需要 --force，原有文件会移到 before-restore-<时间>/，不会删除')
    .option('--force', '目标目录已有数据时也恢复（原有文件移到一旁保留）')
    .option('--check', '只检查备份文件是否完整，不恢复')
    .action(async (file: string, o: { force?: boolean; check?: boolean }) => {
      const path = resolve(file);
      if (o.check) {
        const v = await verifyBackup(path);
        console.log(`${path}：完整 — ${v.lines} 行（其中校友、反馈、控制台和图片文件 ${v.sideFiles} 个），创建于 ${v.header.createdAt}，存储格式 ${v.header.formatVersion}`);
        return;
      }
      const { dataDir } = ctx.paths();
      const r = await restoreStore(path, dataDir, { force: o.force });
      console.log(`已从 ${path}（${r.backup.header.createdAt}）恢复到 ${dataDir}：${r.posts} 条内推，校友、反馈、控制台和图片文件 ${r.backup.sideFiles} 个`);
      if (r.keptAside) console.log(`原有的文件移到了 ${r.keptAside}`);
    });
}
