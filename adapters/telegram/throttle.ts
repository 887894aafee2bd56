// Outgoing rate limits. 2026-11, https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this :
// about 1 message a second in one chat, 20 a minute in one group, 30 a second in all (short bursts
// may pass, then 429s come).
//
// The throttler plugin (Bottleneck) spaces calls by when they *start*: a call that waits on the
// global limiter or on a slow connection, followed by one that does not, reaches Telegram less than
// a second after it. So what must hold at arrival is measured here from the *end* of calls (by then
// Telegram has received them): per chat, a gap slightly over a second after the previous call ended;
// in all, a call starts only once the call 30 places before it ended more than a second ago. The
// plugin keeps the group budget, with settings that hold in any sliding window.
//
// A media group of N pictures is N messages in the chat. The FAQ counts messages, not calls, and says
// nothing of albums, so the conservative reading is taken: before the real call, N−1 stand-in calls
// pass through every limiter (per chat, group budget, global window) and are answered innermost,
// never reaching Telegram (mediaGroupWeight + skipStandIns).
import { type APIThrottlerOptions, apiThrottler } from '@grammyjs/transformer-throttler';
import type { Transformer } from 'grammy';

export interface TelegramThrottleOptions {
  /** Least time from the end of one call to a chat to the start of the next; default 1010 ms. */
  perChatGapMs?: number;
  /** At most this many calls reach Telegram in any `globalWindowMs`; default 30 in 1000 ms. */
  globalLimit?: number;
  globalWindowMs?: number;
  /** Bottleneck settings for the throttler plugin (`group`: chat ids below 0, `out`: the others, `global`: every call); each replaces the default below. */
  plugin?: APIThrottlerOptions;
}

/**
 * 1 s plus a 10 ms margin for timer and clock granularity. Measured from the END of the previous call, the
 * gap is safe however Telegram times a message: whatever instant it counts the previous one at (arrival,
 * processing) came before its answer reached us, and the next one's after we start it. So any gap over
 * 1000 ms holds at Telegram; 1050 only cost the bench's fan-out 2 × 40 ms (2026-12, limit as in the FAQ
 * link above; this repo's bench fake enforces it at arrival: 0 × 429 at 1010).
 */
export const DEFAULT_PER_CHAT_GAP_MS = 1010;

export const DEFAULT_PLUGIN_LIMITS: Required<APIThrottlerOptions> = {
  // None here: globalWindow below. Spacing starts (the plugin's minTime) is not spacing arrivals (a new
  // connection, a busy event loop): 36 ms let 31 sends arrive within a second at a strict fake (9 of
  // 349 answered 429, 40 chats × 3 parts), and 40 ms still did once under load 11 on 2 cores; with
  // globalWindow: 0 of 480 in 4 rounds at load 11.8, 3.6 s a round (2026-11, this repo's 2-core VM).
  global: {},
  // A bucket of 5, one more every 4.2 s: at most 5 + 15 = 20 in any 60 s, bursts of 5 for a digest's parts.
  group: { maxConcurrent: 1, reservoir: 5, reservoirIncreaseAmount: 1, reservoirIncreaseInterval: 4200, reservoirIncreaseMaximum: 5 },
  out: { maxConcurrent: 1 },
};

/** The transformers to install, innermost first (outside the retry transformers; skipStandIns goes innermost of all). */
export function throttleTransformers(opts: TelegramThrottleOptions = {}): Transformer[] {
  return [
    globalWindow(opts.globalLimit ?? 30, opts.globalWindowMs ?? 1000),
    apiThrottler({ ...DEFAULT_PLUGIN_LIMITS, ...opts.plugin }),
    perChatGap(opts.perChatGapMs ?? DEFAULT_PER_CHAT_GAP_MS),
    mediaGroupWeight(),
  ];
}

/** Payloads of stand-in calls (identity, so no real payload can pass for one). */
const standIns = new WeakSet<object>();

/** Outermost: a sendMediaGroup of N items first sends N−1 stand-ins through the limiters below it. */
export function mediaGroupWeight(): Transformer {
  return async (prev, method, payload, signal) => {
    const media = method === 'sendMediaGroup' && payload && typeof payload === 'object' ? (payload as { media?: unknown }).media : undefined;
    if (Array.isArray(media)) {
      for (let i = 1; i < media.length; i++) {
        const standIn = { chat_id: (payload as { chat_id?: unknown }).chat_id };
        standIns.add(standIn);
        await prev(method, standIn as never, signal);
      }
    }
    return prev(method, payload, signal);
  };
}

/** Innermost: answers the stand-ins of mediaGroupWeight without a request. */
export function skipStandIns(): Transformer {
  return (prev, method, payload, signal) => {
    if (payload && typeof payload === 'object' && standIns.has(payload)) return Promise.resolve({ ok: true, result: [] } as never);
    return prev(method, payload, signal);
  };
}

/**
 * Calls numbered as they start; call k starts only when calls 1…k−limit have all ended, the last of
 * them more than `windowMs` ago. Any `limit + 1` calls then include one that started after another
 * had ended (so had arrived) more than `windowMs` before: no more than `limit` arrive in any window,
 * however long each took on the way.
 */
export function globalWindow(limit: number, windowMs: number): Transformer {
  const waiting: ((n: number) => void)[] = [];
  let started = 0;
  /** Ended calls not yet folded into `allEndedUpTo`. */
  const ended = new Map<number, number>();
  /** Every call numbered ≤ allEndedUpTo has ended; endedBy[n] = latest end among calls ≤ n. */
  let allEndedUpTo = 0;
  const endedBy = new Map<number, number>([[0, -Infinity]]);
  let timer: NodeJS.Timeout | undefined;
  const pump = () => {
    clearTimeout(timer);
    timer = undefined;
    while (waiting.length) {
      const need = started + 1 - limit;
      if (need > allEndedUpTo) return; // wait for an end
      const at = (endedBy.get(Math.max(0, need)) ?? -Infinity) + windowMs;
      const wait = at - performance.now();
      if (wait > 0) {
        timer = setTimeout(pump, Math.ceil(wait));
        return;
      }
      started++;
      for (const n of endedBy.keys()) if (n < need) endedBy.delete(n);
      waiting.shift()!(started);
    }
  };
  const end = (n: number) => {
    ended.set(n, performance.now());
    while (ended.has(allEndedUpTo + 1)) {
      const t = ended.get(allEndedUpTo + 1)!;
      ended.delete(allEndedUpTo + 1);
      endedBy.set(allEndedUpTo + 1, Math.max(endedBy.get(allEndedUpTo) ?? -Infinity, t));
      allEndedUpTo++;
    }
    pump();
  };
  return async (prev, method, payload, signal) => {
    if (method === 'getUpdates') return prev(method, payload, signal);
    const n = await new Promise<number>((resolve) => {
      waiting.push(resolve);
      pump();
    });
    try {
      return await prev(method, payload, signal);
    } finally {
      end(n);
    }
  };
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
    if (lanes.size > 1000) prune(performance.now());
    const l = lanes.get(chat) ?? { tail: Promise.resolve(), lastEnd: -Infinity, queued: 0 };
    lanes.set(chat, l);
    l.queued++;
    const run = l.tail.then(async () => {
      // performance.now(), not Date.now(): whole milliseconds, floored, and a timer that may fire up to
      // 1 ms early could together have taken 2 ms off the margin.
      for (let wait = l.lastEnd + gapMs - performance.now(); wait > 0; wait = l.lastEnd + gapMs - performance.now()) {
        await new Promise((r) => setTimeout(r, Math.ceil(wait)));
      }
      try {
        return await prev(method, payload, signal);
      } finally {
        l.lastEnd = performance.now();
        l.queued--;
      }
    });
    l.tail = run.catch(() => undefined);
    return run;
  };
}
