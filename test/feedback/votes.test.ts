import { describe, expect, it } from 'vitest';
import { FeedbackService } from '../../src/feedback/service.ts';
import { voteData, parseVoteData, digestKey } from '../../src/feedback/items.ts';
import { tempDir } from '../helpers/tmp.ts';
import { catalog, NOW, View } from './rig.ts';

const SECRET = 'test-secret-0123456789abcdef';
const SIMILAR_A = '【内推】某电气公司招聘电气设计工程师，负责配电柜和PLC控制系统设计，自动化、电气工程及其自动化专业均可，上海，简历发 hr@example.com';
const SIMILAR_B = '【内推】某电力设备公司招聘PLC工程师，负责电气控制柜调试，自动化、电气专业均可，苏州，投递 https://jobs.example.com/a';

function setup() {
  const dir = tempDir();
  const view = new View();
  let now = NOW;
  const fb = new FeedbackService({ dataDir: dir, secret: SECRET, catalog, view, now: () => now, saveDelayMs: 10, fsync: false });
  return { dir, view, fb, tick: (ms: number) => (now = new Date(now.getTime() + ms)) };
}

describe('votes', () => {
  it('records one vote per student per item, and lets the student change it', () => {
    const { view, fb, tick } = setup();
    view.add('p1', SIMILAR_A);
    view.digest('dg1', 'electrical', ['p1']);
    const press = (userId: string, value: 1 | -1) => fb.vote({ platform: 'telegram', chatId: '-100111', userId, items: [1], value, digestKey: digestKey('dg1') });
    expect(press('42', 1)).toMatchObject({ outcomes: ['recorded'], text: '已记录，谢谢' });
    tick(1000);
    expect(press('42', 1).outcomes).toEqual(['unchanged']);
    expect([...fb.votes()]).toHaveLength(1);
    tick(1000);
    expect(press('42', -1)).toMatchObject({ outcomes: ['changed'], text: '已更改，谢谢' });
    const votes = [...fb.votes()];
    expect(votes).toHaveLength(1);
    expect(votes[0]!.value).toBe(-1);
    // Kept as a salted hash: neither the id nor anything reversible without the secret.
    expect(votes[0]!.voter).not.toContain('42');
    expect(votes[0]!.voter).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('limits a burst of presses by one student', () => {
    const { view, fb } = setup();
    const ids = Array.from({ length: 30 }, (_, i) => `p${i}`);
    for (const id of ids) view.add(id, SIMILAR_A);
    view.digest('dg1', 'electrical', ids);
    const outcomes = ids.map((_, i) => fb.vote({ platform: 'wechat', chatId: '电气学生群', userId: 'wx1', items: [i + 1], value: -1 }).outcomes[0]);
    expect(outcomes.filter((o) => o === 'recorded')).toHaveLength(8);
    expect(outcomes.filter((o) => o === 'rate-limited')).toHaveLength(22);
    expect(fb.vote({ platform: 'wechat', chatId: '电气学生群', userId: 'wx1', items: [30], value: -1 }).text).toBe('操作太频繁，请稍后再试');
  });

  it("ignores a stranger's press: a chat not in the rules, or a digest that was never sent there", () => {
    const { view, fb } = setup();
    view.add('p1', SIMILAR_A);
    view.digest('dg1', 'electrical', ['p1']);
    expect(fb.vote({ platform: 'telegram', chatId: '-100999', userId: '7', items: [1], value: -1, digestKey: digestKey('dg1') }).outcomes).toEqual(['ignored']);
    // automation's channel, but the digest went to electrical's channels
    expect(fb.vote({ platform: 'lark', chatId: 'oc_auto', userId: 'ou_1', items: [1], value: -1, digestKey: digestKey('dg1') }).outcomes).toEqual(['ignored']);
    expect(fb.vote({ platform: 'wechat', chatId: '电气学生群', userId: 'wx', items: [2], value: -1 }).outcomes).toEqual(['ignored']);
    expect([...fb.votes()]).toHaveLength(0);
  });

  it('button payloads fit in 64 bytes and round-trip', () => {
    const data = voteData('dg-some-long-college-id-with-many-parts-mfz3k2-1a2b3c4d', 200, -1);
    expect(Buffer.byteLength(data)).toBeLessThanOrEqual(64);
    expect(parseVoteData(data)).toEqual({ digestKey: digestKey('dg-some-long-college-id-with-many-parts-mfz3k2-1a2b3c4d'), n: 200, value: -1 });
    expect(parseVoteData('v1:abc:1+')).toBeNull();
  });
});

describe('routing that learns', () => {
  it("three students' 👎 move the next similar post's routing, with the reason shown; five drop it", () => {
    const { view, fb, tick } = setup();
    const voted = view.add('p1', SIMILAR_A);
    expect(voted.classification.colleges).toEqual(['electrical', 'automation']);
    view.digest('dg-auto', 'automation', ['p1']);
    const press = (user: string) => {
      tick(60_000);
      return fb.vote({ platform: 'lark', chatId: 'oc_auto', userId: user, items: [1], value: -1, digestKey: digestKey('dg-auto') }).outcomes;
    };
    type Routed = { colleges: string[]; routing: { collegeId: string; evidence: { kind: string; term: string }[] }[]; feedback?: { collegeId: string; delta: number; voters: number; dropped: boolean }[] };
    const next = () => fb.adjust(view.add('p2', SIMILAR_B).classification) as unknown as Routed;
    expect(press('ou_a')).toEqual(['recorded']);
    expect(press('ou_b')).toEqual(['recorded']);
    expect(next().feedback).toBeUndefined(); // two students: nothing moves
    expect(press('ou_c')).toEqual(['recorded']);
    const moved = next();
    expect(moved.colleges).toEqual(['electrical', 'automation']);
    expect(moved.feedback).toEqual([{ collegeId: 'automation', delta: expect.closeTo(-0.604, 3), voters: 3, dropped: false }]);
    const line = moved.routing.find((r) => r.collegeId === 'automation')!.evidence.find((e) => e.kind === 'feedback');
    expect(line?.term).toBe('反馈 −0.6，3 票');
    // The electrical route is untouched and carries no feedback line.
    expect(moved.routing.find((r) => r.collegeId === 'electrical')!.evidence.some((e) => e.kind === 'feedback')).toBe(false);
    press('ou_d');
    press('ou_e');
    const dropped = next();
    expect(dropped.colleges).toEqual(['electrical']);
    expect(dropped.feedback).toEqual([expect.objectContaining({ collegeId: 'automation', voters: 5, dropped: true })]);
    // The classifier itself is unchanged: only the adjusted copy moved.
    expect(view.postById('p2')!.classification.colleges).toEqual(['electrical', 'automation']);
  });

  it('explains a route that moved without dropping it', () => {
    const { view, fb, tick } = setup();
    view.add('p1', SIMILAR_A);
    view.digest('dg-el', 'electrical', ['p1']);
    for (const user of ['1', '2', '3', '4']) {
      tick(60_000);
      fb.vote({ platform: 'telegram', chatId: '-100111', userId: user, items: [1], value: 1, digestKey: digestKey('dg-el') });
    }
    const adjusted = fb.adjust(view.add('p2', SIMILAR_B).classification) as unknown as { colleges: string[]; routing: { collegeId: string; evidence: { kind: string; term: string }[] }[] };
    expect(adjusted.colleges).toEqual(['electrical', 'automation']);
    const line = adjusted.routing.find((r) => r.collegeId === 'electrical')!.evidence.find((e) => e.kind === 'feedback');
    expect(line?.term).toMatch(/^反馈 \+\d\.\d，4 票$/);
  });

  it('nothing changes from one voter, however many posts they press', () => {
    const { view, fb, tick } = setup();
    const ids = ['a', 'b', 'c', 'd', 'e'];
    for (const id of ids) view.add(id, SIMILAR_A);
    view.digest('dg-auto', 'automation', ids);
    for (let i = 0; i < ids.length; i++) {
      tick(60_000);
      fb.vote({ platform: 'lark', chatId: 'oc_auto', userId: 'ou_same', items: [i + 1], value: -1, digestKey: digestKey('dg-auto') });
    }
    expect([...fb.votes()]).toHaveLength(5);
    const next = view.add('p2', SIMILAR_B).classification;
    expect(fb.adjust(next)).toBe(next);
  });

  it('an admin reset stops earlier votes from counting; the 👎 counts stay', async () => {
    const { view, fb, tick } = setup();
    view.add('p1', SIMILAR_A);
    view.digest('dg-auto', 'automation', ['p1']);
    for (const user of ['a', 'b', 'c']) fb.vote({ platform: 'lark', chatId: 'oc_auto', userId: user, items: [1], value: -1, digestKey: digestKey('dg-auto') });
    expect(fb.adjustments().get('automation')?.size).toBeGreaterThan(0);
    tick(1000);
    expect(await fb.reset('automation')).toEqual(['automation']);
    expect(fb.adjustments().get('automation')).toBeUndefined();
    expect([...fb.votes()]).toHaveLength(3);
    await fb.close();
  });

  it('votes and resets survive a restart', async () => {
    const { dir, view, fb } = setup();
    view.add('p1', SIMILAR_A);
    view.digest('dg-auto', 'automation', ['p1']);
    for (const user of ['a', 'b', 'c', 'd', 'e']) fb.vote({ platform: 'lark', chatId: 'oc_auto', userId: user, items: [1], value: -1, digestKey: digestKey('dg-auto') });
    await fb.close();
    const again = new FeedbackService({ dataDir: dir, secret: SECRET, catalog, view, now: () => NOW, fsync: false });
    expect([...again.votes()]).toHaveLength(5);
    expect(again.adjust(view.add('p2', SIMILAR_B).classification).colleges).toEqual(['electrical']);
  });
});
