// The console's HTML pages (server-rendered, escaped by default; console.js adds the charts and actions).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Safe } from '../console/html.ts';
import { layout } from '../console/layout.ts';
import { analyticsBody } from '../console/pages/analytics.ts';
import { overviewBody } from '../console/pages/overview.ts';
import { previewBody } from '../console/pages/preview.ts';
import { privacyBody } from '../console/pages/privacy.ts';
import { reportPage } from '../console/pages/report.ts';
import { reviewBody } from '../console/pages/review.ts';
import { rulesBody } from '../console/pages/rules.ts';
import { ALL } from '../console/aggregate.ts';
import { localDateTime } from '../time.ts';
import type { Ctx } from './index.ts';
import { rangeOf, rulesApplied } from './routes-api.ts';
import { relative } from 'node:path';

export type SendPage = (req: FastifyRequest, reply: FastifyReply, path: string, title: string, body: (csrf: string) => Safe, charts?: boolean) => FastifyReply;

/** Sends a page in the console's frame (nav, CSRF token, review badge); never cached. */
export function pageSender(ctx: Ctx): SendPage {
  return (req, reply, path, title, body, charts = false) => {
    const csrf = reply.generateCsrf();
    const t = ctx.tracker;
    const page = layout({ title, active: path, csrf, who: ctx.who(req), body: body(csrf), charts, reviewCount: t.held.size + t.deliveryCounts.dead });
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(page.value);
  };
}

/** Minutes precision in the rules' timezone, as every page shows times. */
export const timeFormatter = (ctx: Ctx) => (d: Date) => localDateTime(d, ctx.service.tz).slice(0, 16);

export function registerPages(app: FastifyInstance, ctx: Ctx): void {
  const { deps, service } = ctx;
  const fmt = timeFormatter(ctx);
  const send = pageSender(ctx);

  app.get('/', (req, reply) => send(req, reply, '/', '概览', () => overviewBody(service, deps.health(), ctx.audit.recent(8), fmt)));

  app.get('/analytics', (req, reply) => {
    const { from, to, scope } = rangeOf(ctx, req.query as Record<string, unknown>);
    const summary = service.summary(from, to, scope, 15);
    return send(
      req,
      reply,
      '/analytics',
      '分析',
      () =>
        analyticsBody({
          summary,
          colleges: deps.rules().colleges.map((c) => ({ id: c.id, name: c.name })),
          deadlines: ctx.tracker.deadlines(30).filter((d) => scope === ALL || d.colleges.includes(scope)),
          messages: ctx.tracker.daily.sum('received', from, to),
          building: ctx.tracker.building,
        }),
      true,
    );
  });

  app.get('/report', (req, reply) => {
    const q = req.query as Record<string, unknown>;
    // ?month=2026-11 or ?year=2026, else the from/to/college of the analytics page.
    let range = rangeOf(ctx, q);
    let title = '校友内推工作报告';
    if (typeof q.month === 'string' && /^\d{4}-\d{2}$/.test(q.month)) {
      const [y, m] = q.month.split('-').map(Number) as [number, number];
      // Day 0 of the next month is the last day of this one.
      range = { ...range, from: `${q.month}-01`, to: new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10) };
      title = `${q.month.slice(0, 4)} 年 ${Number(q.month.slice(5))} 月校友内推月报`;
    } else if (typeof q.year === 'string' && /^\d{4}$/.test(q.year)) {
      range = { ...range, from: `${q.year}-01-01`, to: `${q.year}-12-31` };
      title = `${q.year} 年度校友内推报告`;
    }
    const s = service.summary(range.from, range.to, range.scope, 50);
    if (range.scope !== ALL) title = `${service.collegeName(range.scope)} · ${title}`;
    const byCollege = new Map<string, number>();
    for (const d of s.daily) for (const [c, n] of Object.entries(d.byCollege)) byCollege.set(c, (byCollege.get(c) ?? 0) + n);
    const page = reportPage({
      s,
      title,
      colleges: deps.rules().colleges.map((c) => ({ id: c.id, name: c.name, referrals: byCollege.get(c.id) ?? 0 })),
      messages: ctx.tracker.daily.sum('received', range.from, range.to),
      delivered: ctx.tracker.deliveredBetween(range.from, range.to),
      generatedAt: fmt(deps.now()),
    });
    return reply.type('text/html; charset=utf-8').send(page.value);
  });

  app.get('/review', (req, reply) => {
    const names = new Map(deps.rules().sources.map((s) => [`${s.platform}:${s.group}`, s.name ?? s.group]));
    return send(req, reply, '/review', '审核', () =>
      reviewBody(service.held(), service.deadLetters(), (id) => service.collegeName(id), (p, chat) => names.get(`${p}:${chat}`) ?? chat, fmt),
    );
  });

  app.get('/rules', (req, reply) => {
    const { text, hash } = ctx.rulesFile.read();
    const file = relative(process.cwd(), deps.rulesFile) || deps.rulesFile;
    return send(req, reply, '/rules', '规则', () => rulesBody({ text, hash, applied: rulesApplied(ctx, text), versions: ctx.rulesFile.versions(), file, fmt }));
  });

  app.get('/preview', (req, reply) => {
    const college = (req.query as Record<string, unknown>).college;
    return send(req, reply, '/preview', '推送预览', () => previewBody(service, typeof college === 'string' && college ? college : undefined));
  });

  app.get('/privacy', (req, reply) => {
    const q = String((req.query as Record<string, unknown>).q ?? '').slice(0, 200);
    return send(req, reply, '/privacy', '隐私', () => privacyBody(q, service.findSenders(q)));
  });
}
