// End to end on the embedded local platform: the real relay (pipeline, digest, outbox, LocalAdapter) and
// the alumni service it opens on the same store, its messages going through the relay's outbox. Referral posted → digest delivered → the acknowledgement arrives in the form the
// group chose (reply / daily / nothing for off), a hint once for a referral without an apply method,
// nothing for chit-chat.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalAdapter } from '../../adapters/local/index.ts';
import { parseDocument } from 'yaml';
import { createRelay, type Relay } from '../../src/app.ts';
import type { Platform } from '../../src/domain.ts';
import { silentLogger } from '../../src/log.ts';
import type { ChatAdapter } from '../../src/ports.ts';
import { clockFrom, describeDeliveries, until } from '../helpers/e2e-rig.ts';
import { tempDir } from '../helpers/tmp.ts';

const BJ = '东电校友会·北京分会';
const POWER = '东电校友电力行业内推群';
const SZ = '东电校友会·深圳分会';

let relay: Relay | undefined;
afterEach(async () => {
  await relay?.stop();
  relay = undefined;
});

describe('alumni acknowledgements end to end (local platform)', () => {
  it('reply in a reply group, one daily summary in a daily group, nothing in an off group; a hint once', async () => {
    const dir = tempDir();
    const rulesFile = join(dir, 'routing.yaml');
    // Each group's acknowledgement mode, in the rules as an admin would write it.
    const ackBy: Record<string, 'reply' | 'daily' | 'off'> = { [BJ]: 'reply', [POWER]: 'daily', [SZ]: 'off' };
    const doc = parseDocument(readFileSync('rules/routing.yaml', 'utf8'));
    const sources = doc.get('sources') as { items: { get(k: string): unknown; set(k: string, v: unknown): void }[] };
    for (const s of sources.items) s.set('ack', ackBy[String(s.get('group'))] ?? 'off');
    writeFileSync(rulesFile, doc.toString());
    const local = new LocalAdapter({ print: () => {} });
    const adapters = new Map<Platform, ChatAdapter>((['local', 'wechat', 'lark', 'telegram'] as const).map((p) => [p, local]));
    const now = clockFrom('2026-11-18T12:30:00Z'); // Wednesday 20:30 in Shanghai, after the daily's 20:00
    const r = await createRelay({ rulesFile, dataDir: join(dir, 'data'), adapters, logger: silentLogger, outboxIntervalMs: 50, watchRules: false, now });
    relay = r;
    await r.start();
    const alumni = r.alumni;

    const say = (group: string, senderId: string, text: string) => local.post({ platform: 'wechat', group, senderId, senderName: senderId, text });
    await say(BJ, '王磊', '【内推】国网北京市电力公司2026届校园招聘，招聘电气工程及其自动化、继电保护方向本科/硕士，工作地点北京。网申截止12月5日，内推码 GW2026BJ，投递链接 https://zhaopin.sgcc.com.cn/campus/2026');
    await say(BJ, '张婷', '今天北京好冷啊，大家注意保暖');
    await say(BJ, '孙浩', '中国电建成都院招聘电气工程及其自动化专业2026届本科生，岗位：电气设计工程师，地点成都，欢迎师弟师妹');
    await say(POWER, '刘洋', '华能集团某电厂招聘热能与动力工程、能源与动力工程专业毕业生，岗位：集控运行值班员，2026届本科及以上，地点鄂尔多斯，简历发送至 hr_ordos@chng.com.cn，截止12月20日');
    await say(SZ, '周敏', '南方电网深圳供电局2026届校园招聘，电气工程及其自动化专业本科/硕士，网申 https://zhaopin.csg.cn/campus ，12月10日截止');
    const referrals = r.store.posts().filter((p) => p.status === 'active');
    expect(referrals).toHaveLength(4);

    // The hint goes out at once (before any digest), to the referral without an apply method only.
    await alumni.sweep();
    const inChat = (chat: string) => local.sent.filter((s) => s.chat === chat).map((s) => s.text);
    await until('the hint in the Beijing group', () => inChat(BJ).length === 1);
    expect(inChat(BJ)[0]).toContain('投递方式');

    for (const c of r.rules().colleges) await r.runDigest(c.id);
    await until(
      () => `digests delivered: ${describeDeliveries(r.store.deliveries())}`,
      () => r.store.deliveries().length > 1 && r.store.deliveries().every((d) => d.status === 'delivered'),
    );
    await alumni.sweep();
    await until(
      () => `alumni messages delivered: ${describeDeliveries(r.store.deliveries())}`,
      () => inChat(BJ).length === 3 && inChat(POWER).length === 1 && r.store.deliveries().every((d) => d.status === 'delivered'),
    );
    const bj = inChat(BJ);
    expect(bj.filter((t) => t.includes('已转给'))).toHaveLength(2); // one reply per referral, none for the chit-chat
    expect(bj.find((t) => t.includes('国网北京市电力公司'))).toMatch(/已转给 电气与电子工程学院.* \d+ 个学生群。谢谢分享！$/);
    expect(bj.join('\n')).not.toMatch(/约 \d+ 人/); // electrical's channels give no member counts: no number invented
    expect(inChat(POWER)[0]).toMatch(/^内推转发小结（11月18日）\n1 条内推已转给/);
    expect(inChat(SZ)).toEqual([]);
    // Threaded replies carry the message they answer (for the adapters that can thread).
    const acks = r.store.deliveries().filter((d) => d.collegeId === '@alumni' && (d as { replyTo?: { messageId: string } }).replyTo);
    const bjMessages = new Set(r.store.posts().flatMap((p) => p.sources.filter((s) => s.chatId === BJ).map((s) => s.messageId)));
    expect(acks.length).toBe(3); // the hint and two acks
    for (const d of acks) expect(bjMessages.has((d as unknown as { replyTo: { messageId: string } }).replyTo.messageId)).toBe(true);

    // Nothing more on another pass: each message once.
    const before = local.sent.length;
    await alumni.sweep();
    await r.outbox.drain();
    expect(local.sent.length).toBe(before);
  });
});
