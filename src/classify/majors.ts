// Majors: which catalog classes a post suits. Explicit names (catalog majors, classes, short forms)
// dominate; when a post names none, roles and duties vote (curated ROLE_TERMS plus the catalog's
// own job directions as a weak prior).
import type { Catalog } from '../catalog.ts';
import type { ClassScore, Evidence } from '../domain.ts';
import { AhoCorasick, TermTables, type Match, type TermScan } from './aho-corasick.ts';
import { ALIAS_BLOCKERS, MAJOR_ALIASES } from './major-aliases.ts';
import { foldWidth } from './normalize.ts';
import { ROLE_TERMS } from './role-terms.ts';

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
  /** Classes whose majors the post names in any way (required, preferred or unmistakable). */
  named: string[];
}

/**
 * A sentence that states a major requirement: '专业要求：', '…等相关专业优先', '英语专业', not
 * '专业视频软件' or '专业技能'.
 */
const MAJOR_CONTEXT_RE =
  /专业(?:要求|限制|方向|背景|范围|类别|名称|条件)?\s*[:：]|专业\s*(?:优先|毕业|背景|本科|学历|及以上|以上|者|均可|或|和|及|的?(?:学生|毕业生|应届生?|本科生?|研究生)|应届|出身|不限|[，,、。；;)）]|$)|(?:相关|等|类|对口)专业|学科背景/;
/**
 * Sentence ends: 。 ; ； \n ! ！ ? ？. Tested by UTF-16 unit (no one-character string and Set lookup
 * per unit): the context scan below walks every unit of each sentence that names 专业.
 */
function isSentenceEnd(c: number): boolean {
  return c === 0x3002 || c === 0x3b || c === 0xff1b || c === 0x0a || c === 0x21 || c === 0xff01 || c === 0x3f || c === 0xff1f;
}

const EXPLICIT_IN_CONTEXT = 0.97;
const EXPLICIT_ELSEWHERE = 0.9;
/** Implicit classes below this many points are not reported. */
const MIN_IMPLICIT_SCORE = 2.5;
/** A second implicit class must be this close to the first. */
const RELATIVE_CUTOFF = 0.6;
/** Title weighting: the head noun of the title, the rest of the title, the body is 1. */
const HEAD_BOOST = 3;
const TITLE_BOOST = 1.5;
/** A preferred major ('…专业优先') votes with this weight instead of dominating. */
const PREFERRED_WEIGHT = 3;
/** At most this many classes are inferred from duties alone. */
const MAX_IMPLICIT = 2;

/** Where jieba's words start, ascending. */
export interface WordSpans {
  starts: Int32Array;
  length: number;
}

/** A short term inside a longer word is not that term: '编辑' in '基因编辑'. Crossing words is fine ('招聘会|计'). */
function insideLongerWord(m: Match<unknown>, words: WordSpans): boolean {
  const { starts } = words;
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= m.start) lo = mid;
    else hi = mid - 1;
  }
  const s = starts[lo] ?? 0;
  const e = lo + 1 < starts.length ? starts[lo + 1]! : words.length;
  return s <= m.start && e >= m.end && e - s > m.end - m.start;
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
  for (const [alias, classes] of Object.entries(MAJOR_ALIASES)) {
    const key = foldWidth(alias);
    if (!names.has(key)) names.set(key, { kind: classes.length ? 'alias' : 'blocker', classes });
  }
  for (const b of ALIAS_BLOCKERS) {
    const key = foldWidth(b);
    if (!names.has(key)) names.set(key, { kind: 'blocker', classes: [] });
  }
  const nameTable = terms.add(names);

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

  /** Implicit evidence: roles and duties vote, the title (first sentence) counts more. */
  const roleVotes = (
    text: string,
    words: () => WordSpans | undefined,
    aliasHints: Map<string, Evidence[]>,
  ): { scores: Map<string, number>; evidence: Map<string, Evidence[]> } => {
    const titleEnd = firstSentenceEnd(text);
    const scores = new Map<string, number>();
    const evidence = new Map<string, Evidence[]>();
    const seen = new Set<string>();
    const roleHits = roleAc
      .findLongest(text)
      .filter((m) => {
        if (m.term.length > 2) return true;
        const w = words();
        return !w || !insideLongerWord(m, w);
      });
    // The title's head noun names the job ('数学编辑' is an editor); what comes before it qualifies it.
    let head = -1;
    for (let i = 0; i < roleHits.length && roleHits[i]!.end <= titleEnd; i++) head = i;
    for (let i = 0; i < roleHits.length; i++) {
      const m = roleHits[i]!;
      const boost = i === head ? HEAD_BOOST : m.end <= titleEnd ? TITLE_BOOST : 1;
      const repeat = seen.has(m.term) ? 0.25 : 1;
      seen.add(m.term);
      const scale = (m.value.kind === 'catalog-job' ? 0.5 : 1) * boost * repeat;
      for (const v of m.value.votes) {
        const w = v.weight * scale;
        scores.set(v.code, (scores.get(v.code) ?? 0) + w);
        if (repeat === 1) push(evidence, v.code, { term: m.term, weight: round(w), kind: m.value.kind });
      }
    }
    for (const [code, ev] of aliasHints) {
      for (const e of ev) scores.set(code, (scores.get(code) ?? 0) + e.weight);
      for (const e of ev) push(evidence, code, e);
    }
    return { scores, evidence };
  };

  return (text, words, scan = terms.scan(text)) => {
    const contexts = majorContexts(text);

    // Explicit names.
    const ctxHits = new Map<string, Evidence[]>();
    const elsewhereHits = new Map<string, Evidence[]>();
    const aliasHints = new Map<string, Evidence[]>();
    const majorCodes = new Set<string>();
    const named = new Set<string>();
    for (const m of scan.longest(nameTable)) {
      const e = m.value;
      if (e.kind === 'blocker') continue;
      const context = contextOf(contexts, m);
      // A required major is explicit; a preferred one ('…专业优先') is a strong hint the duties can outvote.
      const ctx = context !== undefined && !context.preferred;
      // Outside a requirement sentence only unmistakable names are explicit: class names and long
      // major names. '摄影', '漫画', '市场营销' there describe the work, so they vote like role terms.
      const unmistakable = !context && (e.kind === 'class-name' || (e.kind === 'major-name' && m.term.length >= 5));
      const target = ctx ? ctxHits : unmistakable ? elsewhereHits : aliasHints;
      const weight = ctx ? 5 : unmistakable ? 4 : context ? PREFERRED_WEIGHT : 2;
      for (const code of e.classes) push(target, code, { term: m.term, weight, kind: context?.preferred ? `${e.kind}-preferred` : e.kind });
      if (e.majorCode && (context || unmistakable)) majorCodes.add(e.majorCode);
      if (context || unmistakable) for (const code of e.classes) named.add(code);
    }
    const explicit = ctxHits.size > 0 ? ctxHits : elsewhereHits;
    // Named majors dominate: role votes only break ties between named classes with as much
    // evidence each, so a post naming one major (most referrals) skips the role pass, and with it
    // the jieba cut the short role terms need.
    const explicitList = [...explicit];
    const needSupport = explicitList.some(([, a], i) => explicitList.some(([, b], k) => k !== i && a.length === b.length));
    const { scores, evidence } = explicit.size > 0 && !needSupport ? { scores: undefined, evidence: undefined } : roleVotes(text, words, aliasHints);
    if (explicit.size > 0) {
      const conf = ctxHits.size > 0 ? EXPLICIT_IN_CONTEXT : EXPLICIT_ELSEWHERE;
      const classes = explicitList
        .map(([code, ev]) => ({ code, name: classNames.get(code) ?? code, confidence: conf, evidence: ev, support: scores?.get(code) ?? 0 }))
        .sort((a, b) => b.evidence.length - a.evidence.length || b.support - a.support || firstPos(text, a) - firstPos(text, b))
        .map(({ support: _support, ...c }) => c);
      return { classes, majorCodes: [...majorCodes], explicit: true, named: [...named] };
    }
    const ranked = [...scores!].sort((a, b) => b[1] - a[1]);
    const top = ranked[0]?.[1] ?? 0;
    const classes: ClassScore[] = [];
    if (top >= MIN_IMPLICIT_SCORE) {
      for (const [code, s] of ranked) {
        if (s < top * RELATIVE_CUTOFF) break;
        const confidence = round((1 - Math.exp(-s / 4)) * Math.min(1, s / top) * 0.9);
        classes.push({ code, name: classNames.get(code) ?? code, confidence, evidence: evidence!.get(code) ?? [] });
        if (classes.length >= MAX_IMPLICIT) break;
      }
    }
    return { classes, majorCodes: [...majorCodes], explicit: false, named: [...named] };
  };
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

/** Title ends besides sentence ends: ( （ : ： , ，. */
function isTitleEnd(c: number): boolean {
  return c === 0x28 || c === 0xff08 || c === 0x3a || c === 0xff1a || c === 0x2c || c === 0xff0c;
}

/** End of the title: the first sentence, before any parenthesised aside ('运营专员（法语）'). */
function firstSentenceEnd(text: string): number {
  for (let i = 0; i < text.length && i < 60; i++) {
    const c = text.charCodeAt(i);
    if (isSentenceEnd(c) || isTitleEnd(c)) return i;
  }
  return Math.min(text.length, 30);
}

interface MajorContext {
  start: number;
  end: number;
  /** '…相关专业优先': a preference, not a requirement. */
  preferred: boolean;
}

const PREFERRED_RE = /优先|更好|为佳|最佳|加分/;
const REQUIRED_RE = /专业要求|要求专业|专业限|限专业|专业须|专业必须/;

/** The major-requirement span containing a match, if any. */
function contextOf(contexts: MajorContext[], m: Match<unknown>): MajorContext | undefined {
  for (const c of contexts) if (m.start >= c.start && m.end <= c.end) return c;
  return undefined;
}

/** Sentences that state a major requirement or preference. */
const LIST_FOLLOWS_RE = /^(?:要求|限制|方向|背景|范围|类别|名称|条件)?\s*[:：]/;

/** Clause ends: , ， ; ；. */
function isClauseEnd(c: number): boolean {
  return c === 0x2c || c === 0xff0c || c === 0x3b || c === 0xff1b;
}

/**
 * Spans that name required or preferred majors: after '专业要求：' to the end of the sentence (the
 * list may use commas), otherwise only the clause around '专业' ('…电子信息相关专业'), so duties in
 * the same sentence ('负责功率电路设计') are not read as majors.
 */
function majorContexts(text: string): MajorContext[] {
  const spans: MajorContext[] = [];
  // The sentence end found for one 专业 serves the next ones in the same sentence ('专业要求：…相关专业').
  let e = -1;
  for (let from = text.indexOf('专业'); from >= 0; from = text.indexOf('专业', from + 2)) {
    if (e < from) for (e = from; e < text.length && !isSentenceEnd(text.charCodeAt(e)); e++);
    if (LIST_FOLLOWS_RE.test(text.slice(from + 2, from + 12))) {
      const span = text.slice(from, e);
      spans.push({ start: from, end: e, preferred: PREFERRED_RE.test(span) && !REQUIRED_RE.test(span) });
      continue;
    }
    let cs = from;
    while (cs > 0 && !isSentenceEnd(text.charCodeAt(cs - 1)) && !isClauseEnd(text.charCodeAt(cs - 1))) cs--;
    let ce = from;
    while (ce < e && !isClauseEnd(text.charCodeAt(ce))) ce++;
    const clause = text.slice(cs, ce);
    if (MAJOR_CONTEXT_RE.test(clause)) spans.push({ start: cs, end: ce, preferred: PREFERRED_RE.test(clause) && !REQUIRED_RE.test(clause) });
  }
  return spans;
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

const GENERIC_JOBS = new Set(['招聘', '培训', '公务员', '事业单位', '考研', '出国', '参军', '科研', '大学教师', '公司业务', '个人业务', '销售代表', '教师', '管理']);
