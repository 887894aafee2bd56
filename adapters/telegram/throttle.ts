// Outgoing rate limits. 2026-11, https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this :
// about 1 message a second in one chat, 20 a minute in one group, 30 a second in all (short bursts
// may pass, then 429s come).
//
// The throttler plugin (Bottleneck) spaces calls by when they *start*: a call that waits on the
// global limiter or on a slow connection, followed by one that does not, reaches Telegram less than
// a second after it. So what must hold at arrival is measured here from the *end* of calls (by then
// Telegram has received them): per chat, a gap slightly over a second after the previous call ended;
// in all, a call starts only once the call 30 places before it ended more than a second ago; per group,
// the same with 20 in a minute. No Bottleneck (@grammyjs/transformer-throttler) any more: it kept only the
// group budget here, yet each call passed its two limiters (setTimeout hops, a limiter object per chat),
// which held a 30-chat fan-out's first round back ≈ 100 ms (bench: first round 271–341 ms with it,
// 188–263 with its group limiter left empty, load 4; 2026-12).
//
// A media group of N pictures is N messages in the chat. The FAQ counts messages, not calls, and says
// nothing of albums, so the conservative reading is taken: before the real call, N−1 stand-in calls
// pass through every limiter (per chat, group budget, global window) and are answered innermost,
// never reaching Telegram (mediaGroupWeight + skipStandIns).
import type { Transformer } from 'grammy';

export interface TelegramThrottleOptions {
  /** Least time from the end of one call to a chat to the start of the next; default 1010 ms. */
  perChatGapMs?: number;
  /** At most this many calls reach Telegram in any `globalWindowMs`; default 30 in 1000 ms. */
  globalLimit?: number;
  globalWindowMs?: number;
  /** At most this many calls to one group (a chat id below 0) in any `groupWindowMs`; default 20 in 60 000 ms. */
  groupLimit?: number;
  groupWindowMs?: number;
}

/**
 * 1 s plus a 10 ms margin for timer and clock granularity. Measured from the END of the previous call, the
 * gap is safe however Telegram times a message: whatever instant it counts the previous one at (arrival,
 * processing) came before its answer reached us, and the next one's after we start it. So any gap over
 * 1000 ms holds at Telegram; 1050 only cost the bench's fan-out 2 × 40 ms (2026-12, limit as in the FAQ
 * link above; this repo's bench fake enforces it at arrival: 0 × 429 at 1010).
 */
export const DEFAULT_PER_CHAT_GAP_MS = 1010;

/** 2026-11 FAQ above: "no more than 20 messages per minute" in one group. */
export const DEFAULT_GROUP_LIMIT = { limit: 20, windowMs: 60_000 } as const;
/** @deprecated the throttler plugin is gone; the group budget is DEFAULT_GROUP_LIMIT. */
export const DEFAULT_PLUGIN_LIMITS = { group: DEFAULT_GROUP_LIMIT } as const;

/** The transformers to install, innermost first (outside the retry transformers; skipStandIns goes innermost of all). */
export function throttleTransformers(opts: TelegramThrottleOptions = {}): Transformer[] {
  return [
    globalWindow(opts.globalLimit ?? 30, opts.globalWindowMs ?? 1000),
    groupWindow(opts.groupLimit ?? DEFAULT_GROUP_LIMIT.limit, opts.groupWindowMs ?? DEFAULT_GROUP_LIMIT.windowMs),
    perChatGap(opts.perChatGapMs ?? DEFAULT_PER_CHAT_GAP_MS),
    mediaGroupWeight(),
  ];
}

/**
 * The limits are on messages (FAQ above): only calls that put a message in a chat pass the limiters. A lookup
 * (getChatMemberCount for "约 N 人", getFile, getMe) or answerCallbackQuery neither waits in a chat's lane nor
 * takes a place in a window: counting them had a fan-out's member-count lookups push its sends back a round.
 */
export const isMessageCall = (method: string): boolean => /^(send|forward|copy|editMessage)/.test(method);

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
class EndWindow {
  private readonly waiting: ((n: number) => void)[] = [];
  private started = 0;
  /** Ended calls not yet folded into `allEndedUpTo`. */
  private readonly ended = new Map<number, number>();
  /** Every call numbered ≤ allEndedUpTo has ended; endedBy[n] = latest end among calls ≤ n. */
  private allEndedUpTo = 0;
  private readonly endedBy = new Map<number, number>([[0, -Infinity]]);
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Resolves with the call's number once it may start. */
  acquire(): Promise<number> {
    return new Promise<number>((resolve) => {
      this.waiting.push(resolve);
      this.pump();
    });
  }

  release(n: number): void {
    this.ended.set(n, performance.now());
    while (this.ended.has(this.allEndedUpTo + 1)) {
      const t = this.ended.get(this.allEndedUpTo + 1)!;
      this.ended.delete(this.allEndedUpTo + 1);
      this.endedBy.set(this.allEndedUpTo + 1, Math.max(this.endedBy.get(this.allEndedUpTo) ?? -Infinity, t));
      this.allEndedUpTo++;
    }
    this.pump();
  }

  /** Nothing waiting or running, and the last end is out of the window: forgetting it changes nothing. */
  idle(now: number): boolean {
    return this.waiting.length === 0 && this.allEndedUpTo === this.started && now - (this.endedBy.get(this.allEndedUpTo) ?? -Infinity) > this.windowMs;
  }

  private pump(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.waiting.length) {
      const need = this.started + 1 - this.limit;
      if (need > this.allEndedUpTo) return; // wait for an end
      const at = (this.endedBy.get(Math.max(0, need)) ?? -Infinity) + this.windowMs;
      const wait = at - performance.now();
      if (wait > 0) {
        this.timer = setTimeout(() => this.pump(), Math.ceil(wait));
        return;
      }
      this.started++;
      for (const n of this.endedBy.keys()) if (n < need) this.endedBy.delete(n);
      this.waiting.shift()!(this.started);
    }
  }
}

async function through<T>(w: EndWindow, call: () => Promise<T>): Promise<T> {
  const n = await w.acquire();
  try {
    return await call();
  } finally {
    w.release(n);
  }
}

/** At most `limit` message calls in any `windowMs`, as they arrive (see EndWindow). */
export function globalWindow(limit: number, windowMs: number): Transformer {
  const w = new EndWindow(limit, windowMs);
  return (prev, method, payload, signal) => (isMessageCall(method) ? through(w, () => prev(method, payload, signal)) : prev(method, payload, signal));
}

const chatOf = (payload: unknown): string | undefined =>
  payload && typeof payload === 'object' && 'chat_id' in payload ? String((payload as { chat_id: unknown }).chat_id) : undefined;

/** Per group (a chat id below 0): at most `limit` message calls in any `windowMs`, as they arrive. */
export function groupWindow(limit: number, windowMs: number): Transformer {
  const windows = new Map<string, EndWindow>();
  return (prev, method, payload, signal) => {
    const chat = isMessageCall(method) ? chatOf(payload) : undefined;
    if (chat === undefined || !chat.startsWith('-')) return prev(method, payload, signal);
    if (windows.size > 1000) {
      const now = performance.now();
      for (const [k, w] of windows) if (w.idle(now)) windows.delete(k);
    }
    let w = windows.get(chat);
    if (!w) windows.set(chat, (w = new EndWindow(limit, windowMs)));
    return through(w, () => prev(method, payload, signal));
  };
}

interface Lane {
  tail: Promise<unknown>;
  lastEnd: number;
  queued: number;
}

/** Message calls to one chat run one at a time, each starting at least `gapMs` after the previous one ended. */
export function perChatGap(gapMs: number): Transformer {
  const lanes = new Map<string, Lane>();
  const prune = (now: number) => {
    for (const [k, l] of lanes) if (l.queued === 0 && now - l.lastEnd > gapMs) lanes.delete(k);
  };
  return (prev, method, payload, signal) => {
    const chat = isMessageCall(method) ? chatOf(payload) : undefined;
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
