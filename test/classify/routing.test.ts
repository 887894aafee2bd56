import { describe, expect, it } from 'vitest';
import { classify } from './helpers.ts';

describe('college routing', () => {
  it('routes a class to the colleges that own it', () => {
    expect(classify('招录一级科员。专业要求：电气类，会计学。').colleges).toEqual(['electrical', 'economics']);
  });

  it('routes by a major code a college lists, and by the class that major belongs to', () => {
    const c = classify('中兴通讯校招内推，专业：通信工程，本科及以上，投递 hr@zte.example.com');
    expect(c.colleges).toContain('telecom');
    // computer owns 080910T (数据科学与大数据技术) and so also takes 0809 posts
    expect(classify('招聘Java后端开发工程师，熟悉Spring与MySQL，本科以上学历').colleges).toContain('computer');
  });

  it('adds a college on its keyword, with the keyword as evidence', () => {
    const c = classify('招聘会计，负责特高压项目的费用核算与报表，本科以上学历，五险一金');
    expect(c.colleges).toEqual(expect.arrayContaining(['economics', 'electrical']));
    expect(c.routing.find((r) => r.collegeId === 'electrical')?.evidence).toContainEqual({ term: '特高压', weight: 1, kind: 'keyword' });
  });

  it('removes a college on its exclude keyword', () => {
    const c = classify('招聘电脑维修技术员，负责计算机软硬件安装维护，熟悉Windows与网络，大专以上学历');
    expect(c.classes.map((x) => x.code)).toContain('0809');
    expect(c.colleges).not.toContain('computer');
  });

  it('sends 不限专业 posts to the open-to-all colleges', () => {
    expect(classify('某央企2026届校招，不限专业，岗位：综合管理、行政，本科及以上，欢迎投递简历').colleges).toEqual([
      'electrical',
      'energy',
      'economics',
    ]);
  });

  it('routes nothing for chat, but keeps routes of a suspected scam for the admin', () => {
    expect(classify('国网今年校招难吗？求内推').colleges).toEqual([]);
    const scam = classify('国网内部兼职日结，在家手机就能做，先交押金，加QQ 123456');
    expect(scam.isScam).toBe(true);
    expect(scam.colleges).toContain('electrical');
  });
});
