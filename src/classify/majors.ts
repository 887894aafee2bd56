// Majors: which catalog classes a post suits. Majors required in a requirement sentence dominate;
// otherwise roles and duties vote (curated ROLE_TERMS plus the catalog's own job directions as a weak
// prior), and names the post states elsewhere or prefers add to them. Up to four classes: a job that
// suits embedded, power or building work suits several related majors. Each term is read in its
// context (term-context.ts): an employer's name, boilerplate, a tool or a landmark votes little or not.
import type { Catalog } from '../catalog.ts';
import type { ClassScore, Evidence } from '../domain.ts';
import { AhoCorasick, TermTables, type Match, type TermScan } from './aho-corasick.ts';
import { ALIAS_BLOCKERS, MAJOR_ALIASES } from './major-aliases.ts';
import { contextOf, inNameList, majorContexts, type MajorContext } from './major-contexts.ts';
import { foldWidth } from './normalize.ts';
import { ROLE_TERMS } from './role-terms.ts';
import { SECTION_HEADERS, sectionsAt } from './sections.ts';
import { firstSentenceEnd, jobNameStart } from './title.ts';
import { againstWords, gluedLatin, inOrgName, isBoilerplate, isLandmark, isVerbOrTool, mayStraddle } from './term-context.ts';

interface NameEntry {
  kind: 'major-name' | 'class-name' | 'alias' | 'blocker';
  classes: string[];
  majorCode?: string;
}

interface RoleEntry {
  votes: { code: string; weight: number }[];
  kind: 'role-term' | 'catalog-job';
}

export interface MajorResult {
  classes: ClassScore[];
  /** Catalog major codes named in the post (for routing by major). */
  majorCodes: string[];
  explicit: boolean;
  /** The classes come from a requirement naming majors ('专业要求：…'), not from roles and duties. */
  requirement: boolean;
  /** Classes whose majors the post names in any way (required, preferred or unmistakable). */
  named: string[];
}

const EXPLICIT_IN_CONTEXT = 0.97;
/** Confidence of a class whose major the post names outside a requirement (unmistakably). */
export const EXPLICIT_ELSEWHERE = 0.9;
/** Implicit classes below this many points are not reported. */
const MIN_IMPLICIT_SCORE = 2.5;
/** Another implicit class must be this close to the first. */
const RELATIVE_CUTOFF = 0.5;
/** ...and each class after the second this much closer again. */
const CUTOFF_STEP = 0.1;
/** A preferred major's class is reported from this share of the leader's score. */
const PREFERRED_CUTOFF = 0.3;
/** A class with two or more defining terms of its own is reported from this share. */
const SECOND_TERM_CUTOFF = 0.3;
/** Weight of a term inside an employer's or department's name, of boilerplate, of a repeat. */
const ORG_WEIGHT = 0.3;
const BOILERPLATE_WEIGHT = 0.2;
const REPEAT_WEIGHT = 0.25;
/** A role term this strong names the work of its class (3 = the role itself, 2.5 = a defining duty). */
const SPECIFIC_WEIGHT = 2.5;
/** A title head leads a requirement's classes when it votes this much for its own class (the role itself). */
const TITLE_ROLE_WEIGHT = 2.5;
/** Confidence of a class the title's role names beside a requirement naming other majors. */
const TITLE_ROLE_CONFIDENCE = 0.95;
/** A specific title head names the work of each class it votes this much for. */
const HEAD_CLASS_WEIGHT = 2;
/** A term names its class's work only where the section counts at least this much (sections.ts). */
const SPECIFIC_SECTION = 0.6;
/** Title weighting: the head noun of the title, the rest of the title, the body is 1. */
const HEAD_BOOST = 3;
const TITLE_BOOST = 1.5;
/** A preferred major ('…专业优先') votes with this weight instead of dominating. */
const PREFERRED_WEIGHT = 3;
/** More classes than this in one requirement make it broad (the civil-service lists name at most 8). */
const MAX_LISTED = 8;
/** At most this many classes are inferred from duties alone. */
const MAX_IMPLICIT = 4;

/** jieba's words: the [start, end) of the word containing an offset (the word's own text when the tokenizer fails there). */
export interface WordSpans {
  wordAt(at: number): [number, number];
}

export type MajorClassifier = (folded: string, words: () => WordSpans | undefined, scan?: TermScan) => MajorResult;

/**
 * `terms`: where the name table goes (the classifier shares one among its stages, so a message is
 * scanned once); `scan`: that scan of the text, made here when not given. The role table has its own
 * matcher: it is consulted only when a post names no major.
 */
export function createMajorClassifier(catalog: Catalog, terms = new TermTables()): MajorClassifier {
  const names = new Map<string, NameEntry>();
  for (const [code, cls] of catalog.classes) names.set(foldWidth(cls.name), { kind: 'class-name', classes: [code] });
  for (const m of catalog.majors) names.set(foldWidth(m.name), { kind: 'major-name', classes: [m.classCode], majorCode: m.code });
  // '建筑环境与能源应用' for 建筑环境与能源应用工程: a long major name without its last word is still that major.
  for (const m of catalog.majors) {
    const stem = foldWidth(m.name).replace(/(?:科学与工程|工程|技术|科学)$/, '');
    if (stem.length >= 6 && !names.has(stem)) names.set(stem, { kind: 'major-name', classes: [m.classCode], majorCode: m.code });
    // '编辑出版' for 编辑出版学, '应用统计' for 应用统计学: a four-character field without its 学 is that
    // major too (not when the 学 ends a word: '…科学', '…医学', '…力学', '…文学').
    const field = foldWidth(m.name).replace(/([^科医力文数哲与])学$/, '$1');
    if (field.length >= 4 && field !== foldWidth(m.name) && !names.has(field)) names.set(field, { kind: 'major-name', classes: [m.classCode], majorCode: m.code });
  }
  for (const [alias, classes] of Object.entries(MAJOR_ALIASES)) {
    const key = foldWidth(alias);
    if (!names.has(key)) names.set(key, { kind: classes.length ? 'alias' : 'blocker', classes });
  }
  for (const b of ALIAS_BLOCKERS) {
    const key = foldWidth(b);
    if (!names.has(key)) names.set(key, { kind: 'blocker', classes: [] });
  }
  const nameTable = terms.add(names);
  const headerTable = terms.add(SECTION_HEADERS);

  const roles = new Map<string, RoleEntry>();
  for (const [code, roleTerms] of Object.entries(ROLE_TERMS)) {
    for (const [term, weight] of Object.entries(roleTerms)) {
      const key = foldWidth(term);
      let e = roles.get(key);
      if (!e) roles.set(key, (e = { votes: [], kind: 'role-term' }));
      e.votes.push({ code, weight });
    }
  }
  for (const [term, votes] of catalogJobTerms(catalog)) {
    if (!roles.has(term)) roles.set(term, { votes, kind: 'catalog-job' });
  }
  const roleAc = new AhoCorasick(roles);
  const classNames = new Map([...catalog.classes].map(([code, c]) => [code, c.name]));

  /** The classes the title's head role itself names ('编辑' → 新闻传播, 中文), when it names the work outright. */
  const titleRole = (text: string, words: () => WordSpans | undefined): { code: string; term: string; weight: number }[] => {
    // The job is named after the recruiting verb ('人力资源和社会保障局招录一级科员', 'XX审计中心（参公）招录…':
    // the employer comes first), up to the title's end.
    const start = jobNameStart(text);
    const end = start + firstSentenceEnd(text.slice(start));
    let head: Match<RoleEntry> | undefined;
    for (const m of roleAc.findLongest(text.slice(start, end))) {
      m.start += start;
      m.end += start;
      if (m.value.kind !== 'role-term' || inOrgName(text, m) || isVerbOrTool(text, m) || gluedLatin(text, m)) continue;
      if (m.term.length <= 2) {
        const w = words();
        if (w && againstWords(m, w)) continue;
      }
      head = m;
    }
    if (!head?.value.votes.some((v) => v.weight >= TITLE_ROLE_WEIGHT)) return [];
    return head.value.votes.filter((v) => v.weight >= HEAD_CLASS_WEIGHT).sort((a, b) => b.weight - a.weight).map((v) => ({ code: v.code, term: head.term, weight: v.weight }));
  };

  /** Implicit evidence: roles and duties vote, the title (first sentence) counts more. */
  const roleVotes = (
    text: string,
    words: () => WordSpans | undefined,
    aliasHints: Map<string, AliasHint[]>,
    contexts: MajorContext[],
    scan: TermScan,
  ): { scores: Map<string, number>; evidence: Map<string, Evidence[]>; specific: Set<string>; specificTerms: Map<string, number> } => {
    const titleEnd = firstSentenceEnd(text);
    const sections = sectionsAt(text, scan.all(headerTable));
    const scores = new Map<string, number>();
    const evidence = new Map<string, Evidence[]>();
    const seen = new Set<string>();
    const specific = new Set<string>();
    const specificTerms = new Map<string, number>();
    const roleHits = roleAc.findLongest(text).filter((m) => {
      if (m.term.length > 2) return true;
      const w = words();
      return !w || !againstWords(m, w);
    });
    // The title's head noun names the job ('数学编辑' is an editor); what comes before it qualifies it.
    let head = -1;
    for (let i = 0; i < roleHits.length && roleHits[i]!.end <= titleEnd; i++) if (!inOrgName(text, roleHits[i]!)) head = i;
    const roleSpans: { m: Match<unknown>; weights: Map<string, number> }[] = [];
    for (let i = 0; i < roleHits.length; i++) {
      const m = roleHits[i]!;
      if (isVerbOrTool(text, m) || isLandmark(text, m) || gluedLatin(text, m)) continue;
      // Inside a list of majors ('市场营销、会计、数学等专业') a word names a major, not a duty: the name
      // pass has read it (as required, preferred or a broad list's hint), so it is not counted again here.
      if (contextOf(contexts, m)) continue;
      // An employer or department name ('XX电机公司', '电气事业部') says little about the job itself.
      const where = inOrgName(text, m) ? ORG_WEIGHT : isBoilerplate(text, m) ? BOILERPLATE_WEIGHT : 1;
      // The section counts too: duties say what the job is, a skill in the requirements less, the
      // employer's introduction and the perks little (sections.ts).
      const section = m.end <= titleEnd ? 1 : sections.weightAt(m.start);
      // A generic head noun ('设计师', '技术支持', votes below SPECIFIC_WEIGHT) says less than a specific
      // one ('会计', '剪辑师'): it is boosted like the rest of the title, and the duties decide.
      const specificHead = m.value.votes.some((v) => v.weight >= SPECIFIC_WEIGHT);
      const boost = i === head && specificHead ? HEAD_BOOST : m.end <= titleEnd ? TITLE_BOOST : 1;
      const repeat = seen.has(m.term) ? REPEAT_WEIGHT : 1;
      seen.add(m.term);
      const scale = (m.value.kind === 'catalog-job' ? 0.5 : 1) * boost * repeat * where * section;
      const weights = new Map<string, number>();
      roleSpans.push({ m, weights });
      for (const v of m.value.votes) {
        const w = v.weight * scale;
        weights.set(v.code, w);
        // A qualifier before the title's head ('新媒体' in '新媒体编导') does not by itself make its class a
        // further class: the duties must name that work too (the `i < head` test below).
        // The title's head role names the work of every class whose graduates do it: '编辑' is work for
        // 新闻传播 (编辑出版) and 中文 graduates alike, so each such class may follow the first.
        if (i === head && specificHead && v.weight >= HEAD_CLASS_WEIGHT && m.value.kind === 'role-term') specific.add(v.code);
        if (v.weight >= SPECIFIC_WEIGHT && where === 1 && section >= SPECIFIC_SECTION && m.value.kind === 'role-term' && !(head >= 0 && i < head)) {
          specific.add(v.code);
          if (repeat === 1) specificTerms.set(v.code, (specificTerms.get(v.code) ?? 0) + 1);
        }
        scores.set(v.code, (scores.get(v.code) ?? 0) + w);
        if (repeat === 1) push(evidence, v.code, { term: m.term, weight: round(w), kind: m.value.kind });
      }
    }
    // A name the role table also matched at the same place is one word, counted once (at its larger weight).
    for (const [code, hints] of aliasHints) {
      for (const h of hints) {
        let already = 0;
        for (const r of roleSpans) {
          if (r.m.start < h.end && h.start < r.m.end) already = Math.max(already, r.weights.get(code) ?? 0);
        }
        const w = h.e.weight - already;
        if (w <= 0) continue;
        scores.set(code, (scores.get(code) ?? 0) + w);
        if (h.e.weight >= PREFERRED_WEIGHT) specific.add(code);
        push(evidence, code, already > 0 ? { ...h.e, weight: round(w) } : h.e);
      }
    }
    return { scores, evidence, specific, specificTerms };
  };

  return (text, wordsOf, scan = terms.scan(text)) => {
    const contexts = majorContexts(text);
    let cut: WordSpans | undefined | null = null;
    const words = (): WordSpans | undefined => (cut === null ? (cut = wordsOf()) : cut);

    // Explicit names.
    const ctxHits = new Map<string, Evidence[]>();
    const elsewhereHits = new Map<string, Evidence[]>();
    const aliasHints = new Map<string, AliasHint[]>();
    const majorCodes = new Set<string>();
    const named = new Set<string>();
    const hits = scan.longest(nameTable).filter((m) => m.value.kind !== 'blocker');
    const listed = inNameList(text, hits);
    const seenName = new Map<string, number>();
    const preferred = new Set<string>();
    let strict = false;
    for (let i = 0; i < hits.length; i++) {
      const m = hits[i]!;
      const e = m.value;
      const context = contextOf(contexts, m);
      // Outside a requirement, a short name may straddle two words ('化工' in '优化|工具'). Such posts
      // take the role pass, which cuts the text anyway; a requirement list is not checked.
      if (!context && mayStraddle(text, m)) {
        const w = words();
        if (w && againstWords(m, w)) continue;
      }
      if (!context && (inOrgName(text, m) || isBoilerplate(text, m) || isVerbOrTool(text, m))) continue;
      // A required major is explicit; a preferred one ('…专业优先') is a strong hint the duties can outvote.
      const ctx = context !== undefined && !context.preferred;
      // Outside a requirement sentence only unmistakable names are explicit: class names, long
      // major names, and names listed together ('计算机/通信/电子'). '摄影', '漫画', '市场营销' alone
      // there describe the work, so they vote like role terms.
      const unmistakable =
        !context && (e.kind === 'class-name' || (e.kind === 'major-name' && m.term.length >= 5) || listed[i] === true);
      const n = seenName.get(m.term) ?? 0;
      seenName.set(m.term, n + 1);
      const weight = (ctx ? 5 : unmistakable ? 4 : context ? PREFERRED_WEIGHT : 2) * (n > 0 ? REPEAT_WEIGHT : 1);
      const ev: Evidence = { term: m.term, weight, kind: context?.preferred ? `${e.kind}-preferred` : e.kind };
      if (context?.preferred) for (const code of e.classes) preferred.add(code);
      if (ctx && context.strict) strict = true;
      for (const code of e.classes) {
        if (ctx) push(ctxHits, code, ev);
        else if (unmistakable) push(elsewhereHits, code, ev);
        else push(aliasHints, code, { start: m.start, end: m.end, e: ev });
      }
      if (e.majorCode && (context || unmistakable)) majorCodes.add(e.majorCode);
      if (context || unmistakable) for (const code of e.classes) named.add(code);
    }
    // A requirement that lists more classes than this ('商科、管理、金融、法律、文学、经济…') is broad:
    // the listed classes are preferences and the duties choose among them.
    for (const broad of [ctxHits, elsewhereHits]) {
      if (broad.size <= MAX_LISTED) continue;
      for (const code of broad.keys()) preferred.add(code);
      broad.clear();
    }
    // So is a preference for more classes than that ('工程/化学/电气/…/医学/人工智能/统计学等专业优先'):
    // it says almost anyone may apply, so no class of it gets a preferred major's lower cutoff.
    if (preferred.size > MAX_LISTED) preferred.clear();
    if (ctxHits.size > 0) {
      // A stated requirement dominates: role votes only break ties between required classes with as
      // much evidence each, so a post naming one major (most referrals) skips the role pass, and with
      // it the jieba cut the short role terms need.
      const list = [...ctxHits];
      const needSupport = list.some(([, a], i) => list.some(([, b], k) => k !== i && a.length === b.length));
      const scores = needSupport ? roleVotes(text, words, aliasHints, contexts, scan).scores : undefined;
      const classes = list
        .map(([code, ev]) => ({ code, name: classNames.get(code) ?? code, confidence: EXPLICIT_IN_CONTEXT, evidence: ev, support: scores?.get(code) ?? 0 }))
        .sort((a, b) => b.evidence.length - a.evidence.length || b.support - a.support || firstPos(text, a) - firstPos(text, b))
        .map(({ support: _support, ...c }) => c);
      // The title's role is the job; the requirement says which background it wants. '英语编辑…英语专业'
      // is an editor's job for English graduates: the editor's classes lead, the required ones follow.
      // It leads only where the duties back it at least as much as any required class: '数据中心运维工程师'
      // whose duties are 供配电 and 柴油发电机 is the electrical engineers' job the requirement names.
      // A stated limit ('专业要求：计算机类') is not overruled: the role leads only beside a described background.
      let role = strict ? [] : titleRole(text, words).filter((v) => !ctxHits.has(v.code));
      if (role.length) {
        const votes = scores ?? roleVotes(text, words, aliasHints, contexts, scan).scores;
        let best = 0;
        for (const code of ctxHits.keys()) best = Math.max(best, votes.get(code) ?? 0);
        // The role's own vote (boosted as the title's head) is not counted: the rest of the post must agree.
        role = role.filter((v) => (votes.get(v.code) ?? 0) - v.weight * HEAD_BOOST > Math.max(best, 0));
      }
      const led = role.map((v) => ({ code: v.code, name: classNames.get(v.code) ?? v.code, confidence: TITLE_ROLE_CONFIDENCE, evidence: [{ term: v.term, weight: v.weight, kind: 'title-role' }] }));
      return { classes: [...led, ...classes], majorCodes: [...majorCodes], explicit: true, requirement: true, named: [...named] };
    }
    const { scores, evidence, specific, specificTerms } = roleVotes(text, words, aliasHints, contexts, scan);
    // Names the post states outside a requirement add to what the duties say, rather than replace it:
    // '电气类' in a post about embedded work still leaves room for 电子信息 and 计算机.
    for (const [code, ev] of elsewhereHits) {
      for (const e of ev) scores.set(code, (scores.get(code) ?? 0) + e.weight);
      for (const e of ev) push(evidence, code, e);
    }
    const ranked = [...scores].sort((a, b) => b[1] - a[1]);
    const top = ranked[0]?.[1] ?? 0;
    const classes: ClassScore[] = [];
    if (top >= MIN_IMPLICIT_SCORE) {
      for (const [code, s] of ranked) {
        const stated = elsewhereHits.has(code);
        // A major the post prefers ('…专业优先') needs less support from the duties than a guess.
        if (!stated && preferred.has(code) && classes.length > 0 && s >= top * PREFERRED_CUTOFF && classes.length < MAX_IMPLICIT) {
          classes.push({ code, name: classNames.get(code) ?? code, confidence: round((1 - Math.exp(-s / 4)) * Math.min(1, s / top) * 0.9), evidence: evidence.get(code) ?? [] });
          continue;
        }
        if (!stated && classes.length > 0) {
          // A further class needs its own evidence: a term that names its work, not only words that
          // also describe the leader's ('营销' in an e-commerce post).
          // Two or more defining terms of its own ('PLC', '运动控制') are enough from a lower share:
          // the leader's score is inflated by the title.
          const cutoff = (specificTerms.get(code) ?? 0) >= 2 ? SECOND_TERM_CUTOFF : RELATIVE_CUTOFF + CUTOFF_STEP * (classes.length - 1);
          if (s < top * cutoff || classes.length >= MAX_IMPLICIT || !specific.has(code)) continue;
        }
        const confidence = elsewhereHits.has(code) ? EXPLICIT_ELSEWHERE : round((1 - Math.exp(-s / 4)) * Math.min(1, s / top) * 0.9);
        classes.push({ code, name: classNames.get(code) ?? code, confidence, evidence: evidence.get(code) ?? [] });
      }
    }
    return { classes, majorCodes: [...majorCodes], explicit: elsewhereHits.size > 0, requirement: false, named: [...named] };
  };
}

interface AliasHint {
  start: number;
  end: number;
  e: Evidence;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

const round = (x: number): number => Math.round(x * 1000) / 1000;

function firstPos(text: string, c: ClassScore): number {
  const t = c.evidence[0]?.term;
  return t ? text.indexOf(t) : Infinity;
}

/**
 * The catalog lists typical job directions per major ('软件工程师', '会计/会计师'). Each becomes a
 * term voting for the classes whose majors list it, weighted by how specific it is to them.
 */
function catalogJobTerms(catalog: Catalog): Map<string, { code: string; weight: number }[]> {
  const perTerm = new Map<string, Map<string, number>>();
  for (const m of catalog.majors) {
    for (const job of new Set(m.jobs)) {
      for (const raw of job.replace(/[(（].*?[)）]/g, '').split('/')) {
        const term = foldWidth(raw.replace(/(人员|专员|助理)$/, '').trim());
        if (term.length < 2 || GENERIC_JOBS.has(term)) continue;
        // A two-character direction that is not a role noun ('设计', '开发', '制作') is an activity
        // every kind of graduate does: it says nothing about the major.
        if (term.length === 2 && !ROLE_NOUN_END_RE.test(term)) continue;
        let counts = perTerm.get(term);
        if (!counts) perTerm.set(term, (counts = new Map()));
        counts.set(m.classCode, (counts.get(m.classCode) ?? 0) + 1);
      }
    }
  }
  const out = new Map<string, { code: string; weight: number }[]>();
  for (const [term, counts] of perTerm) {
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    if (counts.size > 6) continue; // listed everywhere: says nothing about the major
    out.set(term, [...counts].map(([code, n]) => ({ code, weight: round((3 * n) / total) })));
  }
  return out;
}

const ROLE_NOUN_END_RE = /[师员长官家手]$/;
const GENERIC_JOBS = new Set(['招聘', '培训', '公务员', '事业单位', '考研', '出国', '参军', '科研', '大学教师', '公司业务', '个人业务', '销售代表', '教师', '管理']);
