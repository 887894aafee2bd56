// Pure composition of the texts alumni see, with a fixed clock and fixed data.
import { describe, expect, it } from 'vitest';
import { ackText, contributors, dailyText, guideText, hintText, thanksText } from '../../src/alumni/compose.ts';
import { z } from 'zod';
import { AlumniSettings, alumniConfigOf, alumniSourceFields, channelMembersField } from '../../src/alumni/rules.ts';
import { BJ, SZ, config, entry, rulesLike, source } from './fixtures.ts';

describe('acknowledgement text', () => {
  it('names the colleges, the number of student groups and, when every size is known, the students', () => {
    const cfg = config();
    expect(ackText(entry(), cfg)).toBe('「国网北京电力 · 电气工程师」已转给 电气学院、自动化系 2 个学生群（约 500 人）。谢谢分享！');
  });

  it('says only how many groups when a channel size is unknown (never a guessed number)', () => {
    const e = entry({ reach: { colleges: ['electrical'], channels: { 'wechat:电气学院2026届就业信息群': 320, 'telegram:-1001987650101': null }, firstAt: '2026-11-18T10:00:00.000Z' } });
    const text = ackText(e, config());
    expect(text).toBe('「国网北京电力 · 电气工程师」已转给 电气学院 2 个学生群。谢谢分享！');
    expect(text).not.toMatch(/人/);
  });

  it('falls back to "这条内推" without a label', () => {
    expect(ackText(entry({ label: '' }), config())).toMatch(/^这条内推已转给 /);
  });
});

describe('daily summary', () => {
  const cfg = config();
  it('sums referrals, colleges, groups and feedback, one line per referral', () => {
    const a = entry({ label: '国网北京电力 · 电气工程师' });
    const b = entry({ label: '南瑞集团 · 继电保护', reach: { colleges: ['electrical'], channels: { 'wechat:电气学院2026届就业信息群': 320 }, firstAt: '2026-11-18T11:00:00.000Z' } });
    expect(dailyText({ entries: [a, b], clicks: 12, likes: 3 }, cfg, '2026-11-18')).toBe(
      [
        '内推转发小结（11月18日）',
        '2 条内推已转给 电气学院、自动化系 的 2 个学生群（约 500 人）：',
        '· 国网北京电力 · 电气工程师 → 电气学院、自动化系',
        '· 南瑞集团 · 继电保护 → 电气学院',
        '学生点开 12 次，👍 3 个。谢谢各位校友！',
      ].join('\n'),
    );
  });

  it('is nothing when there is nothing to say', () => {
    expect(dailyText({ entries: [], clicks: 0, likes: 0 }, cfg, '2026-11-18')).toBeUndefined();
  });

  it('caps the list at five lines', () => {
    const text = dailyText({ entries: Array.from({ length: 7 }, () => entry()), clicks: 0, likes: 0 }, cfg, '2026-11-18')!;
    expect(text.split('\n').filter((l) => l.startsWith('· '))).toHaveLength(6);
    expect(text).toContain('· 还有 2 条');
  });
});

describe('hint and guide', () => {
  it('names what is missing, in a stable order, and why majors matter', () => {
    expect(hintText(['deadline', 'apply'])).toBe('谢谢分享！补一句投递方式（链接、邮箱或内推码）、截止日期，同学们也更好申请。发「/relay help」看示例。');
    expect(hintText(['majors'])).toContain('机器人才知道该转给哪个学院');
  });

  it('the guide lists what to include, an example and where referrals go', () => {
    const g = guideText(config());
    expect(g).toContain('投递方式');
    expect(g).toContain('例：');
    expect(g).toContain('会转到：电气学院、自动化系。');
    expect(g).toContain('/relay optout');
    expect([...g].length).toBeLessThan(260);
  });
});

describe('monthly thanks', () => {
  const month = '2026-11';
  const seeded = [
    entry({ sources: [source({ senderId: 'wang', senderName: '王磊（2012级电气）' })] }),
    entry({ sources: [source({ senderId: 'wang', senderName: '王磊（2012级电气）' })], clicks: 30, likes: 4 }),
    entry({ sources: [source({ senderId: 'li', senderName: '李娜' })], clicks: 10 }),
    entry({ sources: [source({ senderId: 'zhao', senderName: 'Zhao Lei' })] }),
    entry({ sources: [source({ senderId: 'chen', senderName: '陈晨' })] }),
    entry({ month: '2026-10', sources: [source({ senderId: 'old', senderName: '上月校友' })] }),
    entry({ sources: [source({ chat: SZ, senderId: 'sz', senderName: '深圳校友' })] }),
  ];

  it('gives the month numbers and the top three, named per privacy.attribution', () => {
    const text = thanksText(seeded, month, `wechat:${BJ}`, config(), new Set())!;
    expect(text).toBe(
      [
        '校友内推月度致谢 · 2026年11月',
        '本群校友分享内推 5 条，转给 2 个学院的 2 个学生群（约 500 人），学生点开 40 次，👍 4 个。',
        '特别感谢：王校友（2 条）、陈校友（1 条）、李校友（1 条）。',
        '谢谢 4 位分享内推的校友，下个月继续！',
      ].join('\n'),
    );
  });

  it('full names with attribution: name; no names at all with none', () => {
    expect(thanksText(seeded, month, `wechat:${BJ}`, config({ attribution: 'name' }), new Set())).toContain('特别感谢：王磊（2 条）、陈晨（1 条）、李娜（1 条）。');
    const none = thanksText(seeded, month, `wechat:${BJ}`, config({ attribution: 'none' }), new Set())!;
    expect(none).not.toContain('特别感谢');
    expect(none).not.toMatch(/王|李|陈/);
  });

  it('leaves out whoever opted out, and the next one moves up', () => {
    const text = thanksText(seeded, month, `wechat:${BJ}`, config({ attribution: 'name' }), new Set(['wechat:wang']))!;
    expect(text).not.toContain('王');
    expect(text).toContain('特别感谢：陈晨（1 条）、李娜（1 条）、Zhao Lei（1 条）。');
    expect(text).toContain('本群校友分享内推 5 条'); // still counted
  });

  it('is nothing for a group that posted nothing that month', () => {
    expect(thanksText(seeded, '2026-09', `wechat:${BJ}`, config(), new Set())).toBeUndefined();
  });

  it('contribution records per alumnus, each referral credited once', () => {
    const rows = contributors(seeded, month);
    expect(rows.map((r) => [r.key, r.referrals, r.clicks])).toEqual([
      ['wechat:wang', 2, 30],
      ['wechat:chen', 1, 0],
      ['wechat:li', 1, 10],
      ['wechat:sz', 1, 0],
      ['wechat:zhao', 1, 0],
    ]);
    expect(rows[0]).toMatchObject({ colleges: 2, channels: 2, members: 500, likes: 4 });
  });
});

describe('rules fragment', () => {
  it('defaults: ack daily, hints on, no periodic guide, thanks on, 20:00, mentors off', () => {
    const cfg = alumniConfigOf(rulesLike());
    expect(cfg.sources.get(`wechat:${BJ}`)).toMatchObject({ ack: 'daily', hints: true, guideEvery: 'off', thanks: true, name: '北京校友群' });
    expect(cfg.sendAt).toBe('20:00');
    expect(cfg.mentors).toBe(false);
  });

  it('reads on/off strings, per-channel members, and the alumni block', () => {
    const cfg = alumniConfigOf(rulesLike({ bj: { ack: 'reply', hints: 'off', thanks: 'off' }, members: { ee: 320 }, alumni: { sendAt: '18:30', mentors: 'on' } }));
    expect(cfg.sources.get(`wechat:${BJ}`)).toMatchObject({ ack: 'reply', hints: false, thanks: false });
    expect(cfg.colleges.get('electrical')!.channels[0]).toEqual({ key: 'wechat:电气学院2026届就业信息群', platform: 'wechat', chat: '电气学院2026届就业信息群', members: 320 });
    expect(cfg.colleges.get('electrical')!.channels[1]).toEqual({ key: 'telegram:-1001987650101', platform: 'telegram', chat: '-1001987650101' });
    expect(cfg).toMatchObject({ sendAt: '18:30', mentors: true });
  });

  it('spreads into strict Source/Channel schemas: defaults, on/off, clear errors, a JSON Schema for editors', () => {
    const Source = z.strictObject({ platform: z.string(), group: z.string(), ...alumniSourceFields });
    const Channel = z.strictObject({ platform: z.string(), chat: z.string(), ...channelMembersField });
    expect(Source.parse({ platform: 'wechat', group: 'g' })).toEqual({ platform: 'wechat', group: 'g', ack: 'daily', hints: true, guideEvery: 'off', thanks: true });
    expect(Source.parse({ platform: 'wechat', group: 'g', ack: 'reply', hints: 'off', thanks: false })).toMatchObject({ ack: 'reply', hints: false, thanks: false });
    expect(Source.safeParse({ platform: 'wechat', group: 'g', ack: 'sometimes' }).success).toBe(false);
    expect(Channel.safeParse({ platform: 'wechat', chat: 'c', members: -3 }).success).toBe(false);
    expect(AlumniSettings.safeParse({ sendAt: '25:00' }).success).toBe(false);
    const json = z.toJSONSchema(z.strictObject({ sources: z.array(Source), alumni: AlumniSettings.default(AlumniSettings.parse({})) }), { io: 'input', target: 'draft-7' }) as unknown as {
      properties: { sources: { items: { properties: Record<string, unknown> } } };
    };
    expect(Object.keys(json.properties.sources.items.properties)).toEqual(expect.arrayContaining(['ack', 'hints', 'guideEvery', 'thanks']));
  });
});
