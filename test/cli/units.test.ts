// The CLI's pure parts: path resolution, column alignment, error translation, evidence labels, failure output.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifierFor } from '../../src/app.ts';
import { loadCatalog } from '../../src/catalog.ts';
import { kindLabel } from '../../src/cli/classify.ts';
import { resolvePaths } from '../../src/cli/context.ts';
import { displayWidth, table } from '../../src/cli/format.ts';
import { translateCommanderError } from '../../src/cli/i18n.ts';
import { describeFailure } from '../../src/cli/main.ts';
import { farewell } from '../../src/cli/start.ts';
import { ConfigError } from '../../src/config-error.ts';
import { AdapterError } from '../../src/ports.ts';
import { loadRulesFile, RulesError } from '../../src/rules/index.ts';

describe('resolvePaths', () => {
  const root = '/srv/alumni-relay';
  it('defaults to the project root whatever the working directory', () => {
    expect(resolvePaths({}, {}, '/home/admin', root)).toEqual({ rules: `${root}/rules/routing.yaml`, dataDir: `${root}/data`, dataDirGiven: false });
  });
  it('resolves given paths (options before environment) against the working directory; absolute ones stay', () => {
    expect(resolvePaths({ rules: 'r.yaml', dataDir: 'd' }, { RELAY_RULES: '/x.yaml', RELAY_DATA_DIR: '/y' }, '/home/admin', root)).toEqual({
      rules: '/home/admin/r.yaml',
      dataDir: '/home/admin/d',
      dataDirGiven: true,
    });
    expect(resolvePaths({}, { RELAY_RULES: '/etc/relay/routing.yaml', RELAY_DATA_DIR: 'var' }, '/opt', root)).toEqual({
      rules: '/etc/relay/routing.yaml',
      dataDir: '/opt/var',
      dataDirGiven: true,
    });
  });
  it('treats an empty environment variable as unset', () => {
    expect(resolvePaths({}, { RELAY_RULES: '', RELAY_DATA_DIR: '' }, '/tmp', root).dataDirGiven).toBe(false);
  });
});

describe('table', () => {
  it('counts a CJK character as two cells', () => {
    expect(displayWidth('收到')).toBe(4);
    expect(displayWidth('ee（电气）')).toBe(10);
    expect(displayWidth('a·b')).toBe(3);
  });

  it('gives every row the same width up to its last column, whatever mix of scripts', () => {
    const cell = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('收到', '电气与电子工程学院', '疑似诈骗（待审核）', '１２３', 'ok'));
    fc.assert(
      fc.property(fc.array(fc.tuple(cell, cell, fc.nat(99999)), { minLength: 1, maxLength: 8 }), (rows) => {
        const clean = rows.map(([a, b, n]) => [a.replace(/[\s\p{C}]/gu, 'x'), b.replace(/[\s\p{C}]/gu, 'x'), String(n)]);
        const lines = table(clean, ['l', 'l', 'r']);
        // Right-aligned last column: every line has the same width.
        expect(new Set(lines.map(displayWidth)).size).toBe(1);
        // The second column starts at the same cell on every line.
        const firstWidth = Math.max(...clean.map((r) => displayWidth(r[0]!)));
        lines.forEach((l, i) => expect(displayWidth(l.slice(0, clean[i]![0]!.length)) + (firstWidth - displayWidth(clean[i]![0]!))).toBe(firstWidth));
      }),
      { numRuns: 300 },
    );
  });
});

describe('commander errors in Chinese', () => {
  it.each([
    ["error: unknown option '--jsno'\n(Did you mean --json?)", "错误：未知选项 '--jsno'\n（是不是 --json？）"],
    ["error: unknown command 'stat'\n(Did you mean one of stats, start?)", "错误：未知命令 'stat'\n（是不是 stats, start 之一？）"],
    ["error: too many arguments for 'stats'. Expected 0 arguments but got 1.", '错误：参数太多（需要 0 个，给了 1 个）'],
    ["error: option '--college <id>' argument missing", "错误：选项 '--college <id>' 缺少取值"],
    ['error: something new', '错误：something new'],
  ])('%s', (en, zh) => expect(translateCommanderError(en)).toBe(zh));
});

describe('classify evidence labels', () => {
  it('has a Chinese label for every evidence kind the classifier gives on the sample messages', () => {
    const rules = loadRulesFile('rules/routing.yaml', loadCatalog());
    const classifier = classifierFor(rules, loadCatalog());
    const kinds = new Set<string>();
    for (const line of readFileSync('data/samples/messages.jsonl', 'utf8').split('\n').filter(Boolean)) {
      const c = classifier.classify(JSON.parse(line).text, new Date('2026-11-20T00:00:00Z'), 'Asia/Shanghai');
      for (const e of [...c.detection, ...c.classes.flatMap((k) => k.evidence)]) kinds.add(e.kind);
    }
    expect(kinds.size).toBeGreaterThan(5);
    // Routing evidence (src/classify/routing.ts) explains colleges in the digest's 匹配 line.
    for (const k of ['class', 'major', 'keyword', 'open-to-all']) kinds.add(k);
    for (const kind of kinds) expect(kindLabel(kind), kind).toMatch(/^[\u4e00-\u9fff（）]+$/);
    expect(kindLabel('major-name-preferred')).toBe('专业名称（优先）');
  });
});

describe('failures', () => {
  it('prints an admin-fixable error as one line without a stack, a bug with its stack', () => {
    const adapter = describeFailure(new AdapterError('telegram', 'getMe', '401 Unauthorized:\n  check TELEGRAM_BOT_TOKEN'));
    expect(adapter).toEqual({ lines: ['telegram getMe: 401 Unauthorized: check TELEGRAM_BOT_TOKEN'], expected: true });
    expect(describeFailure(new ConfigError('RELAY_HTTP_PORT must be a port number')).lines).toEqual(['RELAY_HTTP_PORT must be a port number']);
    const rules = describeFailure(new RulesError([{ file: 'r.yaml', line: 3, col: 5, path: 'sources', message: '至少列出一个校友群', hint: '…' }]));
    expect(rules).toEqual({ lines: ['r.yaml:3:5 sources: 至少列出一个校友群。提示：…'], expected: true });
    const bug = describeFailure(new TypeError('x is undefined'));
    expect(bug.expected).toBe(false);
    expect(bug.lines[0]).toMatch(/TypeError: x is undefined\n\s+at /);
  });

  it('says where the store is when the relay stops', () => {
    expect(farewell('/srv/relay/data/demo', true)).toBe('alumni-relay 已停止。演示数据在 /srv/relay/data/demo（下次演示会清空重来）；查看统计：npm run cli -- stats --data-dir /srv/relay/data/demo');
  });
});
