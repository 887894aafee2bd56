import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startHttpServer } from '../../src/http/index.ts';
import { post } from '../helpers/posts.ts';
import { consoleRig } from './rig.ts';

describe('/healthz', () => {
  it('reports each platform, the last message, backlog and dead letters; 200 while all is well', async () => {
    const rig = await consoleRig();
    const res = await rig.request({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'ok',
      platforms: [
        { platform: 'wechat', state: 'up', lastMessageAt: '2026-11-20T03:59:00.000Z' },
        { platform: 'telegram', state: 'up' },
      ],
      outbox: { backlog: 0, dead: 0 },
      store: { writable: true },
    });
  });

  it('shows a stopped poller, a logged-out WeChat (QR pending) and a dropped Lark socket; 503 once one is down too long', async () => {
    const rig = await consoleRig({ server: { downAfterMs: 60_000 } });
    rig.health.splice(
      0,
      rig.health.length,
      { platform: 'telegram', state: 'stopped', since: '2026-11-20T03:00:00.000Z', lastError: '409 Conflict: another poller uses this token' },
      { platform: 'wechat', state: 'connecting', since: '2026-11-20T03:59:30.000Z', loginQr: 'https://login.weixin.qq.com/l/abc' },
      { platform: 'lark', state: 'down', since: '2026-11-20T03:59:40.000Z', lastError: 'long connection closed' },
    );
    let res = await rig.request({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.status).toBe('degraded');
    expect(body.platforms).toMatchObject([
      { platform: 'telegram', state: 'stopped', lastError: '409 Conflict: another poller uses this token' },
      { platform: 'wechat', state: 'connecting', needsLogin: true },
      { platform: 'lark', state: 'down', downForMs: 20_000 },
    ]);
    expect(JSON.stringify(body)).not.toContain('login.weixin.qq.com'); // the QR is for signed-in admins only
    rig.health[2]!.since = '2026-11-20T03:50:00.000Z';
    res = await rig.request({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(503);
    expect(res.json().problems.join('\n')).toContain('lark down for 600 s: long connection closed');
  });

  it('answers 503 when the data directory cannot be written', async () => {
    const rig = await consoleRig();
    const blocker = join(rig.dir, 'not-a-dir');
    writeFileSync(blocker, '');
    rig.deps.dataDir = join(blocker, 'data'); // mkdir under a file fails: ENOTDIR
    const res = await rig.request({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(503);
    expect(res.json().store).toEqual({ writable: false, error: 'ENOTDIR' });
  });
});

describe('/metrics', () => {
  it('exposes relay_ metrics in the Prometheus text format', async () => {
    const posts = [
      post({ id: 'a', colleges: ['electrical'] }),
      post({ id: 'b', colleges: ['electrical', 'energy'] }),
      post({ id: 'c', status: 'review' }),
    ];
    const rig = await consoleRig({ posts, server: { metricsPublic: true } });
    rig.store.count('received');
    rig.store.count('received');
    rig.store.count('stored');
    const p = rig.store.postById('a')!;
    await rig.store.recordDigest(
      { id: 'dg', collegeId: 'electrical', collegeName: '电气', createdAt: '2026-11-20T03:00:00.000Z', items: [{ post: p }] },
      [{ id: 'dg-0', digestId: 'dg', collegeId: 'electrical', channel: { platform: 'wechat', chat: 'x' }, parts: [], sentParts: 0, status: 'pending', attempts: 0, nextAttemptAt: '2026-11-20T03:00:00.000Z', createdAt: '2026-11-20T03:00:00.000Z' }],
    );
    await rig.store.updateDelivery('dg-0', { status: 'delivered', deliveredAt: '2026-11-20T03:00:04.000Z' });
    rig.sync();
    const res = await rig.request({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    const text = res.body;
    expect(text).toContain('relay_messages_total{outcome="received"} 2');
    expect(text).toContain('relay_messages_total{outcome="stored"} 1');
    expect(text).toContain('relay_referrals{college="electrical"} 2');
    expect(text).toContain('relay_referrals{college="energy"} 1');
    expect(text).toContain('relay_referrals{college="all"} 2');
    expect(text).toContain('relay_deliveries{status="delivered"} 1');
    expect(text).toContain('relay_dead_letters 0');
    expect(text).toContain('relay_scams_held 1');
    expect(text).toContain('relay_send_latency_seconds_bucket{le="5"} 1');
    expect(text).toContain('relay_send_latency_seconds_count 1');
    expect(text).toContain('relay_digest_items_count 1');
    for (const line of text.split('\n')) if (line && !line.startsWith('#')) expect(line).toMatch(/^relay_/);
  });
});

describe('analytics', () => {
  const at = (day: string) => `${day}T02:00:00.000Z`;
  it('counts per college, class, company, city, cohort, degree; follows changes incrementally; exports CSV', async () => {
    const posts = [
      post({ id: 'a', receivedAt: at('2026-11-18'), colleges: ['electrical'], fields: { company: '国网江苏电力', city: '南京', cohort: '2026届', degrees: ['本科', '硕士'] } }),
      post({ id: 'b', receivedAt: at('2026-11-19'), colleges: ['electrical', 'energy'], fields: { company: '国网江苏电力', city: '南京' } }),
      post({ id: 'c', receivedAt: at('2026-11-19'), colleges: ['energy'], fields: { company: '=HYPERLINK("http://x")', city: '深圳' } }),
      post({ id: 'old', receivedAt: at('2026-06-10'), colleges: ['electrical'], fields: { company: '南方电网' } }),
    ];
    const rig = await consoleRig({ posts });
    await rig.login();
    await rig.server.ctx.tracker.ready;
    expect(rig.store.archivedMonths().map((m) => m.month)).toContain('2026-06'); // the old one is read from the archive
    const get = async (q: string) => (await rig.request({ method: 'GET', url: `/api/analytics?${q}` })).json();
    let a = await get('from=2026-11-01&to=2026-11-30');
    expect(a).toMatchObject({ referrals: 3, companies: [['国网江苏电力', 2], ['=HYPERLINK("http://x")', 1]], cities: [['南京', 2], ['深圳', 1]], cohorts: [['2026届', 1]] });
    expect(a.daily).toEqual([
      { day: '2026-11-18', referrals: 1, digested: 0, scams: 0, byCollege: { electrical: 1 } },
      { day: '2026-11-19', referrals: 2, digested: 0, scams: 0, byCollege: { electrical: 1, energy: 2 } },
    ]);
    expect((await get('from=2026-01-01&to=2026-12-31')).referrals).toBe(4);
    expect((await get('from=2026-11-01&to=2026-11-30&college=energy')).referrals).toBe(2);

    // A new post and a status change show up after one reconcile; no request rescans.
    await rig.store.addPost(post({ id: 'd', receivedAt: at('2026-11-20'), colleges: ['electrical'] }));
    await rig.store.setStatus('b', 'review');
    rig.sync();
    a = await get('from=2026-11-01&to=2026-11-30');
    expect(a.referrals).toBe(3);
    expect(a.scams).toBe(1);

    const csv = await rig.request({ method: 'GET', url: '/api/analytics.csv?from=2026-11-01&to=2026-11-30&dim=companies' });
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body.startsWith('\uFEFF企业,内推数')).toBe(true);
    expect(csv.body).toContain(`"'=HYPERLINK(""http://x"")",1`);
    const page = await rig.request({ method: 'GET', url: '/analytics?from=2026-11-01&to=2026-11-30' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('国网江苏电力');
    const report = await rig.request({ method: 'GET', url: '/report?month=2026-11' });
    expect(report.body).toContain('2026 年 11 月校友内推月报');
    expect(report.body).toContain('2026-11-01 至 2026-11-30');
  });
});

describe('startHttpServer', () => {
  it('without a password: loopback only, and a one-time login URL that works once', async () => {
    const rig = await consoleRig();
    const lines: string[] = [];
    mkdirSync(join(rig.dir, 'x'), { recursive: true });
    const s = await startHttpServer(rig.deps, { port: 0, host: '0.0.0.0', announce: (l) => lines.push(l) });
    try {
      expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(lines.join('\n')).toContain(s.loginUrl!);
      const first = await fetch(s.loginUrl!, { redirect: 'manual' });
      expect(first.status).toBe(303);
      const cookie = first.headers.get('set-cookie')!.split(';')[0]!;
      expect((await fetch(`${s.url}/api/overview`, { headers: { cookie } })).status).toBe(200);
      expect((await fetch(s.loginUrl!, { redirect: 'manual' })).status).toBe(403);
      expect((await fetch(`${s.url}/api/overview`)).status).toBe(401);
    } finally {
      await s.close();
    }
  });
});
