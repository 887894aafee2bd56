import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { linkRewriter, linkToken, personalChannel } from '../../src/feedback/links.ts';
import { FeedbackService } from '../../src/feedback/service.ts';
import { feedbackRoutes } from '../../src/http/routes-feedback.ts';
import { tempDir } from '../helpers/tmp.ts';
import { catalog, NOW, View } from './rig.ts';

const SECRET = 'test-secret-0123456789abcdef';
const TEXT = '【内推】某电力设备公司招聘PLC工程师，负责电气控制柜调试，自动化、电气专业均可，苏州，投递 https://jobs.example.com/apply?id=7';
const apps: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  while (apps.length) await apps.pop()!.close();
});

async function setup() {
  const dir = tempDir();
  const view = new View();
  const post = view.add('p1', TEXT);
  view.digest('dg1', 'electrical', ['p1']);
  const fb = new FeedbackService({ dataDir: dir, secret: SECRET, catalog, view, now: () => NOW, fsync: false });
  const app = Fastify();
  feedbackRoutes(app, { feedback: () => fb, view, catalog });
  await app.ready();
  apps.push(app);
  return { view, fb, app, post };
}

describe('tracked links', () => {
  it('rewrites apply links only with RELAY_PUBLIC_URL, to a short unguessable token', () => {
    const where = { postId: 'p1', collegeId: 'electrical', channel: { platform: 'telegram' as const, chat: '-100111' } };
    expect(linkRewriter(SECRET, undefined)('https://jobs.example.com/a', where)).toBe('https://jobs.example.com/a');
    expect(linkRewriter(undefined, 'https://relay.example.org')('https://jobs.example.com/a', where)).toBe('https://jobs.example.com/a');
    const url = linkRewriter(SECRET, 'https://relay.example.org/')('https://jobs.example.com/a', where);
    expect(url).toMatch(/^https:\/\/relay\.example\.org\/r\/[A-Za-z0-9_-]{12}$/);
    expect(linkRewriter(SECRET, 'https://relay.example.org')('mailto:hr@example.com', where)).toBe('mailto:hr@example.com');
    // A different secret gives a different token: tokens cannot be made without it.
    expect(linkToken('another-secret-0123456789', { ...where, url: 'https://jobs.example.com/a' })).not.toBe(url.slice(-12));
  });

  it('answers 302 to the real address and counts the click per post, college, channel and day', async () => {
    const { app, fb, post } = await setup();
    const target = post.classification.fields.links[0]!;
    expect(target).toBe('https://jobs.example.com/apply?id=7');
    const token = linkToken(SECRET, { postId: 'p1', url: target, collegeId: 'electrical', channel: { platform: 'telegram', chat: '-100111' } });
    for (let i = 0; i < 2; i++) {
      const res = await app.inject({ method: 'GET', url: `/r/${token}`, headers: { 'x-forwarded-for': '203.0.113.9', 'user-agent': 'Test/1' } });
      expect(res.statusCode).toBe(302);
      expect(res.headers.location).toBe(target);
      expect(res.headers['cache-control']).toBe('no-store');
    }
    expect(fb.clicks()).toEqual([{ day: '2026-11-21', postId: 'p1', collegeId: 'electrical', channel: 'telegram:-100111', n: 2 }]);
    await fb.close();
    // Nothing about the clicker is stored.
    expect(JSON.stringify(fb.clicks())).not.toMatch(/203\.0\.113|Test\/1/);
  });

  it('refuses an open redirect and answers unknown or expired tokens with a friendly page', async () => {
    const { app, view, fb } = await setup();
    // A token for an address that no stored post holds, made with the right secret, still goes nowhere.
    const forged = linkToken(SECRET, { postId: 'p1', url: 'https://evil.example.net/', collegeId: 'electrical', channel: { platform: 'telegram', chat: '-100111' } });
    for (const url of [`/r/${forged}`, '/r/AAAAAAAAAAAA', '/r/https%3A%2F%2Fevil.example.net', '/r/..%2F..%2Fetc']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.headers.location).toBeUndefined();
      expect(res.body).toContain('这个链接已失效');
    }
    // A post erased (forget, retention) takes its links with it.
    const token = linkToken(SECRET, { postId: 'p1', url: 'https://jobs.example.com/apply?id=7', collegeId: 'electrical', channel: { platform: 'wechat', chat: '电气学生群' } });
    expect((await app.inject({ method: 'GET', url: `/r/${token}` })).statusCode).toBe(302);
    view.postMap.delete('p1');
    expect((await app.inject({ method: 'GET', url: `/r/${token}` })).statusCode).toBe(404);
    await fb.close();
  });

  it("counts a personal digest's clicks by platform only, never by the subscriber's private chat", async () => {
    const { app, view, fb } = await setup();
    // A personal digest to the private chat of Telegram user 5550001, as the relay records it.
    view.digestList.push({ id: 'dp1', collegeId: '@personal', createdAt: NOW.toISOString(), postIds: ['p1'] });
    view.deliveryList.push({ id: 'dp1-0', digestId: 'dp1', collegeId: '@personal', channel: { platform: 'telegram', chat: '5550001' }, parts: [], sentParts: 1, status: 'delivered', attempts: 1, nextAttemptAt: NOW.toISOString(), createdAt: NOW.toISOString(), direct: true });
    const url = 'https://jobs.example.com/apply?id=7';
    const rendered = linkRewriter(SECRET, 'https://relay.example.org')(url, { postId: 'p1', collegeId: '@personal', channel: personalChannel('telegram') });
    const res = await app.inject({ method: 'GET', url: new URL(rendered).pathname });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe(url);
    expect(fb.clicks()).toEqual([{ day: '2026-11-21', postId: 'p1', collegeId: '@personal', channel: 'telegram:@personal', n: 1 }]);
    // A token naming the private chat itself was never handed out: it goes nowhere.
    const byChat = linkToken(SECRET, { postId: 'p1', url, collegeId: '@personal', channel: { platform: 'telegram', chat: '5550001' } });
    expect((await app.inject({ method: 'GET', url: `/r/${byChat}` })).statusCode).toBe(404);
    expect(JSON.stringify(fb.clicks())).not.toContain('5550001');
    await fb.close();
  });
});
