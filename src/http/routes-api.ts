// The console's JSON API. Changes are audited (who, what, when) and need the CSRF token (index.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ALL } from '../console/aggregate.ts';
import { compactDiff, lineDiff } from '../console/diff.ts';
import { shiftDay } from '../console/service.ts';
import { toCsv } from '../csv.ts';
import type { Ctx } from './index.ts';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** from/to/college from a query, clamped to something sane (defaults: the last 30 days, every college). */
export function rangeOf(ctx: Ctx, q: Record<string, unknown>): { from: string; to: string; scope: string } {
  const today = ctx.service.today();
  let to = typeof q.to === 'string' && DATE.test(q.to) ? q.to : today;
  let from = typeof q.from === 'string' && DATE.test(q.from) ? q.from : shiftDay(to, -29);
  if (from > to) [from, to] = [to, from];
  const colleges = new Set(ctx.deps.rules().colleges.map((c) => c.id));
  const scope = typeof q.college === 'string' && colleges.has(q.college) ? q.college : ALL;
  return { from, to, scope };
}

export function registerApi(app: FastifyInstance, ctx: Ctx): void {
  const { deps, service } = ctx;
  const audit = (req: FastifyRequest, action: string, target?: string, detail?: string) => ctx.audit.record({ who: ctx.who(req), action, target, detail, ip: req.ip });

  app.get('/api/csrf', async (_req, reply) => ({ token: reply.generateCsrf() }));

  app.get('/api/overview', async () => ({
    today: service.today(),
    building: ctx.tracker.building,
    funnels: service.funnels(),
    scamsHeld: ctx.tracker.held.size,
    deliveries: ctx.tracker.deliveryCounts,
    platforms: deps.health().map(({ loginQr, ...p }) => ({ ...p, needsLogin: Boolean(loginQr) })),
    colleges: service.colleges(),
  }));

  app.get('/api/analytics', async (req) => {
    const { from, to, scope } = rangeOf(ctx, req.query as Record<string, unknown>);
    const top = Math.min(100, Math.max(1, Number((req.query as Record<string, unknown>).top) || 15));
    const s = service.summary(from, to, scope, top);
    return {
      ...s,
      building: ctx.tracker.building,
      colleges: deps.rules().colleges.map((c) => ({ id: c.id, name: c.name })),
      messagesByDay: ctx.tracker.daily.byDay('received'),
      deadlines: ctx.tracker.deadlines(30).filter((d) => scope === ALL || d.colleges.includes(scope)),
    };
  });

  const DIMENSIONS = {
    daily: '按日',
    classes: '专业类',
    companies: '企业',
    cities: '城市',
    cohorts: '届别',
    degrees: '学历',
  } as const;
  app.get('/api/analytics.csv', async (req, reply) => {
    const q = req.query as Record<string, unknown>;
    const { from, to, scope } = rangeOf(ctx, q);
    const dim = (typeof q.dim === 'string' && q.dim in DIMENSIONS ? q.dim : 'daily') as keyof typeof DIMENSIONS;
    const s = service.summary(from, to, scope, 1000);
    const colleges = deps.rules().colleges;
    let rows: (string | number)[][];
    if (dim === 'daily') {
      rows = [['日期', '内推', '已推送', '疑似诈骗', ...colleges.map((c) => c.name)]];
      for (const d of s.daily) rows.push([d.day, d.referrals, d.digested, d.scams, ...colleges.map((c) => d.byCollege[c.id] ?? 0)]);
    } else {
      rows = [[DIMENSIONS[dim], '内推数']];
      for (const [k, n] of s[dim]) rows.push([k, n]);
    }
    const name = `referrals-${dim}-${scope === ALL ? 'all' : scope}-${from}-${to}.csv`;
    return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}"`).send(toCsv(rows));
  });

  // ---- 审核: held scams and dead letters ---------------------------------------------------------
  app.get('/api/review', async () => ({
    held: service.held().map((p) => ({
      id: p.id,
      text: p.text,
      receivedAt: p.receivedAt,
      senders: p.sources.map((s) => ({ platform: s.platform, chat: s.chatId, name: s.senderName })),
      scamScore: p.classification.scamScore,
      evidence: p.classification.detection,
      colleges: p.classification.colleges,
    })),
    dead: service.deadLetters().map((d) => ({ id: d.id, collegeId: d.collegeId, channel: d.channel, attempts: d.attempts, lastError: d.lastError, createdAt: d.createdAt })),
  }));

  for (const action of ['approve', 'reject'] as const) {
    app.post(`/api/review/:id/${action}`, async (req, reply) => {
      const { id } = req.params as { id: string };
      const post = deps.store.postById(id);
      if (!post) return reply.code(404).send({ error: 'not_found', message: `找不到消息 ${id}` });
      if (post.status !== 'review') return reply.code(409).send({ error: 'not_held', message: '这条消息不在待审核状态（可能已被处理）' });
      // The same change as "/relay approve|reject ID" in chat (src/admin.ts).
      const updated = await deps.store.setStatus(id, action === 'approve' ? 'active' : 'rejected');
      if (updated) ctx.tracker.track(updated);
      ctx.tracker.held.delete(id);
      audit(req, action, id, action === 'approve' ? `→ ${post.classification.colleges.join(',') || '无学院'}` : undefined);
      return { ok: true, id, status: updated?.status, colleges: post.classification.colleges };
    });
  }

  app.post('/api/deliveries/:id/retry', async (req, reply) => {
    const { id } = req.params as { id: string };
    const d = deps.store.deliveries().find((x) => x.id === id);
    if (!d) return reply.code(404).send({ error: 'not_found', message: `找不到投递 ${id}` });
    if (d.status !== 'dead') return reply.code(409).send({ error: 'not_dead', message: '只有发送失败的投递可以重试' });
    await deps.store.updateDelivery(id, { status: 'pending', attempts: 0, nextAttemptAt: deps.now().toISOString(), lastError: undefined });
    ctx.tracker.deadIds = ctx.tracker.deadIds.filter((x) => x !== id);
    audit(req, 'retry', id, `${d.channel.platform}:${d.channel.chat}`);
    deps.kickOutbox();
    return { ok: true, id };
  });

  // ---- 规则 ----------------------------------------------------------------------------------------
  app.get('/api/rules', async (_req, reply) => {
    const { text, hash } = ctx.rulesFile.read();
    reply.header('etag', `"${hash}"`);
    return { text, hash, applied: rulesApplied(ctx, text), versions: ctx.rulesFile.versions() };
  });

  app.post('/api/rules/check', async (req, reply) => {
    const text = textOf(req.body);
    if (text === undefined) return reply.code(400).send({ error: 'bad_request', message: '缺少 text' });
    const checked = ctx.rulesFile.check(text);
    const current = ctx.rulesFile.read();
    return { ok: checked.ok, problems: checked.ok ? [] : checked.problems, diff: compactDiff(lineDiff(current.text, text)), hash: current.hash };
  });

  app.put('/api/rules', async (req, reply) => saveRules(ctx, req, reply, textOf(req.body), 'rules-save'));

  app.get('/api/rules/versions/:id', async (req, reply) => {
    const text = ctx.rulesFile.versionText((req.params as { id: string }).id);
    if (text === undefined) return reply.code(404).send({ error: 'not_found', message: '没有这个版本' });
    return { text, diff: compactDiff(lineDiff(ctx.rulesFile.read().text, text)) };
  });

  app.post('/api/rules/versions/:id/restore', async (req, reply) => {
    const { id } = req.params as { id: string };
    const text = ctx.rulesFile.versionText(id);
    if (text === undefined) return reply.code(404).send({ error: 'not_found', message: '没有这个版本' });
    return saveRules(ctx, req, reply, text, 'rules-restore', id);
  });

  // ---- 预览 / 隐私 ---------------------------------------------------------------------------------
  app.get('/api/preview', async (req) => ({ colleges: service.preview((req.query as Record<string, string>).college) }));

  app.get('/api/privacy/senders', async (req) => ({ senders: service.findSenders(String((req.query as Record<string, unknown>).q ?? '')) }));

  app.post('/api/privacy/forget', async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const senderId = typeof body.senderId === 'string' ? body.senderId.trim() : '';
    if (!senderId) return reply.code(400).send({ error: 'bad_request', message: '请填写发送者 ID' });
    if (body.confirm !== senderId) return reply.code(400).send({ error: 'not_confirmed', message: '请再次输入发送者 ID 以确认' });
    const result = await deps.store.forgetSender(senderId);
    audit(req, 'forget', senderId, `${result.posts} 条消息删除，${result.sources} 处转发来源移除，${result.deliveries} 条已发内容清空`);
    ctx.tracker.ready = ctx.tracker.rebuild(); // erased posts leave the charts too, archived months included
    ctx.tracker.sync();
    return { ok: true, ...result };
  });

  app.get('/api/audit', async () => ({ entries: ctx.audit.recent(200) }));

  app.get('/api/wechat-qr.svg', async (_req, reply) => {
    const qr = deps.health().find((h) => h.loginQr)?.loginQr;
    if (!qr) return reply.code(404).send({ error: 'not_found', message: '当前无需扫码' });
    const svg = await qrSvg(qr);
    if (!svg) return reply.code(501).send({ error: 'no_qr_library', message: '未安装二维码库', content: qr });
    return reply.type('image/svg+xml').header('cache-control', 'no-store').send(svg);
  });
}

function textOf(body: unknown): string | undefined {
  const t = (body as Record<string, unknown> | null)?.text;
  return typeof t === 'string' ? t : undefined;
}

/** True when the relay runs on what the file says (the watcher has applied the last save). */
export function rulesApplied(ctx: Ctx, text: string): boolean {
  // Parsing the file costs tens of ms: the answer is kept per (file text, rules the relay runs on).
  const rules = ctx.deps.rules();
  const hit = appliedCache.get(ctx);
  if (hit && hit.text === text && hit.rules === rules) return hit.applied;
  const checked = ctx.rulesFile.check(text);
  const applied = checked.ok && JSON.stringify(checked.rules) === JSON.stringify(rules);
  appliedCache.set(ctx, { text, rules, applied });
  return applied;
}
const appliedCache = new WeakMap<Ctx, { text: string; rules: unknown; applied: boolean }>();

async function saveRules(ctx: Ctx, req: FastifyRequest, reply: FastifyReply, text: string | undefined, action: string, versionId?: string) {
  if (text === undefined) return reply.code(400).send({ error: 'bad_request', message: '缺少 text' });
  const ifMatch = String(req.headers['if-match'] ?? '').replace(/^W\//, '').replace(/"/g, '');
  if (!ifMatch) return reply.code(428).send({ error: 'if_match_required', message: '保存需要 If-Match（文件的当前版本）' });
  const result = ctx.rulesFile.save(text, ifMatch, ctx.who(req));
  if (result.status === 'conflict') {
    return reply.code(412).send({ error: 'conflict', message: '规则文件已被他人修改：请重新加载并合并您的改动后再保存', hash: result.hash });
  }
  if (result.status === 'invalid') return reply.code(400).send({ error: 'invalid', message: '规则有错误，未保存', problems: result.problems });
  ctx.audit.record({ who: ctx.who(req), action, target: result.hash, detail: versionId ? `from ${versionId}` : `previous kept as ${result.version.id}`, ip: req.ip });
  reply.header('etag', `"${result.hash}"`);
  return { ok: true, hash: result.hash, previous: result.version };
}

/** The WeChat login QR as SVG, when the `qrcode` package is installed (it is optional). */
async function qrSvg(content: string): Promise<string | undefined> {
  try {
    const mod = (await import('qrcode' as string)) as { toString(text: string, opts: Record<string, unknown>): Promise<string>; default?: unknown };
    const lib = (mod.default ?? mod) as typeof mod;
    return await lib.toString(content, { type: 'svg', margin: 2, width: 240 });
  } catch {
    return undefined;
  }
}
