// 反馈 in the console over a real Store and a real FeedbackService: the funnel per college and per post,
// the learnt adjustments with their last change, the audited reset per college, escaping, feedback off.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { adjustmentRows } from '../../src/feedback/describe.ts';
import { loadFeedback } from '../../src/feedback/state.ts';
import { feedbackCounts } from '../../src/feedback/stats.ts';
import { HOSTILE, viewOf, withFeedback, type FeedbackSeed } from './relay-seed.ts';
import { consoleRig } from './rig.ts';

const cells = (body: string, rowStart: string) => {
  const row = body.split('<tr>').find((r) => r.includes(rowStart));
  return row ? [...row.matchAll(/<td class="num[^"]*">([^<]*)<\/td>/g)].map((m) => m[1]) : undefined;
};

describe('反馈 page', () => {
  it('shows the funnel per college and per post from the feedback module’s own counts', async () => {
    const seed: Partial<FeedbackSeed> = {};
    const rig = await consoleRig({ extra: withFeedback(seed) });
    // Behind the login like every page; the JSON answers 401.
    for (const page of ['/feedback', '/alumni']) expect((await rig.request({ method: 'GET', url: page })).headers.location).toBe(`/login?next=${encodeURIComponent(page)}`);
    expect((await rig.request({ method: 'GET', url: '/api/feedback' })).statusCode).toBe(401);
    await rig.login();
    const res = await rig.request({ method: 'GET', url: '/feedback' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const counts = feedbackCounts(seed.fb!, viewOf(rig.store, rig.rules));
    const ee = counts.colleges.find((c) => c.collegeId === 'electrical')!;
    // 4 referrals × 2 channels, 2 clicks, 1 👍, 3 👎, 1 subscriber: what the students did in the seed.
    expect(ee).toMatchObject({ delivered: 8, clicks: 2, up: 1, down: 3, subscribers: 1 });
    expect(cells(res.body, '#college-electrical">电气与电子工程学院')).toEqual(['8', '2', '25%', '1', '3', '1']);
    // Per post: ref-1 (three 👎, two clicks) first.
    const postsSection = res.body.slice(res.body.indexOf('id="posts"'));
    expect(postsSection.indexOf('国网北京电力 · 变电运维')).toBeGreaterThan(0);
    expect(postsSection.indexOf('国网北京电力 · 变电运维')).toBeLessThan(postsSection.indexOf('南方电网 · 继电保护'));
    expect(cells(postsSection, '国网北京电力 · 变电运维')).toEqual(['2', '2', '0', '3']);
    expect(cells(postsSection, '南方电网 · 继电保护')).toEqual(['2', '0', '1', '0']);
    // Nav: the page is reachable from every page.
    expect(res.body).toContain('<a href="/feedback" class="on" aria-current="page">反馈</a>');
    expect((await rig.request({ method: 'GET', url: '/' })).body).toContain('<a href="/feedback">反馈</a>');
  });

  it('lists the learnt adjustments of each college with voters and last change, as `feedback show` does', async () => {
    const seed: Partial<FeedbackSeed> = {};
    const rig = await consoleRig({ extra: withFeedback(seed) });
    await rig.login();
    const rows = adjustmentRows(seed.fb!.adjustments(), 'electrical', rig.deps.catalog);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.weight < 0 && r.voters === 4 && r.down === 3 && r.up === 1)).toBe(true);
    const body = (await rig.request({ method: 'GET', url: '/feedback' })).body;
    const card = body.slice(body.indexOf('id="college-electrical"'));
    for (const r of rows) {
      expect(card).toContain(`<td>${r.label}</td><td class="num neg">−${Math.abs(r.weight).toFixed(2)}</td><td class="num">4</td><td class="num">1</td><td class="num">3</td>`);
    }
    // The last vote (all cast at the rig's NOW) in the rules' timezone.
    expect(card).toContain('2026-11-20 12:00');
    expect(card).toContain('从未重置');
    // Colleges nobody voted for have nothing to reset: one line names them, no card and no button.
    expect(body).not.toContain('id="college-energy"');
    expect(body).not.toContain('/api/feedback/reset/energy');
    const quiet = body.slice(body.indexOf('id="no-adjustments"'));
    expect(quiet.slice(0, quiet.indexOf('</section>'))).toContain('其余学院暂无学到的调整（还没有足够多的学生投票）：能源动力与机械工程学院');
    // The JSON for scripts: the same rows.
    const api = (await rig.request({ method: 'GET', url: '/api/feedback' })).json() as { colleges: { id: string; adjustments: { key: string; weight: number; lastAt?: string }[] }[] };
    const eeApi = api.colleges.find((c) => c.id === 'electrical')!;
    expect(eeApi.adjustments.map((a) => [a.key, a.weight])).toEqual(rows.map((r) => [r.key, r.weight]));
    expect(eeApi.adjustments.every((a) => a.lastAt === '2026-11-20T04:00:00.000Z')).toBe(true);
  });

  it('resets one college’s adjustments only with a session and the CSRF token, audited; counts stay', async () => {
    const seed: Partial<FeedbackSeed> = {};
    const rig = await consoleRig({ extra: withFeedback(seed) });
    const fb = seed.fb!;
    // No session: 401, nothing reset.
    expect((await rig.request({ method: 'POST', url: '/api/feedback/reset/electrical', payload: {} })).statusCode).toBe(401);
    const csrf = await rig.login('李老师');
    // Session but no token: 403.
    expect((await rig.request({ method: 'POST', url: '/api/feedback/reset/electrical', payload: {} })).statusCode).toBe(403);
    expect(adjustmentRows(fb.adjustments(), 'electrical').length).toBeGreaterThan(0);
    expect(fb.resets().electrical).toBeUndefined();
    // Unknown college: 400, named.
    const bad = await rig.request({ method: 'POST', url: '/api/feedback/reset/nowhere', headers: { 'x-csrf-token': csrf }, payload: {} });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toContain('nowhere');
    const cleared = adjustmentRows(fb.adjustments(), 'electrical').length;
    const ok = await rig.request({ method: 'POST', url: '/api/feedback/reset/electrical', headers: { 'x-csrf-token': csrf }, payload: {} });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ reset: ['electrical'], cleared });
    // Really reset: the service's table is empty for the college, the reset time is kept (on disk too).
    expect(adjustmentRows(fb.adjustments(), 'electrical')).toEqual([]);
    expect(fb.resets().electrical).toBe('2026-11-20T04:00:00.000Z');
    // Durable: the feedback module's own file, read back as a restart would.
    expect(loadFeedback(rig.deps.dataDir, new Date()).data.resets).toEqual({ electrical: '2026-11-20T04:00:00.000Z' });
    const audit = readFileSync(join(rig.deps.dataDir, 'console', 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(audit.at(-1)).toMatchObject({ who: '李老师', action: 'feedback-reset', target: 'electrical', detail: `${cleared} 项调整清除` });
    const body = (await rig.request({ method: 'GET', url: '/feedback' })).body;
    const card = body.slice(body.indexOf('id="college-electrical"'));
    expect(card).toContain('上次重置：2026-11-20 12:00');
    expect(card).toContain('暂无调整');
    // 👍/👎 counts stay: the reset is about routing only.
    expect(cells(body, '#college-electrical">电气与电子工程学院')).toEqual(['8', '2', '25%', '1', '3', '1']);
  });

  it('resets every college with an empty body, as the CLI without --college', async () => {
    const seed: Partial<FeedbackSeed> = {};
    const rig = await consoleRig({ extra: withFeedback(seed) });
    const csrf = await rig.login();
    const res = await rig.request({ method: 'POST', url: '/api/feedback/reset', headers: { 'x-csrf-token': csrf }, payload: {} });
    expect(res.statusCode).toBe(200);
    expect(res.json().reset).toEqual(rig.rules().colleges.map((c) => c.id));
    expect(seed.fb!.adjustments().size).toBe(0);
    expect(readFileSync(join(rig.deps.dataDir, 'console', 'audit.jsonl'), 'utf8')).toContain('"target":"全部学院"');
  });

  it('escapes what alumni wrote (company names in the per-post table)', async () => {
    const rig = await consoleRig({ extra: withFeedback() });
    await rig.login();
    const body = (await rig.request({ method: 'GET', url: '/feedback' })).body;
    expect(body).not.toContain(HOSTILE);
    expect(body).not.toContain('<img src=x');
    // The label (company, clipped to 24 characters by the alumni module's labelOf) is shown as text.
    expect(body).toContain('<td>&lt;img src=x onerror=aler…<div');
    // A hostile ?college= is not echoed.
    const q = await rig.request({ method: 'GET', url: `/feedback?college=${encodeURIComponent('"><script>alert(1)</script>')}` });
    expect(q.statusCode).toBe(200);
    expect(q.body).not.toContain('<script>alert(1)');
  });

  it('without RELAY_SECRET says feedback is off and how to turn it on; the API answers 503', async () => {
    // The relay passes `feedback: () => feedback`, undefined without a secret.
    const rig = await consoleRig({ extra: async () => ({ deps: { feedback: () => undefined } }) });
    const csrf = await rig.login();
    const res = await rig.request({ method: 'GET', url: '/feedback' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('学生反馈未启用');
    expect(res.body).toContain('<code>RELAY_SECRET</code>');
    expect(res.body).toContain('openssl rand -base64 24');
    expect(res.body).not.toContain('data-post=');
    expect((await rig.request({ method: 'GET', url: '/api/feedback' })).statusCode).toBe(503);
    const reset = await rig.request({ method: 'POST', url: '/api/feedback/reset/electrical', headers: { 'x-csrf-token': csrf }, payload: {} });
    expect(reset.statusCode).toBe(503);
    expect(reset.json().message).toContain('RELAY_SECRET');
    // A console started without the feedback module says that, not that feedback is off.
    const bare = await consoleRig();
    await bare.login();
    const page = (await bare.request({ method: 'GET', url: '/feedback' })).body;
    expect(page).toContain('反馈数据不可用');
    expect(page).not.toContain('学生反馈未启用');
    expect((await bare.request({ method: 'GET', url: '/api/feedback' })).statusCode).toBe(503);
  });
});
