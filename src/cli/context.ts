// What every command shares: where the rules and the store are, loading the rules, opening the store,
// and how a command fails. Only the CLI exits the process.
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadCatalog } from '../catalog.ts';
import { runningRelay } from '../lock.ts';
import { PROJECT_ROOT } from '../paths.ts';
import { formatProblem, loadRulesFile, RulesError, type Rules } from '../rules/index.ts';
import { Store } from '../store/store.ts';

export interface Paths {
  rules: string;
  dataDir: string;
  /** True when the data directory was named (--data-dir or RELAY_DATA_DIR), not the project default. */
  dataDirGiven: boolean;
}

/**
 * The rules file and data directory. Given ones (option, then environment) resolve against the working
 * directory like any path typed in a shell; the defaults are the project's own rules/routing.yaml and
 * data/, wherever the command is run from (a systemd unit, cron, another folder).
 */
export function resolvePaths(opts: { rules?: string; dataDir?: string }, env: NodeJS.ProcessEnv, cwd: string, root = PROJECT_ROOT): Paths {
  const rules = opts.rules ?? (env.RELAY_RULES || undefined);
  const dataDir = opts.dataDir ?? (env.RELAY_DATA_DIR || undefined);
  const given = (p: string) => (isAbsolute(p) ? p : resolve(cwd, p));
  return {
    rules: rules ? given(rules) : resolve(root, 'rules', 'routing.yaml'),
    dataDir: dataDir ? given(dataDir) : resolve(root, 'data'),
    dataDirGiven: dataDir !== undefined,
  };
}

/** Prints a message on stderr and exits 1: a value that is wrong, not the command's usage. */
export function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

export class Context {
  constructor(private readonly program: Command) {}

  paths(): Paths {
    return resolvePaths(this.program.opts<{ rules?: string; dataDir?: string }>(), process.env, process.cwd());
  }

  /** Loads the rules or prints every problem and exits 1. */
  rules(file = this.paths().rules): Rules {
    try {
      return loadRulesFile(file, loadCatalog());
    } catch (err) {
      if (!(err instanceof RulesError)) throw err;
      for (const p of err.problems) console.error(formatProblem(p));
      fail(`\n${file} 中有 ${err.problems.length} 个问题；什么都没有改动。`);
    }
  }

  /**
   * The store for a command that only reads it. A missing directory is most likely a typo in --data-dir:
   * say so and stop, rather than create it (Store.open would).
   */
  async storeToRead(): Promise<Store> {
    const { dataDir, dataDirGiven } = this.paths();
    if (!existsSync(dataDir)) {
      fail(
        dataDirGiven
          ? `数据目录 ${dataDir} 不存在（路径写错了？）；没有创建它。`
          : `数据目录 ${dataDir} 不存在：relay 还没有在这里运行过。用 --data-dir 或 RELAY_DATA_DIR 指向它的数据目录。`,
      );
    }
    return Store.open(dataDir);
  }

  /** Warns, without stopping, when a command that does not use the store is given one that does not exist. */
  warnIfMissingDataDir(): void {
    const { dataDir, dataDirGiven } = this.paths();
    if (dataDirGiven && !existsSync(dataDir)) console.error(`注意：数据目录 ${dataDir} 不存在（路径写错了？）；这个命令用不到它，没有创建。`);
  }

  /** Opens the store for a change, refusing while a relay runs on it (it would overwrite the change). */
  async storeToChange(advice: string): Promise<Store> {
    const { dataDir } = this.paths();
    if (!existsSync(dataDir)) fail(`数据目录 ${dataDir} 不存在（路径写错了？）；没有创建它。`);
    const pid = runningRelay(dataDir);
    if (pid) fail(`alumni-relay（pid ${pid}）正在使用 ${dataDir}：${advice}。`);
    return Store.open(dataDir);
  }
}
