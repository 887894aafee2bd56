// Issue 14: one block per mechanism behind the classifier's errors on real posts, each from examples
// written for this file (not taken from any evaluation set).
import { describe, expect, it } from 'vitest';
import { classify, codes } from './helpers.ts';

const evidenceTerms = (text: string, code: string): string[] =>
  classify(text).classes.find((c) => c.code === code)?.evidence.map((e) => e.term) ?? [];

describe('1. every class a job fits, not only two', () => {
  it('keeps three related classes for an embedded job that names no major', () => {
    const c = codes('招嵌入式软件工程师：负责电机控制器的单片机固件开发、CAN通信调试，会用示波器排查电路问题，了解PLC和运动控制。');
    expect(c).toEqual(expect.arrayContaining(['0807', '0809', '0808']));
  });

  it('lets the duties add classes when a class name appears outside a requirement', () => {
    // '电气类' is named in passing; the duties (embedded firmware, circuit boards) add 电子信息.
    const c = codes('我们部门以电气类同事为主，现招硬件工程师：负责控制板原理图与PCB设计、单片机驱动调试。');
    expect(c).toContain('0806');
    expect(c).toContain('0807');
  });

  it('gives video editing to both classes that train editors: 戏剧与影视学 and 新闻传播学 (网络与新媒体)', () => {
    const c = codes('招视频剪辑师：负责公司宣传短片的拍剪和后期包装，审美在线。');
    expect(c).toEqual(expect.arrayContaining(['1303', '0503']));
  });

  it('still reports a single class when the duties point one way', () => {
    expect(codes('招出纳：负责现金收付、银行对账和日记账登记，细心。')).toEqual(['1202']);
  });

  it('explains every class it reports', () => {
    for (const c of classify('招智能化工程师：负责楼宇自控系统、弱电和综合布线施工，懂低压配电。').classes) {
      expect(c.evidence.length).toBeGreaterThan(0);
    }
  });
});

describe('2. duties with no role word still vote', () => {
  it.each([
    ['负责底盘零件的有限元强度分析和模态仿真，会ABAQUS。', '0801'],
    ['负责写字楼的弱电系统、楼宇自控和综合布线深化设计。', '0810'],
    ['负责柴油发电机组的安装、调试和日常保养。', '0805'],
    ['负责来料检验、制程质量管理和六西格玛改善项目。', '1207'],
    ['负责测试测量设备的标定和校准，会LabVIEW。', '0803'],
    ['负责信贷客户的统计建模和回归分析。', '0712'],
    ['负责远洋货轮的船舶电气设备和轮机维护。', '0818'],
    ['负责人工智能视觉模型的训练与部署。', '0807'],
  ])('%s → %s', (duties, code) => {
    expect(codes(`招聘技术岗，${duties}本科以上学历，简历发 hr@firm.example.com`)).toContain(code);
  });
});

describe('3. matching that reads the context', () => {
  it('does not take a software tool for computer science', () => {
    const c = codes('招平面设计师：负责海报和包装设计，熟练使用设计软件和办公软件。');
    expect(c).not.toContain('0809');
    expect(c[0]).toBe('1305');
  });

  it('does not read boilerplate (英语四级, 统计 as a verb, 写作能力) as a field', () => {
    const c = codes('招电气工程师：负责配电柜设计，统计每月物料用量，英语四级，有一定写作能力。');
    expect(c[0]).toBe('0806');
    expect(c).not.toContain('0502');
    expect(c).not.toContain('0712');
    expect(c).not.toContain('0501');
  });

  it('lets the duties decide what a shared title means', () => {
    expect(codes('招结构工程师：负责手机中框的注塑件和钣金件结构设计，熟悉公差分析。')[0]).toBe('0802');
    expect(codes('招结构工程师：负责高层住宅的结构计算和施工图设计，熟悉混凝土规范。')[0]).toBe('0810');
    expect(codes('招设计师：负责住宅小区的建筑方案设计和施工图绘制，熟悉建筑规范。')[0]).toBe('0828');
    expect(codes('招设计师：负责品牌海报、包装和电商详情页设计。')[0]).toBe('1305');
    const support = codes('招技术支持工程师：负责变频器和伺服驱动的现场调试、故障排查和客户培训，懂电气控制和PLC。');
    expect(support[0]).toBe('0806');
    expect(support).not.toContain('0809');
  });

  it('weighs an employer or department name less than the job', () => {
    const c = classify('武汉某电机有限公司战略发展部招行政专员：负责会议组织、公文流转和档案整理。');
    expect(c.classes[0]?.code).not.toBe('0806');
    const electric = c.classes.find((x) => x.code === '0806');
    expect(electric).toBeUndefined();
  });

  it('does not match a term across a word boundary (优化工具 is not 化工)', () => {
    expect(codes('招运营专员：负责用好数据优化工具，提升店铺转化率，做好天猫店铺活动。')).not.toContain('0813');
  });

  it('discounts a repeated name', () => {
    const ev = classify('招跟单员：负责订单跟进，熟悉国贸流程、国贸单证和国贸结算。').classes.find((c) => c.code === '0204')?.evidence ?? [];
    const weights = ev.filter((e) => e.term === '国贸').map((e) => e.weight);
    expect(weights.length).toBe(3);
    expect(weights[1]).toBeLessThan(weights[0]!);
    expect(weights[2]).toBeLessThan(weights[0]!);
  });
});

describe('4. lists of majors', () => {
  it('keeps every item of a comma list before 等相关专业', () => {
    const c = codes('招风控分析师，计算机，数学，统计学，金融等相关专业，理工科优先，简历发 risk@bank.example.com');
    expect(c).toEqual(expect.arrayContaining(['0809', '0701', '0712', '0203']));
  });

  it('reads a list followed by a preference as required', () => {
    const c = classify('专业要求：电子信息工程、通信工程相关专业，理工科优先。负责基站维护。');
    expect(c.classes.map((x) => x.code)).toContain('0807');
    expect(c.classes[0]?.confidence).toBeGreaterThan(0.95);
  });

  it('reads per-role major columns without the word 专业', () => {
    const c = codes('【岗位】\n射频工程师 2人 电子信息/通信\n电源工程师 1人 电气、自动化\n简历投 rf@maker.example.com');
    expect(c).toEqual(expect.arrayContaining(['0807', '0806', '0808']));
  });

  it.each([
    ['安全类', '0829'],
    ['物流类', '1206'],
    ['语言类', '0502'],
  ])('understands the category word %s', (word, code) => {
    expect(codes(`某公司招专员2名，${word}专业优先，本科学历，简历发 hr@firm.example.com`)).toContain(code);
  });

  it('reads a major name without its last word (建筑环境与能源应用)', () => {
    expect(codes('招暖通设计师，建筑环境与能源应用专业，本科。')[0]).toBe('0810');
  });

  it('does not take a major named in the company introduction as a requirement', () => {
    const c = codes('我们公司成立于2010年，技术团队多为计算机专业出身。现招会计：负责总账和报税，会计学专业。');
    expect(c).toEqual(['1202']);
  });

  it('lets the duties choose within a requirement that lists more classes than any real list does', () => {
    const c = codes('招写作编辑：负责稿件撰写、编辑和校对。专业要求范围：金融、数学、法律、中文、经济、会计、物流、计算机、国贸、新闻、英语、心理。');
    expect(['0501', '0503']).toContain(c[0]);
    expect(c.length).toBeLessThanOrEqual(4);
  });

  it('does not take school subjects for majors', () => {
    expect(codes('招教辅编辑：负责小学语文、数学、英语等科目图书的审稿和校对。')).not.toContain('0701');
  });
});

describe('5. referrals, scams and requests', () => {
  it('does not hold a security team with an e-mail address for a scam', () => {
    const c = classify('【内推】某支付公司反欺诈团队招风控策略工程师：负责识别刷单、洗钱、盗卡等黑产行为，搭建风险模型。计算机、统计相关专业。简历发 fraud-team@pay.example.com');
    expect(c.isScam).toBe(false);
    expect(c.isJob).toBe(true);
  });

  it('does not hold an ads or messaging product team for a scam', () => {
    const c = classify('招广告产品经理：负责广告位售卖策略和QQ浏览器、微信支付场景的商业化，统计、计算机专业，投递 ads@im.example.com');
    expect(c.isScam).toBe(false);
    expect(c.isJob).toBe(true);
  });

  it('does not count an exam requirement as a scam word', () => {
    const c = classify('招审计助理：负责底稿编制，会计学专业，通过CPA科目考试者优先，简历发 audit@cpa-firm.example.com');
    expect(c.isScam).toBe(false);
    expect(c.isJob).toBe(true);
  });

  it('takes a graduate asking for a referral by e-mail for a request, not a referral', () => {
    const c = classify('各位师兄师姐好，我是26届通信工程本科，想找基站或光通信方向的工作，有内推机会麻烦发我邮箱 wang26@163.com，谢谢！');
    expect(c.isJob).toBe(false);
    expect(c.detection.some((e) => e.term === 'asks for a referral')).toBe(true);
  });

  it('still flags a real scam that gives an e-mail address', () => {
    const c = classify('日结兼职，手机可做，刷单返现，宝妈学生党优先，加QQ 12345678 或邮件 money@fast.example.com');
    expect(c.isScam).toBe(true);
    expect(c.isJob).toBe(false);
  });
});

describe('evidence the CLI prints', () => {
  it('names the terms behind an inferred class', () => {
    expect(evidenceTerms('招有限元仿真工程师：负责结构仿真和强度分析。', '0801')).toEqual(expect.arrayContaining(['有限元']));
  });
});
