// /healthz, /metrics, and signing in and out.
import type { FastifyInstance } from 'fastify';
import { loginPage } from '../console/pages/login.ts';
import { healthReport, writeProbe } from './health.ts';
import { SESSION_COOKIE, type Ctx } from './index.ts';
import { passwordMatches } from './sessions.ts';

/** Only same-site relative paths are followed after login (no open redirect). */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])[^\s]*$/.test(next) ? next : '/';
}

export function registerSystem(app: FastifyInstance, ctx: Ctx): void {
  const { deps } = ctx;
  const probe = writeProbe(() => deps.dataDir);

  app.get('/healthz', async (_req, reply) => {
    const t = ctx.tracker;
    const { code, body } = healthReport({
      platforms: deps.health(),
      now: deps.now(),
      downAfterMs: ctx.opts.downAfterMs,
      backlog: t.deliveryCounts.pending,
      dead: t.deliveryCounts.dead,
      storeWritable: probe(),
    });
    reply.header('cache-control', 'no-store');
    return reply.code(code).send(body);
  });

  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', ctx.metrics.registry.contentType);
    return ctx.metrics.registry.metrics();
  });

  const setSession = (reply: import('fastify').FastifyReply, id: string) =>
    reply.setCookie(SESSION_COOKIE, id, { signed: true, httpOnly: true, sameSite: 'strict', path: '/', secure: ctx.secureCookies });

  app.get('/login', async (req, reply) => {
    const next = safeNext((req.query as Record<string, unknown>).next);
    if (req.session) return reply.redirect(next);
    const token = reply.generateCsrf();
    return reply.type('text/html; charset=utf-8').send(loginPage({ csrf: token, next, passwordSet: Boolean(ctx.opts.adminPassword) }).value);
  });

  app.post(
    '/login',
    { config: { rateLimit: { max: ctx.opts.loginPerMinute, timeWindow: 60_000 } } },
    async (req, reply) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const name = typeof body.name === 'string' ? body.name.trim().slice(0, 40) : '';
      const password = typeof body.password === 'string' ? body.password : '';
      const next = safeNext(body.next);
      const expected = ctx.opts.adminPassword;
      if (!expected || !name || !passwordMatches(password, expected)) {
        ctx.audit.record({ who: name || 'anonymous', action: 'login-failed', ip: req.ip });
        const token = reply.generateCsrf();
        const error = !expected ? '未设置管理员密码：请使用启动时打印的一次性登录链接。' : !name ? '请填写姓名（记入操作日志）。' : '密码不正确。';
        return reply.code(401).type('text/html; charset=utf-8').send(loginPage({ csrf: token, next, passwordSet: Boolean(expected), error, name }).value);
      }
      const s = ctx.sessions.create(name);
      ctx.audit.record({ who: name, action: 'login', ip: req.ip });
      setSession(reply, s.id);
      return reply.redirect(next, 303);
    },
  );

  app.get('/login/once/:token', { config: { rateLimit: { max: ctx.opts.loginPerMinute, timeWindow: 60_000 } } }, async (req, reply) => {
    const { token } = req.params as { token: string };
    if (!ctx.sessions.redeem(token)) return reply.code(403).type('text/html; charset=utf-8').send('<!doctype html><meta charset="utf-8"><p>登录链接无效或已使用。请重启中继获取新链接。</p>');
    const s = ctx.sessions.create('本机登录链接');
    ctx.audit.record({ who: s.who, action: 'login', ip: req.ip });
    setSession(reply, s.id);
    return reply.redirect('/', 303);
  });

  app.post('/logout', async (req, reply) => {
    ctx.sessions.destroy(req.session?.id);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.redirect('/login', 303);
  });
}
