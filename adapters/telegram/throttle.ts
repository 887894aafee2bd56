// Outgoing rate limits. 2026-11, https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this :
// about 1 message a second in one chat, 20 a minute in one group, 30 a second in all (short bursts
// may pass, then 429s come).
//
// The throttler plugin (Bottleneck) spaces calls by when they *start*: a call that waits on the
// global limiter or on a slow connection, followed by one that does not, reaches Telegram less than
// a second after it. So the spacing per chat is measured here from the *end* of the previous call
// (by then Telegram has received it) plus a gap slightly over a second; the plugin keeps the group
// and global budgets, with settings that hold in any sliding window, not only in its refresh periods.
import { type APIThrottlerOptions, apiThrottler } from '@grammyjs/transformer-throttler';
import type { Transformer } from 'grammy';

export interface TelegramThrottleOptions {
  /** Least time from the end of one call to a chat to the start of the next; default 1050 ms. */
  perChatGapMs?: number;
  /** Bottleneck settings for the throttler plugin (`group`: chat ids below 0, `out`: the others, `global`: every call); each replaces the default below. */
  plugin?: APIThrottlerOptions;
}

export const DEFAULT_PER_CHAT_GAP_MS = 1050;

export const DEFAULT_PLUGIN_LIMITS: Required<APIThrottlerOptions> = {
  // One start every 40 ms: at most 25 in any second. Starts are not arrivals (a new connection, a busy
  // event loop), and 36 ms let 31 arrive within a second at a strict fake (9 of 349 sends answered 429
  // in 40 chats × 3 parts, 3 rounds); 40 ms: none of 480 in 4 rounds (2026-11, this repo's 2-core VM).
  global: { minTime: 40 },
  // A bucket of 5, one more every 4.2 s: at most 5 + 15 = 20 in any 60 s, bursts of 5 for a digest's parts.
  group: { maxConcurrent: 1, reservoir: 5, reservoirIncreaseAmount: 1, reservoirIncreaseInterval: 4200, reservoirIncreaseMaximum: 5 },
  out: { maxConcurrent: 1 },
};

/** The transformers to install, innermost first. */
export function throttleTransformers(opts: TelegramThrottleOptions = {}): Transformer[] {
  return [apiThrottler({ ...DEFAULT_PLUGIN_LIMITS, ...opts.plugin }), perChatGap(opts.perChatGapMs ?? DEFAULT_PER_CHAT_GAP_MS)];
}

interface Lane {
  tail: Promise<unknown>;
  lastEnd: number;
  queued: number;
}

/** Calls to one chat run one at a time, each starting at least `gapMs` after the previous one ended. */
export function perChatGap(gapMs: number): Transformer {
  const lanes = new Map<string, Lane>();
  const prune = (now: number) => {
    for (const [k, l] of lanes) if (l.queued === 0 && now - l.lastEnd > gapMs) lanes.delete(k);
  };
  return (prev, method, payload, signal) => {
    const chat = payload && typeof payload === 'object' && 'chat_id' in payload ? String((payload as { chat_id: unknown }).chat_id) : undefined;
    if (chat === undefined) return prev(method, payload, signal);
    if (lanes.size > 1000) prune(Date.now());
    let lane = lanes.get(chat);
    if (!lane) lanes.set(chat, (lane = { tail: Promise.resolve(), lastEnd: -Infinity, queued: 0 }));
    const l = lane;
    l.queued++;
    const run = l.tail.then(async () => {
      const wait = l.lastEnd + gapMs - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      try {
        return await prev(method, payload, signal);
      } finally {
        l.lastEnd = Date.now();
        l.queued--;
      }
    });
    l.tail = run.catch(() => undefined);
    return run;
  };
}
