// jieba as the classifier uses it: the trimmed dictionary, loaded at the first cut (the relay loads it once it
// listens), with the catalog's names and the rules' keywords kept as words.
import { describe, expect, it } from 'vitest';
import { createJiebaTokenizer, filterByFrequency, jiebaLoaded } from '../../src/classify/tokenizer.ts';

describe('jieba tokenizer', () => {
  it('loads the dictionary at the first cut, not when created, and keeps catalog names and extra words whole', () => {
    const tokenizer = createJiebaTokenizer(['校友内推通道']);
    expect(jiebaLoaded()).toBe(false);
    const words = tokenizer.cut('招聘电气工程及其自动化专业，走校友内推通道');
    expect(jiebaLoaded()).toBe(true);
    expect(words).toContain('电气工程及其自动化');
    expect(words).toContain('校友内推通道');
  });

  it('filterByFrequency keeps the lines at or above the threshold, byte for byte', () => {
    const dict = Buffer.from('电气 120 n\n罕见词 3 n\n自动化 20 vn\nbad line\n工程 19\n');
    expect(filterByFrequency(dict, 20).toString()).toBe('电气 120 n\n自动化 20 vn\n');
  });
});
