// The relay's feedback and alumni modules, real, over a console rig's store: digests delivered to the
// rules' channels, students' votes through FeedbackService.vote, a tracked click, a subscription, and the
// alumni ledger, an opt-out and mentor state through AlumniService. For the console's 反馈 and 校友 tests.
import { emptyMentorState, mentorJoin, studentAsk } from '../../src/alumni/mentors.ts';
import { MENTORS } from '../../src/alumni/ledger-sync.ts';
import type { AlumniOutboxRequest } from '../../src/alumni/requests.ts';
import { AlumniService, feedbackCounts as alumniFeedbackCounts } from '../../src/alumni/service.ts';
import type { Delivery, Digest, Post } from '../../src/domain.ts';
import { linkToken } from '../../src/feedback/links.ts';
import { FeedbackService, type RelayView } from '../../src/feedback/service.ts';
import { silentLogger } from '../../src/log.ts';
import type { Store } from '../../src/store/store.ts';
import { post } from '../helpers/posts.ts';
import type { ExtraDeps } from './rig.ts';

export const SECRET = 'console-test-secret-0123456789';
export const EE_WECHAT = '电气学院2026届就业信息群';
export const EE_TELEGRAM = '-1001987650101';
export const ALUMNI_GROUP = '东电校友会·北京分会';
export const HOSTILE = '<img src=x onerror=alert(1)>"\'&';

/** A digest for `college` carrying `posts`, delivered to `channels` at `at` (as the outbox leaves it). */
export async function deliver(store: Store, college: string, channels: { platform: 'wechat' | 'telegram'; chat: string }[], posts: Post[], at: string, id = `dg-${college}-${at}`): Promise<void> {
  const digest: Digest = { id, collegeId: college, collegeName: college, createdAt: at, items: posts.map((p) => ({ post: p })) };
  const deliveries: Delivery[] = channels.map((channel, i) => ({
    id: `${id}-${i}`,
    digestId: id,
    collegeId: college,
    channel,
    parts: [{ format: 'plain', body: 'digest' }],
    sentParts: 0,
    status: 'pending',
    attempts: 0,
    nextAttemptAt: at,
    createdAt: at,
  }));
  await store.recordDigest(digest, deliveries);
  for (const d of deliveries) await store.updateDelivery(d.id, { sentParts: 1, status: 'delivered', deliveredAt: at });
}

const at = (day: number, hour = 2) => new Date(Date.UTC(2026, 10, day, hour)).toISOString();

/** Referrals from three alumni (one with a hostile display name and company) in November 2026. */
export function referrals(): Post[] {
  const src = (id: string, senderId: string, senderName: string, day: number) => [{ platform: 'wechat' as const, chatId: ALUMNI_GROUP, messageId: `m-${id}`, senderId, senderName, sentAt: at(day) }];
  return [
    post({ id: 'ref-1', receivedAt: at(10), sources: src('ref-1', 'u-wang', '王磊（2012级电气）', 10), fields: { company: '国网北京电力', roles: ['变电运维'], links: ['https://zhaopin.example.cn/a'] }, colleges: ['electrical'] }),
    post({ id: 'ref-2', receivedAt: at(12), sources: src('ref-2', 'u-wang', '王磊（2012级电气）', 12), fields: { company: '南方电网', roles: ['继电保护'], links: ['https://zhaopin.example.cn/b'] }, colleges: ['electrical'] }),
    post({ id: 'ref-3', receivedAt: at(14), sources: src('ref-3', 'u-evil', `${HOSTILE}李`, 14), fields: { company: HOSTILE, roles: [], links: ['https://zhaopin.example.cn/c'] }, colleges: ['electrical'] }),
    post({ id: 'ref-4', receivedAt: at(15), sources: src('ref-4', 'u-zhang', '张伟', 15), fields: { company: '华能集团', roles: ['检修'], links: ['https://zhaopin.example.cn/d'] }, colleges: ['electrical'] }),
  ];
}

/** Stores the referrals and delivers them to electrical's WeChat and Telegram channels on Nov 16. */
export async function seedStore(store: Store): Promise<Post[]> {
  const posts = referrals();
  await store.importPosts(posts);
  await deliver(
    store,
    'electrical',
    [
      { platform: 'wechat', chat: EE_WECHAT },
      { platform: 'telegram', chat: EE_TELEGRAM },
    ],
    posts.map((p) => store.postById(p.id)!),
    at(16, 0),
  );
  return posts;
}

export function viewOf(store: Store, rules: () => import('../../src/rules/schema.ts').Rules): RelayView {
  return { postById: (id) => store.postById(id), posts: () => store.posts(), digests: () => store.data.digests, deliveries: () => store.deliveries(), rules };
}

export interface FeedbackSeed {
  fb: FeedbackService;
}

/**
 * Feedback on: three students mark item 1 不对口 in the WeChat group, one marks item 2 有用 on Telegram,
 * a tracked link to ref-1 is clicked twice, one student subscribes to 电气工程及其自动化.
 */
export function withFeedback(out: Partial<FeedbackSeed> = {}): ExtraDeps {
  return async ({ store, dataDir, rules, catalog, now }) => {
    await seedStore(store);
    const fb = new FeedbackService({ dataDir, secret: SECRET, catalog, view: viewOf(store, rules), now, fsync: false });
    for (const u of ['s1', 's2', 's3']) fb.vote({ platform: 'wechat', chatId: EE_WECHAT, userId: u, items: [1], value: -1 });
    fb.vote({ platform: 'telegram', chatId: EE_TELEGRAM, userId: 's4', items: [2], value: 1 });
    const token = linkToken(SECRET, { postId: 'ref-1', url: 'https://zhaopin.example.cn/a', collegeId: 'electrical', channel: { platform: 'telegram', chat: EE_TELEGRAM } });
    fb.click(token);
    fb.click(token);
    await fb.handleText({ platform: 'telegram', chatId: 's5', senderId: 's5', text: '订阅 电气工程及其自动化' }, 'private');
    out.fb = fb;
    return { deps: { feedback: () => fb }, close: () => fb.close() };
  };
}

export interface AlumniSeed {
  alumni: AlumniService;
  sent: AlumniOutboxRequest[];
}

/** Alumni on: the ledger of the seeded referrals, 张伟 opted out, one mentor with a proposed match and one waiting request. */
export function withAlumni(out: Partial<AlumniSeed> = {}, opts: { feedback?: boolean } = {}): ExtraDeps {
  return async (base) => {
    const fbPart = opts.feedback ? await withFeedback()(base) : (await seedStore(base.store), undefined);
    const { store, dataDir, rules, catalog, now } = base;
    const sent: AlumniOutboxRequest[] = [];
    const fb = fbPart?.deps.feedback?.();
    const alumni = await AlumniService.open({
      store,
      rules,
      catalog,
      dataDir,
      now,
      logger: silentLogger,
      enqueue: async (rs) => void sent.push(...rs),
      fsync: false,
      ...(fb && { feedbackCounts: () => alumniFeedbackCounts(fb.clicks(), fb.votes()) }),
    });
    await alumni.handleCommand({ platform: 'wechat', id: 'm-optout', chatId: ALUMNI_GROUP, senderId: 'u-zhang', senderName: '张伟', text: '/relay optout', sentAt: now().toISOString() });
    await alumni.sweep();
    const t = now();
    let state = mentorJoin(emptyMentorState(), { platform: 'telegram', id: 'm-1', name: '刘导师', handle: '@liu_mentor_secret' }, ['电气'], '求职和读研', catalog, t).state;
    state = studentAsk(state, { platform: 'telegram', id: 'st-1', name: '同学甲', handle: '@student_jia_secret' }, ['电气工程及其自动化'], catalog, t).state;
    state = studentAsk(state, { platform: 'lark', id: 'st-2', name: '同学乙', handle: 'ou_student_yi_secret' }, ['汉语言文学'], catalog, t).state;
    alumni.db.put(MENTORS, 'state', state);
    out.alumni = alumni;
    out.sent = sent;
    return {
      deps: { alumni: () => alumni, ...fbPart?.deps },
      close: async () => {
        await alumni.stop();
        await fbPart?.close?.();
      },
    };
  };
}
