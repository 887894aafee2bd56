// Pure: 校友导师计划 as a state machine over private-chat commands. A student's request is proposed to one
// mentor at a time (catalog classes in common, least busy first); only when that mentor accepts does each
// get the other's handle. Nobody's contact leaves the relay before that. Either side can withdraw;
// `forget` removes a person from every record.
import { createHash } from 'node:crypto';
import type { Catalog } from '../catalog.ts';
import type { Platform } from '../domain.ts';

export interface Person {
  platform: Platform;
  id: string;
  name: string;
  /** How others reach them on their platform (Telegram @username, …); the display name when unknown. */
  handle: string;
}

export interface MentorProfile {
  person: Person;
  classes: string[];
  terms: string[];
  topics?: string;
  joinedAt: string;
}

export type RequestStatus = 'waiting' | 'proposed' | 'introduced' | 'closed';

export interface MentorRequest {
  code: string;
  student: Person;
  classes: string[];
  terms: string[];
  status: RequestStatus;
  /** personKey of the mentor it is proposed to / was introduced to. */
  mentor?: string;
  proposedAt?: string;
  /** Mentors who declined or let the proposal expire: never asked again for this request. */
  declined: string[];
  createdAt: string;
}

export interface MentorState {
  mentors: Record<string, MentorProfile>;
  requests: Record<string, MentorRequest>;
}

/** A private message to a person; `key` makes its outbox id stable. */
export interface Effect {
  to: Person;
  text: string;
  key: string;
}

export interface Step {
  state: MentorState;
  effects: Effect[];
  /** The answer to the person who sent the command. */
  reply?: string;
}

export const PROPOSAL_EXPIRES_MS = 3 * 86_400_000;
/** Open proposals plus introductions in the last 30 days a mentor is given at most. */
export const MAX_LOAD = 3;
const LOAD_WINDOW_MS = 30 * 86_400_000;

export const personKey = (p: { platform: Platform; id: string }) => `${p.platform}:${p.id}`;
export const emptyMentorState = (): MentorState => ({ mentors: {}, requests: {} });
const clone = (s: MentorState): MentorState => structuredClone(s);

const PLATFORM_NAME: Record<Platform, string> = { telegram: 'Telegram', lark: '飞书', wechat: '微信', local: '本地' };
const contact = (p: Person) => `${PLATFORM_NAME[p.platform]} ${p.handle}`;

/** Catalog classes named by free words ("电气", "电气工程", "计算机"); unknown words are returned apart. */
export function classesForTerms(terms: readonly string[], catalog: Catalog): { classes: string[]; unknown: string[] } {
  const classes = new Set<string>();
  const unknown: string[] = [];
  for (const raw of terms) {
    const t = raw.replace(/(专业|方向|类)$/u, '');
    if ([...t].length < 2) {
      unknown.push(raw);
      continue;
    }
    // A class name first ("电气工程" is 电气类); a major's name only when no class matches (else
    // 船舶电子电气工程 would drag 交通运输类 into "电气工程").
    const all = [...catalog.classes.values()];
    let hits = all.filter((c) => {
      const stem = c.name.replace(/类$/u, '');
      return stem.includes(t) || t.includes(stem);
    });
    if (!hits.length) hits = all.filter((c) => c.majors.some((m) => m.name.includes(t)));
    for (const c of hits) classes.add(c.code);
    if (!hits.length) unknown.push(raw);
  }
  return { classes: [...classes].sort(), unknown };
}

const classNames = (codes: readonly string[], catalog: Catalog) => codes.map((c) => catalog.classes.get(c)?.name ?? c).join('、');

function load(s: MentorState, mentorKey: string, now: Date): number {
  return Object.values(s.requests).filter(
    (r) => r.mentor === mentorKey && (r.status === 'proposed' || (r.status === 'introduced' && now.getTime() - Date.parse(r.proposedAt ?? r.createdAt) < LOAD_WINDOW_MS)),
  ).length;
}

/** Proposes `req` to the best remaining mentor, or leaves it waiting. Mutates `s`. */
function propose(s: MentorState, req: MentorRequest, now: Date, catalog: Catalog, effects: Effect[]): void {
  const studentKey = personKey(req.student);
  const candidates = Object.entries(s.mentors)
    .filter(([k, m]) => k !== studentKey && !req.declined.includes(k) && m.classes.some((c) => req.classes.includes(c)) && load(s, k, now) < MAX_LOAD)
    .sort(([ka, a], [kb, b]) => load(s, ka, now) - load(s, kb, now) || a.joinedAt.localeCompare(b.joinedAt));
  const pick = candidates[0];
  if (!pick) {
    req.status = 'waiting';
    delete req.mentor;
    delete req.proposedAt;
    return;
  }
  const [key, mentor] = pick;
  req.status = 'proposed';
  req.mentor = key;
  req.proposedAt = now.toISOString();
  effects.push({
    to: mentor.person,
    key: `${req.code}|propose|${key}`,
    text: `有位同学想找校友导师聊聊：${req.terms.join('、')}（${classNames(req.classes, catalog)}）。愿意的话回复「接受 ${req.code}」，我会把你们的联系方式互相转给对方；不方便就回复「婉拒 ${req.code}」，3 天内没回复也算婉拒。`,
  });
}

function newCode(s: MentorState, seed: string): string {
  for (let n = 0; ; n++) {
    const code = createHash('sha256').update(`${seed}|${n}`).digest('hex').slice(0, 5).toUpperCase();
    if (!s.requests[code]) return code;
  }
}

export function mentorJoin(prev: MentorState, person: Person, terms: string[], topics: string | undefined, catalog: Catalog, now: Date): Step {
  const { classes, unknown } = classesForTerms(terms, catalog);
  if (!classes.length) {
    return { state: prev, effects: [], reply: `${unknown.length ? `没认出「${unknown.join('、')}」。` : ''}请写上你愿意聊的专业，例如「导师 报名 电气 自动化 话题：求职、读研」。` };
  }
  const s = clone(prev);
  const key = personKey(person);
  s.mentors[key] = { person, classes, terms, ...(topics ? { topics } : {}), joinedAt: s.mentors[key]?.joinedAt ?? now.toISOString() };
  const effects: Effect[] = [];
  for (const r of Object.values(s.requests).sort((a, b) => a.createdAt.localeCompare(b.createdAt))) {
    if (r.status === 'waiting' && r.classes.some((c) => classes.includes(c))) propose(s, r, now, catalog, effects);
  }
  const skipped = unknown.length ? `（没认出：${unknown.join('、')}）` : '';
  return {
    state: s,
    effects,
    reply: `谢谢报名！你愿意聊：${classNames(classes, catalog)}${skipped}。有同学找这个方向时我会先私信问你，你同意后才交换联系方式。发「导师 退出」随时退出。`,
  };
}

export function mentorLeave(prev: MentorState, key: string, catalog: Catalog, now: Date): Step {
  if (!prev.mentors[key]) return { state: prev, effects: [], reply: '你目前不在导师名单里。' };
  const s = clone(prev);
  delete s.mentors[key];
  const effects: Effect[] = [];
  for (const r of Object.values(s.requests)) {
    if (r.mentor !== key) continue;
    if (r.status === 'proposed') {
      r.declined.push(key);
      propose(s, r, now, catalog, effects);
    } else if (r.status === 'introduced') r.status = 'closed';
  }
  return { state: s, effects, reply: '已退出校友导师计划，不会再收到新的请求。谢谢你！' };
}

export function studentAsk(prev: MentorState, student: Person, terms: string[], catalog: Catalog, now: Date): Step {
  const key = personKey(student);
  const open = Object.values(prev.requests).find((r) => personKey(r.student) === key && (r.status === 'waiting' || r.status === 'proposed'));
  if (open) return { state: prev, effects: [], reply: `你已经有一个找导师的请求（${open.terms.join('、')}）在进行中。发「找导师 取消」后可以重新发。` };
  const { classes, unknown } = classesForTerms(terms, catalog);
  if (!classes.length) return { state: prev, effects: [], reply: `${unknown.length ? `没认出「${unknown.join('、')}」。` : ''}请写上想聊的专业，例如「找导师 电气工程」。` };
  const s = clone(prev);
  const req: MentorRequest = { code: newCode(s, `${key}|${now.toISOString()}`), student, classes, terms, status: 'waiting', declined: [], createdAt: now.toISOString() };
  s.requests[req.code] = req;
  const effects: Effect[] = [];
  propose(s, req, now, catalog, effects);
  const where = classNames(classes, catalog);
  const reply =
    req.status === 'proposed'
      ? `收到！已联系一位${where}方向的校友导师，对方同意后我会把你们的联系方式互相发给对方（只给这一位）。发「找导师 取消」可随时撤回。`
      : `收到！暂时没有${where}方向的导师有空，有导师报名或有空时我会马上联系你。发「找导师 取消」可随时撤回。`;
  return { state: s, effects, reply };
}

export function studentCancel(prev: MentorState, key: string): Step {
  const mine = Object.values(prev.requests).filter((r) => personKey(r.student) === key && r.status !== 'closed');
  if (!mine.length) return { state: prev, effects: [], reply: '你目前没有找导师的请求。' };
  const s = clone(prev);
  const effects: Effect[] = [];
  for (const r0 of mine) {
    const r = s.requests[r0.code]!;
    if (r.status === 'proposed' && r.mentor && s.mentors[r.mentor]) {
      effects.push({ to: s.mentors[r.mentor]!.person, key: `${r.code}|cancelled`, text: `之前那位同学（请求 ${r.code}）撤回了请求，不用回复了。谢谢！` });
    }
    r.status = 'closed';
  }
  return { state: s, effects, reply: '已撤回你的找导师请求。' };
}

export function mentorAnswer(prev: MentorState, key: string, code: string, accept: boolean, catalog: Catalog, now: Date): Step {
  const r0 = prev.requests[code];
  if (r0?.status !== 'proposed' || r0.mentor !== key || !prev.mentors[key]) return { state: prev, effects: [], reply: `请求 ${code} 已经结束，或不是发给你的。` };
  const s = clone(prev);
  const r = s.requests[code]!;
  const mentor = s.mentors[key]!;
  if (!accept) {
    r.declined.push(key);
    const effects: Effect[] = [];
    propose(s, r, now, catalog, effects);
    return { state: s, effects, reply: '好的，没关系，谢谢你告诉我。' };
  }
  r.status = 'introduced';
  return {
    state: s,
    effects: [
      {
        to: r.student,
        key: `${code}|intro|student`,
        text: `好消息！校友导师 ${mentor.person.name} 愿意和你聊聊${mentor.topics ? `（话题：${mentor.topics}）` : ''}。TA 的联系方式：${contact(mentor.person)}。TA 也收到了你的联系方式。`,
      },
    ],
    reply: `谢谢！同学 ${r.student.name} 的联系方式：${contact(r.student)}（想聊：${r.terms.join('、')}）。TA 也收到了你的联系方式。`,
  };
}

/** Proposals unanswered for PROPOSAL_EXPIRES_MS count as declined and go to the next mentor. */
export function mentorTick(prev: MentorState, catalog: Catalog, now: Date): Step {
  const expired = Object.values(prev.requests).filter((r) => r.status === 'proposed' && now.getTime() - Date.parse(r.proposedAt!) >= PROPOSAL_EXPIRES_MS);
  if (!expired.length) return { state: prev, effects: [] };
  const s = clone(prev);
  const effects: Effect[] = [];
  for (const r0 of expired) {
    const r = s.requests[r0.code]!;
    r.declined.push(r.mentor!);
    propose(s, r, now, catalog, effects);
  }
  return { state: s, effects };
}

/** Erasure: the person's profile, their requests, and every trace of them in others' requests. */
export function mentorForget(prev: MentorState, key: string, catalog: Catalog, now: Date): Step {
  const s = clone(prev);
  delete s.mentors[key];
  const effects: Effect[] = [];
  for (const [code, r] of Object.entries(s.requests)) {
    if (personKey(r.student) === key) {
      delete s.requests[code];
      continue;
    }
    r.declined = r.declined.filter((k) => k !== key);
    if (r.mentor !== key) continue;
    if (r.status === 'proposed') propose(s, r, now, catalog, effects);
    else delete s.requests[code]; // an introduction (or a closed one) names them: it goes
  }
  return { state: s, effects };
}

/** Retention: finished requests (introduced or closed) created before `before` go; open ones stay. */
export function mentorPrune(prev: MentorState, before: string): MentorState {
  const old = Object.values(prev.requests).filter((r) => (r.status === 'introduced' || r.status === 'closed') && r.createdAt < before);
  if (!old.length) return prev;
  const s = clone(prev);
  for (const r of old) delete s.requests[r.code];
  return s;
}

/** Whether the person appears anywhere in the mentor records. */
export const mentorMentions = (s: MentorState, key: string): boolean =>
  Boolean(s.mentors[key]) || Object.values(s.requests).some((r) => personKey(r.student) === key || r.mentor === key || r.declined.includes(key));
