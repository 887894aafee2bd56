// `rules check` and `rules schema`: validate a rules file; write the JSON Schema editors use for it.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadCatalog } from '../catalog.ts';
import { routingJsonSchemaText } from '../rules/json-schema.ts';
import type { Context } from './context.ts';

export function registerRules(program: Command, ctx: Context): void {
  const rules = program.command('rules').description('路由规则（rules/routing.yaml）');
  rules
    .command('check [file]')
    .description('检查规则文件；有问题时逐条列出 文件:行:列 和修改提示，退出码 1')
    .action((file?: string) => {
      ctx.warnIfMissingDataDir();
      const path = file ? resolve(file) : ctx.paths().rules;
      const r = ctx.rules(path);
      console.log(`${path}：没有问题 — ${r.sources.length} 个校友群，${r.colleges.length} 个学院，${r.admins.length} 位管理员`);
    });
  rules
    .command('schema')
    .description('输出规则文件的 JSON Schema（编辑器据此补全和检查；npm run schema 写入 rules/routing.schema.json）')
    .option('--write <file>', '写入这个文件，而不是标准输出')
    .action((o: { write?: string }) => {
      const text = routingJsonSchemaText(loadCatalog());
      if (!o.write) return void process.stdout.write(text);
      writeFileSync(resolve(o.write), text);
      console.log(`已写入 ${resolve(o.write)}`);
    });
}
