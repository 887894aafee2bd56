import { describe, expect, it } from 'vitest';
import { classify } from './helpers.ts';

const REFERRALS = [
  '【国家电网】2026届校园招聘内推：岗位变电运维、继电保护，专业要求电气类，本科及以上，简历投递至 hr@sgcc.example.com，12月5日截止。',
  '字节跳动后端开发内推，base北京，26届应届生，熟悉Go/Java，内推码ABCD12，投递链接 https://jobs.example.com/s/abc',
  '南召县发展和改革委员会招录一级科员。专业要求：电子信息类。',
  '招聘结算会计。岗位职责：1、负责电费结算与往来对账；2、编制月度报表。任职要求：会计学相关专业，本科以上，五险一金，双休。',
  '师兄内推：华能集团新能源公司招光伏运维工程师，新能源科学与工程、电气工程及其自动化专业，2026届硕士，工作地点西宁，待遇年薪15万起。',
];

const CHAT_ABOUT_WORK = [
  '明天面试好紧张',
  '求内推',
  '上班好累',
  '求内推！有没有学长在国网的？',
  '你们还招人不，求应聘，哈哈！',
  '今年秋招太难了，投了五十份简历都没回音',
  '听说国网今年招得少？',
  '高数好难后天面试教资我很慌',
  '发工资了请大家吃饭',
];

const NEWS_AND_NOTICES = [
  '五校自主招生联考5日起报名 考试费200元',
  '名师全面解析2010年考研数学最佳复习对策',
  '关于12月5日下午停电检修的通知，请各位同学提前做好准备',
];

const SCAMS = [
  '兼职日结，在家手机就能做，打字员，日赚300，加QQ 123456',
  '宝妈足不出户月入过万，刷单返现，需押金199',
  '招聘网络打字员，无需经验，一单一结，先交培训费和押金，加微信 vx888',
  '诚招代理，佣金日结，跑分项目稳赚不赔，详询 t.me/xxx',
];

describe('detection', () => {
  it.each(REFERRALS)('takes a referral for a job: %s', (text) => {
    const c = classify(text);
    expect(c.isJob).toBe(true);
    expect(c.isScam).toBe(false);
    expect(c.jobScore).toBeGreaterThanOrEqual(0.5);
  });

  it.each(CHAT_ABOUT_WORK)('does not take chat about work for a job: %s', (text) => {
    const c = classify(text);
    expect(c.isJob).toBe(false);
    expect(c.colleges).toEqual([]);
  });

  it.each(NEWS_AND_NOTICES)('does not take news or notices for a job: %s', (text) => {
    expect(classify(text).isJob).toBe(false);
  });

  it.each(SCAMS)('flags a scam and never takes it for a job: %s', (text) => {
    const c = classify(text);
    expect(c.isScam).toBe(true);
    expect(c.isJob).toBe(false);
    expect(c.scamScore).toBeGreaterThanOrEqual(0.5);
  });

  it('explains the score with evidence both ways', () => {
    const c = classify('求内推！有没有学长在国网的？');
    const asking = c.detection.find((e) => e.term === '求内推');
    expect(asking?.weight).toBeLessThan(0);
    expect(asking?.kind).toBe('chat-term');
    const job = classify(REFERRALS[0]!).detection;
    expect(job.some((e) => e.kind === 'job-term' && e.weight > 0)).toBe(true);
  });

  it('respects the configured threshold', async () => {
    const { createClassifier } = await import('../../src/classify/index.ts');
    const { loadCatalog } = await import('../../src/catalog.ts');
    const strict = createClassifier(loadCatalog(), { threshold: 0.9999, colleges: [] }, { cut: (t) => [t] });
    const text = '中建三局招暖通工程师：负责暖通空调系统设计与施工管理';
    expect(classify(text).isJob).toBe(true);
    expect(strict.classify(text, new Date()).isJob).toBe(false);
  });
});
