// 校友 in the console: the page and the month's contribution records as CSV. Reads the running relay's
// AlumniService (ConsoleDeps.alumni): the ledger it keeps, its opt-outs and mentor state; the previews
// are the CLI's (`preview ack|daily|thanks`). Nothing here writes.
import type { FastifyInstance } from 'fastify';
import type { LedgerEntry } from '../alumni/ledger.ts';
import { groupKey } from '../alumni/rules.ts';
import type { AlumniService } from '../alumni/service.ts';
import { previewText } from '../alumni/preview.ts';
import { contributorLines, mentorCounts, monthTotals, shiftMonth } from '../console/alumni-view.ts';
import { alumniBody, alumniOffBody, type AlumniPageView, type GroupPreview } from '../console/pages/alumni.ts';
import { toCsv } from '../csv.ts';
import { TtlCache } from '../console/ttl-cache.ts';
import { localDate } from '../time.ts';
import type { Ctx } from './index.ts';
import { pageSender } from './routes-pages.ts';

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
const OFF = { error: 'alumni_off', message: '控制台没有接入校友模块' };

/** What each group would be sent in its ack mode, and the month's thanks (off when the group's settings say so). */
function groupPreviews(alumni: AlumniService, month: string, now: Date): GroupPreview[] {
  const cfg = alumni.config();
  const optedOut = alumni.optedOut();
  // One pass puts each entry under the groups it came from: previewText looks only at a group's own
  // entries, so handing it those gives the same text without a scan of the whole ledger per group.
  const byGroup = new Map<string, LedgerEntry[]>();
  for (const e of alumni.entries()) {
    for (const g of new Set(e.sources.map((x) => groupKey(x.platform, x.chat)))) {
      const list = byGroup.get(g);
      if (list) list.push(e);
      else byGroup.set(g, [e]);
    }
  }
  return [...cfg.sources].map(([key, s]) => {
    const entries = byGroup.get(key) ?? [];
    const ackKind = s.ack === 'daily' ? 'daily' : 'ack';
    const ack = previewText(ackKind, key, cfg, entries, optedOut, now);
    const thanks = previewText('thanks', key, cfg, entries, optedOut, now, month);
    return {
      key,
      name: s.name,
      platform: s.platform,
      ack: s.ack,
      thanks: s.thanks,
      messages: [
        { title: ackKind === 'daily' ? '回执 · 每日小结' : '回执 · 回复原消息', ...ack, off: s.ack === 'off' },
        { title: `月度致谢 · ${month}`, ...thanks, off: !s.thanks },
      ],
    };
  });
}

export function registerAlumniPages(app: FastifyInstance, ctx: Ctx): void {
  const { deps } = ctx;
  const send = pageSender(ctx);
  const monthOf = (q: unknown, alumni: AlumniService) => (typeof q === 'string' && MONTH.test(q) ? q : localDate(deps.now(), alumni.config().timeZone).slice(0, 7));

  // The ledger walk (records and previews) at most once per 2 s per month.
  const cache = new TtlCache<AlumniPageView>(2000);
  const pageView = (alumni: AlumniService, month: string): AlumniPageView => {
    const cfg = alumni.config();
    const rows = alumni.contributors(month);
    return {
      month,
      prev: shiftMonth(month, -1),
      next: shiftMonth(month, 1),
      rows: contributorLines(rows, alumni.optedOut(), cfg.attribution),
      totals: monthTotals(rows),
      attribution: cfg.attribution,
      mentorsOn: cfg.mentors,
      mentors: mentorCounts(alumni.mentorState()),
      groups: groupPreviews(alumni, month, deps.now()),
    };
  };

  app.get('/alumni', (req, reply) => {
    const alumni = deps.alumni?.();
    if (!alumni) return send(req, reply, '/alumni', '校友', () => alumniOffBody());
    const month = monthOf((req.query as Record<string, unknown>).month, alumni);
    const view = cache.get(month, () => pageView(alumni, month));
    return send(req, reply, '/alumni', '校友', () => alumniBody(view));
  });

  // The columns of `report contributors --csv`, names as the page shows them; formula-safe cells (toCsv).
  app.get('/api/alumni/contributors.csv', async (req, reply) => {
    const alumni = deps.alumni?.();
    if (!alumni) return reply.code(503).send(OFF);
    const q = (req.query as Record<string, unknown>).month;
    if (q !== undefined && (typeof q !== 'string' || !MONTH.test(q))) return reply.code(400).send({ error: 'bad_month', message: '月份要写成 YYYY-MM，例如 2026-11' });
    const month = monthOf(q, alumni);
    const lines = contributorLines(alumni.contributors(month), alumni.optedOut(), alumni.config().attribution);
    const rows: (string | number)[][] = [
      ['month', 'platform', 'sender_id', 'name', 'referrals', 'colleges', 'student_groups', 'students', 'clicks', 'likes', 'opted_out'],
      ...lines.map((r) => [month, r.platform, r.senderId, r.named ? r.shown : '', r.referrals, r.colleges, r.channels, r.members ?? '', r.clicks, r.likes, r.optedOut ? 'yes' : 'no']),
    ];
    return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="alumni-contributors-${month}.csv"`).send(toCsv(rows));
  });
}
