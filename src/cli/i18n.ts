// Commander speaks English; the careers-office admins read Chinese. Its help titles and its own error
// messages are translated here (command and option names stay English: they are what one types).
import type { Command } from 'commander';

const TITLES: Record<string, string> = {
  'Usage:': '用法：',
  'Options:': '选项：',
  'Commands:': '命令：',
  'Arguments:': '参数：',
  'Global Options:': '全局选项：',
};

/** Commander's error texts (commander 14, lib/command.js), as patterns → Chinese. Unmatched text passes through. */
const ERRORS: [RegExp, string][] = [
  [/^error: unknown option '([^']+)'/, "错误：未知选项 '$1'"],
  [/^error: unknown command '([^']+)'/, "错误：未知命令 '$1'"],
  [/^error: missing required argument '([^']+)'/, "错误：缺少参数 '$1'"],
  [/^error: option '([^']+)' argument missing/, "错误：选项 '$1' 缺少取值"],
  [/^error: required option '([^']+)' not specified/, "错误：必须给出选项 '$1'"],
  [/^error: too many arguments(?: for '([^']+)')?\. Expected (\d+) arguments? but got (\d+)\./, '错误：参数太多（需要 $2 个，给了 $3 个）'],
  [/^error: option '([^']+)' argument '([^']*)' is invalid\. Allowed choices are (.+)\./, "错误：选项 '$1' 的取值 '$2' 无效；可选：$3"],
  [/^error: option '([^']+)' argument '([^']*)' is invalid\./, "错误：选项 '$1' 的取值 '$2' 无效"],
  [/\(Did you mean one of (.+)\?\)/, '（是不是 $1 之一？）'],
  [/\(Did you mean (.+)\?\)/, '（是不是 $1？）'],
  [/^error: /, '错误：'],
];

export function translateCommanderError(text: string): string {
  return text
    .split('\n')
    .map((line) => ERRORS.reduce((l, [re, zh]) => l.replace(re, zh), line))
    .join('\n');
}

/** Chinese help and errors for `program`; subcommands created afterwards inherit these settings. */
export function localize(program: Command): Command {
  return program
    .configureHelp({ styleTitle: (title) => TITLES[title] ?? title })
    .configureOutput({ outputError: (text, write) => write(translateCommanderError(text)) })
    .helpOption('-h, --help', '显示帮助')
    .helpCommand('help [command]', '显示某个命令的帮助')
    .showHelpAfterError()
    .showSuggestionAfterError();
}
