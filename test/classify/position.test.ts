// Issue 14, second round: where a term stands decides what it says. One block per mechanism, each
// from examples written for this file (not taken from any evaluation set).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog.ts';
import { createClassifier } from '../../src/classify/index.ts';
import { loadClassModel } from '../../src/classify/model/linear.ts';
import { findSections, SECTION_WEIGHT } from '../../src/classify/sections.ts';
import { createJiebaTokenizer } from '../../src/classify/tokenizer.ts';
import { classify, codes, NOW, ROUTING } from './helpers.ts';

const confidenceOf = (text: string, code: string): number => classify(text).classes.find((c) => c.code === code)?.confidence ?? 0;

describe("the title's role leads a background the post only describes", () => {
  it('puts the editor first in an English editor job that asks for English graduates', () => {
    const c = classify('招聘英语编辑：负责初中英语教辅的组稿、审稿和稿件校对，参与选题策划。要求英语等相关专业本科。');
    expect(c.classes[0]!.code).toBe('0503');
    expect(c.classes[0]!.evidence).toEqual([expect.objectContaining({ term: '编辑', kind: 'title-role' })]);
    expect(c.classes.map((x) => x.code)).toContain('0502'); // the background asked for still routes
  });

  it('does not overrule a stated limit (专业要求：…)', () => {
    expect(codes('招聘新媒体运营。负责公众号推文撰写与短视频拍摄剪辑。专业要求：计算机类。')).toEqual(['0809']);
  });

  it('reads the job after the recruiting verb, not the employer before it', () => {
    // '人力资源' names the bureau; the job is 一级科员, which names no class.
    expect(codes('某市人力资源和社会保障局招录一级科员，中国语言文学类等相关专业。')[0]).toBe('0501');
    expect(codes('某区审计事务中心（参公）招录一级科员，计算机等相关专业。')[0]).toBe('0809');
  });

  it('leads only where the duties back the title: a data-centre O&M job whose duties are electrical', () => {
    const c = codes('数据中心运维工程师：负责机房供配电、UPS、柴油发电机和精密空调的巡检维护，电气、暖通相关专业。');
    expect(c[0]).not.toBe('0809');
    expect(c).toEqual(expect.arrayContaining(['0806', '0805']));
  });
});

describe("a title's head role names every class whose graduates do that work", () => {
  it('an editor job suits 新闻传播 (编辑出版) and 中文 graduates alike', () => {
    expect(codes('招聘图书编辑。负责书稿的审读、校对和加工，参与选题策划，文字功底扎实。')).toEqual(expect.arrayContaining(['0503', '0501']));
  });
});

describe("a qualifier before the title's head needs the duties behind it", () => {
  it("'新媒体' in '新媒体编导' does not add 新闻传播 to a video job", () => {
    expect(codes('招聘新媒体编导：负责短视频的拍摄、剪辑和脚本创作，跟进后期制作。')).toEqual(['1303']);
  });

  it('duties that name the qualifier’s work do add it', () => {
    expect(codes('招聘新媒体编导：负责短视频拍摄剪辑，以及公众号运营、舆情监测和新闻稿撰写。')).toEqual(['1303', '0503']);
  });
});

describe('sections: duties count fully, requirements less, the introduction and perks little', () => {
  it('finds the sections by their headers', () => {
    const text = '招聘运营。公司简介：成立于2010年。岗位职责：负责店铺运营。任职要求：熟悉PS。公司福利：双休。';
    const s = findSections(text);
    expect(s.kindAt(text.indexOf('招聘'))).toBe('body');
    expect(s.kindAt(text.indexOf('成立'))).toBe('intro');
    expect(s.kindAt(text.indexOf('店铺'))).toBe('duties');
    expect(s.kindAt(text.indexOf('PS'))).toBe('requirements');
    expect(s.kindAt(text.indexOf('双休'))).toBe('perks');
    expect(s.weightAt(text.indexOf('PS'))).toBe(SECTION_WEIGHT.requirements);
    expect(findSections('没有标题的一段话').kindAt(3)).toBe('body');
  });

  it('every character after a header is in that header’s section, whatever the order (property)', () => {
    const headers = [['岗位职责', 'duties'], ['任职要求', 'requirements'], ['公司简介', 'intro'], ['公司福利', 'perks'], ['工作内容', 'duties']] as const;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...headers), fc.stringMatching(/^[负责运营熟悉双休成立于电商剪辑，。1-9a-z]{1,30}$/)), { minLength: 1, maxLength: 6 }),
        fc.stringMatching(/^[招聘运营专员]{0,10}$/),
        (parts, head) => {
          let text = head;
          const spans: [number, number, string][] = [];
          for (const [[h, kind], body] of parts) {
            text += `${h}：`;
            spans.push([text.length, text.length + body.length, kind]);
            text += body;
          }
          const s = findSections(text);
          for (let i = 0; i < head.length; i++) expect(s.kindAt(i)).toBe('body');
          for (const [a, b, kind] of spans) for (let i = a; i < b; i++) expect(s.kindAt(i)).toBe(kind);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a skill listed in the requirements weighs less than the same work in the duties', () => {
    const asDuty = confidenceOf('招聘市场专员。岗位职责：负责营销策划，撰写推广文案和软文。任职要求：沟通好。', '0501');
    const asSkill = confidenceOf('招聘市场专员。岗位职责：负责营销策划。任职要求：沟通好，能撰写推广文案和软文。', '0501');
    expect(asDuty).toBeGreaterThan(0);
    expect(asSkill).toBeLessThan(asDuty);
  });

  it("an employer's introduction does not outvote the job", () => {
    const c = codes('招聘新闻采编。公司简介：我们是一家影视传媒公司，从事宣传片、短视频拍摄与影视制作。岗位职责：负责新闻采访、稿件撰写和编辑。');
    expect(c[0]).toBe('0503');
  });
});

describe('names in a list of majors are read once, as majors', () => {
  it('a broad list of majors does not vote again through role words (市场营销, 会计)', () => {
    const c = codes('招聘写作编辑。专业要求范围：商科、市场营销、会计、数学、金融、法律、计算机、教育、统计、医学、农学、物流、化学、英语等均可。负责学术论文的写作与编辑，热爱写作。');
    expect(c[0]).toBe('0501');
    expect(c).not.toContain('1202');
  });

  it('a preference for a dozen majors gives none of them a lower cutoff', () => {
    const c = codes('招聘组稿编辑：负责稿件撰写、编辑和校对。工程/化学/电气/电子/通信/自动化/计算机/建筑/土木/医学/统计学等专业优先。');
    expect(c).toEqual(expect.arrayContaining(['0503']));
    expect(c).not.toContain('0807');
  });

  it("'熟悉相关专业软件' names the field's tools, not a major", () => {
    const c = codes('招聘书法字帖编辑。负责字帖图书的选题策划、版式设计、编辑和校对，熟悉相关专业软件，提升文字功底。书法相关专业尤佳。');
    expect(c[0]).toBe('0503');
    expect(c).not.toContain('0809');
  });

  it("'土木、力学专业硕士' is a requirement like '…专业本科'", () => {
    expect(codes('设计院招结构工程师：负责钢结构设计与施工图审核，土木、力学专业硕士。')).toEqual(expect.arrayContaining(['0810', '0801']));
  });

  it("a four-character field without its 学 names the major ('编辑出版' for 编辑出版学)", () => {
    const c = classify('某出版社招英语编辑：负责英语教辅的组稿、审稿和校对，英语、编辑出版等相关专业。');
    expect(c.classes.map((x) => x.code).sort()).toEqual(['0502', '0503']);
    expect(c.classes.find((x) => x.code === '0503')!.evidence).toContainEqual(expect.objectContaining({ term: '编辑出版', kind: 'major-name' }));
  });

  it('a short preference still adds its class', () => {
    expect(codes('招弱电工程师：负责楼宇自控、安防和综合布线的深化设计，电气、自动化专业优先。')).toEqual(expect.arrayContaining(['0806']));
  });
});

describe('online marketing is work for e-commerce and business graduates alike', () => {
  it("'网络营销' routes to 电子商务 and 工商管理", () => {
    expect(codes('招聘网络营销专员：负责公司产品在各网络平台的推广和客户转化。').sort()).toEqual(['1202', '1208']);
  });
});

describe("the catalog's job directions vote only as roles", () => {
  it("a bare activity ('开发', '制作', '设计') listed as a direction votes for no class", () => {
    const c = classify('招聘产品开发助理。负责跨境电商平台新产品的开发、样品制作和设计跟进，与运营和美工协作。');
    expect(c.classes[0]!.code).toBe('1208');
    const catalogTerms = c.classes.flatMap((x) => x.evidence.filter((e) => e.kind === 'catalog-job').map((e) => e.term));
    expect(catalogTerms).not.toEqual(expect.arrayContaining(['开发']));
    expect(catalogTerms).not.toContain('制作');
    expect(catalogTerms).not.toContain('设计');
  });

  it('a role noun from the catalog still votes', () => {
    const c = classify('招聘精算师：负责寿险产品定价与准备金评估。');
    expect(c.classes[0]!.evidence).toContainEqual(expect.objectContaining({ term: '精算师', kind: 'catalog-job' }));
  });
});

describe('the class model as a second opinion (shipped model)', () => {
  const model = loadClassModel();
  const withModel = createClassifier(loadCatalog(), ROUTING, createJiebaTokenizer([]), model);

  it('records how many labelled posts of each class it learnt from', () => {
    expect(model).not.toBeNull();
    expect(model!.support('1303')).toBeGreaterThanOrEqual(8);
    expect(model!.support('0801')).toBe(0);
  });

  it('leaves engineering classes it has no labelled posts of exactly as the lexicon found them', () => {
    for (const text of [
      '工业软件公司招CAE求解器开发工程师：负责有限元求解器算法开发，C++，力学、数学、计算机专业。',
      '招数据建模工程师，负责用户画像和销量预测模型，熟悉回归、时间序列和常见机器学习算法。',
      '招嵌入式软件工程师：负责电机控制器的单片机固件开发、CAN通信调试，了解PLC和运动控制。',
    ]) {
      const lexicon = classify(text).classes.map((c) => c.code);
      const combined = withModel.classify(text, NOW);
      expect(combined.classes.map((c) => c.code).sort()).toEqual([...lexicon].sort());
      expect(combined.modelVetoed ?? []).toEqual([]);
      expect(combined.classes[0]!.code).toBe(lexicon[0]); // the lexicon's leader stays first
    }
  });

  it('never changes the first class, nor drops a class it has under 8 labelled posts of (property)', () => {
    const words = ['剪辑', '短视频', '天猫店铺', '运营', '编辑', '校对', '嵌入式', 'PLC', '继电保护', '有限元', '会计', '营销', '文案', '直播', '数据分析', '翻译'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...words), { minLength: 1, maxLength: 6 }), fc.constantFrom('招聘', '内推', '招'), (picked, verb) => {
        const text = `${verb}${picked[0]}专员：负责${picked.join('、')}等工作。`;
        const lexicon = classify(text).classes;
        const combined = withModel.classify(text, NOW);
        if (lexicon.length === 0) return;
        expect(combined.classes[0]!.code).toBe(lexicon[0]!.code);
        const kept = new Set(combined.classes.map((c) => c.code));
        for (const c of lexicon) if (model!.support(c.code) < 8) expect(kept.has(c.code)).toBe(true);
        for (const v of combined.modelVetoed ?? []) expect(model!.support(v.code)).toBeGreaterThanOrEqual(8);
      }),
      { numRuns: 200 },
    );
  });

  it('explains what it changed: model evidence on what it kept or added, the probability of what it vetoed', () => {
    const c = withModel.classify('招聘短视频剪辑师：负责抖音短视频的拍摄、剪辑和后期包装，熟练使用PR、AE、剪映。', NOW);
    expect(c.classes[0]!.code).toBe('1303');
    expect(c.classes[0]!.evidence.some((e) => e.kind === 'model')).toBe(true);
    for (const v of c.modelVetoed ?? []) {
      expect(v.modelProbability).toBeGreaterThanOrEqual(0);
      expect(v.evidence.length).toBeGreaterThan(0);
    }
  });
});
