// Where a post states which majors it wants. A name inside such a span is a requirement (or a
// preference); outside, it may be the employer, the product or the company's introduction.
import type { Match } from './aho-corasick.ts';

export interface MajorContext {
  start: number;
  end: number;
  /** '…相关专业优先': a preference, not a requirement. */
  preferred: boolean;
  /** '专业要求：…', '限…专业': a stated limit, not a description of the background wanted ('英语等相关专业'). */
  strict?: boolean;
}

/**
 * A sentence that states a major requirement: '专业要求：', '…等相关专业优先', '英语专业', not
 * '专业视频软件', '专业技能' or '熟悉相关专业软件' (the field's tools, not a major).
 */
const MAJOR_CONTEXT_RE =
  /专业(?:要求|限制|方向|背景|范围|类别|名称|条件)?\s*[:：]|专业\s*(?:优先|毕业|背景|本科|硕士|博士|本硕|硕博|研究生|学历|及以上|以上|者|均可|或|和|及|的?(?:学生|毕业生|应届生?|本科生?|研究生)|应届|出身|不限|[，,、。；;)）]|$)|(?:相关|等|类|对口)专业(?!软件|技能|知识|能力|术语|素养|水平|工具|设备|技术)|学科背景/;

/**
 * Sentence ends: 。 ; ； \n ! ！ ? ？. Tested by UTF-16 unit (no one-character string and Set lookup
 * per unit): the context scan walks every unit of each sentence that names 专业.
 */
export function isSentenceEnd(c: number): boolean {
  return c === 0x3002 || c === 0x3b || c === 0xff1b || c === 0x0a || c === 0x21 || c === 0xff01 || c === 0x3f || c === 0xff1f;
}

/** Clause ends: , ， ; ；. */
function isClauseEnd(c: number): boolean {
  return c === 0x2c || c === 0xff0c || c === 0x3b || c === 0xff1b;
}

const PREFERRED_RE = /优先|更好|为佳|最佳|加分/;
const REQUIRED_RE = /专业要求|要求专业|专业限|限专业|专业须|专业必须/;
const LIST_FOLLOWS_RE = /^(?:要求|限制|方向|背景|范围|类别|名称|条件){0,2}\s*[:：]/;
/** A clause of a company introduction, where majors describe the company or its staff, not the job. */
const INTRO_RE = /成立于|致力于|专注于?|我司|本公司|公司(?:是|为|现有|拥有|主营)|是一家|旗下|拥有.{0,12}(?:团队|员工|人才)|员工中|团队(?:由|成员|中|多为|大多|主要)|多为|出身|占比|涵盖.{0,6}(?:学科|专业)/;
const ASKS_RE = /要求|优先|欢迎|招|限|需|应届|毕业生|本科|硕士|博士|学历|背景|方向|均可|以上/;

/** The major-requirement span containing a match, if any. */
export function contextOf(contexts: MajorContext[], m: Match<unknown>): MajorContext | undefined {
  for (const c of contexts) if (m.start >= c.start && m.end <= c.end) return c;
  return undefined;
}

/** Clauses this short before a '…等相关专业' clause are list items of it ('计算机，数学，统计学，金融等相关专业'). */
const MAX_LIST_ITEM = 10;

/**
 * Spans that name required or preferred majors: after '专业要求：' to the end of the sentence, clause
 * by clause (so '…相关专业，理工科优先' prefers only 理工科), otherwise the clause around '专业' plus the
 * short list items before it, so duties in the same sentence ('负责功率电路设计') are not read as majors.
 * A clause of the company's introduction is not a requirement.
 */
export function majorContexts(text: string): MajorContext[] {
  const spans: MajorContext[] = [];
  const push = (start: number, end: number, header = false): void => {
    const clause = text.slice(start, end);
    // The introduction may name the company in one clause and its staff's majors in the next.
    let ss = start;
    while (ss > 0 && !isSentenceEnd(text.charCodeAt(ss - 1))) ss--;
    if (INTRO_RE.test(text.slice(ss, end)) && !ASKS_RE.test(clause)) return;
    const required = REQUIRED_RE.test(clause);
    spans.push({ start, end, preferred: PREFERRED_RE.test(clause) && !required, strict: header || required });
  };
  // The sentence end found for one 专业 serves the next ones in the same sentence ('专业要求：…相关专业').
  let e = -1;
  let covered = -1;
  for (let from = text.indexOf('专业'); from >= 0; from = text.indexOf('专业', from + 2)) {
    if (from < covered) continue;
    if (e < from) for (e = from; e < text.length && !isSentenceEnd(text.charCodeAt(e)); e++);
    if (LIST_FOLLOWS_RE.test(text.slice(from + 2, from + 12))) {
      // '专业要求：A、B，C等相关专业，理工科优先': each clause is required or preferred on its own words.
      let cs = from;
      for (let i = from; i <= e; i++) {
        if (i === e || isClauseEnd(text.charCodeAt(i))) {
          push(cs, i, true);
          cs = i + 1;
        }
      }
      covered = e;
      continue;
    }
    let cs = from;
    while (cs > 0 && !isSentenceEnd(text.charCodeAt(cs - 1)) && !isClauseEnd(text.charCodeAt(cs - 1))) cs--;
    let ce = from;
    while (ce < e && !isClauseEnd(text.charCodeAt(ce))) ce++;
    if (!MAJOR_CONTEXT_RE.test(text.slice(cs, ce))) continue;
    // Short comma-separated items before the clause belong to its list.
    let ls = cs;
    while (ls > 1 && isClauseEnd(text.charCodeAt(ls - 1)) && text.charCodeAt(ls - 1) !== 0x3b && text.charCodeAt(ls - 1) !== 0xff1b) {
      let p = ls - 1;
      while (p > 0 && !isSentenceEnd(text.charCodeAt(p - 1)) && !isClauseEnd(text.charCodeAt(p - 1))) p--;
      if (ls - 1 - p > MAX_LIST_ITEM || ls - 1 - p === 0) break;
      ls = p;
    }
    push(ls, ce);
    covered = ce;
  }
  return spans;
}

/** Separators inside a list of majors: '、', '/', ',', '，', '和', '及', '或', '与', spaces. */
const LIST_GAP_RE = /^[\s、/，,|｜和及或与以及]*$/;

/**
 * Names in a run of two or more joined only by list separators ('计算机、通信、电子' in a per-role line
 * with no '专业'): such a run is a list of majors. Returns, for each match index, whether it is in one.
 */
export function inNameList(text: string, matches: Match<unknown>[]): boolean[] {
  const out = new Array<boolean>(matches.length).fill(false);
  let runStart = 0;
  for (let i = 1; i <= matches.length; i++) {
    const gap = i < matches.length ? text.slice(matches[i - 1]!.end, matches[i]!.start) : '';
    if (i < matches.length && gap.length > 0 && gap.length <= 3 && LIST_GAP_RE.test(gap)) continue;
    // The run matches[runStart..i-1] ended. Two or more names, not a list of school subjects or topics.
    if (i - runStart >= 2 && asMajors(text, matches[runStart]!.start, matches[i - 1]!.end)) {
      for (let k = runStart; k < i; k++) out[k] = true;
    }
    runStart = i;
  }
  return out;
}

/** Cues that a run of names lists majors: a degree or major word in its sentence, or a role column before it. */
const MAJOR_CUE_RE = /本科|硕士|博士|研究生|大专|专科|学历|专业|背景|毕业|应届|届/;
const ROLE_COLUMN_RE = /(?:工程师|专员|经理|助理|设计师|分析师|研究员|员|师|岗|主管|fae|实习生)\s*(?:[0-9一二三四五六七八九十]+\s*[人名]\s*)?[：:｜|\s]\s*$/;

function asMajors(text: string, start: number, end: number): boolean {
  if (TOPIC_AFTER_RE.test(text.slice(end, end + 8))) return false;
  let ls = start;
  while (ls > 0 && !isSentenceEnd(text.charCodeAt(ls - 1))) ls--;
  let le = end;
  while (le < text.length && !isSentenceEnd(text.charCodeAt(le))) le++;
  return MAJOR_CUE_RE.test(text.slice(ls, le)) || ROLE_COLUMN_RE.test(text.slice(Math.max(ls, start - 24), start));
}

/** '数学、物理、化学等科目', '法律、金融领域': subjects and topics the work is about, not majors. */
const TOPIC_AFTER_RE = /^[^，。,；;\n]{0,3}?(?:科目|学科|课程|教材|教辅|领域|行业|期刊|杂志|图书|资讯|知识|题材|板块|栏目|稿件|文章|内容|试题|考试|竞赛)/;
