import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseFeedbackCommand } from '../../src/feedback/commands.ts';
import { digestKey } from '../../src/feedback/items.ts';
import { FeedbackService } from '../../src/feedback/service.ts';
import { createResolver, dueSubscriptions, PERSONAL_DIGEST, postsForSubscription, type Subscription } from '../../src/feedback/subscriptions.ts';
import type { Delivery } from '../../src/domain.ts';
import { tempDir } from '../helpers/tmp.ts';
import { catalog, NOW, View } from './rig.ts';

const SECRET = 'test-secret-0123456789abcdef';

describe('commands', () => {
  it('reads votes, subscriptions and their variants, and nothing else', () => {
    expect(parseFeedbackCommand('3 不对口')).toEqual({ kind: 'vote', items: [3], value: -1 });
    expect(parseFeedbackCommand('👎3')).toEqual({ kind: 'vote', items: [3], value: -1 });
    expect(parseFeedbackCommand('👎🏻 12')).toEqual({ kind: 'vote', items: [12], value: -1 });
    expect(parseFeedbackCommand('２ 有用')).toEqual({ kind: 'vote', items: [2], value: 1 });
    expect(parseFeedbackCommand('3、5不对口')).toEqual({ kind: 'vote', items: [3, 5], value: -1 });
    expect(parseFeedbackCommand('订阅 电气工程及其自动化')).toEqual({ kind: 'subscribe', queries: ['电气工程及其自动化'], time: undefined });
    expect(parseFeedbackCommand('订阅 0806 每天 20:00')).toEqual({ kind: 'subscribe', queries: ['0806'], time: '20:00' });
    expect(parseFeedbackCommand('订阅 每天晚上8点')).toEqual({ kind: 'subscribe', queries: [], time: '20:00' });
    expect(parseFeedbackCommand('订阅 0806 每天 25:00')).toEqual({ kind: 'subscribe', queries: [], time: 'invalid' });
    expect(parseFeedbackCommand('退订')).toEqual({ kind: 'unsubscribe', queries: [] });
    expect(parseFeedbackCommand('我的订阅')).toEqual({ kind: 'list' });
    for (const chat of ['这个不对口吧', '3 个人不对口', '有用', '第3条', '订阅号推文转发', '0 不对口']) {
      const c = parseFeedbackCommand(chat);
      expect(c === null || (c.kind === 'subscribe' && chat.startsWith('订阅')), chat).toBe(true);
    }
  });

  it('never throws and only yields item numbers 1..200 (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.constantFrom('👎', '不对口', '有用', '订阅', '每天', '20:00').chain((w) => fc.tuple(fc.string(), fc.string()).map(([a, b]) => a + w + b))), (s) => {
        const c = parseFeedbackCommand(s);
        if (c?.kind === 'vote') for (const n of c.items) expect(n >= 1 && n <= 200).toBe(true);
        if (c?.kind === 'subscribe' && c.time && c.time !== 'invalid') expect(c.time).toMatch(/^([01]\d|2[0-3]):[0-5]\d$/);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('subscriptions', () => {
  const resolve = createResolver(catalog);

  it('resolves names and codes against the catalog, with a did-you-mean', () => {
    expect(resolve('电气工程及其自动化')).toMatchObject({ ok: true, code: '080601' });
    expect(resolve('0806')).toMatchObject({ ok: true, code: '0806', name: '电气类' });
    const r = resolve('电气工程自动化');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.suggestions.map((s) => s.code)).toContain('080601');
    expect(resolve('量子烹饪')).toEqual({ ok: false, query: '量子烹饪', suggestions: [] });
  });

  it('is due at its local time, once a day (pure)', () => {
    const sub: Subscription = { platform: 'telegram', userId: '42', codes: ['0806'], time: '20:00', createdAt: '2026-11-01T00:00:00Z' };
    const at = (iso: string) => new Date(iso);
    expect(dueSubscriptions(at('2026-11-21T19:59:00+08:00'), [sub])).toEqual([]);
    expect(dueSubscriptions(at('2026-11-21T20:00:00+08:00'), [sub])).toEqual([sub]);
    const sent = { ...sub, lastSentAt: '2026-11-21T20:00:30+08:00' };
    expect(dueSubscriptions(at('2026-11-21T23:59:00+08:00'), [sent])).toEqual([]);
    expect(dueSubscriptions(at('2026-11-22T19:00:00+08:00'), [sent])).toEqual([]);
    expect(dueSubscriptions(at('2026-11-22T20:01:00+08:00'), [sent])).toEqual([sent]);
    // Sent earlier the same day (the time was changed to later): due again at the new time.
    expect(dueSubscriptions(at('2026-11-22T21:00:00+08:00'), [{ ...sub, time: '21:00', lastSentAt: '2026-11-22T08:00:00+08:00' }])).toHaveLength(1);
    // In another zone.
    expect(dueSubscriptions(at('2026-11-21T20:00:00Z'), [sub], 'UTC')).toEqual([sub]);
  });

  it('a new subscription is first due at its time after it was made, not at once', () => {
    const at = (s: string) => new Date(s);
    const late: Subscription = { platform: 'lark', userId: 'ou_1', codes: ['0806'], time: '20:00', createdAt: '2026-11-21T20:30:00+08:00' };
    expect(dueSubscriptions(at('2026-11-21T20:31:00+08:00'), [late])).toEqual([]);
    expect(dueSubscriptions(at('2026-11-21T23:59:00+08:00'), [late])).toEqual([]);
    expect(dueSubscriptions(at('2026-11-22T19:59:00+08:00'), [late])).toEqual([]);
    expect(dueSubscriptions(at('2026-11-22T20:00:00+08:00'), [late])).toEqual([late]);
    const early: Subscription = { ...late, createdAt: '2026-11-21T19:00:00+08:00' };
    expect(dueSubscriptions(at('2026-11-21T19:59:00+08:00'), [early])).toEqual([]);
    expect(dueSubscriptions(at('2026-11-21T20:00:00+08:00'), [early])).toEqual([early]);
  });

  it("a first digest taken late still holds what came since the subscription (not only the last 24 h)", () => {
    const view = new View();
    const sub: Subscription = { platform: 'telegram', userId: '42', codes: ['0806'], time: '20:00', createdAt: '2026-11-20T20:30:00+08:00' };
    const post = view.add('p1', '【内推】国网江苏电力招聘电气工程及其自动化专业本科生，南京，投递 https://jobs.example.com/1', new Date('2026-11-20T20:30:05+08:00'));
    // The relay was down at Saturday 20:00 and takes the turn at 20:31: the post is 24 h and 26 s old.
    const late = new Date('2026-11-21T20:31:00+08:00');
    expect(postsForSubscription(sub, view.posts(), late, 'Asia/Shanghai').map((p) => p.id)).toEqual([post.id]);
    // Posts from before the subscription older than a day stay out.
    view.add('p0', '【内推】许继电气招聘电气工程及其自动化专业，许昌，投递 https://jobs.example.com/0', new Date('2026-11-19T10:00:00+08:00'));
    expect(postsForSubscription(sub, view.posts(), late, 'Asia/Shanghai').map((p) => p.id)).toEqual([post.id]);
  });

  it('a subscription is first due at the first turn of its time after it was made (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.parse('2026-01-01T00:00:00Z'), max: Date.parse('2027-01-01T00:00:00Z') }),
        fc.integer({ min: 0, max: 23 }),
        fc.integer({ min: 0, max: 59 }),
        // Zones without DST: in a spring-forward gap the turn falls at the first minute that exists, not at `time`.
        fc.constantFrom('Asia/Shanghai', 'UTC', 'Asia/Tokyo'),
        (created, h, m, tz) => {
          const time = `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
          const sub: Subscription = { platform: 'telegram', userId: '1', codes: ['0806'], time, createdAt: new Date(created).toISOString() };
          // Being due starts at a local `time`, so only the minutes with that minute-of-hour (the same in
          // UTC for these whole-hour zones) over the next 25 hours can be the first; the minute before the
          // first due one is checked too.
          let first: number | undefined;
          const start = Math.floor(created / 60_000) * 60_000;
          const hourStart = Math.floor(created / 3600_000) * 3600_000;
          for (let t = hourStart + m * 60_000; t <= start + 25 * 3600_000; t += 3600_000) {
            if (t >= start && dueSubscriptions(new Date(t), [sub], tz).length) {
              first = t;
              break;
            }
          }
          expect(first === undefined || first === start || dueSubscriptions(new Date(first - 60_000), [sub], tz).length === 0).toBe(true);
          expect(first).toBeDefined();
          expect(first! - created).toBeLessThanOrEqual(25 * 3600_000);
          const local = new Intl.DateTimeFormat('en-GB', { timeZone: tz, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(first!));
          expect(local).toBe(time);
          // Never in the creation minute itself: a subscription made at 20:00 for 20:00 waits a day.
          expect(first).toBeGreaterThan(start);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('is created, listed, due with matching posts, and cancelled with one word', async () => {
    const dir = tempDir();
    const view = new View();
    let now = NOW; // 12:00 local
    const fb = new FeedbackService({ dataDir: dir, secret: SECRET, catalog, view, now: () => now, fsync: false });
    const dm = (text: string) => fb.handleText({ platform: 'telegram', chatId: '42', senderId: '42', text }, 'private');
    expect((await dm('订阅 电气工程自动化'))?.reply).toContain('你是不是要：电气工程及其自动化（080601）');
    expect(fb.subscriptions()).toHaveLength(0);
    expect((await dm('订阅 电气工程及其自动化 每天 20:00'))?.reply).toBe('已订阅：电气工程及其自动化（080601），每天 20:00 推送这些专业的新内推。回复「退订」随时取消。');
    expect((await dm('我的订阅'))?.reply).toContain('电气工程及其自动化（080601）');
    expect(await fb.handleText({ platform: 'telegram', chatId: '-100111', senderId: '42', text: '订阅 0806' }, 'group')).toEqual({ reply: '订阅请私聊我，例如：订阅 电气工程及其自动化' });
    view.add('p1', '【内推】国网江苏电力招聘电气工程及其自动化专业本科生，南京，投递 https://jobs.example.com/1', new Date(NOW.getTime() + 3600_000));
    view.add('p2', '【内推】某银行招聘柜员，金融学、会计学专业，武汉，投递 https://bank.example.com/2', new Date(NOW.getTime() + 3600_000));
    now = new Date('2026-11-21T20:00:00+08:00');
    const due = await fb.due();
    expect(due.map((d) => [d.sub.userId, d.posts.map((p) => p.id)])).toEqual([['42', ['p1']]]);
    await fb.markSent(due[0]!.sub);
    expect(await fb.due()).toEqual([]);
    expect((await dm('退订'))?.reply).toContain('已退订');
    expect(fb.subscriptions()).toHaveLength(0);
    await fb.close();
    const again = new FeedbackService({ dataDir: dir, secret: SECRET, catalog, view, now: () => now, fsync: false });
    expect(again.subscriptions()).toHaveLength(0);
  });

  it('ends a subscription whose last two personal digests died (blocked bot, stale WeChat id), and only then', async () => {
    const dir = tempDir();
    const view = new View();
    let now = new Date('2026-11-21T20:00:00+08:00');
    const warnings: unknown[] = [];
    const logger = { warn: (o: object, m: string) => void warnings.push([o, m]), error: () => {} };
    const fb = new FeedbackService({ dataDir: dir, secret: SECRET, catalog, view, now: () => now, fsync: false, logger });
    const dm = (text: string) => fb.handleText({ platform: 'wechat', chatId: 'wxid_s1', senderId: 'wxid_s1', text }, 'private');
    now = new Date('2026-11-20T12:00:00+08:00');
    await dm('订阅 0806 每天 20:00');
    view.add('p1', '【内推】国网江苏电力招聘电气工程及其自动化专业本科生，南京，投递 https://jobs.example.com/1', new Date('2026-11-21T10:00:00+08:00'));
    const personal = (id: string, local: string, status: Delivery['status']): Delivery => ({
      id,
      digestId: id,
      collegeId: PERSONAL_DIGEST,
      channel: { platform: 'wechat', chat: 'wxid_s1' },
      parts: [],
      sentParts: 0,
      status,
      attempts: 1,
      nextAttemptAt: new Date(local).toISOString(),
      createdAt: new Date(local).toISOString(),
      direct: true,
    });
    // One dead personal digest (an outage outlasting the retries) ends nothing.
    view.deliveryList.push(personal('dp1', '2026-11-20T20:00:00+08:00', 'dead'));
    now = new Date('2026-11-21T20:00:00+08:00');
    expect((await fb.due()).map((d) => d.sub.userId)).toEqual(['wxid_s1']);
    await fb.markSent(fb.subscriptions()[0]!, now);
    // A second one in a row: the person cannot be reached; the subscription ends, the log names no one.
    view.deliveryList.push(personal('dp2', '2026-11-21T20:00:00+08:00', 'dead'));
    view.add('p2', '【内推】南网广东供电局招聘电气工程专业硕士，广州，投递 https://jobs.example.com/2', new Date('2026-11-22T10:00:00+08:00'));
    now = new Date('2026-11-22T20:00:00+08:00');
    expect(await fb.due()).toEqual([]);
    expect(fb.subscriptions()).toEqual([]);
    expect(JSON.stringify(warnings)).toContain('subscription ended');
    expect(JSON.stringify(warnings)).not.toContain('wxid_s1');
    // Subscribing again starts afresh: the old failures do not count against the new subscription.
    await dm('订阅 0806 每天 20:00');
    now = new Date('2026-11-23T20:00:00+08:00');
    view.add('p3', '【内推】许继电气招聘电气工程及其自动化专业，许昌，投递 https://jobs.example.com/3', new Date('2026-11-23T10:00:00+08:00'));
    expect((await fb.due()).map((d) => d.sub.userId)).toEqual(['wxid_s1']);
    // A delivered one between two dead ones breaks the streak.
    view.deliveryList.push(personal('dp3', '2026-11-23T20:00:00+08:00', 'dead'), personal('dp4', '2026-11-24T20:00:00+08:00', 'delivered'), personal('dp5', '2026-11-25T20:00:00+08:00', 'dead'));
    await fb.markSent(fb.subscriptions()[0]!, new Date('2026-11-25T20:00:00+08:00'));
    now = new Date('2026-11-26T20:00:00+08:00');
    await fb.due();
    expect(fb.subscriptions()).toHaveLength(1);
    await fb.close();
  });

  it("forget erases a student's subscription and their votes", async () => {
    const dir = tempDir();
    const view = new View();
    view.add('p1', '【内推】国网江苏电力招聘电气工程及其自动化专业本科生，南京');
    view.digest('dg1', 'electrical', ['p1']);
    const fb = new FeedbackService({ dataDir: dir, secret: SECRET, catalog, view, now: () => NOW, fsync: false });
    await fb.handleText({ platform: 'wechat', chatId: 'wx_student', senderId: 'wx_student', text: '订阅 0806' }, 'private');
    expect((await fb.handleText({ platform: 'wechat', chatId: '电气学生群', senderId: 'wx_student', text: '1 有用' }, 'group'))?.reply).toBeUndefined();
    fb.vote({ platform: 'telegram', chatId: '-100111', userId: 'tg_other', items: [1], value: -1, digestKey: digestKey('dg1') });
    expect([...fb.votes()]).toHaveLength(2);
    expect(await fb.forget(undefined, 'wx_student')).toEqual({ subscriptions: 1, votes: 1 });
    expect(fb.subscriptions()).toHaveLength(0);
    expect([...fb.votes()]).toHaveLength(1);
    await fb.close();
    const again = new FeedbackService({ dataDir: dir, secret: SECRET, catalog, view, now: () => NOW, fsync: false });
    expect([...again.votes()]).toHaveLength(1);
    expect(again.subscriptions()).toHaveLength(0);
  });
});
