import { describe, expect, it } from 'vitest';
import { classify, codes } from './helpers.ts';

describe('explicit majors', () => {
  it('reads class names after 专业要求', () => {
    expect(codes('南阳市社会保险中心（参公）招录一级科员。专业要求：法学类，计算机类。')).toEqual(['0301', '0809']);
  });

  it('maps major names to their class and keeps the major codes for routing', () => {
    const c = classify('国网河南电力校招，专业：电气工程及其自动化、通信工程，本科及以上。');
    expect(c.classes.map((x) => x.code).sort()).toEqual(['0806', '0807']);
    expect(c.colleges).toContain('telecom'); // owns major 080703 通信工程
  });

  it.each([
    ['电气', '0806'],
    ['计算机', '0809'],
    ['通信', '0807'],
    ['财会', '1202'],
    ['会计', '1202'],
    ['土木', '0810'],
  ])('understands the short form %s', (short, code) => {
    expect(codes(`某公司招聘技术员，要求${short}相关专业，本科以上学历，简历发送至 hr@example.com`)).toContain(code);
  });

  it('lets an explicit requirement dominate what the duties suggest', () => {
    const c = codes('招聘新媒体运营。负责公众号推文撰写与短视频拍摄剪辑。专业要求：计算机类。');
    expect(c).toEqual(['0809']);
  });

  it('does not read a vocational class as the undergraduate major it contains', () => {
    expect(codes('镇平县司法局招录一级科员。专业要求：法学类，财务会计类。')).toEqual(['0301']);
  });

  it('ignores majors named outside a requirement, like an employer name', () => {
    expect(codes('渑池县城市管理局招录一级科员。专业要求：安全科学与工程类。')).toEqual(['0829']);
  });

  it('reports explicit classes with high confidence and evidence', () => {
    const [first] = classify('招录一级科员。专业要求：电气类。').classes;
    expect(first?.confidence).toBeGreaterThan(0.9);
    expect(first?.evidence[0]).toMatchObject({ term: '电气类', kind: 'class-name' });
  });
});

describe('implicit majors', () => {
  it('infers 电子信息/计算机 from an embedded software role', () => {
    const c = codes('【内推】许继电气招聘嵌入式软件工程师：负责单片机/ARM平台固件开发与调试，熟悉C语言、RTOS，能看懂硬件电路图。');
    expect(c).toContain('0807');
    expect(c).toContain('0809');
  });

  it('infers 工商管理 from 结算会计', () => {
    expect(codes('国网某省电力公司招聘结算会计：负责电费结算、往来对账与月度报表编制，本科以上学历，工作地点郑州')[0]).toBe('1202');
  });

  it('infers 土木/能源动力 from 暖通', () => {
    const c = codes('中建三局招暖通工程师：负责暖通空调系统设计与施工管理，熟悉CAD，硕士优先');
    expect(c).toEqual(expect.arrayContaining(['0810', '0805']));
  });

  it.each([
    ['招聘短视频编导。负责抖音账号的选题策划、脚本撰写、拍摄与剪辑。', '1303'],
    ['招聘天猫运营专员。负责店铺日常运营、商品上架与直通车推广，提升转化率。', '1208'],
    ['招聘继电保护工程师，负责变电站二次设备调试与定值整定。', '0806'],
    ['诚聘Java后端开发工程师，熟悉Spring、MySQL、Redis，有分布式系统经验优先。', '0809'],
    ['招聘集控运行值班员，负责火电机组锅炉、汽轮机的运行监盘与操作。', '0805'],
  ])('puts the right class first: %s', (text, code) => {
    expect(codes(text)[0]).toBe(code);
  });

  it('returns no class when nothing points anywhere', () => {
    expect(codes('招聘若干名，待遇面议，有意者联系。')).toEqual([]);
  });

  it('orders classes by confidence', () => {
    const cs = classify('招聘嵌入式软件工程师：负责单片机固件开发，熟悉C语言、Linux驱动').classes;
    for (let i = 1; i < cs.length; i++) expect(cs[i - 1]!.confidence).toBeGreaterThanOrEqual(cs[i]!.confidence);
  });
});

describe('open to every major', () => {
  it('不限专业 gives openToAll and no classes', () => {
    const c = classify('腾讯2026校招补录，不限专业，岗位：产品经理、运营，欢迎投递简历');
    expect(c.openToAll).toBe(true);
    expect(c.classes).toEqual([]);
  });

  it('keeps classes that are named next to 专业不限', () => {
    const c = classify('招聘储备干部，电气工程及其自动化优先，其他专业不限，本科以上，五险一金。');
    expect(c.openToAll).toBe(true);
    expect(c.classes.map((x) => x.code)).toContain('0806');
  });
});
