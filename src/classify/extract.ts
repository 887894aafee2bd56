// Fields of a referral: company, roles, city, deadline, links, emails, 内推码, cohort, degrees.
// Regexes are compiled once at module load; each runs once per message.
import type { PostFields } from '../domain.ts';
import { TermTables, type Match, type TermScan, type TermTable } from './aho-corasick.ts';
import { dayIn, findDeadline } from './dates.ts';
import { foldWidth } from './normalize.ts';
import { CITIES, KNOWN_COMPANIES } from './places.ts';

const URL_RE = /https?:\/\/[^\s<>"'，。；、）)】」\]]+/gi;
const EMAIL_RE = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
const CODE_RE = /(?:内推码|推荐码|内推编码|内推code|referral code)\s*(?:是|为)?\s*[:：]?\s*([A-Za-z0-9_-]{4,20})/i;
const COHORT_RE = /(?<!\d)(20\d{2}|\d{2})\s*届/;
const BRACKET_RE = /[【\[]([^】\]]{2,30})[】\]]/g;
const ORG_RE =
  /([\u4e00-\u9fa5A-Za-z0-9（）()·&]{2,30}?(?:有限责任公司|股份有限公司|有限公司|集团|公司|研究院|研究所|设计院|银行|医院|大学|学院))/;
const LEAD_ORG_RE = /^\s*([\u4e00-\u9fa5A-Za-z0-9（）()·]{2,40}?)(?:\d{4})?(?:年)?(?:校园|春季|秋季)?(?:招录|招聘|诚聘|急聘|内推|校招|社招)/;
/**
 * A role list follows one of these. Only the cue is consumed (a later cue inside the same clause is
 * still found). `colon`: '岗位：…' names roles outright; '招聘…' without one may name majors,
 * degrees or an exclamation ('招聘开始啦！'), so there only job titles count.
 */
const ROLE_CUE_RE = /(?<cue>招聘岗位|招聘职位|岗位名称|职位名称|职位名|岗位|职位|招聘|招录|诚聘|急聘|急招|内推)(?<colon>\s*[:：｜|]|\s*[-—]+)?/g;
/** Job titles: '…工程师', '…员', '…岗', '…专员', '…经理', '…师', 管培生, '…研究员'. */
const TITLE_END_RE =
  /(?:师|员|岗|专员|经理|助理|主管|总监|主任|专责|干部|[警科组店班站所队]长|管培生|管理培训生|实习生|会计|出纳|翻译|顾问|编辑|记者|医生|护士|法务|文秘|秘书|司机|开发|运维|测试)$/;
const CLAUSE_END_RE = /[。，,；;！!？?：:\n【】（(]|岗位职责|职位描述|工作职责|任职要求|岗位要求/;
/** Names a field of study, not a job: '热能与动力工程', '会计学', '电子信息科学与技术'. */
const MAJOR_LIKE_RE = /(?:工程|学|科学|技术|科学与技术|与应用)$/;
/** Not a person's title although it ends like one: members, trainees, students. */
const NOT_TITLE_RE = /(?:会员|成员|学员|党员|团员|社员|毕业生|应届生|学生)$/;
/** What a role list is not: majors ('…专业', '…方向', '…类'), degrees, cohorts, counts, places, exclamations. */
const NOT_ROLE_ITEM_RE =
  /(?:专业|方向|类|学历|以上|以下|优先|均可|不限|毕业生|应届生?|本科|硕士|博士|大专|专科|研究生)$|^(?:本科|硕士|博士|大专|专科|研究生|学士|本硕|硕博|应届|往届|\d{2,4}届|若干|多个|详见|见|如下|等|不限|以上|以下)|专业|方向|招聘|内推|校招|社招|[啦吧呀哦嘛呢！!~～?？]|^\d+$/;
/** The first words of a cue's clause that are a heading, not a role: '岗位职责', '招聘要求', '招聘会'. */
const NOT_ROLE = /^(?:要求|职责|描述|信息|名称|待遇|福利|人数|对象|计划|条件|简章|公告|启事|通知|会(?!计)|季|工作(?!人员)|流程|时间|地点|范围|安排|进度|码|群|开始|进行|中|啦|了)/;
/** Fallback when no 招聘/岗位 cue names the role: a job noun with its qualifier ('嵌入式软件开发工程师'). */
const ROLE_NOUN_RE = /([\u4e00-\u9fa5A-Za-z+#]{0,10})(工程师|专员|经理|助理|设计师|会计|出纳|实习生|管培生|技术员|分析师|顾问|主管|专责|研究员)/g;
/** Everything up to the last of these is not part of the role: '2026届', '中建三局招', '负责'. */
const ROLE_PREFIX_RE = /^.*(?:届|招聘|招|聘|内推|负责|的)/;
const CITY_CUE_RE = /(?:工作地点|工作地址|地点|base|城市|办公地点)\s*[:：]?/gi;

/** A degree is named by any of its words (plain includes(): no regex scan per degree). */
const DEGREES: [string[], string][] = [
  [['本科', '学士'], '本科'],
  [['硕士', '研究生'], '硕士'],
  [['博士'], '博士'],
  [['大专', '专科'], '大专'],
];

const NOT_COMPANY = /^(内推|招聘|校招|社招|急聘|诚聘|急招|直招|高薪|实习|热招|转发|分享|秋招|春招|补录|岗位|职位|全职|兼职|置顶|重要|通知|\d+)/;

/** `scan`: the folded text's scan by the TermTables given to createFieldExtractor; made here when not given. */
export type FieldExtractor = (text: string, folded: string, now: Date, timeZone: string, scan?: TermScan) => PostFields;

/** The extractor's term tables. */
interface Places {
  /** Matched in the folded text like every table: city names are CJK, which folding leaves alone. */
  city: TermTable<string>;
  company: TermTable<string>;
}

/** Cities are looked for in the first 20,000 units (the most classify() reads). */
const CITY_SCOPE = 20_000;

/** '会计学' and '会计', '土木工程' and '土木' are the same major. */
const MAJOR_SUFFIX_RE = /(?:学|工程)$/;

/** Is this a major rather than a role? `strict`: the short forms too ('继电保护' is also a duty). */
type IsMajorName = (s: string, strict: boolean) => boolean;

/**
 * `majorNames`: catalog major and class names, never roles. `shortForms` ('电气', '继电保护'): not
 * roles in a headline, but fine in an explicit '岗位：' list, where '继电保护' is the job.
 */
export function createFieldExtractor(majorNames: Iterable<string>, shortForms: Iterable<string>, terms = new TermTables()): FieldExtractor {
  const places: Places = {
    city: terms.add(CITIES.map((c) => [foldWidth(c), c] as const)),
    company: terms.add(KNOWN_COMPANIES.map((c) => [foldWidth(c), c] as const)),
  };
  const names = new Set(majorNames);
  const short = new Set(shortForms);
  const isMajorName: IsMajorName = (s, strict) => {
    const stem = s.replace(MAJOR_SUFFIX_RE, '');
    return names.has(s) || names.has(stem) || (strict && (short.has(s) || short.has(stem)));
  };
  return (text, folded, now, timeZone, scan = terms.scan(folded.slice(0, CITY_SCOPE))) => extractFields(text, folded, now, timeZone, isMajorName, places, scan);
}

function extractFields(text: string, folded: string, now: Date, timeZone: string, isMajorName: IsMajorName, places: Places, scan: TermScan): PostFields {
  const fields: PostFields = { roles: [], links: [], emails: [], degrees: [] };

  // Cheap indexOf gates keep the regexes off texts that cannot match (most chat).
  if (folded.includes('http')) fields.links = unique(allMatches(URL_RE, text).map((m) => m.replace(TRAILING_PUNCT_RE, '')));
  if (text.includes('@')) fields.emails = unique(allMatches(EMAIL_RE, text).map((m) => m.toLowerCase()));
  const code = folded.includes('码') || folded.includes('code') ? CODE_RE.exec(text) : null;
  if (code) fields.referralCode = code[1];
  const cohort = text.includes('届') ? COHORT_RE.exec(text) : null;
  if (cohort) fields.cohort = `${cohort[1]!.length === 2 ? '20' + cohort[1] : cohort[1]}届`;
  for (const [words, name] of DEGREES) if (includesAny(text, words)) fields.degrees.push(name);

  const company = findCompany(text, scan.first(places.company, 400));
  if (company) fields.company = company;
  fields.roles = findRoles(text, company, isMajorName);
  if (fields.roles.length === 0) fields.roles = findRoleNouns(text);
  const city = findCity(text, scan.longest(places.city, CITY_SCOPE));
  if (city) fields.city = city;
  const deadline = findDeadline(folded, dayIn(now, timeZone));
  if (deadline) fields.deadline = deadline;
  return fields;
}

const TRAILING_PUNCT_RE = /[.,;:!?]+$/;

/**
 * The matches of a global regex that never matches the empty string: what [...text.matchAll(re)]
 * gives, without the new RegExp object matchAll creates (via its species constructor) on every call.
 */
function allMatches(re: RegExp, text: string): string[] {
  const found: string[] = [];
  re.lastIndex = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) found.push(m[0]);
  return found;
}

function includesAny(text: string, words: string[]): boolean {
  for (const w of words) if (text.includes(w)) return true;
  return false;
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)].slice(0, 20);
}

const ORG_SUFFIX_GATE = /公司|集团|研究院|研究所|设计院|银行|医院|大学|学院/;
const HIRING_WORD_RE = /招聘|内推|校招|岗位/;

/** `known`: the first known employer in the first 400 units. */
function findCompany(text: string, known: Match<string> | undefined): string | undefined {
  BRACKET_RE.lastIndex = 0;
  const hasBracket = text.includes('【') || text.includes('[');
  for (let m = hasBracket ? BRACKET_RE.exec(text) : null; m; m = BRACKET_RE.exec(text)) {
    const inner = m[1]!.trim();
    if (!NOT_COMPANY.test(inner) && !HIRING_WORD_RE.test(inner)) return inner;
  }
  const head = text.slice(0, 400);
  const org = ORG_SUFFIX_GATE.test(head) ? ORG_RE.exec(head) : null;
  if (org && (!known || org.index <= known.start)) return trimOrg(org[1]!);
  if (known) return known.value;
  const lead = LEAD_ORG_RE.exec(text);
  if (lead && !NOT_COMPANY.test(lead[1]!)) return lead[1]!.trim();
  return undefined;
}

const ORG_LEAD_RE = /^.*?(?:届|招聘|内推|欢迎加入|加入)/;
const ORG_NOISE_RE = /^(?:\d+年?|[（(][^)）]*[)）])/;

/** '2026届国家电网有限公司' → '国家电网有限公司'; drops leading verbs and cohort noise. */
function trimOrg(org: string): string {
  return org.replace(ORG_LEAD_RE, '').replace(ORG_NOISE_RE, '') || org;
}

// findRoles' regexes, compiled once (a literal in the loop is a new RegExp object per evaluation).
const ASIDE_RE = /[（(][^（()）]{0,20}[)）]/g;
const HEADLINE_END_RE = /^(?:[。！!\n]|$)/;
const ITEM_SEP_RE = /[、/／|｜]|\s+|和|以及|及(?!其)|或/;
const ITEM_LEAD_RE = /^(?:\d{4}届?|\d+名|若干名?|急聘|诚聘|急招|热招|高薪)/;
const ITEM_COUNT_RE = /(?:(?:\d+|[一二两三四五六七八九十]+)[名人个]|若干名?)$/;
const ITEM_MAJOR_LEAD_RE = /^.*(?:专业|方向)/;

/**
 * Roles named after a cue. An explicit list ('岗位：集控运行值班员、汽轮机检修', '招聘：…') wins; else
 * the job titles a headline names ('招聘结算会计、财务分析岗'); the caller falls back to job nouns.
 * Never a major ('招聘电气工程及其自动化、继电保护方向本科/硕士' names no role), a degree or an exclamation.
 */
function findRoles(text: string, company: string | undefined, isMajorName: IsMajorName): string[] {
  const listed: string[] = [];
  const titled: string[] = [];
  const head = text.slice(0, 3000);
  ROLE_CUE_RE.lastIndex = 0;
  for (let m = ROLE_CUE_RE.exec(head); m && listed.length < 5; m = ROLE_CUE_RE.exec(head)) {
    const explicit = m.groups!.colon !== undefined;
    const at = m.index + m[0].length;
    const rest = head.slice(at, at + 60);
    if (NOT_ROLE.test(rest)) continue;
    if (!explicit && m.groups!.cue === '内推') continue; // '内推一波', '内推可私聊': not a list
    // The clause after the cue, asides in brackets dropped: '自动化调试工程师（PLC/DCS）、仪表工程师'.
    const stripped = rest.replace(ASIDE_RE, '');
    // Up to the first clause end (what split(CLAUSE_END_RE)[0] gives, without splitting the rest).
    const clauseEnd = stripped.search(CLAUSE_END_RE);
    const clause = clauseEnd < 0 ? stripped : stripped.slice(0, clauseEnd);
    // A headline that is nothing but the role ('招聘短视频编导。') names it even without a title
    // suffix; one that runs on (',') may be naming majors or degrees instead.
    const wholeHeadline = m.index < 40 && HEADLINE_END_RE.test(stripped.slice(clause.length));
    for (const part of clause.split(ITEM_SEP_RE)) {
      let role = part.replace(ITEM_LEAD_RE, '').replace(ITEM_COUNT_RE, '').trim();
      if (!explicit) role = role.replace(ITEM_MAJOR_LEAD_RE, ''); // '土木工程专业技术员' → '技术员'
      if (role.length < 2 || role.length > 20 || role === company || NOT_ROLE_ITEM_RE.test(role)) continue;
      // A headline's items count when they are job titles, or at least plainly not a major
      // ('招聘短视频编导。'); a list after '岗位：' counts unless it names a major.
      const title = TITLE_END_RE.test(role) && !NOT_TITLE_RE.test(role);
      if (!title && (isMajorName(role, !explicit) || (!explicit && (!wholeHeadline || MAJOR_LIKE_RE.test(role))))) continue;
      const into = explicit ? listed : titled;
      if (!into.includes(role)) into.push(role);
    }
  }
  return (listed.length > 0 ? listed : titled).slice(0, 5);
}

function findRoleNouns(text: string): string[] {
  const roles: string[] = [];
  ROLE_NOUN_RE.lastIndex = 0;
  const head = text.slice(0, 2000);
  for (let m = ROLE_NOUN_RE.exec(head); m && roles.length < 5; m = ROLE_NOUN_RE.exec(head)) {
    const role = (m[1]!.replace(ROLE_PREFIX_RE, '') + m[2]!).trim();
    if (role.length >= 3 && !roles.includes(role)) roles.push(role);
  }
  return roles;
}

/** `matches`: the city names in the text. */
function findCity(text: string, matches: Match<string>[]): string | undefined {
  if (matches.length === 0) return undefined;
  CITY_CUE_RE.lastIndex = 0;
  for (let cue = CITY_CUE_RE.exec(text); cue; cue = CITY_CUE_RE.exec(text)) {
    const after = cue.index + cue[0].length;
    const hit = matches.find((m) => m.start >= after && m.start - after <= 6);
    if (hit) return hit.value;
  }
  return matches[0]!.value;
}
