// Fields of a referral: company, roles, city, deadline, links, emails, 内推码, cohort, degrees.
// Regexes are compiled once at module load; each runs once per message.
import type { PostFields } from '../domain.ts';
import { AhoCorasick } from './aho-corasick.ts';
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
const ROLE_RE =
  /(?:招聘|招录|诚聘|急聘|招聘岗位|招聘职位|岗位名称|职位名称|岗位|职位|职位名)\s*[:：]?\s*([^。；;！!\n【】]{2,40})/g;
/** Fallback when no 招聘/岗位 cue names the role: a job noun with its qualifier ('嵌入式软件开发工程师'). */
const ROLE_NOUN_RE = /([\u4e00-\u9fa5A-Za-z+#]{0,10})(工程师|专员|经理|助理|设计师|会计|出纳|实习生|管培生|技术员|分析师|顾问|主管|专责|研究员)/g;
/** Everything up to the last of these is not part of the role: '2026届', '中建三局招', '负责'. */
const ROLE_PREFIX_RE = /^.*(?:届|招聘|招|聘|内推|负责|的)/;
const CITY_CUE_RE = /(?:工作地点|工作地址|地点|base|城市|办公地点)\s*[:：]?/gi;

const DEGREES: [RegExp, string][] = [
  [/本科|学士/, '本科'],
  [/硕士|研究生/, '硕士'],
  [/博士/, '博士'],
  [/大专|专科/, '大专'],
];

const cityAc = new AhoCorasick(CITIES.map((c) => [c, c] as const));
const companyAc = new AhoCorasick(KNOWN_COMPANIES.map((c) => [foldWidth(c), c] as const));
const NOT_COMPANY = /^(内推|招聘|校招|社招|急聘|诚聘|实习|热招|转发|分享|秋招|春招|补录|岗位|职位|全职|兼职|置顶|重要|通知|\d+)/;

export function extractFields(text: string, folded: string, now: Date, timeZone: string): PostFields {
  const fields: PostFields = { roles: [], links: [], emails: [], degrees: [] };

  // Cheap indexOf gates keep the regexes off texts that cannot match (most chat).
  if (folded.includes('http')) fields.links = unique([...text.matchAll(URL_RE)].map((m) => m[0]!.replace(/[.,;:!?]+$/, '')));
  if (text.includes('@')) fields.emails = unique([...text.matchAll(EMAIL_RE)].map((m) => m[0]!.toLowerCase()));
  const code = folded.includes('码') || folded.includes('code') ? CODE_RE.exec(text) : null;
  if (code) fields.referralCode = code[1];
  const cohort = text.includes('届') ? COHORT_RE.exec(text) : null;
  if (cohort) fields.cohort = `${cohort[1]!.length === 2 ? '20' + cohort[1] : cohort[1]}届`;
  for (const [re, name] of DEGREES) if (re.test(text)) fields.degrees.push(name);

  const company = findCompany(text, folded);
  if (company) fields.company = company;
  fields.roles = findRoles(text, company);
  if (fields.roles.length === 0) fields.roles = findRoleNouns(text);
  const city = findCity(text);
  if (city) fields.city = city;
  const deadline = findDeadline(folded, dayIn(now, timeZone));
  if (deadline) fields.deadline = deadline;
  return fields;
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)].slice(0, 20);
}

const ORG_SUFFIX_GATE = /公司|集团|研究院|研究所|设计院|银行|医院|大学|学院/;

function findCompany(text: string, folded: string): string | undefined {
  BRACKET_RE.lastIndex = 0;
  const hasBracket = text.includes('【') || text.includes('[');
  for (let m = hasBracket ? BRACKET_RE.exec(text) : null; m; m = BRACKET_RE.exec(text)) {
    const inner = m[1]!.trim();
    if (!NOT_COMPANY.test(inner) && !/招聘|内推|校招|岗位/.test(inner)) return inner;
  }
  const head = text.slice(0, 400);
  const org = ORG_SUFFIX_GATE.test(head) ? ORG_RE.exec(head) : null;
  const known = companyAc.findLongest(folded.slice(0, 400))[0];
  if (org && (!known || org.index <= known.start)) return trimOrg(org[1]!);
  if (known) return known.value;
  const lead = LEAD_ORG_RE.exec(text);
  if (lead && !NOT_COMPANY.test(lead[1]!)) return lead[1]!.trim();
  return undefined;
}

/** '2026届国家电网有限公司' → '国家电网有限公司'; drops leading verbs and cohort noise. */
function trimOrg(org: string): string {
  return org.replace(/^.*?(?:届|招聘|内推|欢迎加入|加入)/, '').replace(/^(?:\d+年?|[（(][^)）]*[)）])/, '') || org;
}

const NOT_ROLE = /^(?:要求|职责|描述|信息|名称|待遇|福利|人数|对象|计划)|^(?:内推|校招|社招|春招|秋招|补录|公告|简章|启事|通知|开始|进行|中|啦|了|会|若干|\d+)$/;

function findRoles(text: string, company: string | undefined): string[] {
  const roles: string[] = [];
  const head = text.slice(0, 3000);
  ROLE_RE.lastIndex = 0;
  for (let m = ROLE_RE.exec(head); m && roles.length < 5; m = ROLE_RE.exec(head)) {
    const head = m[1]!.split(/[。，,；;（(：:]|岗位职责|职位描述|工作职责|任职要求|岗位要求/)[0]!.trim();
    for (const part of head.split(/[、/]|\s+|和|及/)) {
      const role = part.replace(/^(?:\d{4}届?|\d+名|若干名?)/, '').replace(/(?:(?:\d+|[一二两三四五六七八九十]+)[名人]|若干名?)$/, '').trim();
      if (role.length < 2 || role.length > 20 || role === company || NOT_ROLE.test(role)) continue;
      if (!roles.includes(role)) roles.push(role);
      if (roles.length >= 5) break;
    }
  }
  return roles;
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

function findCity(text: string): string | undefined {
  const matches = cityAc.findLongest(text.slice(0, 20_000));
  if (matches.length === 0) return undefined;
  CITY_CUE_RE.lastIndex = 0;
  for (let cue = CITY_CUE_RE.exec(text); cue; cue = CITY_CUE_RE.exec(text)) {
    const after = cue.index + cue[0].length;
    const hit = matches.find((m) => m.start >= after && m.start - after <= 6);
    if (hit) return hit.value;
  }
  return matches[0]!.value;
}
