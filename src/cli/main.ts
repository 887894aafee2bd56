// The admin's command line: one file per command group in this folder; this one assembles them.
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import dotenv from 'dotenv';
import { PROJECT_ROOT, projectPath } from '../paths.ts';
import { formatProblem, RulesError } from '../rules/index.ts';
import { registerAlumni } from './alumni.ts';
import { registerBackup } from './backup.ts';
import { registerClassify } from './classify.ts';
import { Context } from './context.ts';
import { registerDigest } from './digest.ts';
import { registerFeedback } from './feedback.ts';
import { registerForget } from './forget.ts';
import { registerHealth } from './health.ts';
import { localize } from './i18n.ts';
import { registerReview } from './review.ts';
import { registerRules } from './rules.ts';
import { registerStart } from './start.ts';
import { registerStats } from './stats.ts';

const version = (): string => (JSON.parse(readFileSync(projectPath('package.json'), 'utf8')) as { version: string }).version;

export function buildProgram(): Command {
  const program = localize(new Command())
    .name('alumni-relay')
    .description('把校友群里的内推按专业整理，定时推送到各学院的学生群')
    .version(version(), '-V, --version', '显示版本号')
    .option('--rules <file>', '路由规则文件（环境变量 RELAY_RULES；默认为项目里的 rules/routing.yaml）')
    .option('--data-dir <dir>', '数据目录（环境变量 RELAY_DATA_DIR；默认为项目里的 data/）');
  const ctx = new Context(program);
  registerStart(program, ctx);
  registerRules(program, ctx);
  registerClassify(program, ctx);
  registerDigest(program, ctx);
  registerReview(program, ctx);
  registerForget(program, ctx);
  registerFeedback(program, ctx);
  registerAlumni(program, ctx);
  registerStats(program, ctx);
  registerBackup(program, ctx);
  registerHealth(program, ctx);
  return program;
}

/**
 * Errors the admin can act on (bad rules, a platform refusing the credentials, a bad setting) are printed as
 * their message, one line each, without a stack; anything else is a bug and keeps its stack.
 */
const EXPECTED = new Set(['AdapterError', 'ConfigError', 'RulesError', 'StoreError', 'LockError']);

export function describeFailure(err: unknown): { lines: string[]; expected: boolean } {
  if (err instanceof RulesError) return { lines: err.problems.map(formatProblem), expected: true };
  if (err instanceof Error && EXPECTED.has(err.name)) return { lines: [err.message.replace(/\s*\n\s*/g, ' ')], expected: true };
  return { lines: [err instanceof Error ? (err.stack ?? err.message) : String(err)], expected: false };
}

export async function main(argv: string[]): Promise<void> {
  // .env in the working directory first, then the project's: a variable already set wins over both.
  dotenv.config({ path: [`${process.cwd()}/.env`, `${PROJECT_ROOT}/.env`], quiet: true });
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    const { lines, expected } = describeFailure(err);
    console.error(expected ? `alumni-relay 无法继续：${lines.join('\n')}` : lines.join('\n'));
    process.exit(1);
  }
}
