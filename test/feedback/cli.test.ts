import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Context } from '../../src/cli/context.ts';
import { registerFeedback } from '../../src/cli/feedback.ts';
import { FeedbackService } from '../../src/feedback/service.ts';
import { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/tmp.ts';
import { catalog, NOW, RULES_YAML, View } from './rig.ts';

afterEach(() => vi.restoreAllMocks());

async function run(args: string[]): Promise<string> {
  const lines: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((l: unknown) => void lines.push(String(l)));
  const program = new Command().option('--rules <file>').option('--data-dir <dir>').exitOverride();
  registerFeedback(program, new Context(program));
  await program.parseAsync(['node', 'alumni-relay', ...args]);
  return lines.join('\n');
}

describe('alumni-relay feedback show|reset', () => {
  it('shows the learnt adjustments per college and resets them', async () => {
    const dir = tempDir();
    const rulesFile = join(dir, 'routing.yaml');
    writeFileSync(rulesFile, RULES_YAML);
    await (await Store.open(dir, { fsync: false })).close();
    // Votes recorded by a relay (its view is the test rig; the CLI reads only the feedback file for adjustments).
    const view = new View();
    view.add('p1', '【内推】某电气公司招聘电气设计工程师，负责配电柜和PLC控制系统设计，自动化、电气工程及其自动化专业均可，上海');
    view.digest('dg-auto', 'automation', ['p1']);
    const fb = new FeedbackService({ dataDir: dir, secret: 'test-secret-0123456789abcdef', catalog, view, now: () => NOW, fsync: false });
    const { digestKey } = await import('../../src/feedback/items.ts');
    for (const u of ['a', 'b', 'c']) fb.vote({ platform: 'lark', chatId: 'oc_auto', userId: u, items: [1], value: -1, digestKey: digestKey('dg-auto') });
    await fb.close();

    const shown = await run(['--rules', rulesFile, '--data-dir', dir, 'feedback', 'show']);
    expect(shown).toContain('automation：送达 0  点击 0  👍 0  👎 3  订阅 0');
    expect(shown).toMatch(/−0\.\d\d {2}专业类 0808 自动化类（次要，主类 0806 电气类） {2}3 人（👍 0 👎 3）/);
    expect(shown).toContain('electrical：');
    expect(await run(['--rules', rulesFile, '--data-dir', dir, 'feedback', 'reset', '--college', 'automation'])).toContain('已清除 automation 的反馈调整');
    const after = await run(['--rules', rulesFile, '--data-dir', dir, 'feedback', 'show', '--college', 'automation']);
    expect(after).toMatch(/👎 3 .*重置过/);
    expect(after).toContain('没有学到的调整');
  });
});
