// The alumni side of the loop through the relay's own wiring (app.ts opens the AlumniService): a referral
// in a group with `ack: reply` → digest delivered → the acknowledgement is sent as a reply to the
// alumnus's message (SendOptions.replyTo reaches the adapter, on the first part only); a group with
// `ack: daily` gets one summary however often the service sweeps; `/relay guide` is answered to anyone.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { LocalAdapter } from '../../adapters/local/index.ts';
import { createRelay, type Relay } from '../../src/app.ts';
import type { Platform } from '../../src/domain.ts';
import { silentLogger } from '../../src/log.ts';
import type { ChatAdapter } from '../../src/ports.ts';
import { clockFrom, describeDeliveries, until } from '../helpers/e2e-rig.ts';
import { tempDir } from '../helpers/tmp.ts';

const BJ = '东电校友会·北京分会';
const POWER = '东电校友电力行业内推群';

let relay: Relay | undefined;
afterEach(async () => {
  await relay?.stop();
  relay = undefined;
});

describe('alumni acknowledgements through the relay', () => {
  it('a reply ack threaded to the referral, one daily summary, the guide for anyone', async () => {
    const dir = tempDir();
    const rulesFile = join(dir, 'routing.yaml');
    const doc = parseDocument(readFileSync('rules/routing.yaml', 'utf8'));
    const sources = doc.get('sources') as { items: { get(k: string): unknown; set(k: string, v: unknown): void }[] };
    for (const s of sources.items) s.set('ack', s.get('group') === BJ ? 'reply' : s.get('group') === POWER ? 'daily' : 'off');
    writeFileSync(rulesFile, doc.toString());
    const local = new LocalAdapter({ print: () => {} });
    const adapters = new Map<Platform, ChatAdapter>((['local', 'wechat', 'lark', 'telegram'] as const).map((p) => [p, local]));
    const now = clockFrom('2026-11-18T12:30:00Z'); // 20:30 in Shanghai, after alumni.sendAt 20:00
    const r = await createRelay({ rulesFile, dataDir: join(dir, 'data'), adapters, logger: silentLogger, outboxIntervalMs: 50, watchRules: false, now, feedbackSecret: '' });
    relay = r;
    await r.start();
    const say = (group: string, senderId: string, text: string, id: string) => local.post({ platform: 'wechat', group, senderId, senderName: senderId, text, id, at: now().toISOString() });
    await say(BJ, '王磊', '【内推】国网北京市电力公司2026届校园招聘，招聘电气工程及其自动化专业本科/硕士，工作地点北京，投递链接 https://zhaopin.sgcc.com.cn/campus/2026', 'wx-msg-1');
    await say(POWER, '刘洋', '华能集团某电厂招聘热能与动力工程、能源与动力工程专业毕业生，岗位：集控运行值班员，2026届本科及以上，地点鄂尔多斯，简历发送至 hr_ordos@chng.com.cn，截止12月20日', 'wx-msg-2');
    for (const c of r.rules().colleges) await r.runDigest(c.id);
    // The outbox's onDelivered hook sweeps the alumni service: no explicit sweep needed.
    await until(
      () => `acks: ${describeDeliveries(r.store.deliveries())}`,
      () => local.sent.some((s) => s.chat === BJ && s.text.includes('已转给')) && local.sent.some((s) => s.chat === POWER),
    );
    const ack = local.sent.find((s) => s.chat === BJ && s.text.includes('已转给'))!;
    expect(ack.replyTo).toEqual({ messageId: 'wx-msg-1', senderId: '王磊', senderName: '王磊' });
    // Digests never answer anything.
    expect(local.sent.filter((s) => s.text.includes('校友内推速递')).every((s) => s.replyTo === undefined)).toBe(true);
    await r.alumni.sweep();
    await r.alumni.sweep();
    await r.outbox.drain();
    const power = local.sent.filter((s) => s.chat === POWER);
    expect(power).toHaveLength(1);
    expect(power[0]!.text).toMatch(/^内推转发小结（11月18日）/);
    expect(power[0]!.replyTo).toBeUndefined();
    // Anyone may ask for the guide; it is never stored as a post.
    const posts = r.store.posts().length;
    await say(BJ, '张婷', '/relay guide', 'wx-msg-3');
    await until('the guide', () => local.sent.some((s) => s.chat === BJ && s.text.includes('内推')  && s !== ack && !s.text.includes('已转给')));
    expect(r.store.posts()).toHaveLength(posts);
  });
});
