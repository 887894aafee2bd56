import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { post } from '../helpers/posts.ts';
import { consoleRig } from './rig.ts';

const held = (id: string, text: string, senderName = '刷单客服') =>
  post({
    id,
    text,
    status: 'review',
    receivedAt: '2026-11-19T02:00:00.000Z',
    classification: {
      ...post().classification,
      isScam: true,
      scamScore: 0.93,
      detection: [{ term: '押金', weight: 3, kind: 'scam-term' }],
      colleges: ['electrical'],
    },
    sources: [{ platform: 'wechat', chatId: '东电校友会·北京分会', messageId: `m-${id}`, senderId: `s-${id}`, senderName, sentAt: '2026-11-19T02:00:00.000Z' }],
  });

describe('access', () => {
  it('lets nothing but /healthz, assets and the login form through without a session', async () => {
    const rig = await consoleRig();
    expect((await rig.request({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await rig.request({ method: 'GET', url: '/assets/console.css' })).statusCode).toBe(200);
    expect((await rig.request({ method: 'GET', url: '/vendor/echarts.min.js' })).statusCode).toBe(200);
    expect((await rig.request({ method: 'GET', url: '/api/overview' })).statusCode).toBe(401);
    expect((await rig.request({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    expect((await rig.request({ method: 'POST', url: '/api/review/x/approve', payload: {} })).statusCode).toBe(401);
    for (const page of ['/', '/analytics', '/review', '/rules', '/preview', '/privacy', '/report']) {
      const res = await rig.request({ method: 'GET', url: page });
      expect(res.statusCode, page).toBe(302);
      expect(res.headers.location).toBe(`/login?next=${encodeURIComponent(page)}`);
    }
  });

  it('/metrics is public with RELAY_METRICS_PUBLIC', async () => {
    const rig = await consoleRig({ server: { metricsPublic: true } });
    expect((await rig.request({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
  });

  it('signs in with name and password into an httpOnly, SameSite=Strict session; a wrong password does not', async () => {
    const rig = await consoleRig();
    const page = await rig.request({ method: 'GET', url: '/login' });
    const token = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
    const form = (password: string) => new URLSearchParams({ name: '李老师', password, _csrf: token }).toString();
    const bad = await rig.request({ method: 'POST', url: '/login', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: form('nope') });
    expect(bad.statusCode).toBe(401);
    expect(bad.body).toContain('密码不正确');
    const ok = await rig.request({ method: 'POST', url: '/login', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: form('correct horse') });
    expect(ok.statusCode).toBe(303);
    const setCookie = [ok.headers['set-cookie']].flat().join('\n');
    expect(setCookie).toMatch(/relay_session=[^;]+;.*HttpOnly/i);
    expect(setCookie).toMatch(/relay_session=[^;]+;.*SameSite=Strict/i);
    expect((await rig.request({ method: 'GET', url: '/api/overview' })).statusCode).toBe(200);
    const audit = readFileSync(join(rig.deps.dataDir, 'console', 'audit.jsonl'), 'utf8');
    expect(audit).toContain('"action":"login-failed"');
    expect(audit).toContain('"who":"李老师","action":"login"');
    expect(audit).not.toContain('correct horse');
  });

  it('answers 429 to repeated bad logins', async () => {
    const rig = await consoleRig({ server: { loginPerMinute: 3 } });
    const page = await rig.request({ method: 'GET', url: '/login' });
    const token = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await rig.request({
        method: 'POST',
        url: '/login',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ name: 'x', password: `guess${i}`, _csrf: token }).toString(),
      });
      codes.push(res.statusCode);
    }
    expect(codes).toEqual([401, 401, 401, 429, 429]);
  });

  it('refuses a change without a CSRF token (403) and leaves the post held', async () => {
    const rig = await consoleRig({ posts: [held('scam1', '先交押金198元，日结')] });
    await rig.login();
    rig.sync();
    const res = await rig.request({ method: 'POST', url: '/api/review/scam1/approve', payload: {} });
    expect(res.statusCode).toBe(403);
    const forged = await rig.request({ method: 'POST', url: '/api/review/scam1/approve', payload: {}, headers: { 'x-csrf-token': 'forged' } });
    expect(forged.statusCode).toBe(403);
    expect(rig.store.postById('scam1')!.status).toBe('review');
  });

  it('refuses path traversal on static files (404), signed in or not', async () => {
    const rig = await consoleRig();
    const urls = ['/assets/../package.json', '/assets/%2e%2e/%2e%2e/package.json', '/vendor/../../package.json'];
    for (const url of urls) expect((await rig.request({ method: 'GET', url })).body, url).not.toContain('"dependencies"');
    await rig.login();
    for (const url of ['/assets/../package.json', '/assets/%2e%2e/%2e%2e/package.json', '/assets/..%2f..%2fpackage.json', '/vendor/echarts.js', '/vendor/../../package.json', '/assets/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc/passwd']) {
      const res = await rig.request({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.body).not.toContain('"dependencies"');
    }
  });
});

describe('审核', () => {
  it('approves a held post while running (as /relay approve), audits it, and the preview then carries it', async () => {
    const rig = await consoleRig({ posts: [held('scam1', '国网某供电公司内推，电气工程及其自动化，南京，先交押金？'), held('scam2', '刷单兼职日结')] });
    const token = await rig.login('王老师');
    rig.sync();
    const review = (await rig.request({ method: 'GET', url: '/api/review' })).json() as { held: { id: string }[] };
    expect(review.held.map((h) => h.id).sort()).toEqual(['scam1', 'scam2']);
    const before = (await rig.request({ method: 'GET', url: '/api/preview?college=electrical' })).json() as { colleges: { items: number }[] };
    expect(before.colleges[0]!.items).toBe(0);

    const ok = await rig.request({ method: 'POST', url: '/api/review/scam1/approve', payload: {}, headers: { 'x-csrf-token': token } });
    expect(ok.statusCode).toBe(200);
    expect(rig.store.postById('scam1')!.status).toBe('active');
    const rej = await rig.request({ method: 'POST', url: '/api/review/scam2/reject', payload: {}, headers: { 'x-csrf-token': token } });
    expect(rej.statusCode).toBe(200);
    expect(rig.store.postById('scam2')!.status).toBe('rejected');
    const again = await rig.request({ method: 'POST', url: '/api/review/scam2/approve', payload: {}, headers: { 'x-csrf-token': token } });
    expect(again.statusCode).toBe(409);

    const after = (await rig.request({ method: 'GET', url: '/api/preview?college=electrical' })).json() as {
      colleges: { items: number; channels: { platform: string; parts: { body: string }[] }[] }[];
    };
    expect(after.colleges[0]!.items).toBe(1);
    const wechat = after.colleges[0]!.channels.find((c) => c.platform === 'wechat')!;
    expect(wechat.parts.map((p) => p.body).join('\n')).toContain('国网某供电公司内推');
    const page = await rig.request({ method: 'GET', url: '/preview?college=electrical' });
    expect(page.body).toContain('国网某供电公司内推');

    const audit = readFileSync(join(rig.deps.dataDir, 'console', 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(audit.filter((a) => a.action !== 'login')).toMatchObject([
      { who: '王老师', action: 'approve', target: 'scam1' },
      { who: '王老师', action: 'reject', target: 'scam2' },
    ]);
    for (const a of audit) expect(Date.parse(a.at)).not.toBeNaN();
  });

  it('shows hostile post texts and sender names escaped, bidi overrides visible', async () => {
    const rig = await consoleRig({
      posts: [
        held('x1', '<script>alert(1)</script> 内推', '"><img src=x onerror=alert(2)>'),
        held('x2', '正常文字\u202Eexe.pdf 内推', '王\u202E磊'),
      ],
    });
    await rig.login();
    rig.sync();
    const page = await rig.request({ method: 'GET', url: '/review' });
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain('<script>alert(1)');
    expect(page.body).not.toContain('<img src=x');
    expect(page.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page.body).toContain('&quot;&gt;&lt;img src=x onerror=alert(2)&gt;');
    expect(page.body).not.toContain('\u202E');
    expect(page.body).toContain('⟦U+202E⟧exe.pdf');
    // Content-Security-Policy forbids inline script even if something slipped through.
    expect(String(page.headers['content-security-policy'])).toContain("script-src 'self'");
  });

  it('puts a dead letter back in line, wakes the outbox, and audits it', async () => {
    const rig = await consoleRig({ posts: [post({ id: 'p1' })] });
    const token = await rig.login();
    const p = rig.store.postById('p1')!;
    await rig.store.recordDigest(
      { id: 'dg1', collegeId: 'electrical', collegeName: '电气', createdAt: '2026-11-20T00:00:00.000Z', items: [{ post: p }] },
      [{ id: 'dg1-0', digestId: 'dg1', collegeId: 'electrical', channel: { platform: 'telegram', chat: '-100123' }, parts: [{ format: 'html', body: 'x' }], sentParts: 0, status: 'pending', attempts: 0, nextAttemptAt: '2026-11-20T00:00:00.000Z', createdAt: '2026-11-20T00:00:00.000Z' }],
    );
    await rig.store.updateDelivery('dg1-0', { status: 'dead', attempts: 8, lastError: 'telegram send: chat not found' });
    rig.sync();
    const review = (await rig.request({ method: 'GET', url: '/api/review' })).json() as { dead: { id: string; lastError: string }[] };
    expect(review.dead).toMatchObject([{ id: 'dg1-0', lastError: 'telegram send: chat not found' }]);
    expect((await rig.request({ method: 'GET', url: '/review' })).body).toContain('chat not found');
    const res = await rig.request({ method: 'POST', url: '/api/deliveries/dg1-0/retry', payload: {}, headers: { 'x-csrf-token': token } });
    expect(res.statusCode).toBe(200);
    const d = rig.store.deliveries().find((x) => x.id === 'dg1-0')!;
    expect(d).toMatchObject({ status: 'pending', attempts: 0 });
    expect(d.lastError).toBeUndefined();
    expect(rig.kicks()).toBe(1);
    expect(readFileSync(join(rig.deps.dataDir, 'console', 'audit.jsonl'), 'utf8')).toContain('"action":"retry","target":"dg1-0"');
  });
});

describe('规则', () => {
  it('rejects an invalid save with the problems at line:column and leaves the file unchanged', async () => {
    const rig = await consoleRig();
    const token = await rig.login();
    const { text, hash } = (await rig.request({ method: 'GET', url: '/api/rules' })).json() as { text: string; hash: string };
    const broken = text.replace('maxItemsPerDigest: 30', 'maxItemsPerDigest: lots');
    const check = (await rig.request({ method: 'POST', url: '/api/rules/check', payload: { text: broken }, headers: { 'x-csrf-token': token } })).json() as {
      ok: boolean;
      problems: { line: number; col: number; path: string }[];
      diff: { op: string; text: string }[];
    };
    expect(check.ok).toBe(false);
    const line = text.split('\n').findIndex((l) => l.includes('maxItemsPerDigest')) + 1;
    expect(check.problems[0]).toMatchObject({ line, col: 22, path: 'defaults.maxItemsPerDigest' });
    expect(check.diff.filter((l) => l.op !== ' ' && l.op !== '…').map((l) => l.op + l.text.trim())).toEqual(['-maxItemsPerDigest: 30', '+maxItemsPerDigest: lots']);
    const res = await rig.request({ method: 'PUT', url: '/api/rules', payload: { text: broken }, headers: { 'x-csrf-token': token, 'if-match': `"${hash}"` } });
    expect(res.statusCode).toBe(400);
    expect((res.json() as { problems: unknown[] }).problems).toHaveLength(1);
    expect(readFileSync(rig.rulesFile, 'utf8')).toBe(text);
  });

  it('saves a valid edit atomically, the watcher reloads it, the old version is kept and restorable; a stale tab gets 412', async () => {
    const rig = await consoleRig();
    const token = await rig.login('赵老师');
    const { text, hash } = (await rig.request({ method: 'GET', url: '/api/rules' })).json() as { text: string; hash: string };
    const edited = text.replace('maxItemsPerDigest: 30', 'maxItemsPerDigest: 12');
    const noMatch = await rig.request({ method: 'PUT', url: '/api/rules', payload: { text: edited }, headers: { 'x-csrf-token': token } });
    expect(noMatch.statusCode).toBe(428);
    const saved = await rig.request({ method: 'PUT', url: '/api/rules', payload: { text: edited }, headers: { 'x-csrf-token': token, 'if-match': `"${hash}"` } });
    expect(saved.statusCode).toBe(200);
    expect(readFileSync(rig.rulesFile, 'utf8')).toBe(edited);
    await expect.poll(() => rig.rules().defaults.maxItemsPerDigest, { timeout: 5000 }).toBe(12);
    const after = (await rig.request({ method: 'GET', url: '/api/rules' })).json() as { applied: boolean; versions: { id: string; who: string }[]; hash: string };
    expect(after.applied).toBe(true);
    expect(after.versions).toHaveLength(1);
    expect(after.versions[0]!.who).toBe('赵老师');

    // A second tab still holding the first version's hash: a conflict, not a lost edit.
    const stale = await rig.request({ method: 'PUT', url: '/api/rules', payload: { text: text.replace('maxSendAttempts: 8', 'maxSendAttempts: 3') }, headers: { 'x-csrf-token': token, 'if-match': `"${hash}"` } });
    expect(stale.statusCode).toBe(412);
    expect(readFileSync(rig.rulesFile, 'utf8')).toBe(edited);

    const restore = await rig.request({ method: 'POST', url: `/api/rules/versions/${after.versions[0]!.id}/restore`, payload: {}, headers: { 'x-csrf-token': token, 'if-match': `"${after.hash}"` } });
    expect(restore.statusCode).toBe(200);
    expect(readFileSync(rig.rulesFile, 'utf8')).toBe(text);
    await expect.poll(() => rig.rules().defaults.maxItemsPerDigest, { timeout: 5000 }).toBe(30);
    const audit = readFileSync(join(rig.deps.dataDir, 'console', 'audit.jsonl'), 'utf8');
    expect(audit).toContain('"action":"rules-save"');
    expect(audit).toContain('"action":"rules-restore"');
  });

  it('shows rules content escaped in the editor', async () => {
    const rig = await consoleRig();
    await rig.login();
    const text = readFileSync(rig.rulesFile, 'utf8');
    writeFileSync(rig.rulesFile, `${text}\n# </textarea><script>alert(1)</script>\n`);
    const page = await rig.request({ method: 'GET', url: '/rules' });
    expect(page.body).not.toContain('</textarea><script>');
    expect(page.body).toContain('&lt;/textarea&gt;&lt;script&gt;');
  });
});

describe('隐私', () => {
  it('finds a sender by display name and erases them while running, audited, charts updated', async () => {
    const mine = (id: string) => post({ id, sources: [{ platform: 'lark', chatId: 'oc_1', messageId: id, senderId: 'ou_alice', senderName: '陈校友', sentAt: '2026-11-19T00:00:00.000Z' }], receivedAt: '2026-11-19T00:00:00.000Z' });
    const rig = await consoleRig({ posts: [mine('a1'), mine('a2'), post({ id: 'b1', receivedAt: '2026-11-19T00:00:00.000Z' })] });
    const token = await rig.login();
    rig.sync();
    const found = (await rig.request({ method: 'GET', url: `/api/privacy/senders?q=${encodeURIComponent('陈校友')}` })).json() as { senders: { senderId: string; posts: number }[] };
    expect(found.senders).toEqual([{ senderId: 'ou_alice', names: ['陈校友'], posts: 2, platforms: ['lark'] }]);
    const unconfirmed = await rig.request({ method: 'POST', url: '/api/privacy/forget', payload: { senderId: 'ou_alice' }, headers: { 'x-csrf-token': token } });
    expect(unconfirmed.statusCode).toBe(400);
    const res = await rig.request({ method: 'POST', url: '/api/privacy/forget', payload: { senderId: 'ou_alice', confirm: 'ou_alice' }, headers: { 'x-csrf-token': token } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ posts: 2 });
    expect(rig.store.postById('a1')).toBeUndefined();
    await rig.server.ctx.tracker.ready;
    const a = (await rig.request({ method: 'GET', url: '/api/analytics?from=2026-11-19&to=2026-11-19' })).json() as { referrals: number };
    expect(a.referrals).toBe(1);
    expect(readFileSync(join(rig.deps.dataDir, 'console', 'audit.jsonl'), 'utf8')).toContain('"action":"forget","target":"ou_alice"');
  });
});
