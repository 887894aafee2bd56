import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { linkCardText } from '../../src/media/link-card.ts';
import { isJunk, posterText, type OcrLine } from '../../src/media/poster-text.ts';

/** A detected line at (x, y), `h` tall, as wide as its text at `h` px per character. */
const at = (text: string, x: number, y: number, h = 20, confidence = 0.97): OcrLine => {
  const w = [...text].length * h;
  return { text, confidence, box: [[x, y], [x + w, y], [x + w, y + h], [x, y + h]] };
};
const shuffled = <T>(xs: T[]): T[] => [...xs].reverse();

describe('posterText', () => {
  it('reads a banner, then the left column, then the right one, whatever order the engine returned', () => {
    const lines = [
      at('华为2026校招内推', 100, 20, 40),
      at('岗位：嵌入式开发', 20, 120),
      at('地点：深圳', 20, 160),
      at('专业：电子信息工程', 400, 120),
      at('截止：12月15日', 400, 160),
    ];
    expect(posterText(shuffled(lines))).toBe('华为2026校招内推\n\n岗位：嵌入式开发\n地点：深圳\n专业：电子信息工程\n截止：12月15日');
  });

  it('rejoins a sentence wrapped across lines (one word for the segmenter) but keeps list items apart', () => {
    const lines = [
      at('负责楼宇自控与安防监控系统的深化设计，建筑电气与智', 20, 100),
      at('能化专业优先', 20, 130),
      at('1、熟悉CAD；', 20, 160),
      at('2、有责任心', 20, 190),
    ];
    expect(posterText(lines)).toBe('负责楼宇自控与安防监控系统的深化设计，建筑电气与智能化专业优先\n1、熟悉CAD；\n2、有责任心');
  });

  it('keeps boxes of one row together, left to right, even on a slightly turned photo', () => {
    const tilt = (l: OcrLine, dy: number): OcrLine => ({ ...l, box: l.box.map(([x, y]) => [x, y + (x * dy) / 1000]) as [number, number][] });
    const lines = [tilt(at('薪资：', 20, 100), 30), tilt(at('20k-30k', 100, 101), 30), tilt(at('邮箱：hr@example.com', 20, 140), 30)];
    expect(posterText(lines)).toBe('薪资： 20k-30k\n邮箱：hr@example.com');
  });

  it('drops what a QR code or a speck reads as, keeps short numbers, e-mails and links', () => {
    expect(isJunk(at('Qx', 500, 500))).toBe(true);
    expect(isJunk(at('#@%&', 500, 500, 20, 0.6))).toBe(true);
    expect(isJunk(at('——', 500, 500))).toBe(true);
    expect(isJunk(at('42', 500, 500))).toBe(false);
    expect(isJunk(at('hr@example.com', 500, 500))).toBe(false);
    expect(isJunk(at('岗', 500, 500))).toBe(false);
    expect(posterText([at('内推码ABC123', 20, 20), at('Qx', 400, 300), at('▪▪', 420, 330)])).toBe('内推码ABC123');
  });

  it('one run of text cut in two by the detector is one run again; separate words keep a space', () => {
    const cut = [at('简历发zh@soe-examp', 20, 20), { ...at('le.cn', 0, 20), box: [[20 + 15 * 20 + 4, 20], [20 + 15 * 20 + 104, 20], [20 + 15 * 20 + 104, 40], [20 + 15 * 20 + 4, 40]] as [number, number][] }];
    expect(posterText(cut)).toBe('简历发zh@soe-example.cn');
  });

  it('an e-mail address or a link wrapped at the edge is one token again; wrapped English words keep their space', () => {
    const wrapped = (a: string, b: string) => posterText([at(a, 20, 100), at(b, 20, 130)]);
    expect(wrapped('国企综合管理岗，工作地武汉，简历发zh@soe-examp', 'le.cn')).toBe('国企综合管理岗，工作地武汉，简历发zh@soe-example.cn');
    expect(wrapped('网申入口https://job.example.com/c', 'ampus?id=7')).toBe('网申入口https://job.example.com/campus?id=7');
    expect(wrapped('熟悉数据分析工具，如Python and', 'SQL等')).toBe('熟悉数据分析工具，如Python and SQL等');
  });

  it('a bullet read as a closing bracket is dropped', () => {
    expect(posterText([at('）计算机科学与技术专业优先', 20, 20)])).toBe('计算机科学与技术专业优先');
  });

  it('loses and repeats nothing: every kept line\'s text appears in order-independent full (property)', () => {
    const line = fc.record({
      text: fc.stringMatching(/^[岗位专业招聘工程师计算机A-Za-z0-9：，。]{3,14}$/),
      x: fc.integer({ min: 0, max: 1000 }),
      y: fc.integer({ min: 0, max: 3000 }),
      h: fc.integer({ min: 8, max: 60 }),
    });
    fc.assert(
      fc.property(fc.array(line, { maxLength: 25 }), (specs) => {
        const lines = specs.map((s) => at(s.text, s.x, s.y, s.h));
        const kept = lines.filter((l) => !isJunk(l)).map((l) => l.text.trim());
        const out = posterText(lines);
        const sortChars = (s: string) => [...s.replace(/\s/g, '')].sort().join('');
        expect(sortChars(out)).toBe(sortChars(kept.join('')));
      }),
      { numRuns: 500 },
    );
  });

  it('nothing readable gives an empty text', () => {
    expect(posterText([])).toBe('');
    expect(posterText([at('··', 0, 0)])).toBe('');
  });
});

describe('linkCardText', () => {
  it('title, description and link, one per line', () => {
    expect(linkCardText({ title: '腾讯2026校园招聘正式启动', description: '技术、产品、设计等岗位，面向2026届毕业生', url: 'https://join.qq.com/post.html?x=1' })).toBe(
      '腾讯2026校园招聘正式启动\n技术、产品、设计等岗位，面向2026届毕业生\nhttps://join.qq.com/post.html?x=1',
    );
  });
  it('drops a description that repeats the title, a non-http link, control characters and extra spaces', () => {
    expect(linkCardText({ title: ' 招聘\u200b  算法工程师 ', description: '招聘 算法工程师', url: 'javascript:alert(1)' })).toBe('招聘 算法工程师');
    expect(linkCardText({ title: '招聘算法工程师', description: '招聘算法工程师：负责推荐系统', url: null })).toBe('招聘算法工程师\n：负责推荐系统');
    expect(linkCardText({})).toBe('');
  });
  it('any card never throws and gives at most three lines (property)', () => {
    fc.assert(
      fc.property(fc.record({ title: fc.option(fc.string()), description: fc.option(fc.string()), url: fc.option(fc.webUrl()) }, { requiredKeys: [] }), (card) => {
        expect(linkCardText(card).split('\n').length).toBeLessThanOrEqual(3);
      }),
    );
  });
});
