// The feedback module as the relay uses it: votes in, adjusted classifications out, clicks counted,
// subscriptions kept. Platform-independent: adapters turn a button press or a reply into `vote` /
// `handleText` calls and send back the answer they return.
import type { Catalog } from '../catalog.ts';
import type { Classification, Delivery, Platform, Post } from '../domain.ts';
import type { Rules } from '../rules/schema.ts';
import type { DigestRecord } from '../store/hot-state.ts';
import { localDate } from '../time.ts';
import { applyAdjustments, type Adjusted, type AdjustOptions } from './adjust.ts';
import { type FeedbackCommand, parseFeedbackCommand } from './commands.ts';
import { voterHash } from './hash.ts';
import { resolveItem } from './items.ts';
import { type AdjustmentTable, DEFAULT_LEARN, learnAdjustments, type LearnOptions, routeKeys, type Vote } from './learn.ts';
import { LinkIndex, type LinkTarget } from './links.ts';
import { type FeedbackData, loadFeedback, saveFeedback } from './state.ts';
import { createResolver, DEFAULT_TIME, dueSubscriptions, postsForSubscription, type Subscription, unreachable } from './subscriptions.ts';
import { VoteBook, type VoteBookOptions, type VoteOutcome } from './votes.ts';

/** What the service reads from the running relay (the store's public methods and the rules). */
export interface RelayView {
  postById(id: string): Post | undefined;
  posts(): Iterable<Post>;
  digests(): Iterable<DigestRecord>;
  deliveries(): Iterable<Delivery>;
  rules(): Rules;
}

export interface FeedbackOptions {
  dataDir: string;
  /** RELAY_SECRET (hash.ts). */
  secret: string;
  catalog: Catalog;
  view: RelayView;
  now?: () => Date;
  logger?: { warn(o: object, m: string): void; error(o: object, m: string): void };
  learn?: Partial<LearnOptions>;
  adjust?: Partial<AdjustOptions>;
  limits?: Partial<VoteBookOptions>;
  /** Debounce of vote and click writes (ms). Default 1000. */
  saveDelayMs?: number;
  fsync?: boolean;
}

export interface VoteEvent {
  platform: Platform;
  chatId: string;
  userId: string;
  /** 1-based item numbers. */
  items: number[];
  value: 1 | -1;
  /** The digest named by a button (items.ts); absent for a WeChat reply (the latest digest). */
  digestKey?: string;
}

export interface VoteAnswer {
  /** One per item; `ignored` when the chat is not a channel or the item does not exist. */
  outcomes: (VoteOutcome | 'ignored')[];
  /** A short answer for the student (answerCallbackQuery's text, a card toast, or nothing on WeChat). */
  text: string;
}

export class FeedbackService {
  private data: FeedbackData;
  private readonly book: VoteBook;
  private table: AdjustmentTable = new Map();
  private tableDirty = true;
  private saveTimer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private readonly links: LinkIndex;
  private readonly now: () => Date;
  readonly resolve: ReturnType<typeof createResolver>;

  constructor(private readonly opts: FeedbackOptions) {
    this.now = opts.now ?? (() => new Date());
    const loaded = loadFeedback(opts.dataDir, this.now());
    if (loaded.movedAside) opts.logger?.error({ file: loaded.movedAside }, 'feedback state unreadable: kept aside, starting empty');
    this.data = loaded.data;
    this.book = new VoteBook(opts.limits);
    for (const i of this.data.items) this.book.setKeys(i.collegeId, i.postId, i.keys);
    for (const v of this.data.votes) this.book.put(v, () => []);
    this.links = new LinkIndex(opts.secret, opts.view);
    this.resolve = createResolver(opts.catalog);
  }

  // ---- votes ---------------------------------------------------------------------------------------

  /** Records a press or a reply. Never throws for bad input: unknown chats and items are ignored. */
  vote(e: VoteEvent): VoteAnswer {
    const at = this.now().toISOString();
    const voter = voterHash(this.opts.secret, e.platform, e.userId);
    const outcomes: VoteAnswer['outcomes'] = [];
    for (const n of e.items.slice(0, 20)) {
      const item = resolveItem(this.opts.view, { platform: e.platform, chatId: e.chatId }, n, e.digestKey);
      if (!item.ok) {
        outcomes.push('ignored');
        continue;
      }
      const vote: Vote = { voter, collegeId: item.collegeId, postId: item.postId, value: e.value, at };
      const outcome = this.book.cast(vote, `${e.platform}:${e.chatId}`, () => {
        const post = this.opts.view.postById(item.postId);
        return post ? routeKeys(post.classification, item.collegeId) : [];
      });
      outcomes.push(outcome);
    }
    if (outcomes.some((o) => o === 'recorded' || o === 'changed')) this.changed();
    const text = outcomes.includes('rate-limited')
      ? '操作太频繁，请稍后再试'
      : outcomes.every((o) => o === 'ignored')
        ? '这条速递已过期或不在本群，未记录'
        : outcomes.includes('changed')
          ? '已更改，谢谢'
          : '已记录，谢谢';
    return { outcomes, text };
  }

  /**
   * A text message: a vote reply in a student channel (`3 不对口`) or, in a private chat, a
   * subscription command. undefined when it is neither (the caller goes on as usual).
   */
  async handleText(m: { platform: Platform; chatId: string; senderId: string; text: string }, where: 'group' | 'private'): Promise<{ reply?: string } | undefined> {
    const cmd = parseFeedbackCommand(m.text);
    if (!cmd) return undefined;
    if (cmd.kind === 'vote') {
      if (where !== 'group') return { reply: '请在收到速递的群里回复「序号 不对口」或「序号 有用」' };
      const answer = this.vote({ platform: m.platform, chatId: m.chatId, userId: m.senderId, items: cmd.items, value: cmd.value });
      // In a group a reply to every vote would be noise: answer only what the student must know.
      return { reply: answer.outcomes.includes('rate-limited') ? answer.text : undefined };
    }
    if (where !== 'private') return { reply: '订阅请私聊我，例如：订阅 电气工程及其自动化' };
    return { reply: await this.subscriptionCommand(m.platform, m.senderId, cmd) };
  }

  // ---- learnt routing ------------------------------------------------------------------------------

  /** The classification with learnt adjustments applied (the same object when nothing applies). */
  adjust<C extends Classification>(c: C): Adjusted<C> {
    return applyAdjustments(c, this.adjustments(), this.opts.adjust);
  }

  /** The current table (recomputed after votes or a reset, on first use). */
  adjustments(): AdjustmentTable {
    if (this.tableDirty) {
      const resets = this.data.resets;
      const votes = [...this.book.votes()].filter((v) => !resets[v.collegeId] || v.at > resets[v.collegeId]!);
      this.table = learnAdjustments(votes, (c, p) => this.book.keysOf(c, p), this.now(), this.opts.learn);
      this.tableDirty = false;
    }
    return this.table;
  }

  /** Forgets the learnt adjustments of one college (or all): earlier votes stop counting for routing; 👍/👎 counts stay. */
  async reset(collegeId?: string): Promise<string[]> {
    const ids = collegeId ? [collegeId] : this.opts.view.rules().colleges.map((c) => c.id);
    const at = this.now().toISOString();
    for (const id of ids) this.data.resets[id] = at;
    this.tableDirty = true;
    await this.saveNow();
    return ids;
  }

  // ---- tracked links --------------------------------------------------------------------------------

  /** The target of a tracked link, counted; undefined for an unknown or expired token. */
  click(token: string): LinkTarget | undefined {
    const now = this.now();
    const t = this.links.resolve(token, now.getTime());
    if (!t) return undefined;
    const day = localDate(now, this.opts.view.rules().defaults.timezone);
    const channel = `${t.channel.platform}:${t.channel.chat}`;
    const row = this.data.clicks.find((c) => c.day === day && c.postId === t.postId && c.collegeId === t.collegeId && c.channel === channel);
    if (row) row.n++;
    else this.data.clicks.push({ day, postId: t.postId, collegeId: t.collegeId, channel, n: 1 });
    this.scheduleSave();
    return t;
  }

  // ---- subscriptions --------------------------------------------------------------------------------

  subscriptions(): readonly Subscription[] {
    return this.data.subscriptions;
  }

  private async subscriptionCommand(platform: Platform, userId: string, cmd: Exclude<FeedbackCommand, { kind: 'vote' }>): Promise<string> {
    const idx = this.data.subscriptions.findIndex((s) => s.platform === platform && s.userId === userId);
    const mine = idx >= 0 ? this.data.subscriptions[idx] : undefined;
    const label = (code: string) => `${this.resolve(code).ok ? (this.resolve(code) as { name: string }).name : code}（${code}）`;
    if (cmd.kind === 'list') {
      return mine ? `你订阅了：${mine.codes.map(label).join('、')}，每天 ${mine.time} 推送。退订请回复「退订」。` : '你还没有订阅。例如：订阅 电气工程及其自动化 每天 20:00';
    }
    if (cmd.kind === 'unsubscribe') {
      if (!mine) return '你没有订阅，无需退订。';
      const drop = new Set(cmd.queries.map((q) => this.resolve(q)).flatMap((r) => (r.ok ? [r.code] : [])));
      const left = cmd.queries.length ? mine.codes.filter((c) => !drop.has(c)) : [];
      if (left.length) mine.codes = left;
      else this.data.subscriptions.splice(idx, 1);
      await this.saveNow();
      return left.length ? `已退订。还订阅着：${left.map(label).join('、')}` : '已退订，不会再收到个人推送。你的订阅记录已删除。';
    }
    if (cmd.time === 'invalid') return '时间不对，例如：订阅 每天 20:00';
    const codes: string[] = [];
    const problems: string[] = [];
    for (const q of cmd.queries) {
      const r = this.resolve(q);
      if (r.ok) codes.push(r.code);
      else problems.push(r.suggestions.length ? `没有找到「${q}」，你是不是要：${r.suggestions.map((s) => `${s.name}（${s.code}）`).join('、')}？` : `没有找到「${q}」这个专业，请用专业全称或代码，例如 订阅 080601`);
    }
    if (!codes.length && !(mine && cmd.time)) return problems.join('\n') || '请写上专业，例如：订阅 电气工程及其自动化 每天 20:00';
    const now = this.now().toISOString();
    const sub: Subscription = mine ?? { platform, userId, codes: [], time: DEFAULT_TIME, createdAt: now };
    sub.codes = [...new Set([...sub.codes, ...codes])].slice(0, 20);
    if (cmd.time) sub.time = cmd.time;
    if (!mine) this.data.subscriptions.push(sub);
    await this.saveNow();
    return [`已订阅：${sub.codes.map(label).join('、')}，每天 ${sub.time} 推送这些专业的新内推。回复「退订」随时取消。`, ...problems].join('\n');
  }

  /**
   * Personal digests due now: each subscription with its posts (those without posts are marked sent).
   * A subscriber whose last personal digests all died in the outbox is unreachable: their subscription
   * ends here instead of a dead letter (and an admin alert) every day.
   */
  async due(): Promise<{ sub: Subscription; posts: Post[] }[]> {
    const now = this.now();
    const tz = this.opts.view.rules().defaults.timezone;
    const out: { sub: Subscription; posts: Post[] }[] = [];
    let quiet = false;
    const due = dueSubscriptions(now, this.data.subscriptions, tz);
    const ended = unreachable(due, this.opts.view.deliveries());
    if (ended.length) {
      this.data.subscriptions = this.data.subscriptions.filter((s) => !ended.includes(s));
      // The platform only: a user id is personal data and stays out of the log.
      for (const s of ended) this.opts.logger?.warn({ platform: s.platform }, 'subscription ended: its last personal digests could not be delivered');
      await this.saveNow();
    }
    for (const sub of due) {
      if (ended.includes(sub)) continue;
      const posts = postsForSubscription(sub, this.opts.view.posts(), now, tz);
      if (posts.length) out.push({ sub, posts });
      else {
        sub.lastSentAt = now.toISOString();
        quiet = true;
      }
    }
    if (quiet) this.scheduleSave();
    return out;
  }

  /** Call once a personal digest is in the outbox. */
  async markSent(sub: Subscription, at = this.now()): Promise<void> {
    sub.lastSentAt = at.toISOString();
    await this.saveNow();
  }

  // ---- privacy ---------------------------------------------------------------------------------------

  /** `forget`: a person's subscription and their votes (by their hash). */
  async forget(platform: Platform | undefined, userId: string): Promise<{ subscriptions: number; votes: number }> {
    const before = this.data.subscriptions.length;
    this.data.subscriptions = this.data.subscriptions.filter((s) => !(s.userId === userId && (!platform || s.platform === platform)));
    const hashes = new Set((platform ? [platform] : (['telegram', 'lark', 'wechat', 'local'] as Platform[])).map((p) => voterHash(this.opts.secret, p, userId)));
    const votes = this.book.remove((v) => hashes.has(v.voter));
    if (votes) this.tableDirty = true;
    await this.saveNow();
    return { subscriptions: before - this.data.subscriptions.length, votes };
  }

  /** Drops click rows and votes of posts no longer stored (retention, `forget --sender`). */
  async dropPosts(keep: (postId: string) => boolean): Promise<void> {
    this.data.clicks = this.data.clicks.filter((c) => keep(c.postId));
    if (this.book.remove((v) => !keep(v.postId))) this.tableDirty = true;
    await this.saveNow();
  }

  // ---- read by stats ---------------------------------------------------------------------------------

  votes(): Iterable<Vote> {
    return this.book.votes();
  }

  clicks(): readonly FeedbackData['clicks'][number][] {
    return this.data.clicks;
  }

  resets(): Readonly<Record<string, string>> {
    return this.data.resets;
  }

  // ---- persistence -----------------------------------------------------------------------------------

  private changed(): void {
    this.tableDirty = true;
    this.scheduleSave();
  }

  private scheduleSave(): void {
    if (this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      void this.saveNow().catch((err) => this.opts.logger?.error({ err }, 'feedback state not saved; retrying with the next change'));
    }, this.opts.saveDelayMs ?? 1000);
    this.saveTimer.unref?.();
  }

  /** Writes now (after any write in flight). Votes older than six half-lives are dropped first. */
  saveNow(): Promise<void> {
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    const halfLife = this.opts.learn?.halfLifeDays ?? DEFAULT_LEARN.halfLifeDays;
    const oldest = new Date(this.now().getTime() - 6 * halfLife * 86_400_000).toISOString();
    this.book.remove((v) => v.at < oldest);
    this.data.votes = [...this.book.votes()];
    this.data.items = [...this.book.items()];
    const snapshot = JSON.parse(JSON.stringify(this.data)) as FeedbackData;
    this.writing = this.writing.catch(() => {}).then(() => saveFeedback(this.opts.dataDir, snapshot, this.opts.fsync ?? true));
    return this.writing;
  }

  async close(): Promise<void> {
    if (this.saveTimer) await this.saveNow();
    await this.writing.catch(() => {});
  }
}
