// The ballot box: one vote per student per (college, post), changeable; bursts are rate-limited.
// In memory; state.ts persists it. Callers hash the student first (hash.ts): no id or name enters here.
import type { Vote } from './learn.ts';
import { RateLimiter, type BucketOptions } from './rate-limit.ts';

export type VoteOutcome = 'recorded' | 'changed' | 'unchanged' | 'rate-limited';

export interface VoteBookOptions {
  /** Per student: a burst of `capacity` presses, then `perMinute`. Default 8, 12/min. */
  perVoter: BucketOptions;
  /** Per chat (a raid of fresh accounts): default 60, 120/min. */
  perChat: BucketOptions;
}

export const DEFAULT_VOTE_LIMITS: VoteBookOptions = { perVoter: { capacity: 8, perMinute: 12 }, perChat: { capacity: 60, perMinute: 120 } };

const itemKey = (collegeId: string, postId: string) => `${collegeId}\u0000${postId}`;

export class VoteBook {
  /** item key → voter → vote */
  private readonly byItem = new Map<string, Map<string, Vote>>();
  /** item key → the route's evidence keys, recorded with the item's first vote. */
  private readonly keys = new Map<string, string[]>();
  private readonly voterLimit: RateLimiter;
  private readonly chatLimit: RateLimiter;
  private count = 0;

  constructor(opts: Partial<VoteBookOptions> = {}) {
    const o = { ...DEFAULT_VOTE_LIMITS, ...opts };
    this.voterLimit = new RateLimiter(o.perVoter);
    this.chatLimit = new RateLimiter(o.perChat);
  }

  /**
   * Records `vote` (its `at` is the time used for limits). `routeKeys` is called only for an item's
   * first vote. `chat` is the rate-limit key of the chat the press came from.
   */
  cast(vote: Vote, chat: string, routeKeys: () => string[]): VoteOutcome {
    const nowMs = Date.parse(vote.at);
    const item = itemKey(vote.collegeId, vote.postId);
    const prev = this.byItem.get(item)?.get(vote.voter);
    // Pressing the same button again is free (a double tap, a redelivered callback).
    if (prev && prev.value === vote.value) return 'unchanged';
    if (!this.voterLimit.take(vote.voter, nowMs) || !this.chatLimit.take(chat, nowMs)) return 'rate-limited';
    this.put(vote, routeKeys);
    return prev ? 'changed' : 'recorded';
  }

  /** Adds a vote without limits (loading the state). */
  put(vote: Vote, routeKeys: () => string[]): void {
    const item = itemKey(vote.collegeId, vote.postId);
    let voters = this.byItem.get(item);
    if (!voters) {
      voters = new Map();
      this.byItem.set(item, voters);
      if (!this.keys.has(item)) this.keys.set(item, routeKeys());
    }
    if (!voters.has(vote.voter)) this.count++;
    voters.set(vote.voter, { ...vote });
  }

  keysOf(collegeId: string, postId: string): string[] | undefined {
    return this.keys.get(itemKey(collegeId, postId));
  }

  setKeys(collegeId: string, postId: string, keys: string[]): void {
    this.keys.set(itemKey(collegeId, postId), keys);
  }

  get size(): number {
    return this.count;
  }

  *votes(): Generator<Vote> {
    for (const voters of this.byItem.values()) yield* voters.values();
  }

  /** Votes on one item: 👍 and 👎 counts. */
  tally(collegeId: string, postId: string): { up: number; down: number } {
    let up = 0, down = 0;
    for (const v of this.byItem.get(itemKey(collegeId, postId))?.values() ?? []) v.value > 0 ? up++ : down++;
    return { up, down };
  }

  /** Removes every vote matching `drop`; returns how many. Items left without votes lose their keys. */
  remove(drop: (v: Vote) => boolean): number {
    let n = 0;
    for (const [item, voters] of this.byItem) {
      for (const [voter, v] of voters) {
        if (drop(v)) {
          voters.delete(voter);
          n++;
        }
      }
      if (voters.size === 0) {
        this.byItem.delete(item);
        this.keys.delete(item);
      }
    }
    this.count -= n;
    return n;
  }

  /** Item keys for the state file. */
  *items(): Generator<{ collegeId: string; postId: string; keys: string[] }> {
    for (const [item, keys] of this.keys) {
      const [collegeId, postId] = item.split('\u0000') as [string, string];
      yield { collegeId, postId, keys };
    }
  }
}
