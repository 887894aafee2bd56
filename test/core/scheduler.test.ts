import { afterEach, describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog.ts';
import { silentLogger } from '../../src/log.ts';
import { parseRules } from '../../src/rules/index.ts';
import { DigestScheduler, schedulesOf } from '../../src/scheduler.ts';

const rules = parseRules(
  `
defaults: { timezone: Asia/Shanghai, digest: "30 8 * * 1-5" }
sources: [{ platform: wechat, group: 校友群 }]
colleges:
  - { id: ee, name: 电气, classes: ["0806"], digest: "0 8,18 * * *", channels: [{ platform: wechat, chat: a }] }
  - { id: cs, name: 计算机, classes: ["0809"], channels: [{ platform: wechat, chat: b }] }
`,
  't.yaml',
  loadCatalog(),
);

let scheduler: DigestScheduler | undefined;
afterEach(() => scheduler?.stop());

describe('scheduling', () => {
  it('takes each college its own schedule or the default, in the rules time zone', () => {
    expect(schedulesOf(rules)).toEqual([
      { collegeId: 'ee', expression: '0 8,18 * * *', timezone: 'Asia/Shanghai' },
      { collegeId: 'cs', expression: '30 8 * * 1-5', timezone: 'Asia/Shanghai' },
    ]);
    expect(schedulesOf(rules, '*/5 * * * * *').map((s) => s.expression)).toEqual(['*/5 * * * * *', '*/5 * * * * *']);
  });

  it('computes the next run in the time zone (08:30 Shanghai is 00:30 UTC)', () => {
    scheduler = new DigestScheduler(async () => {}, silentLogger);
    scheduler.apply(schedulesOf(rules));
    const next = scheduler.nextRuns().find((r) => r.collegeId === 'cs')!.next!;
    expect(next.getUTCHours()).toBe(0);
    expect(next.getUTCMinutes()).toBe(30);
    expect([1, 2, 3, 4, 5]).toContain(new Date(next.getTime() + 8 * 3600_000).getUTCDay());
  });

  it('fires per college, and a run that throws does not stop the schedule', async () => {
    const fired: string[] = [];
    scheduler = new DigestScheduler(async (id) => {
      fired.push(id);
      throw new Error('digest failed');
    }, silentLogger);
    scheduler.apply(schedulesOf(rules, '* * * * * *'));
    const until = Date.now() + 4000;
    while (fired.filter((f) => f === 'ee').length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(fired.filter((f) => f === 'ee').length).toBeGreaterThanOrEqual(2);
    expect(fired).toContain('cs');
  });

  it('never overlaps a run with itself', async () => {
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    scheduler = new DigestScheduler(async () => {
      running++;
      runs++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((r) => setTimeout(r, 1500));
      running--;
    }, silentLogger);
    scheduler.apply([{ collegeId: 'ee', expression: '* * * * * *', timezone: 'Asia/Shanghai' }]);
    await new Promise((r) => setTimeout(r, 3200));
    expect(runs).toBeGreaterThanOrEqual(1);
    expect(maxRunning).toBe(1);
  });

  it('keeps unchanged tasks on re-apply and replaces changed ones', () => {
    scheduler = new DigestScheduler(async () => {}, silentLogger);
    scheduler.apply(schedulesOf(rules));
    const before = scheduler.nextRuns();
    scheduler.apply(schedulesOf(rules).map((s) => (s.collegeId === 'cs' ? { ...s, expression: '0 12 * * *' } : s)));
    const after = scheduler.nextRuns();
    expect(after.find((r) => r.collegeId === 'ee')).toEqual(before.find((r) => r.collegeId === 'ee'));
    expect(after.find((r) => r.collegeId === 'cs')!.expression).toBe('0 12 * * *');
    scheduler.apply(schedulesOf(rules).filter((s) => s.collegeId === 'ee'));
    expect(scheduler.nextRuns().map((r) => r.collegeId)).toEqual(['ee']);
  });
});
