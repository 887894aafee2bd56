// Features of a post for the class model: character bigrams of its Chinese runs and its Latin words
// ('ps', 'shopee', 'c++'), each once, plus the same from the title again under a 't:' prefix (the
// title names the job; the body also lists perks and company blurbs). No jieba: bigrams cost one pass
// over the text, and a word the segmenter does not know ('剪映', '选品') still yields its bigrams.
// The post is read up to MAX_FEATURE_CHARS, so the model's cost per message is bounded.

export const MAX_FEATURE_CHARS = 1500;
/** The title is the first sentence or clause, at most this long. */
const MAX_TITLE_CHARS = 40;
export const TITLE_PREFIX = 't:';

const isCjk = (c: number): boolean => c >= 0x4e00 && c <= 0x9fff;
const isLatin = (c: number): boolean => (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
const isWordTail = (c: number): boolean => isLatin(c) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x23; // + #

/** Where the title ends: the first sentence end, bracket, colon or comma, within MAX_TITLE_CHARS. */
export function titleEnd(text: string): number {
  const n = Math.min(text.length, MAX_TITLE_CHARS);
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    // 。 ！ ？ ! ? ; ； newline ( （ : ： , ， 【 】 are title ends; '/' and '-' stay inside it ('编辑/文案').
    if (
      c === 0x3002 || c === 0xff01 || c === 0xff1f || c === 0x21 || c === 0x3f || c === 0x3b || c === 0xff1b || c === 0x0a ||
      c === 0x28 || c === 0xff08 || c === 0x3a || c === 0xff1a || c === 0x2c || c === 0xff0c || c === 0x3011
    ) {
      // '【内推】' opens many group posts: the title is what follows it.
      if (c === 0x3011 && i < 8) continue;
      return i;
    }
  }
  return n;
}

/** Adds the bigrams and Latin words of text[start, end) to `out`, each under `prefix`. */
function addGrams(text: string, start: number, end: number, prefix: string, out: Set<string>): void {
  for (let i = start; i < end; ) {
    const c = text.charCodeAt(i);
    if (isCjk(c)) {
      const d = i + 1 < end ? text.charCodeAt(i + 1) : 0;
      if (isCjk(d)) out.add(prefix + text.slice(i, i + 2));
      i++;
    } else if (isLatin(c)) {
      let j = i + 1;
      while (j < end && isWordTail(text.charCodeAt(j))) j++;
      if (j - i >= 2 && j - i <= 20) out.add(prefix + text.slice(i, j).toLowerCase());
      i = j;
    } else {
      i++;
    }
  }
}

/** The distinct features of a (width-folded) post. */
export function postFeatures(folded: string): string[] {
  const text = folded.length > MAX_FEATURE_CHARS ? folded.slice(0, MAX_FEATURE_CHARS) : folded;
  const out = new Set<string>();
  // '招聘' and '【内推】'-style openers are in every post: skipping them keeps the title about the job.
  let start = 0;
  const opener = /^\s*(?:【[^】]{0,6}】|\[[^\]]{0,6}\])?\s*(?:招聘|诚聘|急招|内推|校招)?[:：\s]*/.exec(text);
  if (opener) start = opener[0].length;
  const end = start + titleEnd(text.slice(start));
  addGrams(text, start, end, TITLE_PREFIX, out);
  addGrams(text, 0, text.length, '', out);
  return [...out];
}
