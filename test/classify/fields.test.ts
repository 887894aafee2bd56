import { describe, expect, it } from 'vitest';
import { classify, NOW } from './helpers.ts';

const fields = (text: string, now = NOW, tz?: string) => classify(text, now, tz).fields;

describe('fields', () => {
  const referral = `【国家电网河南省电力公司】2026届校园招聘内推
岗位：变电运维、继电保护
专业要求：电气工程及其自动化，本科及以上，硕士优先
工作地点：郑州
简历投递至 HR@sgcc.example.com ，网申 https://zhaopin.sgcc.example.com/campus?id=8831
内推码：SG2026HN，截止时间：2026年12月5日`;

  it('pulls every field out of a referral', () => {
    expect(fields(referral)).toEqual({
      company: '国家电网河南省电力公司',
      roles: ['变电运维', '继电保护'],
      city: '郑州',
      deadline: '2026-12-05',
      links: ['https://zhaopin.sgcc.example.com/campus?id=8831'],
      emails: ['hr@sgcc.example.com'],
      referralCode: 'SG2026HN',
      cohort: '2026届',
      degrees: ['本科', '硕士'],
    });
  });

  it('finds a company by its suffix or a well-known name', () => {
    expect(fields('内推：许继电气股份有限公司招聘电气工程师').company).toBe('许继电气股份有限公司');
    expect(fields('字节跳动后端开发内推，base北京').company).toBe('字节跳动');
  });

  it('names the role from a job noun when there is no 招聘/岗位 cue', () => {
    expect(fields('华为2026届嵌入式软件开发工程师内推，base深圳').roles).toEqual(['嵌入式软件开发工程师']);
  });

  it('prefers the city after 工作地点', () => {
    expect(fields('北京总部招聘，工作地点：武汉，五险一金').city).toBe('武汉');
  });

  it('reads a two-digit cohort and several degrees', () => {
    const f = fields('26届本科、硕士、博士均可投递');
    expect(f.cohort).toBe('2026届');
    expect(f.degrees).toEqual(['本科', '硕士', '博士']);
  });

  it('are not extracted for chit-chat: nothing would show them', () => {
    const c = classify('明天截止哈哈，周五一起吃饭吗？');
    expect(c.isJob).toBe(false);
    expect(c.fields).toEqual({ roles: [], links: [], emails: [], degrees: [] });
    expect(c.classes).toEqual([]);
  });

  it('leaves absent fields out', () => {
    expect(fields('招聘会计一名')).toEqual({ roles: ['会计'], links: [], emails: [], degrees: [] });
  });
});

describe('deadline', () => {
  // NOW is Wednesday 2026-11-18 in Asia/Shanghai.
  it.each([
    ['截止时间：2026年12月5日', '2026-12-05'],
    ['截止日期 12月5日', '2026-12-05'],
    ['12.5前投递', '2026-12-05'],
    ['截止：2026-12-05', '2026-12-05'],
    ['2026/12/05 18:00前投递', '2026-12-05'],
    ['明天截止', '2026-11-19'],
    ['今天24点前投递', '2026-11-18'],
    ['本周五前投递简历', '2026-11-20'],
    ['周五截止', '2026-11-20'],
    ['下周一截止', '2026-11-23'],
    ['3天内投递有效', '2026-11-21'],
    ['两周内投递', '2026-12-02'],
    ['截止时间：1月10日', '2027-01-10'],
  ])('%s → %s', (text, iso) => {
    expect(fields(`招聘电气工程师，${text}`).deadline).toBe(iso);
  });

  describe('never in the past for a relative weekday', () => {
    // Saturday 2026-11-21 12:00 in Shanghai: this week's Friday was yesterday.
    const SATURDAY = new Date('2026-11-21T04:00:00Z');
    it.each([
      ['截止本周五', '2026-11-27'],
      ['这周五前投递', '2026-11-27'],
      ['周五截止', '2026-11-27'],
      ['截止星期一', '2026-11-23'],
      ['本周六截止', '2026-11-21'], // today is not in the past
      ['本周日截止', '2026-11-22'],
      ['下周五截止', '2026-11-27'],
      ['下周一截止', '2026-11-23'],
      ['下下周一截止', '2026-11-30'],
    ])('on Saturday %s → %s', (text, iso) => {
      expect(fields(`招聘电气工程师，${text}`, SATURDAY).deadline).toBe(iso);
    });

    it('keeps this week on a weekday before it (本周五 on Wednesday is the 20th)', () => {
      expect(fields('招聘电气工程师，截止本周五', NOW).deadline).toBe('2026-11-20');
    });

    it('reads 上周五 as last week, not the coming Friday', () => {
      expect(fields('招聘电气工程师，原定上周五截止', SATURDAY).deadline).toBe('2026-11-13');
    });

    it('a brand-new referral with 截止本周五 posted on Saturday does not expire at once', () => {
      const f = fields('华能集团某电厂招聘热能与动力工程专业毕业生，岗位：集控运行值班员，2026届本科及以上，截止本周五', SATURDAY);
      expect(f.deadline! >= '2026-11-21').toBe(true);
    });
  });

  describe('a month-day without a year', () => {
    it.each([
      ['2026-11-21T04:00:00Z', '截止12月5日', '2026-12-05'], // the coming one
      ['2026-11-21T04:00:00Z', '截止11月20日', '2026-11-20'], // passed yesterday: a late repost, not next year
      ['2026-11-21T04:00:00Z', '截止9月1日', '2027-09-01'], // passed > 60 days ago: next year
      ['2027-01-05T04:00:00Z', '截止12月28日', '2026-12-28'], // across New Year, 8 days ago: a late repost
      ['2026-12-20T04:00:00Z', '截止1月10日', '2027-01-10'],
      ['2026-11-21T04:00:00Z', '截止2月29日', '2028-02-29'], // the next leap day
      ['2026-11-21T04:00:00Z', '12.5前投递', '2026-12-05'],
    ])('on %s %s → %s', (at, text, iso) => {
      expect(fields(`招聘电气工程师，${text}`, new Date(at)).deadline).toBe(iso);
    });
  });

  it('ignores dates that are not a deadline', () => {
    expect(fields('招聘电气工程师，12月20日笔试，薪资3.5万').deadline).toBeUndefined();
  });

  it('resolves relative dates in the given time zone', () => {
    // 2026-11-18T20:00Z is already Thursday 19th in Shanghai but still Wednesday in New York.
    const late = new Date('2026-11-18T20:00:00Z');
    expect(fields('招聘电气工程师，明天截止', late).deadline).toBe('2026-11-20');
    expect(fields('招聘电气工程师，明天截止', late, 'America/New_York').deadline).toBe('2026-11-19');
  });

  it('survives an unknown time zone', () => {
    expect(fields('招聘电气工程师，明天截止', NOW, 'Mars/Olympus').deadline).toBe('2026-11-19');
  });
});

describe('fields of the realistic sample messages (data/samples/messages.jsonl) that were wrong', () => {
  // The samples are read on Saturday 2026-11-21 in Shanghai.
  const SATURDAY = new Date('2026-11-21T04:00:00Z');
  const f = (text: string) => fields(text, SATURDAY);

  it('a headline naming majors and an exclamation names no role (the digest falls back to the text)', () => {
    const text =
      '【内推】国网北京市电力公司2026届校园招聘开始啦！招聘电气工程及其自动化、继电保护方向本科/硕士，工作地点北京。网申截止12月5日，内推码 GW2026BJ，投递链接 https://zhaopin.sgcc.com.cn/campus/2026 有问题可以问我';
    expect(f(text)).toEqual({
      company: '国网北京市电力公司',
      roles: [],
      city: '北京',
      deadline: '2026-12-05',
      links: ['https://zhaopin.sgcc.com.cn/campus/2026'],
      emails: [],
      referralCode: 'GW2026BJ',
      cohort: '2026届',
      degrees: ['本科', '硕士'],
    });
  });

  it('prefers the 岗位： list over the majors a headline names; 截止本周五 on Saturday is next Friday', () => {
    const text =
      '华能集团某电厂招聘热能与动力工程、能源与动力工程专业毕业生，岗位：集控运行值班员、汽轮机检修，2026届本科及以上，地点内蒙古鄂尔多斯，简历发送至 hr_ordos@chng.com.cn，截止本周五';
    const got = f(text);
    expect(got.roles).toEqual(['集控运行值班员', '汽轮机检修']);
    expect(got.company).toBe('华能集团');
    expect(got.city).toBe('鄂尔多斯');
    expect(got.deadline).toBe('2026-11-27');
  });

  it('finds the 岗位： list after a long 招聘 clause', () => {
    const text = '国家电网信通公司招聘，专业不限，2026届本科及以上应届毕业生均可报名，岗位：综合管理、宣传文秘，北京，截止12月11日，网申 https://zhaopin.sgcc.com.cn/xt';
    expect(f(text).roles).toEqual(['综合管理', '宣传文秘']);
  });

  it('keeps every title of a list whose items carry a bracketed aside', () => {
    const text = '西门子能源（上海）招聘：自动化调试工程师（PLC/DCS）、仪表工程师，自动化、测控技术与仪器专业，2026届本科/硕士，英语六级，投递 https://jobs.siemens-energy.com/cn 截止12月20日';
    expect(f(text).roles).toEqual(['自动化调试工程师', '仪表工程师']);
  });

  it('takes the title, not the majors, from "招聘…专业技术员"', () => {
    const text = '三峡集团抽水蓄能电站招聘水利水电工程、土木工程专业技术员，2026届本科/硕士，地点湖北宜昌，网申链接 https://zhaopin.ctg.com.cn 截止12月12日';
    expect(f(text).roles).toEqual(['技术员']);
  });

  it('does not take 【急招】 for a company', () => {
    const text = '【急招】手机打字员兼职日结，足不出户，每天两小时日赚300+，无需经验，先交198元押金培训，加V：money8899 详聊';
    expect(f(text).company).toBeUndefined();
  });

  it.each([
    ['中国电力建设集团财务共享中心招聘结算会计、财务分析岗，要求会计学、财务管理专业，2026届本科及以上', ['结算会计', '财务分析岗']],
    ['字节跳动基础架构团队内推：后端开发工程师（Go/Java）、测试开发工程师，2026届校招，本科/硕士', ['后端开发工程师', '测试开发工程师']],
    ['中国电建海外事业部招聘英语翻译、法语翻译（海外项目），英语、法语、翻译专业，2026届本科及以上', ['英语翻译', '法语翻译']],
    ['国家能源集团法律事务部招聘法务专员，法学专业，2026届硕士', ['法务专员']],
  ])('still reads the titles a headline names: %s', (text, roles) => {
    expect(f(text).roles).toEqual(roles);
  });
});

describe('roles', () => {
  it.each([
    ['招聘短视频编导。岗位职责：负责抖音账号的策划', ['短视频编导']], // a headline that is only the role
    ['某局招录执法勤务类一级警长及以下。专业要求：法学类', ['执法勤务类一级警长']],
    ['国网内推，岗位：变电运维、继电保护，本科及以上', ['变电运维', '继电保护']], // a duty that is also a major's short form, in an explicit list
    ['腾讯2027届校园招聘｜软件工程师（北京）', ['软件工程师']],
    ['招聘工作人员2名，本科及以上', ['工作人员']],
    ['招聘电气工程、自动化专业本科生，有意者私聊', []],
    ['热烈祝贺！校园招聘开始啦！', []],
  ])('%s → %j', (text, roles) => {
    expect(fields(text).roles).toEqual(roles);
  });
});
