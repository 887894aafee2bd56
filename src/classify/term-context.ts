// What the words around a matched term say about it. A term means different things by position:
// '电机' in '武汉XX电机有限公司' names the employer, in '电机控制' the work; '英语' in '英语四级' is a
// boilerplate requirement, '统计' in '统计客户信息' a verb, '软件' in 'CAD软件' a tool. Each check
// reads a few characters after (or before) the match, so it costs O(1) per match.
import type { Match } from './aho-corasick.ts';
import type { WordSpans } from './majors.ts';

/** Suffixes that make the term part of an organisation's name: the employer or a department, not the work. */
const ORG_AFTER_RE =
  /^(?:[a-z0-9]{0,3})(?:有限|股份|集团|公司|事业部|事业群|部门|本部|研究院|设计院|分院|分公司|子公司|大学|学院|学校|协会|部(?!分|署|件|门槛)|厂(?!家|商|区)|局(?!部|限|面)|处(?!理|于|置)|科(?!学|技|研|目|普)|所(?!有|以|需|在|学|得)|院(?!校|线))/;
/** '战略发展部', '技术中心': a department name ends in one of these; what precedes it inside the name qualifies it. */
const ORG_NAME_RE = /^[\u4e00-\u9fa5]{0,4}?(?:事业部|事业群|部门|中心|[部处科])(?:[，,。；;、\s：:）)]|$)/;

/** The term is (part of) a company or department name: '电气事业部', 'XX电机公司', '战略发展部'. */
export function inOrgName(text: string, m: Match<unknown>): boolean {
  const after = text.slice(m.end, m.end + 8);
  return ORG_AFTER_RE.test(after) || ORG_NAME_RE.test(after);
}

/** A place used as a landmark ('地铁口', '近地铁', '软件园旁'): the commute, not the work. */
const PLACE_AFTER_RE = /^(?:口|站|旁|附近|沿线|周边|上盖|直达|[0-9一二三四五六七八九十]+号线)/;

export function isLandmark(text: string, m: Match<unknown>): boolean {
  return PLACE_AFTER_RE.test(text.slice(m.end, m.end + 3));
}

/** Boilerplate requirements that mention a subject without asking for its majors: '英语四级', '写作能力强'. */
const BOILERPLATE_AFTER_RE = /^(?:[四六]级|cet|水平|能力|功底|基础|口语|听说|读写|沟通|表达|良好|流利|熟练|等级|证书|素养|好|佳|强)/;
const BOILERPLATE_BEFORE_RE = /(?:具备|具有|良好的|较强的?|一定的?|优秀的|出色的)$/;

export function isBoilerplate(text: string, m: Match<unknown>): boolean {
  return BOILERPLATE_AFTER_RE.test(text.slice(m.end, m.end + 4)) || BOILERPLATE_BEFORE_RE.test(text.slice(Math.max(0, m.start - 5), m.start));
}

/**
 * Terms that are also everyday verbs or tool names, with what must follow them for the noun sense.
 * '统计' asks for statistics only as 统计学/统计分析/统计建模…; '软件' names the software field only as
 * 软件开发/软件工程/软件测试…, while 'CAD软件', '办公软件', '剪辑软件' are tools anyone uses.
 */
const NOUN_SENSE_AFTER: Record<string, RegExp> = {
  统计: /^(?:学|分析|建模|模型|方法|师|员|专业|类|软件|推断|计算)/,
  软件: /^(?:开发|工程|测试|设计|编程|架构|研发|实施|项目|专业|类|相关|技术|产品|系统|公司|企业|外包|服务)/,
};
/** Before '软件', '工具', a tool's name: a word directly attached ('CAD软件', '剪辑软件'). */
const TOOL_BEFORE_RE = /(?:[a-z0-9]|办公|剪辑|绘图|制图|图片处理|设计|建模|仿真|画图|视频|修图|排版|财务|制作|三维|效果图|常用|相关|各类|等)$/;

/** The term is used as a verb or tool name here, not as a field of study. */
export function isVerbOrTool(text: string, m: Match<unknown>): boolean {
  const re = NOUN_SENSE_AFTER[m.term];
  if (!re) return false;
  if (m.term === '软件' && !TOOL_BEFORE_RE.test(text.slice(Math.max(0, m.start - 4), m.start))) {
    // A bare '软件' with no tool before it ('软件、通信相关专业') keeps its field sense.
    return false;
  }
  return !re.test(text.slice(m.end, m.end + 4));
}

/**
 * A match that jieba's words contradict: inside a longer word ('编辑' in '基因编辑') or straddling two
 * words at both ends ('化工' in '优化|工具'). Starting inside a word but ending with one is fine
 * ('会计' in '招聘会|计'): jieba often glues a short term to its neighbour.
 */
export function againstWords(m: Match<unknown>, words: WordSpans): boolean {
  const [s, e] = words.wordAt(m.start);
  if (s <= m.start && e >= m.end && e - s > m.end - m.start) return true; // inside a longer word
  if (s === m.start) return false;
  const [s2, e2] = words.wordAt(m.end - 1);
  return s2 !== s && e2 !== m.end; // both ends inside words
}

/** Characters that end a word for sure (punctuation, spaces, list separators). */
export function isDelimiter(c: number): boolean {
  return c < 0x30 || (c >= 0x3a && c <= 0x40) || (c >= 0x5b && c <= 0x60) || (c >= 0x7b && c <= 0x7f) || (c >= 0x3000 && c <= 0x303f) || (c >= 0xff00 && c <= 0xff20) || c === 0x3001;
}

/** A short match glued to text on both sides may straddle words and is worth a jieba check. */
export function mayStraddle(text: string, m: Match<unknown>): boolean {
  if (m.end - m.start > 2) return false;
  return m.start > 0 && !isDelimiter(text.charCodeAt(m.start - 1)) && m.end < text.length && !isDelimiter(text.charCodeAt(m.end));
}

/** A Latin term glued to letters, digits or address punctuation: 'hr' in 'hr@firm.com', 'it' in 'github'. */
export function gluedLatin(text: string, m: Match<unknown>): boolean {
  const first = m.term.charCodeAt(0);
  if (first >= 0x80) return false;
  const glue = (c: number): boolean => (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) || c === 0x40 || c === 0x2e || c === 0x5f || c === 0x25 || c === 0x2d;
  return (m.start > 0 && glue(text.charCodeAt(m.start - 1))) || (m.end < text.length && glue(text.charCodeAt(m.end)));
}
