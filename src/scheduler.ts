// One node-cron task per college, in the rules' time zone, never overlapping itself.
// `apply` is called again on every rules reload: unchanged schedules keep running, changed ones restart.
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from './log.ts';
import type { Rules } from './rules/schema.ts';

export interface ScheduleEntry {
  collegeId: string;
  expression: string;
  timezone: string;
}

/** Pure: each college's schedule, its own or the default, or `override` for all (demo mode). */
export function schedulesOf(rules: Rules, override?: string): ScheduleEntry[] {
  return rules.colleges.map((c) => ({
    collegeId: c.id,
    expression: override ?? c.digest ?? rules.defaults.digest,
    timezone: rules.defaults.timezone,
  }));
}

export class DigestScheduler {
  private readonly tasks = new Map<string, { entry: ScheduleEntry; task: ScheduledTask }>();

  constructor(
    private readonly run: (collegeId: string, firedAt: Date) => Promise<unknown>,
    private readonly logger: Logger,
  ) {}

  apply(entries: ScheduleEntry[]): void {
    const wanted = new Map(entries.map((e) => [e.collegeId, e]));
    for (const [id, { entry, task }] of this.tasks) {
      const next = wanted.get(id);
      if (next && next.expression === entry.expression && next.timezone === entry.timezone) continue;
      void task.destroy();
      this.tasks.delete(id);
    }
    for (const entry of entries) {
      if (this.tasks.has(entry.collegeId)) continue;
      const task = cron.createTask(
        entry.expression,
        async (ctx) => {
          try {
            await this.run(entry.collegeId, ctx.date ?? new Date());
          } catch (err) {
            this.logger.error({ err, college: entry.collegeId }, 'digest run failed');
          }
        },
        { timezone: entry.timezone, noOverlap: true, name: `digest:${entry.collegeId}` },
      );
      void task.start();
      this.tasks.set(entry.collegeId, { entry, task });
    }
  }

  nextRuns(): { collegeId: string; expression: string; next: Date | null }[] {
    return [...this.tasks.values()].map(({ entry, task }) => ({ collegeId: entry.collegeId, expression: entry.expression, next: task.getNextRun() }));
  }

  stop(): void {
    for (const { task } of this.tasks.values()) void task.destroy();
    this.tasks.clear();
  }
}
