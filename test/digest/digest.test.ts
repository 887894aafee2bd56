import { describe, expect, it } from 'vitest';
import { buildDigest, daysLeft, explainRouting, selectPosts } from '../../src/digest/build.ts';
import { attribute, maskContacts } from '../../src/digest/privacy.ts';
import { PLATFORM_LIMITS, renderDigest, type RenderOptions } from '../../src/digest/render.ts';
import { htmlVisibleText } from '../../src/plain-text.ts';
import { post } from '../helpers/posts.ts';

// 2026-11-21 10:00 in Shanghai.
const now = new Date('2026-11-21T02:00:00Z');
const tz = 'Asia/Shanghai';
const opts = { now, timeZone: tz, maxItems: 30 };
const render: RenderOptions = {
  now,
  timeZone: tz,
  privacy: { attribution: 'initials', maskContacts: true },
  sourceName: (_p, chat) => (chat === '东电校友会·北京分会' ? '北京校友群' : chat),
};
const college = { id: 'electrical', name: '电气与电子工程学院' };

describe('selectPosts', () => {
  it('leaves out expired and too-old posts; puts closing-soon first, then oldest first', () => {
    const expired = post({ fields: { deadline: '2026-11-20' } });
    const old = post({ receivedAt: '2026-09-01T00:00:00.000Z' });
    const a = post({ receivedAt: '2026-11-19T00:00:00.000Z' });
    const b = post({ receivedAt: '2026-11-20T00:00:00.000Z' });
    const soon = post({ receivedAt: '2026-11-20T05:00:00.000Z', fields: { deadline: '2026-11-23' } });
    const today = post({ receivedAt: '2026-11-20T06:00:00.000Z', fields: { deadline: '2026-11-21' } });
    expect(selectPosts([expired, old, b, a, soon, today], opts).map((p) => p.id)).toEqual([today.id, soon.id, a.id, b.id]);
  });

  it('caps the number of items', () => {
    const many = Array.from({ length: 40 }, () => post());
    expect(selectPosts(many, { ...opts, maxItems: 30 })).toHaveLength(30);
  });

  it('counts days left in the local calendar', () => {
    // 23:30 on the 21st in Shanghai is still the 21st there although it is the 21st 15:30 UTC.
    expect(daysLeft(post({ fields: { deadline: '2026-11-22' } }), new Date('2026-11-21T15:30:00Z'), tz)).toBe(1);
    expect(daysLeft(post({ fields: { deadline: '2026-11-22' } }), new Date('2026-11-21T16:30:00Z'), tz)).toBe(0);
  });
});

/** What each platform counts against its limit: UTF-8 bytes of a Lark post, Telegram's text after entity parsing, characters of plain text. */
const measure = (platform: 'telegram' | 'wechat' | 'lark', body: string) =>
  platform === 'lark' ? Buffer.byteLength(body) : platform === 'telegram' ? htmlVisibleText(body).length : body.length;

describe('renderDigest', () => {
  const items = [
    post({ fields: { company: '国网北京市电力公司', roles: ['电气工程师'], city: '北京', cohort: '2026届', degrees: ['本科', '硕士'], deadline: '2026-11-23', links: ['https://zhaopin.sgcc.com.cn/campus'], referralCode: 'GW2026' } }),
    post({ text: '华能电厂招聘集控运行，联系 13812345678，微信：wanglei_2012', fields: { emails: ['hr@chng.com.cn'] } }),
  ];
  const digest = buildDigest(college, items, { ...opts, id: 'dg-1', explain: true });

  it('renders nothing for an empty digest', () => {
    expect(renderDigest(buildDigest(college, [], { ...opts, id: 'x' }), 'wechat', render)).toEqual([]);
  });

  it('renders numbered plain text with fields, deadline warning, source and why', () => {
    const [m, ...rest] = renderDigest(digest, 'wechat', render);
    expect(rest).toHaveLength(0);
    expect(m!.format).toBe('plain');
    expect(m!.body).toContain('📮 电气与电子工程学院｜校友内推速递');
    expect(m!.body).toContain('11月21日 周六 · 共 2 条');
    expect(m!.body).toContain('1. 国网北京市电力公司｜电气工程师');
    expect(m!.body).toContain('北京 · 2026届 · 本科/硕士 · 截止11月23日（⚠ 还剩2天）');
    expect(m!.body).toContain('内推码 GW2026');
    expect(m!.body).toContain('来源：北京校友群 · 王校友');
    expect(m!.body).toContain('匹配：电气类（电气工程及其自动化）');
    expect(m!.body).toContain('2. ');
    expect(m!.body).toContain('138****5678');
    expect(m!.body).not.toContain('wanglei_2012');
  });

  it('escapes HTML for Telegram and keeps only http(s)/mailto links', () => {
    const evil = post({ text: '<script>alert(1)</script> & <b>招聘</b>', fields: { company: 'A<B>', links: ['javascript:alert(1)', 'https://x.cn/?a=1&b=2'] } });
    const [m] = renderDigest(buildDigest(college, [evil], { ...opts, id: 'dg-2' }), 'telegram', render);
    expect(m!.format).toBe('html');
    expect(m!.body).not.toContain('<script>');
    expect(m!.body).toContain('&lt;script&gt;');
    expect(m!.body).toContain('A&lt;B&gt;');
    expect(m!.body).not.toContain('href="javascript');
    expect(m!.body).toContain('<a href="https://x.cn/?a=1&amp;b=2">投递链接</a>');
  });

  it('renders a Lark post with link elements', () => {
    const [m] = renderDigest(digest, 'lark', render);
    expect(m!.format).toBe('lark-post');
    const post = JSON.parse(m!.body);
    expect(post.zh_cn.title).toContain('电气与电子工程学院');
    const elements = post.zh_cn.content.flat();
    expect(elements).toContainEqual({ tag: 'a', text: '投递链接', href: 'https://zhaopin.sgcc.com.cn/campus' });
  });

  it('splits on item boundaries within each platform limit, numbering the parts', () => {
    const many = Array.from({ length: 60 }, (_, i) => post({ text: '电气工程师岗位职责说明'.repeat(20), fields: { company: `C${i}公司` } }));
    const d = buildDigest(college, many, { ...opts, id: 'dg-3' });
    for (const platform of ['telegram', 'wechat', 'lark'] as const) {
      const parts = renderDigest(d, platform, render);
      expect(parts.length).toBeGreaterThan(1);
      const size = (b: string) => measure(platform, b);
      for (const p of parts) expect(size(p.body)).toBeLessThanOrEqual(PLATFORM_LIMITS[platform]);
      expect(parts[0]!.body).toContain(`（1/${parts.length}）`);
      // every item appears exactly once, whole
      const all = parts.map((p) => p.body).join('\n');
      for (let i = 0; i < 60; i++) expect(all.split(`C${i}公司`).length - 1).toBe(1);
    }
  });

  it('packs greedily: each part is full (the next item would not have fitted), at any limit and in every format', () => {
    // Items of varied sizes (HTML/JSON escaping included); a part followed by another must have been
    // closed because its next item did not fit, which re-rendering the part with that item shows.
    const varied = Array.from({ length: 40 }, (_, i) =>
      post({ text: `岗位${i}：${'负责<设备>调试&运行"维护"，'.repeat(1 + ((i * 7) % 11))}`, fields: { company: `C${i}公司`, emails: i % 3 ? [`hr${i}@x.cn`] : [] } }),
    );
    const d = buildDigest(college, varied, { ...opts, id: 'dg-4' });
    for (const platform of ['telegram', 'wechat', 'lark'] as const) {
      const size = (b: string) => measure(platform, b);
      for (const limit of [900, 1500, 2600, 5000]) {
        const parts = renderDigest(d, platform, { ...render, limit });
        for (const p of parts) expect(size(p.body)).toBeLessThanOrEqual(limit);
        const counts = parts.map((p) => varied.filter((v) => p.body.includes(`${v.classification.fields.company}`)).length);
        expect(counts.reduce((a, b) => a + b, 0)).toBe(40);
        // Greedy: the first k+1 items do not fit in one part with the header of a multi-part digest.
        let first = 0;
        for (const [i, k] of counts.entries()) {
          if (i === counts.length - 1) break;
          const trial = buildDigest(college, varied.slice(first, first + k + 1), { ...opts, id: 'dg-4' });
          const alone = renderDigest({ ...trial, items: trial.items.map((it) => ({ ...it })) }, platform, { ...render, limit: 10_000_000 })[0]!.body;
          // The single-part header lacks "（i/n）" (at most 7 characters, 21 bytes in UTF-8) and numbers items from 1.
          expect(size(alone) + (platform === 'lark' ? 21 : 7) + 2 * (k + 1)).toBeGreaterThan(limit);
          first += k;
        }
      }
    }
  });

  it('keeps every part within the limit past 99 parts, where the part header grows', () => {
    const many = Array.from({ length: 230 }, (_, i) => post({ text: '电气工程师岗位职责说明'.repeat(8), fields: { company: `C${i}公司` } }));
    const d = buildDigest(college, many, { ...opts, id: 'dg-5', maxItems: 300 });
    const one = renderDigest(buildDigest(college, many.slice(0, 1), { ...opts, id: 'dg-5' }), 'wechat', render)[0]!.body.length;
    // Around two items a part: some limits fit two items under "（99/99）" but not under "（101/115）".
    for (let limit = 2 * one - 70; limit < 2 * one - 40; limit++) {
      const parts = renderDigest(d, 'wechat', { ...render, limit });
      expect(parts.length).toBeGreaterThan(99);
      for (const [i, p] of parts.entries()) {
        expect(p.body.length).toBeLessThanOrEqual(limit);
        expect(p.body).toContain(`（${i + 1}/${parts.length}）`); // whole parts, not line-split fallbacks
      }
      const all = parts.map((p) => p.body).join('\n');
      for (let i = 0; i < 230; i++) expect(all.split(`C${i}公司`).length - 1).toBe(1);
    }
  });
});

describe('privacy', () => {
  it('attributes by name, initials or not at all', () => {
    expect(attribute('王磊（2012级电气）', 'name')).toBe('王磊');
    expect(attribute('王磊（2012级电气）', 'initials')).toBe('王校友');
    expect(attribute('Li Wei', 'initials')).toBe('L. W. (alumni)');
    expect(attribute('王磊', 'none')).toBeUndefined();
  });

  it('masks phone numbers and personal WeChat ids but keeps emails', () => {
    const s = maskContacts('电话13812345678，微信：wanglei_2012，邮箱 hr@x.cn');
    expect(s).toBe('电话138****5678，微信：wa***（已隐藏，请联系发布者），邮箱 hr@x.cn');
  });

  it('explains routing briefly', () => {
    expect(explainRouting(post(), 'electrical')).toBe('电气类（电气工程及其自动化）');
    expect(explainRouting(post(), 'cs')).toBeUndefined();
  });
});
