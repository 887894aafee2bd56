// nodejieba with the catalog's major and class names, their short forms, our role terms and the
// rules' college keywords in the user dictionary, so '电气工程及其自动化' stays one word.
import nodejieba from 'nodejieba';
import { loadCatalog } from '../catalog.ts';
import type { Tokenizer } from '../ports.ts';
import { MAJOR_ALIASES } from './major-aliases.ts';
import { ROLE_TERMS } from './role-terms.ts';

/** jieba's dictionary is process-wide: remember what is in it so repeated calls add only new words. */
const inserted = new Set<string>();

function insert(word: string): void {
  const w = word.trim();
  if (w.length < 2 || inserted.has(w) || /\s/.test(w)) return;
  inserted.add(w);
  nodejieba.insertWord(w);
}

export function createJiebaTokenizer(extraWords: string[]): Tokenizer {
  if (inserted.size === 0) {
    const catalog = loadCatalog();
    for (const m of catalog.majors) insert(m.name);
    for (const c of catalog.classes.values()) insert(c.name);
    for (const alias of Object.keys(MAJOR_ALIASES)) insert(alias);
    for (const terms of Object.values(ROLE_TERMS)) for (const t of Object.keys(terms)) insert(t);
  }
  for (const w of extraWords) insert(w);
  return { cut: (text) => nodejieba.cut(text) };
}
