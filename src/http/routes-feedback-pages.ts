// 反馈 in the console: the page, its JSON (GET /api/feedback) and the reset of learnt routing per college
// (POST, behind the session and CSRF hooks of index.ts, audited). The public /r/ redirect stays in
// routes-feedback.ts, registered by the relay.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { labelOf } from '../alumni/ledger.ts';
import { type FeedbackPageView, feedbackView } from '../console/feedback-view.ts';
import { TtlCache } from '../console/ttl-cache.ts';
import { feedbackBody, feedbackNotWiredBody, feedbackOffBody } from '../console/pages/feedback.ts';
import { adjustmentRows } from '../feedback/describe.ts';
import { routeKeys } from '../feedback/learn.ts';
import type { FeedbackService, RelayView } from '../feedback/service.ts';
import { feedbackCounts } from '../feedback/stats.ts';
import type { Ctx } from './index.ts';
import { pageSender, timeFormatter } from './routes-pages.ts';
import { storeView } from '../feedback/view.ts';

const OFF = { error: 'feedback_off', message: '未设置 RELAY_SECRET，学生反馈未启用' };
const POST_LIMIT = 50;

/** The store as the feedback module reads it. */
export function relayView(ctx: Ctx): RelayView {
  const { store } = ctx.deps;
  return storeView(store, () => ctx.deps.rules());
}

export function registerFeedbackPages(app: FastifyInstance, ctx: Ctx): void {
  const { deps } = ctx;
  const send = pageSender(ctx);
  const fmt = timeFormatter(ctx);
  const view = relayView(ctx);
  const collegeOf = (v: unknown) => (typeof v === 'string' && deps.rules().colleges.some((c) => c.id === v) ? v : undefined);

  // feedbackCounts walks every delivery and vote: at most once per 2 s (a reset clears it).
  const cache = new TtlCache<FeedbackPageView>(2000);
  const build = (fb: FeedbackService, college: string | undefined) => cache.get(college ?? '*', () => compute(fb, college));
  const compute = (fb: FeedbackService, college: string | undefined) =>
    feedbackView({
      colleges: deps.rules().colleges.map((c) => ({ id: c.id, name: c.name })),
      rows: adjustmentRows(fb.adjustments(), undefined, deps.catalog),
      counts: feedbackCounts(fb, view),
      resets: fb.resets(),
      votes: fb.votes(),
      // The keys a vote spoke about, as the feedback module computes them when the vote is cast.
      keysOf: (collegeId, postId) => {
        const p = deps.store.postById(postId);
        return p ? routeKeys(p.classification, collegeId) : [];
      },
      post: (id) => {
        const p = deps.store.postById(id);
        return p ? { label: labelOf(p), receivedAt: p.receivedAt } : undefined;
      },
      college,
      postLimit: POST_LIMIT,
    });

  app.get('/feedback', (req, reply) => {
    if (!deps.feedback) return send(req, reply, '/feedback', '学生反馈', () => feedbackNotWiredBody());
    const fb = deps.feedback();
    if (!fb) return send(req, reply, '/feedback', '学生反馈', () => feedbackOffBody());
    const college = collegeOf((req.query as Record<string, unknown>).college);
    const v = build(fb, college);
    return send(req, reply, '/feedback', '学生反馈', () => feedbackBody(v, college, fmt));
  });

  app.get('/api/feedback', async (req, reply) => {
    const fb = deps.feedback?.();
    if (!fb) return reply.code(503).send(OFF);
    return build(fb, collegeOf((req.query as Record<string, unknown>).college));
  });

  /** As `alumni-relay feedback reset [--college]`: earlier votes stop counting for routing; 👍/👎 counts stay. */
  const reset = async (req: FastifyRequest, reply: FastifyReply, college: string | undefined) => {
    const fb = deps.feedback?.();
    if (!fb) return reply.code(503).send(OFF);
    const before = adjustmentRows(fb.adjustments(), college).length;
    const ids = await fb.reset(college);
    cache.clear();
    ctx.audit.record({ who: ctx.who(req), action: 'feedback-reset', target: college ?? '全部学院', detail: `${before} 项调整清除`, ip: req.ip });
    return { reset: ids, cleared: before };
  };
  const unknown = (reply: FastifyReply, id: string) => reply.code(400).send({ error: 'bad_college', message: `没有 id 为 ${id} 的学院` });

  app.post<{ Params: { college: string } }>('/api/feedback/reset/:college', async (req, reply) => {
    const college = collegeOf(req.params.college);
    return college ? reset(req, reply, college) : unknown(reply, req.params.college);
  });
  // Body { college } for one, {} for every college (the CLI without --college).
  app.post('/api/feedback/reset', async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (body.college === undefined) return reset(req, reply, undefined);
    const college = collegeOf(body.college);
    return college ? reset(req, reply, college) : unknown(reply, String(body.college));
  });
}
