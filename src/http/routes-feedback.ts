// Tracked links on the one HTTP server: GET /r/:token (public, see isPublic in index.ts). Registered by the
// relay through ConsoleDeps.extraRoutes: `extraRoutes: (app) => feedbackRoutes(app, { feedback: () => feedback, view, catalog })`.
// The console's feedback page and API (learnt routing, reset, counts) are in routes-feedback-pages.ts,
// fed by ConsoleDeps.feedback.
import type { FastifyInstance } from 'fastify';
import type { FeedbackService, RelayView } from '../feedback/service.ts';
import type { Catalog } from '../catalog.ts';

const GONE_PAGE = `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>链接已失效</title></head>
<body style="font-family:system-ui,sans-serif;max-width:32em;margin:3em auto;padding:0 1em;line-height:1.6">
<h1 style="font-size:1.3em">这个链接已失效</h1>
<p>它指向的内推可能已过期、被撤下，或者链接不完整。请回到速递里查看最新的内推，或直接联系发帖的校友。</p>
<p style="color:#666">This link has expired or is incomplete.</p></body></html>`;

export interface FeedbackRouteDeps {
  /** The running service; undefined while feedback is off (no RELAY_SECRET): /r/ then answers the friendly page. */
  feedback: () => FeedbackService | undefined;
  view: RelayView;
  /** Unused since the console API moved to routes-feedback-pages.ts; kept so callers need not change. */
  catalog?: Catalog;
}

export function feedbackRoutes(app: FastifyInstance, deps: FeedbackRouteDeps): void {
  app.get<{ Params: { token: string } }>('/r/:token', async (req, reply) => {
    const target = deps.feedback()?.click(req.params.token);
    // No referrer to the target, nothing cached: a later click still counts.
    reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
    let location: string | undefined;
    try {
      location = target ? new URL(target.url).href : undefined;
    } catch {
      location = undefined;
    }
    if (!location || !/^https?:$/.test(new URL(location).protocol)) return reply.code(404).type('text/html; charset=utf-8').send(GONE_PAGE);
    return reply.redirect(location, 302);
  });
}
