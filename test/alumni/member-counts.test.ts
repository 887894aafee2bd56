// "约 N 人" from the platforms (ChatAdapter.memberCount) where the rules give no `members:`: the rules win,
// an unknown count is left out (never guessed), counts are cached, and a slow platform never holds an ack
// back for longer than the timeout.
import { afterEach, describe, expect, it } from 'vitest';
import { createTelegramAdapter } from '../../adapters/telegram/index.ts';
import { channelsWithoutMembers, MemberCounts, withMemberCounts } from '../../src/alumni/member-counts.ts';
import type { AlumniOutboxRequest } from '../../src/alumni/requests.ts';
import { AlumniService } from '../../src/alumni/service.ts';
import { loadCatalog } from '../../src/catalog.ts';
import type { Delivery, Digest, Platform, Post } from '../../src/domain.ts';
import { silentLogger } from '../../src/log.ts';
import { Store } from '../../src/store/store.ts';
import { TelegramFakeServer } from '../fakes/telegram-server.ts';
import { post } from '../helpers/posts.ts';
import { tempDir } from '../helpers/tmp.ts';
import { config, rulesLike } from './fixtures.ts';

const EE = 'wechat:电气学院2026届就业信息群';
const TG = 'telegram:-1001987650101';

describe('MemberCounts', () => {
  it('asks once per channel within the cache time, and again after it', async () => {
    let t = 0;
    const asked: string[] = [];
    const counts = new MemberCounts(
      async (p, chat) => {
        asked.push(`${p}:${chat}`);
        return 240;
      },
      { ttlMs: 1000, now: () => t },
    );
    const ch = [{ key: TG, platform: 'telegram' as Platform, chat: '-1001987650101' }];
    await counts.refresh(ch);
    await counts.refresh(ch);
    expect(counts.get(TG)).toBe(240);
    expect(asked).toEqual([TG]);
    t = 1000;
    await counts.refresh(ch);
    expect(asked).toEqual([TG, TG]);
  });

  it('keeps a failure, a refusal, a zero and a nonsense answer as unknown, and asks again only after retryMs', async () => {
    let t = 0;
    const answers: (() => Promise<number | undefined>)[] = [
      () => Promise.reject(new Error('403 Forbidden: bot was kicked')),
      async () => -3,
      async () => 0, // only the bot in the room: says nothing of reach
      async () => 12.5,
      async () => undefined,
      async () => 77,
    ];
    let n = 0;
    const counts = new MemberCounts(() => answers[n++]!(), { retryMs: 100, now: () => t });
    const ch = [{ key: TG, platform: 'telegram' as Platform, chat: '-1001987650101' }];
    for (let i = 0; i < 5; i++) {
      await counts.refresh(ch);
      expect(counts.get(TG)).toBeUndefined();
      await counts.refresh(ch); // within retryMs: not asked again
      expect(n).toBe(i + 1);
      t += 100;
    }
    await counts.refresh(ch);
    expect(counts.get(TG)).toBe(77);
  });

  it('a known count survives a later failure, and is asked for again after retryMs', async () => {
    let t = 0;
    let fail = false;
    let asked = 0;
    const counts = new MemberCounts(
      async () => {
        asked++;
        if (fail) throw new Error('network down');
        return 300;
      },
      { ttlMs: 1000, retryMs: 100, now: () => t },
    );
    const ch = [{ key: TG, platform: 'telegram' as Platform, chat: '-1001987650101' }];
    await counts.refresh(ch);
    fail = true;
    t = 1000;
    await counts.refresh(ch);
    expect(counts.get(TG)).toBe(300);
    t = 1050;
    await counts.refresh(ch);
    expect(asked).toBe(2);
    t = 1100;
    await counts.refresh(ch);
    expect(asked).toBe(3);
  });

  it('waits at most timeoutMs; a late answer is used next time, and a slow channel is never asked twice at once', async () => {
    let release: ((n: number) => void) | undefined;
    let asked = 0;
    const counts = new MemberCounts(
      () => {
        asked++;
        return new Promise<number>((r) => {
          release = r;
        });
      },
      { timeoutMs: 50 },
    );
    const ch = [{ key: TG, platform: 'telegram' as Platform, chat: '-1001987650101' }];
    const started = Date.now();
    await counts.refresh(ch);
    await counts.refresh(ch);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(counts.get(TG)).toBeUndefined();
    expect(asked).toBe(1);
    release!(512);
    await new Promise((r) => setImmediate(r));
    expect(counts.get(TG)).toBe(512);
  });
});

describe('withMemberCounts', () => {
  it("fills only channels the rules leave without members; the rules' value wins; unknown stays unknown", () => {
    const cfg = config({ members: { ee: 320 } });
    expect(channelsWithoutMembers(cfg).map((c) => c.key)).toEqual([TG, 'wechat:自动化系学生群']);
    const counted = withMemberCounts(cfg, (k) => ({ [EE]: 9999, [TG]: 140 })[k]);
    const ee = counted.colleges.get('electrical')!.channels;
    expect(ee.find((c) => c.key === EE)!.members).toBe(320);
    expect(ee.find((c) => c.key === TG)!.members).toBe(140);
    expect(counted.colleges.get('automation')!.channels[0]!.members).toBeUndefined();
    expect(withMemberCounts(cfg, () => undefined)).toBe(cfg);
  });
});

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

/** A reply-ack group, one referral delivered to electrical's two channels (WeChat: rules say 320; Telegram: no members). */
async function ackWith(memberCount: ((p: Platform, chat: string) => Promise<number | undefined>) | undefined, timeoutMs = 1500): Promise<{ text: string; ms: number; alumni: AlumniService }> {
  const dir = tempDir();
  const store = await Store.open(dir, { fsync: false });
  open.push({ close: () => store.close() });
  const sent: AlumniOutboxRequest[] = [];
  const rules = rulesLike({ bj: { ack: 'reply' }, members: { ee: 320 } });
  const alumni = await AlumniService.open({
    store,
    rules: () => rules,
    catalog: loadCatalog(),
    dataDir: dir,
    enqueue: async (rs) => void sent.push(...rs),
    logger: silentLogger,
    now: () => new Date('2026-11-18T02:00:00Z'),
    ...(memberCount ? { memberCount, memberCountTimeoutMs: timeoutMs } : {}),
  });
  open.push({ close: () => alumni.stop() });
  const p: Post = post({ receivedAt: '2026-11-18T01:00:00.000Z', fields: { company: '国网北京电力', roles: ['电气工程师'], links: ['https://zhaopin.example.cn'] }, colleges: ['electrical'] });
  await store.addPost(p);
  const at = '2026-11-18T01:30:00.000Z';
  const digest: Digest = { id: 'dg-1', collegeId: 'electrical', collegeName: '电气学院', createdAt: at, items: [{ post: p }] };
  const deliveries: Delivery[] = [
    { platform: 'wechat' as const, chat: '电气学院2026届就业信息群' },
    { platform: 'telegram' as const, chat: '-1001987650101' },
  ].map((channel, i) => ({ id: `dg-1-${i}`, digestId: 'dg-1', collegeId: 'electrical', channel, parts: [{ format: 'plain', body: 'x' }], sentParts: 0, status: 'pending', attempts: 0, nextAttemptAt: at, createdAt: at }));
  await store.recordDigest(digest, deliveries);
  for (const d of deliveries) await store.updateDelivery(d.id, { sentParts: 1, status: 'delivered', deliveredAt: at });
  const started = Date.now();
  await alumni.sweep();
  const ms = Date.now() - started;
  const ack = sent.find((r) => r.kind === 'ack');
  if (!ack) throw new Error(`no ack among ${sent.map((r) => r.kind).join(', ')}`);
  return { text: ack.message.body, ms, alumni };
}

describe('the acknowledgement with the platforms’ member counts', () => {
  it("adds the platform's count to the rules' one: 约 320 + 140 人", async () => {
    const asked: string[] = [];
    const { text } = await ackWith(async (p, chat) => {
      asked.push(`${p}:${chat}`);
      return p === 'telegram' ? 140 : 9999;
    });
    expect(text).toMatch(/已转给 电气学院 2 个学生群（约 460 人）。/);
    // Only channels the rules leave without members are asked about.
    expect(asked).not.toContain(EE);
    expect(asked).toContain(TG);
  });

  it('leaves "约 N 人" out when the platform cannot tell, and without the dependency', async () => {
    expect((await ackWith(async () => undefined)).text).toMatch(/已转给 电气学院 2 个学生群。/);
    expect((await ackWith(() => Promise.reject(new Error('chat not found')))).text).toMatch(/已转给 电气学院 2 个学生群。/);
    expect((await ackWith(undefined)).text).toMatch(/已转给 电气学院 2 个学生群。/);
  });

  it('never holds the ack back for a platform that does not answer: it goes out after the timeout, without a number', async () => {
    const { text, ms } = await ackWith(() => new Promise<number>(() => {}), 100);
    expect(text).toMatch(/已转给 电气学院 2 个学生群。/);
    expect(ms).toBeLessThan(2000);
  });
});

describe('through the real Telegram adapter (grammY → getChatMemberCount on the Bot API fake)', () => {
  it('the channel the rules leave without members is counted by Telegram', async () => {
    const fake = new TelegramFakeServer();
    const apiRoot = await fake.start();
    open.push({ close: () => fake.stop() });
    fake.memberCounts.set('-1001987650101', 141);
    const tg = createTelegramAdapter({ token: fake.token, apiRoot }, { logger: silentLogger, pollTimeoutSeconds: 1 });
    await tg.start(async () => {});
    open.push({ close: () => tg.stop() });
    const { text } = await ackWith((p, chat) => (p === 'telegram' && tg.memberCount ? tg.memberCount(chat) : Promise.resolve(undefined)));
    // What the adapter makes of Telegram's 141 (its count includes the bot itself), asked once and cached.
    const n = await tg.memberCount!('-1001987650101');
    expect(n).toBeGreaterThan(100);
    expect(text).toContain(`已转给 电气学院 2 个学生群（约 ${320 + n!} 人）。`);
    expect(fake.callsOf('getChatMemberCount').map((c) => String(c.payload.chat_id))).toEqual(['-1001987650101']);
  });
});
