// The mentor matching state machine: proposals, acceptance before any contact, withdrawal, expiry,
// forget — with examples, and a property test over random command sequences.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePrivateCommand } from '../../src/alumni/commands.ts';
import {
  classesForTerms,
  emptyMentorState,
  type Effect,
  type MentorState,
  mentorAnswer,
  mentorForget,
  mentorJoin,
  mentorLeave,
  mentorMentions,
  mentorPrune,
  mentorTick,
  type Person,
  personKey,
  studentAsk,
  studentCancel,
  type Step,
} from '../../src/alumni/mentors.ts';
import { loadCatalog } from '../../src/catalog.ts';

const catalog = loadCatalog();
const t0 = new Date('2026-11-18T02:00:00Z');
const person = (id: string, platform: Person['platform'] = 'telegram'): Person => ({ platform, id, name: `名${id}`, handle: `@h_${id}` });
const alice = person('alice'); // mentor
const bob = person('bob', 'lark'); // mentor
const stu = person('stu', 'wechat'); // student

const mentionsHandle = (effects: readonly Effect[], reply: string | undefined, p: Person) => [...effects.map((e) => e.text), reply ?? ''].some((t) => t.includes(p.handle));

describe('classes from free words', () => {
  it('maps 电气 / 电气工程 / 计算机 to catalog classes and reports the rest', () => {
    expect(classesForTerms(['电气'], catalog).classes).toContain('0806');
    expect(classesForTerms(['电气工程'], catalog).classes).toEqual(['0806']);
    expect(classesForTerms(['计算机'], catalog).classes).toContain('0809');
    expect(classesForTerms(['xyz火星'], catalog)).toEqual({ classes: [], unknown: ['xyz火星'] });
  });

  it('parses the private commands', () => {
    expect(parsePrivateCommand('导师 报名 电气 自动化 话题：求职、读研')).toEqual({ name: 'mentor-join', terms: ['电气', '自动化'], topics: '求职、读研' });
    expect(parsePrivateCommand('找导师 电气工程')).toEqual({ name: 'student-ask', terms: ['电气工程'] });
    expect(parsePrivateCommand('找导师 取消')).toEqual({ name: 'student-cancel' });
    expect(parsePrivateCommand('接受 ab12c')).toEqual({ name: 'mentor-answer', code: 'AB12C', accept: true });
    expect(parsePrivateCommand('婉拒 AB12C')).toEqual({ name: 'mentor-answer', code: 'AB12C', accept: false });
    expect(parsePrivateCommand('导师 退出')).toEqual({ name: 'mentor-leave' });
    expect(parsePrivateCommand('你好')).toBeNull();
  });
});

describe('a match', () => {
  it('is proposed to the mentor without the student’s contact, and introduced only on acceptance', () => {
    let s = mentorJoin(emptyMentorState(), alice, ['电气'], '求职', catalog, t0).state;
    const ask = studentAsk(s, stu, ['电气工程'], catalog, t0);
    s = ask.state;
    const req = Object.values(s.requests)[0]!;
    expect(req.status).toBe('proposed');
    expect(ask.effects).toHaveLength(1);
    expect(ask.effects[0]!.to).toEqual(alice);
    expect(ask.effects[0]!.text).toContain(`接受 ${req.code}`);
    expect(mentionsHandle(ask.effects, ask.reply, stu)).toBe(false);
    expect(mentionsHandle(ask.effects, ask.reply, alice)).toBe(false);

    const yes = mentorAnswer(s, personKey(alice), req.code, true, catalog, t0);
    expect(yes.state.requests[req.code]!.status).toBe('introduced');
    expect(yes.effects).toEqual([expect.objectContaining({ to: stu })]);
    expect(yes.effects[0]!.text).toContain('Telegram @h_alice');
    expect(yes.reply).toContain('微信 @h_stu');
  });

  it('a decline goes to the next mentor; the last decline leaves the request waiting for a new mentor', () => {
    let s = mentorJoin(emptyMentorState(), alice, ['电气'], undefined, catalog, t0).state;
    s = mentorJoin(s, bob, ['电气'], undefined, catalog, new Date(t0.getTime() + 1000)).state;
    s = studentAsk(s, stu, ['电气'], catalog, t0).state;
    const code = Object.keys(s.requests)[0]!;
    expect(s.requests[code]!.mentor).toBe(personKey(alice)); // joined first, same load
    let step = mentorAnswer(s, personKey(alice), code, false, catalog, t0);
    expect(step.effects.map((e) => e.to)).toEqual([bob]);
    expect(mentionsHandle(step.effects, step.reply, stu)).toBe(false);
    step = mentorAnswer(step.state, personKey(bob), code, false, catalog, t0);
    expect(step.state.requests[code]!.status).toBe('waiting');
    const carol = person('carol');
    step = mentorJoin(step.state, carol, ['电气'], undefined, catalog, t0);
    expect(step.state.requests[code]).toMatchObject({ status: 'proposed', mentor: personKey(carol) });
    expect(step.effects.map((e) => e.to)).toEqual([carol]);
  });

  it('only the mentor it was proposed to can answer', () => {
    let s = mentorJoin(emptyMentorState(), alice, ['电气'], undefined, catalog, t0).state;
    s = mentorJoin(s, bob, ['电气'], undefined, catalog, new Date(t0.getTime() + 1)).state;
    s = studentAsk(s, stu, ['电气'], catalog, t0).state;
    const code = Object.keys(s.requests)[0]!;
    const wrong = mentorAnswer(s, personKey(bob), code, true, catalog, t0);
    expect(wrong.state).toBe(s);
    expect(wrong.effects).toEqual([]);
  });

  it('an unanswered proposal expires after three days and moves on', () => {
    let s = mentorJoin(emptyMentorState(), alice, ['电气'], undefined, catalog, t0).state;
    s = mentorJoin(s, bob, ['电气'], undefined, catalog, new Date(t0.getTime() + 1)).state;
    s = studentAsk(s, stu, ['电气'], catalog, t0).state;
    expect(mentorTick(s, catalog, new Date(t0.getTime() + 86_400_000)).effects).toEqual([]);
    const later = mentorTick(s, catalog, new Date(t0.getTime() + 3 * 86_400_000));
    expect(Object.values(later.state.requests)[0]).toMatchObject({ mentor: personKey(bob), declined: [personKey(alice)] });
  });
});

describe('withdrawal and forget', () => {
  it('the student withdraws: the mentor is told, no contact is shared', () => {
    let s = mentorJoin(emptyMentorState(), alice, ['电气'], undefined, catalog, t0).state;
    s = studentAsk(s, stu, ['电气'], catalog, t0).state;
    const step = studentCancel(s, personKey(stu));
    expect(Object.values(step.state.requests)[0]!.status).toBe('closed');
    expect(step.effects.map((e) => e.to)).toEqual([alice]);
    expect(mentionsHandle(step.effects, step.reply, stu)).toBe(false);
    const code = Object.keys(s.requests)[0]!;
    expect(mentorAnswer(step.state, personKey(alice), code, true, catalog, t0).effects).toEqual([]);
  });

  it('the mentor withdraws: their pending proposal goes to the next mentor', () => {
    let s = mentorJoin(emptyMentorState(), alice, ['电气'], undefined, catalog, t0).state;
    s = mentorJoin(s, bob, ['电气'], undefined, catalog, new Date(t0.getTime() + 1)).state;
    s = studentAsk(s, stu, ['电气'], catalog, t0).state;
    const step = mentorLeave(s, personKey(alice), catalog, t0);
    expect(step.state.mentors[personKey(alice)]).toBeUndefined();
    expect(step.effects.map((e) => e.to)).toEqual([bob]);
  });

  it('forget removes a person from every record, as mentor and as student', () => {
    let s = mentorJoin(emptyMentorState(), alice, ['电气'], undefined, catalog, t0).state;
    s = studentAsk(s, stu, ['电气'], catalog, t0).state;
    const code = Object.keys(s.requests)[0]!;
    s = mentorAnswer(s, personKey(alice), code, true, catalog, t0).state;
    const noAlice = mentorForget(s, personKey(alice), catalog, t0).state;
    expect(mentorMentions(noAlice, personKey(alice))).toBe(false);
    expect(JSON.stringify(noAlice)).not.toContain('alice');
    const noStu = mentorForget(s, personKey(stu), catalog, t0).state;
    expect(JSON.stringify(noStu)).not.toContain('stu');
    expect(noStu.mentors[personKey(alice)]).toBeDefined();
  });
});

describe('retention', () => {
  it('finished requests older than the retention go; open ones and profiles stay', () => {
    let s = mentorJoin(emptyMentorState(), alice, ['电气'], undefined, catalog, t0).state;
    s = studentAsk(s, stu, ['电气'], catalog, t0).state;
    const code = Object.keys(s.requests)[0]!;
    expect(mentorPrune(s, '2027-01-01T00:00:00.000Z')).toBe(s); // proposed: still open
    const done = mentorAnswer(s, personKey(alice), code, true, catalog, t0).state;
    expect(mentorPrune(done, '2026-11-01T00:00:00.000Z')).toBe(done);
    const pruned = mentorPrune(done, '2027-01-01T00:00:00.000Z');
    expect(pruned.requests).toEqual({});
    expect(pruned.mentors[personKey(alice)]).toBeDefined();
  });
});

describe('property: no contact before acceptance, forget leaves no trace', () => {
  const people = [person('m1'), person('m2', 'lark'), person('m3', 'wechat'), person('s1', 'wechat'), person('s2'), person('s3', 'lark')];
  const op = fc.oneof(
    fc.record({ k: fc.constant('join' as const), who: fc.nat(5), term: fc.constantFrom('电气', '计算机', '自动化') }),
    fc.record({ k: fc.constant('leave' as const), who: fc.nat(5) }),
    fc.record({ k: fc.constant('ask' as const), who: fc.nat(5), term: fc.constantFrom('电气工程', '计算机', '自动化') }),
    fc.record({ k: fc.constant('cancel' as const), who: fc.nat(5) }),
    fc.record({ k: fc.constant('answer' as const), who: fc.nat(5), pick: fc.nat(9), accept: fc.boolean() }),
    fc.record({ k: fc.constant('tick' as const), days: fc.nat(4) }),
    fc.record({ k: fc.constant('forget' as const), who: fc.nat(5) }),
  );

  it('holds for random command sequences', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        let s: MentorState = emptyMentorState();
        let clock = t0.getTime();
        /** request code → the mentor who accepted it. */
        const accepted = new Map<string, string>();
        for (const o of ops) {
          clock += 60_000;
          const now = new Date(clock);
          let step: Step;
          let acceptedNow: { code: string; mentor: string } | undefined;
          if (o.k === 'join') step = mentorJoin(s, people[o.who]!, [o.term], undefined, catalog, now);
          else if (o.k === 'leave') step = mentorLeave(s, personKey(people[o.who]!), catalog, now);
          else if (o.k === 'ask') step = studentAsk(s, people[o.who]!, [o.term], catalog, now);
          else if (o.k === 'cancel') step = studentCancel(s, personKey(people[o.who]!));
          else if (o.k === 'answer') {
            const codes = Object.keys(s.requests);
            const code = codes.length ? codes[o.pick % codes.length]! : 'NONE0';
            const key = personKey(people[o.who]!);
            const before = s.requests[code];
            step = mentorAnswer(s, key, code, o.accept, catalog, now);
            if (o.accept && step.state.requests[code]?.status === 'introduced' && before?.status === 'proposed') {
              // Acceptance works only for the mentor it was proposed to.
              expect(before.mentor).toBe(key);
              acceptedNow = { code, mentor: key };
            }
          } else if (o.k === 'tick') {
            clock += o.days * 86_400_000;
            step = mentorTick(s, catalog, new Date(clock));
          } else {
            const key = personKey(people[o.who]!);
            step = mentorForget(s, key, catalog, now);
            expect(mentorMentions(step.state, key)).toBe(false);
          }
          // Contacts: a handle appears in a message only in the introduction of an accepted match.
          for (const p of people) {
            if (!mentionsHandle(step.effects, step.reply, p)) continue;
            expect(acceptedNow).toBeDefined();
            const req = step.state.requests[acceptedNow!.code]!;
            expect([personKey(req.student), req.mentor]).toContain(personKey(p));
          }
          if (acceptedNow) accepted.set(acceptedNow.code, acceptedNow.mentor);
          // Invariants of the state.
          for (const r of Object.values(step.state.requests)) {
            if (r.status === 'proposed') {
              expect(step.state.mentors[r.mentor!]).toBeDefined();
              expect(r.mentor).not.toBe(personKey(r.student));
              expect(r.declined).not.toContain(r.mentor);
            }
            if (r.status === 'introduced') expect(accepted.get(r.code)).toBe(r.mentor);
          }
          const open = Object.values(step.state.requests).filter((r) => r.status === 'waiting' || r.status === 'proposed');
          expect(new Set(open.map((r) => personKey(r.student))).size).toBe(open.length); // one open request per student
          s = step.state;
        }
      }),
      { numRuns: 300 },
    );
  });
});
