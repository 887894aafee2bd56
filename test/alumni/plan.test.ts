// Pure planners: what is due at a fixed `now`, given the ledger and the marks.
import { describe, expect, it } from 'vitest';
import { isoWeek, planAcks, planDaily, planGuides, planHints, planThanks, previousMonth } from '../../src/alumni/plan.ts';
import { BJ, SZ, TG, config, entry, source } from './fixtures.ts';

const marks = (p: { set: [string, unknown][] }) => new Map(p.set);
// 2026-11-18 20:30 in Shanghai.
const evening = new Date('2026-11-18T12:30:00Z');

describe('reply acknowledgements', () => {
  const cfg = config({ bj: { ack: 'reply' }, sz: { ack: 'off' } });

  it('one threaded reply per source message in a reply group, once', () => {
    const e = entry({ sources: [source({ messageId: 'a1' }), source({ chat: SZ, messageId: 'b1' })] });
    const p = planAcks([e], new Map(), cfg, evening);
    expect(p.requests).toHaveLength(1); // SZ is off
    expect(p.requests[0]).toMatchObject({ kind: 'ack', channel: { platform: 'wechat', chat: BJ }, replyTo: { messageId: 'a1', senderId: 'u-wang' } });
    expect(planAcks([e], marks(p), cfg, evening).requests).toHaveLength(0);
  });

  it('waits for every routed college, but not longer than a day after the first delivery', () => {
    const partial = entry({ reach: { colleges: ['electrical'], channels: { 'wechat:电气学院2026届就业信息群': 320 }, firstAt: '2026-11-18T10:00:00.000Z' } });
    expect(planAcks([partial], new Map(), cfg, evening).requests).toHaveLength(0);
    expect(planAcks([partial], new Map(), cfg, new Date('2026-11-19T10:00:00Z')).requests).toHaveLength(1);
  });

  it('never for a referral not delivered yet, or delivered long ago', () => {
    const undelivered = entry({ reach: { colleges: [], channels: {} } });
    const old = entry({ reach: { ...entry().reach, firstAt: '2026-11-10T10:00:00.000Z' } });
    expect(planAcks([undelivered, old], new Map(), cfg, evening).requests).toHaveLength(0);
  });

  it('the stable id is the same when planned again (a crash before the mark)', () => {
    const e = entry();
    expect(planAcks([e], new Map(), cfg, evening).requests[0]!.id).toBe(planAcks([e], new Map(), cfg, new Date('2026-11-19T01:00:00Z')).requests[0]!.id);
    expect(planAcks([e], new Map(), cfg, evening).requests[0]!.id.length).toBeLessThanOrEqual(40);
  });
});

describe('daily summaries', () => {
  const cfg = config(); // every source daily by default

  it('nothing before sendAt; after it one per group with news, none for groups without', () => {
    const e = entry();
    expect(planDaily([e], new Map(), cfg, new Date('2026-11-18T11:59:00Z')).requests).toHaveLength(0);
    const p = planDaily([e], new Map(), cfg, evening);
    expect(p.requests.map((r) => r.channel.chat)).toEqual([BJ]);
    expect(p.requests[0]!.message.body).toContain('1 条内推已转给');
  });

  it('never twice in a local day, even with new news; again the next day', () => {
    const first = planDaily([entry()], new Map(), cfg, evening);
    const m = marks(first);
    const later = new Date('2026-11-18T15:30:00Z'); // 23:30 local
    expect(planDaily([entry({ reach: { ...entry().reach, firstAt: '2026-11-18T14:00:00.000Z' } })], m, cfg, later).requests).toHaveLength(0);
    const next = planDaily([entry({ reach: { ...entry().reach, firstAt: '2026-11-19T09:00:00.000Z' } })], m, cfg, new Date('2026-11-19T12:05:00Z'));
    expect(next.requests).toHaveLength(1);
    expect(next.requests[0]!.id).not.toBe(first.requests[0]!.id);
  });

  it('a referral already summed up is not summed up again', () => {
    const e = entry();
    const m = marks(planDaily([e], new Map(), cfg, evening));
    m.delete(`daily|wechat:${BJ}`); // even if the day mark were lost
    expect(planDaily([e], m, cfg, evening).requests).toHaveLength(0);
  });

  it('feedback alone is worth a summary, and is reset after it', () => {
    const p = planDaily([], new Map([[`fb|telegram:${TG}`, { clicks: 5, likes: 2 }]]), cfg, evening);
    expect(p.requests).toHaveLength(1);
    expect(p.requests[0]!.message.body).toContain('学生点开 5 次，👍 2 个');
    expect(p.clear).toEqual([`fb|telegram:${TG}`]);
  });
});

describe('hints', () => {
  const cfg = config({ sz: { hints: 'off' } });
  const now = new Date('2026-11-18T02:00:00Z');
  const lacking = (over = {}) => entry({ missing: ['apply', 'deadline'], reach: { colleges: [], channels: {} }, ...over });

  it('once per poster per referral', () => {
    const e = lacking();
    const p = planHints([e], new Map(), cfg, now);
    expect(p.requests).toHaveLength(1);
    expect(p.requests[0]).toMatchObject({ kind: 'hint', replyTo: { messageId: e.sources[0]!.messageId } });
    expect(planHints([e], marks(p), cfg, now).requests).toHaveLength(0);
  });

  it('not for a missing deadline alone, not where hints are off, not for old posts', () => {
    expect(planHints([entry({ missing: ['deadline'] })], new Map(), cfg, now).requests).toHaveLength(0);
    expect(planHints([lacking({ sources: [source({ chat: SZ })] })], new Map(), cfg, now).requests).toHaveLength(0);
    expect(planHints([lacking()], new Map(), cfg, new Date('2026-11-19T02:00:00Z')).requests).toHaveLength(0);
  });

  it('at most one per poster a week, even across referrals in one pass', () => {
    const p = planHints([lacking(), lacking()], new Map(), cfg, now);
    expect(p.requests).toHaveLength(1);
    const two = lacking({ receivedAt: '2026-11-18T01:30:00.000Z' });
    expect(planHints([two], marks(p), cfg, now).requests).toHaveLength(0);
  });
});

describe('periodic guide and monthly thanks', () => {
  it('the guide is off by default; weekly once per ISO week', () => {
    expect(planGuides(new Map(), config(), evening).requests).toHaveLength(0);
    const cfg = config({ bj: { guideEvery: 'weekly' } });
    const p = planGuides(new Map(), cfg, evening);
    expect(p.requests).toHaveLength(1);
    expect(planGuides(marks(p), cfg, new Date('2026-11-20T12:30:00Z')).requests).toHaveLength(0);
    expect(planGuides(marks(p), cfg, new Date('2026-11-23T12:30:00Z')).requests).toHaveLength(1);
    expect(isoWeek('2026-11-18')).toEqual({ year: 2026, week: 47 });
    expect(isoWeek('2027-01-01')).toEqual({ year: 2026, week: 53 });
  });

  it('thanks for last month, once, in the month’s first week, only where people posted', () => {
    const cfg = config({ sz: { thanks: 'off' } });
    const seeded = [entry(), entry({ sources: [source({ chat: SZ })] })];
    const dec1 = new Date('2026-12-01T12:30:00Z');
    const p = planThanks(seeded, new Map(), cfg, new Set(), dec1);
    expect(p.requests.map((r) => r.channel.chat)).toEqual([BJ]);
    expect(p.requests[0]!.message.body).toMatch(/^校友内推月度致谢 · 2026年11月/);
    expect(planThanks(seeded, marks(p), cfg, new Set(), new Date('2026-12-02T12:30:00Z')).requests).toHaveLength(0);
    expect(planThanks(seeded, new Map(), cfg, new Set(), new Date('2026-12-09T12:30:00Z')).requests).toHaveLength(0);
    expect(previousMonth('2027-01')).toBe('2026-12');
  });
});
