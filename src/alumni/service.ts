// The alumni features at run time: keeps the ledger in step with the store, plans what is due
// (acknowledgements, daily summaries, hints, guides, monthly thanks, mentor proposals), queues it through
// the outbox, and answers alumni commands. Everything is derived from the store and this folder's own
// state, so a missed hook only delays a message until the next sweep; a restart neither loses nor
// repeats one (stable request ids, marks recorded after the requests are durable).
import type { Catalog } from '../catalog.ts';
import type { InboundMessage, Post } from '../domain.ts';
import type { Logger } from '../log.ts';
import type { Store } from '../store/store.ts';
import { type AlumniCommand, parseGroupCommand, parsePrivateCommand } from './commands.ts';
import { contributors, guideText, optoutText } from './compose.ts';
import { AlumniDb } from './db.ts';
import type { LedgerEntry } from './ledger.ts';
import { channelsWithoutMembers, type MemberCountFn, MemberCounts, withMemberCounts } from './member-counts.ts';
import { addPost, type AlumniForgetResult, forgetInLedger, LEDGER, MARKS, MENTORS, OPTOUTS, syncLedger } from './ledger-sync.ts';
import {
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
  personKey,
  type Step,
  studentAsk,
  studentCancel,
} from './mentors.ts';
import { feedbackMark, type Feedback, mergePlans, type Plan, planAcks, planDaily, planGuides, planHints, planThanks } from './plan.ts';
import { type AlumniOutboxRequest, type Enqueue, plain, requestId } from './requests.ts';
import { type AlumniConfig, alumniConfigOf, groupKey, type RulesLike } from './rules.ts';

/** A message as the alumni commands read it (mentionsBot, senderHandle and chatType come from the adapters). */
export type AlumniMessage = InboundMessage;

export interface AlumniDeps {
  store: Store;
  rules: () => RulesLike;
  catalog: Catalog;
  dataDir: string;
  enqueue: Enqueue;
  logger: Logger;
  now?: () => Date;
  /** Admins' "/relay help" is admin.ts's to answer. */
  isAdmin?: (m: InboundMessage) => boolean;
  /** The bot's @-names, for platforms whose adapter cannot say a message mentions it. */
  botNames?: () => readonly string[];
  /** Overrides the config read from the rules (tests, previews). */
  config?: () => AlumniConfig;
  /**
   * Clicks and 👍 per post so far (totals), e.g. `feedbackCounts(feedback.clicks(), feedback.votes())`;
   * each sweep adds what grew to the posters' records and their groups' next summary.
   */
  feedbackCounts?: () => ReadonlyMap<string, FeedbackTotals>;
  fsync?: boolean;
  readOnly?: boolean;
  /**
   * How long after a hook (a referral stored, a delivery made) its pass runs; default 2000 ms. A pass walks
   * every ledger entry, so during a flood of referrals one pass covers them all instead of one each.
   */
  kickDelayMs?: number;
  /**
   * A student channel's member count from its platform (ChatAdapter.memberCount), for "约 N 人" where the
   * rules give no `members:`; undefined when the platform cannot tell. Cached (member-counts.ts).
   */
  memberCount?: MemberCountFn;
  /** How long a pass waits for member counts before going on without them (an ack never waits longer); default 1500 ms. */
  memberCountTimeoutMs?: number;
}

export interface FeedbackTotals {
  clicks: number;
  likes: number;
}

/** Totals per post from the feedback module's rows: clicks counted, an up-vote (有用, value 1) is a 👍. */
export function feedbackCounts(clicks: Iterable<{ postId: string; n: number }>, votes: Iterable<{ postId: string; value: number }>): Map<string, FeedbackTotals> {
  const out = new Map<string, FeedbackTotals>();
  const get = (id: string) => out.get(id) ?? (out.set(id, { clicks: 0, likes: 0 }).get(id) as FeedbackTotals);
  for (const c of clicks) get(c.postId).clicks += c.n;
  for (const v of votes) if (v.value > 0) get(v.postId).likes += 1;
  return out;
}

/** The same group's guide is answered at most once in this time (several people asking at once). */
export const GUIDE_ANSWER_GAP_MS = 10 * 60_000;
const MENTOR_STATE = 'state';

export class AlumniService {
  private running: Promise<void> | undefined;
  private kickTimer: NodeJS.Timeout | undefined;
  private configFor: { rules: RulesLike; config: AlumniConfig } | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Per post, what the ledger last saw of it (syncLedger skips the unchanged). */
  private readonly stamps = new Map<string, string>();
  private readonly counts: MemberCounts | undefined;

  private constructor(
    readonly db: AlumniDb,
    private readonly deps: AlumniDeps,
  ) {
    if (deps.memberCount) this.counts = new MemberCounts(deps.memberCount, { timeoutMs: deps.memberCountTimeoutMs ?? 1500 });
  }

  static async open(deps: AlumniDeps): Promise<AlumniService> {
    const db = await AlumniDb.open(deps.dataDir, { fsync: deps.fsync, readOnly: deps.readOnly });
    if (db.movedAside) deps.logger.error({ file: db.movedAside }, 'alumni state unreadable: kept aside, rebuilt from the journal and the store');
    if (db.skippedLines) deps.logger.warn({ lines: db.skippedLines }, 'alumni journal: unreadable lines skipped (a write cut off by a crash)');
    return new AlumniService(db, deps);
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  config(): AlumniConfig {
    if (this.deps.config) return this.deps.config();
    // Built once per rules object (a reload hands over a new one), not per message.
    const rules = this.deps.rules();
    if (this.configFor?.rules !== rules) this.configFor = { rules, config: alumniConfigOf(rules) };
    return this.configFor.config;
  }

  /** A pass soon (see kickDelayMs), coalescing every hook until then. */
  private kickSoon(): void {
    if (this.kickTimer !== undefined || this.stopped) return;
    this.kickTimer = setTimeout(() => {
      this.kickTimer = undefined;
      void this.sweep();
    }, this.deps.kickDelayMs ?? 2000);
    this.kickTimer.unref?.();
  }

  entries(): LedgerEntry[] {
    return [...this.db.all<LedgerEntry>(LEDGER).values()];
  }

  optedOut(): Set<string> {
    return new Set(this.db.all(OPTOUTS).keys());
  }

  mentorState(): MentorState {
    return this.db.get<MentorState>(MENTORS, MENTOR_STATE) ?? emptyMentorState();
  }

  /** Brings the ledger up to date with the store in memory (the CLI's read-only reports use this). */
  syncOnly(): void {
    syncLedger(this.db, this.deps.store, this.config(), this.now());
  }

  /**
   * One pass: sync the ledger, plan what is due, queue it, record the marks. Passes never overlap; a kick
   * during one runs another after it. A failed pass is logged and retried by the next.
   */
  sweep(): Promise<void> {
    if (this.running !== undefined) {
      this.again = true;
      return this.running;
    }
    const run = (async () => {
      try {
        do {
          this.again = false;
          await this.pass();
        } while (this.again && !this.stopped);
      } catch (err) {
        this.deps.logger.error({ err }, 'alumni sweep failed; the next one retries');
      } finally {
        this.running = undefined;
      }
    })();
    this.running = run;
    return run;
  }

  /** The config with the platforms' member counts filled in where the rules give none (waits at most memberCountTimeoutMs). */
  private async countedConfig(): Promise<AlumniConfig> {
    const cfg = this.config();
    const counts = this.counts;
    if (!counts) return cfg;
    await counts.refresh(channelsWithoutMembers(cfg));
    return withMemberCounts(cfg, (key) => counts.get(key));
  }

  private async pass(): Promise<void> {
    const cfg = await this.countedConfig();
    const now = this.now();
    syncLedger(this.db, this.deps.store, cfg, now, this.stamps);
    if (this.deps.feedbackCounts) this.syncFeedback(this.deps.feedbackCounts());
    const entries = this.entries();
    const marks = this.db.all<unknown>(MARKS);
    const plan = mergePlans(
      planAcks(entries, marks, cfg, now),
      planDaily(entries, marks, cfg, now),
      planHints(entries, marks, cfg, now),
      planGuides(marks, cfg, now),
      planThanks(entries, marks, cfg, this.optedOut(), now),
    );
    const mentors = this.mentorState();
    const kept = mentorPrune(mentors, new Date(now.getTime() - cfg.retentionDays * 86_400_000).toISOString());
    if (kept !== mentors) this.db.put(MENTORS, MENTOR_STATE, kept);
    if (cfg.mentors) {
      const step = mentorTick(this.mentorState(), this.deps.catalog, now);
      if (step.effects.length) await this.applyMentorStep(step);
    }
    await this.carryOut(plan);
  }

  /** Queues the requests (durably), then records the marks; nothing is marked sent that is not queued. */
  private async carryOut(plan: Plan): Promise<void> {
    await this.db.flushed(); // ledger changes first: a mark never refers to an entry lost in a crash
    if (plan.requests.length) await this.deps.enqueue(plan.requests);
    for (const [k, v] of plan.set) this.db.put(MARKS, k, v);
    for (const k of plan.clear) this.db.del(MARKS, k);
    await this.db.flushed();
    for (const r of plan.requests) this.deps.logger.info({ kind: r.kind, chat: `${r.channel.platform}:${r.channel.chat}` }, 'alumni message queued');
  }

  /** Hook: the pipeline stored a referral. */
  onReferralStored(post: Post): void {
    addPost(this.db, post, this.config());
    this.kickSoon();
  }

  /** Hook: the outbox marked a delivery delivered (a digest reached a channel). */
  onDeliveryDelivered(): void {
    this.kickSoon();
  }

  /** A click or 👍 on a referral (from the feedback module): counted for its poster and its groups' next summary. */
  async recordFeedback(postId: string, kind: 'click' | 'like', n = 1): Promise<void> {
    this.addFeedback(postId, kind === 'click' ? n : 0, kind === 'like' ? n : 0);
    await this.db.flushed();
  }

  private addFeedback(postId: string, clicks: number, likes: number): void {
    const e = this.db.get<LedgerEntry>(LEDGER, postId);
    if (!e || (!clicks && !likes)) return;
    this.db.put(LEDGER, postId, { ...e, clicks: e.clicks + clicks, likes: e.likes + likes });
    for (const g of new Set(e.sources.map((s) => groupKey(s.platform, s.chat)))) {
      const fb = this.db.get<Feedback>(MARKS, feedbackMark(g)) ?? { clicks: 0, likes: 0 };
      this.db.put(MARKS, feedbackMark(g), { clicks: fb.clicks + clicks, likes: fb.likes + likes });
    }
  }

  /** Totals → increments: only what grew since the entry last saw it (a total that shrank, e.g. a vote withdrawn, is kept). */
  private syncFeedback(totals: ReadonlyMap<string, FeedbackTotals>): void {
    for (const [postId, t] of totals) {
      const e = this.db.get<LedgerEntry>(LEDGER, postId);
      if (e) this.addFeedback(postId, Math.max(0, t.clicks - e.clicks), Math.max(0, t.likes - e.likes));
    }
  }

  /**
   * Alumni commands (call before the admin commands and the pipeline). `handled`: the message was one, and
   * is neither an admin command nor a referral.
   */
  async handleCommand(m: AlumniMessage): Promise<{ handled: boolean }> {
    const cfg = this.config();
    if (m.chatType === 'private') {
      const cmd = parsePrivateCommand(m.text);
      if (!cmd) return { handled: false };
      await this.privateCommand(m, cmd, cfg);
      return { handled: true };
    }
    const group = groupKey(m.platform, m.chatId);
    if (!cfg.sources.has(group)) return { handled: false };
    const cmd = parseGroupCommand(m.text, { mentionsBot: m.mentionsBot, botNames: this.deps.botNames?.() });
    if (!cmd) return { handled: false };
    if (cmd.name === 'guide' && /help|帮助/i.test(m.text) && this.deps.isAdmin?.(m)) return { handled: false };
    const now = this.now();
    const reply = (body: string): AlumniOutboxRequest => ({
      id: requestId('reply', `${group}|${m.id}`),
      kind: 'reply',
      channel: { platform: m.platform, chat: m.chatId },
      message: plain(body),
      replyTo: { messageId: m.id, senderId: m.senderId, senderName: m.senderName },
    });
    if (cmd.name === 'guide') {
      const last = this.db.get<string>(MARKS, `answer|${group}`);
      if (last && now.getTime() - Date.parse(last) < GUIDE_ANSWER_GAP_MS) return { handled: true };
      await this.carryOut({ requests: [reply(guideText(cfg))], set: [[`answer|${group}`, now.toISOString()]], clear: [] });
      return { handled: true };
    }
    if (cmd.name === 'optout' || cmd.name === 'optin') {
      await this.setOptout(personKey({ platform: m.platform, id: m.senderId }), cmd.name === 'optout', now);
      await this.carryOut({ requests: [reply(optoutText(cmd.name === 'optout'))], set: [], clear: [] });
      return { handled: true };
    }
    return { handled: false }; // mentor commands belong in private chats
  }

  private async setOptout(key: string, out: boolean, now: Date): Promise<void> {
    if (out) this.db.put(OPTOUTS, key, now.toISOString());
    else this.db.del(OPTOUTS, key);
    await this.db.flushed();
  }

  private async privateCommand(m: AlumniMessage, cmd: AlumniCommand, cfg: AlumniConfig): Promise<void> {
    const now = this.now();
    const me = { platform: m.platform, id: m.senderId, name: m.senderName, handle: m.senderHandle ?? m.senderName };
    const key = personKey(me);
    const answer = (body: string) => this.carryOut({ requests: [{ id: requestId('reply', `${m.platform}:${m.chatId}|${m.id}`), kind: 'reply', channel: { platform: m.platform, chat: m.chatId }, direct: true, message: plain(body) }], set: [], clear: [] });
    if (cmd.name === 'guide') return answer(guideText(cfg));
    if (cmd.name === 'optout' || cmd.name === 'optin') {
      await this.setOptout(key, cmd.name === 'optout', now);
      return answer(optoutText(cmd.name === 'optout'));
    }
    if (!cfg.mentors) return answer('校友导师计划暂未开放，开放后会在群里通知。');
    const { catalog } = this.deps;
    const s = this.mentorState();
    const step: Step =
      cmd.name === 'mentor-join'
        ? mentorJoin(s, me, cmd.terms, cmd.topics, catalog, now)
        : cmd.name === 'mentor-leave'
          ? mentorLeave(s, key, catalog, now)
          : cmd.name === 'student-ask'
            ? studentAsk(s, me, cmd.terms, catalog, now)
            : cmd.name === 'student-cancel'
              ? studentCancel(s, key)
              : mentorAnswer(s, key, cmd.code, cmd.accept, catalog, now);
    await this.applyMentorStep(step, step.reply ? { id: requestId('reply', `${m.platform}:${m.chatId}|${m.id}`), chat: m.chatId, platform: m.platform, body: step.reply } : undefined);
  }

  private async applyMentorStep(step: Step, reply?: { id: string; platform: AlumniMessage['platform']; chat: string; body: string }): Promise<void> {
    if (step.state !== this.db.get<MentorState>(MENTORS, MENTOR_STATE)) this.db.put(MENTORS, MENTOR_STATE, step.state);
    const requests: AlumniOutboxRequest[] = step.effects.map((e: Effect) => ({
      id: requestId('mentor', e.key),
      kind: 'mentor',
      channel: { platform: e.to.platform, chat: e.to.id },
      direct: true,
      message: plain(e.text),
    }));
    if (reply) requests.push({ id: reply.id, kind: 'reply', channel: { platform: reply.platform, chat: reply.chat }, direct: true, message: plain(reply.body) });
    await this.carryOut({ requests, set: [], clear: [] });
  }

  /** Contribution records for a local month (YYYY-MM), each referral credited to its first poster. */
  contributors(month: string) {
    return contributors(this.entries(), month);
  }

  /** Erasure (call after the store's forgetSender, with the relay stopped): ledger, marks, opt-out, mentors; then compacts. */
  async forget(senderId: string): Promise<AlumniForgetResult & { mentor: boolean }> {
    const result = forgetInLedger(this.db, senderId);
    const s = this.mentorState();
    const everyone = [...Object.keys(s.mentors), ...Object.values(s.requests).flatMap((r) => [personKey(r.student), ...(r.mentor ? [r.mentor] : []), ...r.declined])];
    const keys = new Set(everyone.filter((k) => k.endsWith(`:${senderId}`)));
    let mentor = false;
    let state = s;
    const effects: Effect[] = [];
    for (const k of keys) {
      if (!mentorMentions(state, k)) continue;
      const step = mentorForget(state, k, this.deps.catalog, this.now());
      state = step.state;
      effects.push(...step.effects);
      mentor = true;
    }
    if (mentor) await this.applyMentorStep({ state, effects });
    await this.db.compact();
    return { ...result, mentor };
  }

  /** Sweeps now and every `everyMs` (and on the hooks). */
  start(everyMs = 60_000): void {
    this.stopped = false;
    const tick = () => {
      void this.sweep().finally(() => {
        if (!this.stopped) {
          this.timer = setTimeout(tick, everyMs);
          this.timer.unref?.();
        }
      });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.kickTimer);
    await this.running;
    await this.db.close();
  }
}
