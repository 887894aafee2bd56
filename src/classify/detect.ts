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
const HIRING_ROLE_RE = /(?:招|聘)[^，。,；;\s?？]{0,10}?(?:工程师|专员|经理|助理|设计师|会计|出纳|实习生|管培生|技术员|分析师|顾问|主管|专责|研究员|运维|开发|文员|科员)/;
const NUMBERED_RE = /(?:^|[\s。；;:：,，])[1-9一二三四五][、.．)）]/g;

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
    if (HIRING_ROLE_RE.test(text)) job += feature(evidence, 'hiring + role', 2.5);
    if (SALARY_GATE_RE.test(text) && SALARY_RE.test(text)) job += feature(evidence, 'salary range', 1.2);
    // A cheap includes() gate: most chat has no '@'.
    if (text.includes('@') && EMAIL_RE.test(text)) job += feature(evidence, 'email', 1.5);
    if (URL_RE.test(text)) job += feature(evidence, 'link', 0.5);
    NUMBERED_RE.lastIndex = 0;
    let items = 0;
    while (items < 3 && NUMBERED_RE.exec(text)) items++;
    if (items >= 2) job += feature(evidence, 'numbered list', 1);

    let scam = SCAM_BIAS;
    const seenScam = new Set<string>();
    for (const m of scan.longest(scamTable)) {
      if (seenScam.has(m.term)) continue;
      seenScam.add(m.term);
      scam += m.value;
      evidence.push({ term: m.term, weight: m.value, kind: 'scam-term' });
    }
    const scamScore = sigmoid(scam);
    return { jobScore: sigmoid(job), scamScore, isScam: scamScore >= 0.5, evidence };
  };
}
