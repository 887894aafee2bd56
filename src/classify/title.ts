// The title of a post: its first clause ('招聘运营专员（法语）。…' → '招聘运营专员'), and where in it the
// job is named (after the recruiting verb: '某市人力资源和社会保障局招录一级科员' names the employer first).
import { isSentenceEnd } from './major-contexts.ts';

const RECRUIT_VERB_RE = /(?:招录|招聘|诚聘|急招|招募|招(?![商标生收待呼牌]))/g;

/** Where the job's name starts in a title: after its last recruiting verb, or 0 when it has none. */
function lastRecruitVerb(title: string): number {
  let at = 0;
  RECRUIT_VERB_RE.lastIndex = 0;
  for (let m = RECRUIT_VERB_RE.exec(title); m; m = RECRUIT_VERB_RE.exec(title)) at = m.index + m[0].length;
  return at;
}

/** Title ends besides sentence ends: ( （ : ： , ，. */
function isTitleEnd(c: number): boolean {
  return c === 0x28 || c === 0xff08 || c === 0x3a || c === 0xff1a || c === 0x2c || c === 0xff0c;
}

/** End of the title: the first sentence, before any parenthesised aside ('运营专员（法语）'). */
export function firstSentenceEnd(text: string): number {
  for (let i = 0; i < text.length && i < 60; i++) {
    const c = text.charCodeAt(i);
    if (isSentenceEnd(c) || isTitleEnd(c)) return i;
  }
  return Math.min(text.length, 30);
}

/** Where the job's name starts: after the last recruiting verb of the first sentence, or 0 when it has none. */
export function jobNameStart(text: string): number {
  let sentence = 0;
  while (sentence < text.length && sentence < 80 && !isSentenceEnd(text.charCodeAt(sentence))) sentence++;
  return lastRecruitVerb(text.slice(0, sentence));
}
