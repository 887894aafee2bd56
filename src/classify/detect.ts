// Detection: is the text a job referral, and is it a job-shaped scam? Both are logistic scores over
// weighted evidence, so each decision can be explained term by term.
import type { Evidence } from '../domain.ts';
import { TermTables, type TermScan } from './aho-corasick.ts';
import { JOB_TERMS, SCAM_TERMS } from './detect-terms.ts';
import { foldWidth } from './normalize.ts';

export interface Detection {
  jobScore: number;
  scamScore: number;
  isScam: boolean;
  evidence: Evidence[];
}

const JOB_BIAS = -3.5;
const SCAM_BIAS = -3;

// Structural features. Compiled once; each runs once per message.
const COHORT_RE = /(?:20)?\d{2}\s*届/;
const SALARY_RE = /\d+(?:\.\d+)?\s*[-~至到]\s*\d+(?:\.\d+)?\s*(?:k|元|万|千)|\d+\s*(?:k|w)\s*[-~+]|\d+\s*元\s*\/\s*(?:月|天)|万\s*\/\s*年/;
/**
 * Every SALARY_RE branch contains one of these units, so a text without any cannot match. The regex
 * tries its four branches at every offset; this one-class scan is several times cheaper, and most
 * referrals (and chat) name no pay.
 */
const SALARY_GATE_RE = /[kw元万千]/;
const EMAIL_RE = /[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}/;
const URL_RE = /https?:\/\//;
/** '招暖通工程师', '诚聘会计': a hiring verb followed by a role noun. */
const HIRING_ROLE_RE =
  /(?<![高自花绝])(?:招|聘)(?!生(?!产)|收|商|标|股|募|考)[^，。,；;\s?？!！]{0,10}?(?:工程师|专员|经理|助理|设计师|会计|出纳|实习生|管培生|培训生|技术员|分析师|顾问|主管|专责|研究员|运维|开发|文员|科员|[^人成学会]员|[^范]师|医生|兽医|教练|护士|编导|编辑|记者|岗|[修电焊钳普]工|工作者)/;
/** A post that opens with a role as its title: 'PCB硬件工程师：负责…', '【内推】轮机工程师（上海）：…'. */
const TITLE_ROLE_RE =
  /^[\s\p{Extended_Pictographic}]*(?:【[^】]{0,20}】\s*)?[^，。,；;\s?？!！：:【]{0,14}(?:工程师|专员|经理|助理|设计师|分析师|研究员|[^人成学会]员|[^范老]师|主管|岗|编辑|记者|运营|实习生|管培生|顾问|编导|翻译|策划|老师|教师)(?:[（(][^）)]{0,14}[）)])?\s*[：:，,]/u;
/** A post that names the majors it wants: '…法学专业', '电气工程相关专业优先'. */
const MAJOR_WANTED_RE = /(?:学|工程|技术|管理|科学|教育|医学|设计|艺术|类)(?:等|相关)?专业(?:[，,。；;、\s]|$|优先|均可|毕业|本科|硕士|博士|背景)/;
const NUMBERED_RE = /(?:^|[\s。；;:：,，])[1-9一二三四五][、.．)）]/g;

/**
 * A scam word used by the team that fights it or sells the product it names: '反洗钱', '黑灰产对抗',
 * '风控识别刷单', 'QQ浏览器', '微信支付', '广告位竞价策略', '通过CPA科目考试'. Read from the few characters
 * around the match, so a security, risk-control or ads job keeps its vocabulary.
 */
const COUNTER_BEFORE_RE = /(?:反|打击|识别|治理|对抗|防范|防控|风控|风险|安全|审核|检测|监测|拦截|黑|黑灰|灰|恶意|异常|涉|挖掘|分析)$/;
/** The same words heading a list earlier in the clause: '识别刷单、薅羊毛、洗钱等灰产'. */
const COUNTER_IN_CLAUSE_RE = /(?:反|打击|识别|治理|对抗|防范|防控|风控|审核|检测|监测|拦截|挖掘)[^，。,；;!！?？\n]*$/;
const PRODUCT_AFTER_RE = /^(?:浏览器|支付|音乐|游戏|空间|小程序|生态|事业群|团队|产品|平台|业务|开放平台|安全|邮箱|群|生态|搜索|广告|后台|客户端|基础架构|技术)/;
const ADS_AFTER_RE = /^(?:策略|售卖|竞价|产品|系统|库存|定价|管理|优化|拍卖|分配|投放|算法|填充|收入|变现)/;
const EXAM_RE = /^(?:科目|考试|证书|持证|全科|专业阶段|或|\/|、|,|，|acca|cfa|cma)/;
const EXAM_BEFORE_RE = /(?:通过|持有|取得|具备|拥有|考取|有|cfa|acca|cma|、|\/)$/;
const TEAM_AFTER_RE = /^(?:产业|团伙|行为|风险|识别|对抗|治理|检测|模型|策略|账号|黑产|流量|攻击|样本)/;

function scamTermInContext(text: string, term: string, start: number, end: number): boolean {
  const before = text.slice(Math.max(0, start - 4), start);
  const after = text.slice(end, end + (term === '@' ? 40 : 6));
  if (term === '@') return /^[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}/.test(after); // an e-mail address
  if (term === 'cpa') return EXAM_RE.test(after) || EXAM_BEFORE_RE.test(before);
  if (term === 'qq' || term === '微信' || term === 'vx') return PRODUCT_AFTER_RE.test(after) || /腾讯$/.test(before);
  if (term === '广告位') return ADS_AFTER_RE.test(after);
  return COUNTER_BEFORE_RE.test(before) || TEAM_AFTER_RE.test(after) || COUNTER_IN_CLAUSE_RE.test(text.slice(Math.max(0, start - 16), start));
}

/**
 * A graduate asking for a referral, not offering one: '求内推', '有没有师兄师姐能内推', '本人25届…想找…工作'.
 * Their e-mail address is where to send a referral to them, not where to apply.
 */
const REQUEST_RE =
  /(?:求|跪求|蹲|蹲一个)(?:个|一个|一下|一波|各位|大佬|师兄|师姐|学长|学姐|捞|带)*(?:内推|推荐|捞|机会|实习|工作|坑)|(?:有没有|有无|谁有|哪位|能不能|能否|可否|可以|麻烦|拜托|求助).{0,12}(?:内推|推荐|捞|帮忙|指点)|(?:本人|我是|小弟|小妹|学弟|学妹|在校生).{0,40}(?:想找|想求|希望|求|寻|找一份|找个|想去|想进)/;

const EMAIL_WEIGHT = 1.5;
/** Below this job logit (score ≈ 0.2) a text is chat whether or not it asks for a referral. */
const REQUEST_GATE = -1.5;

export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** Records a structural feature; returns its weight for the job score. */
function feature(evidence: Evidence[], term: string, weight: number): number {
  evidence.push({ term, weight, kind: 'structure' });
  return weight;
}

function foldedTerms(terms: Record<string, number>): Map<string, number> {
  const folded = new Map<string, number>();
  for (const [t, w] of Object.entries(terms)) folded.set(foldWidth(t), w);
  return folded;
}

/**
 * `terms`: where the detector's term tables go (the classifier shares one among its stages, so a
 * message is scanned once); `scan`: that scan of the text, made here when not given.
 */
export function createDetector(terms = new TermTables()): (folded: string, scan?: TermScan) => Detection {
  const jobTable = terms.add(foldedTerms(JOB_TERMS));
  const scamTable = terms.add(foldedTerms(SCAM_TERMS));

  return (text, scan = terms.scan(text)) => {
    const evidence: Evidence[] = [];
    let job = JOB_BIAS;
    const seen = new Set<string>();
    for (const m of scan.longest(jobTable)) {
      if (seen.has(m.term)) continue;
      seen.add(m.term);
      job += m.value;
      evidence.push({ term: m.term, weight: m.value, kind: m.value >= 0 ? 'job-term' : 'chat-term' });
    }
    const len = text.length;
    if (len < 12) job += feature(evidence, '<12 chars', -1.5);
    else if (len >= 200) job += feature(evidence, '>=200 chars', 1.5);
    else if (len >= 80) job += feature(evidence, '>=80 chars', 0.8);
    if (COHORT_RE.test(text)) job += feature(evidence, 'cohort (届)', 1.5);
    // Cheap includes() gates first: chit-chat, most of the traffic, has neither verb.
    const hiring = text.includes('招') || text.includes('聘') ? HIRING_ROLE_RE.exec(text) : null;
    // At the head of the post ('招造价员：…', '【内推】诚聘…') the hiring verb is its title.
    const titled = hiring !== null && hiring.index < 12 && (text[hiring.index] === '招' || /[诚急]$/.test(text.slice(0, hiring.index)));
    if (hiring) job += feature(evidence, 'hiring + role', titled ? 3.5 : 2.5);
    else if ((text.includes('负责') || text.includes('专业')) && TITLE_ROLE_RE.test(text)) job += feature(evidence, 'role title + duties', 3);
    if (text.includes('专业') && MAJOR_WANTED_RE.test(text)) job += feature(evidence, 'majors wanted', 1);
    if (SALARY_GATE_RE.test(text) && SALARY_RE.test(text)) job += feature(evidence, 'salary range', 1.2);
    // A cheap includes() gate: most chat has no '@'.
    const email = text.includes('@') && EMAIL_RE.test(text);
    // A request matters only where the text could pass for a referral; elsewhere it is not looked for.
    const request = job + (email ? EMAIL_WEIGHT : 0) > REQUEST_GATE && REQUEST_RE.test(text);
    if (request) job += feature(evidence, 'asks for a referral', -4);
    // A request's address is the asker's own.
    if (email && !request) job += feature(evidence, 'email', EMAIL_WEIGHT);
    if (URL_RE.test(text)) job += feature(evidence, 'link', 0.5);
    NUMBERED_RE.lastIndex = 0;
    let items = 0;
    while (items < 3 && NUMBERED_RE.exec(text)) items++;
    if (items >= 2) job += feature(evidence, 'numbered list', 1);

    let scam = SCAM_BIAS;
    const seenScam = new Set<string>();
    for (const m of scan.longest(scamTable)) {
      if (seenScam.has(m.term)) continue;
      if (scamTermInContext(text, m.term, m.start, m.end)) continue;
      seenScam.add(m.term);
      scam += m.value;
      evidence.push({ term: m.term, weight: m.value, kind: 'scam-term' });
    }
    const scamScore = sigmoid(scam);
    return { jobScore: sigmoid(job), scamScore, isScam: scamScore >= 0.5, evidence };
  };
}
