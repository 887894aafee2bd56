// Cutting only the run around an offset must give the words a cut of the whole text gives: cppjieba
// segments each run between its separators (space, tab, newline, '，', '。') on its own.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createJiebaTokenizer } from '../../src/classify/tokenizer.ts';
import { lazyWords } from '../../src/classify/word-spans.ts';

const tokenizer = createJiebaTokenizer([]);

/** [start, end) of every word of a whole-text cut, by offset (gaps the tokenizer skipped count as words). */
function wholeCut(text: string): [number, number][] {
  const spans: [number, number][] = new Array(text.length);
  let pos = 0;
  const mark = (s: number, e: number): void => {
    for (let i = s; i < e; i++) spans[i] = [s, e];
  };
  for (const t of tokenizer.cut(text)) {
    if (!t) continue;
    const at = text.indexOf(t, pos);
    if (at < 0) throw new Error(`token ${t} not found`);
    if (at > pos) mark(pos, at);
    mark(at, at + t.length);
    pos = at + t.length;
  }
  if (pos < text.length) mark(pos, text.length);
  return spans;
}

const piece = fc.constantFrom(
  '优化', '工具', '化工', '电气', '工程', '及其', '自动化', '招聘', '会计', '招聘会', '基因', '编辑', '负责', '软件', '开发',
  '，', '。', ' ', '\n', '、', ',', '：', 'plc', 'c++', '5g', '🔥', '的', '和', '数据', '建模', '统计', '客户',
);

describe('lazyWords', () => {
  it('gives, at every offset, the word a cut of the whole text gives', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), (parts) => {
        const text = parts.join('');
        const whole = wholeCut(text);
        const lazy = lazyWords(text, tokenizer);
        // Visit offsets in a shuffled order: runs are cut on first use, in any order.
        const order = [...text].map((_, i) => i).sort((a, b) => ((a * 7919) % 31) - ((b * 7919) % 31));
        for (const i of order) {
          if (/[\s，。]/.test(text[i]!)) continue; // separators belong to no run
          expect(lazy.wordAt(i)).toEqual(whole[i]);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('treats a run the tokenizer fails on character by character', () => {
    const failing = { cut: (): string[] => { throw new Error('native failure'); } };
    expect(lazyWords('优化工具。化工', failing).wordAt(1)).toEqual([1, 2]);
  });
});
