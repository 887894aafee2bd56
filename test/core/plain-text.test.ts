import { describe, expect, it } from 'vitest';
import { larkCardToText, toPlainText } from '../../src/plain-text.ts';

describe('larkCardToText', () => {
  it('reads the texts of a card in order, skipping buttons values and junk', () => {
    const card = {
      header: { title: { tag: 'plain_text', content: '电气学院｜校友内推速递' } },
      elements: [
        { tag: 'div', text: { tag: 'lark_md', content: '**1. 国网江苏** 电气工程师' } },
        { tag: 'action', actions: [{ tag: 'button', text: { tag: 'plain_text', content: '👍' }, value: { v: 'up:1' } }] },
        { tag: 'markdown', content: '回复 1 不对口 可反馈' },
      ],
    };
    expect(larkCardToText(JSON.stringify(card))).toBe('电气学院｜校友内推速递\n**1. 国网江苏** 电气工程师\n👍\n回复 1 不对口 可反馈');
    expect(toPlainText({ format: 'lark-card', body: JSON.stringify(card) })).toContain('国网江苏');
  });

  it('never throws: not JSON, deep nesting, odd values', () => {
    expect(larkCardToText('not json')).toBe('not json');
    const deep = `${'{"a":'.repeat(10_000)}{"tag":"plain_text","content":"x"}${'}'.repeat(10_000)}`;
    expect(larkCardToText(JSON.stringify({ e: [null, 1, 'a', { tag: 'lark_md', content: 7 }] }))).toBe('');
    expect(larkCardToText(`[${deep}]`)).toBe(''); // deeper than any card: ignored, not a stack overflow
  });
});
