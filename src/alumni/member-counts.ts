// "约 N 人" from the platforms when the rules give no `members:` for a student channel: the adapters'
// memberCount (Telegram getChatMemberCount, Lark's chat info, WeChat's room members), asked at most once
// per channel every few hours, never waited on for long. The rules' value always wins; a count the
// platform does not give stays unknown, and the texts then leave "约 N 人" out rather than guess.
import type { Platform } from '../domain.ts';
import type { AlumniConfig } from './rules.ts';

export type MemberCountFn = (platform: Platform, chat: string) => Promise<number | undefined>;

export interface MemberCountOptions {
  /** A known count is asked again after this long; default 6 h (a group's size changes slowly). */
  ttlMs?: number;
  /** An unknown count (failure, no answer) is asked again after this long; default 10 min. */
  retryMs?: number;
  /** How long `refresh` waits for answers before going on without them; default 1500 ms. */
  timeoutMs?: number;
  now?: () => number;
}

interface Cached {
  value: number | undefined;
  at: number;
}

// 0 (a room with nobody but the bot, as a fresh WeChat room or a mock reports) tells nothing of reach: "约 0 人"
// would only confuse the alumnus, so it counts as unknown.
const valid = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n > 0;

export class MemberCounts {
  private readonly cache = new Map<string, Cached>();
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly ttlMs: number;
  private readonly retryMs: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(
    private readonly fetch: MemberCountFn,
    opts: MemberCountOptions = {},
  ) {
    this.ttlMs = opts.ttlMs ?? 6 * 3_600_000;
    this.retryMs = opts.retryMs ?? 10 * 60_000;
    this.timeoutMs = opts.timeoutMs ?? 1500;
    this.now = opts.now ?? Date.now;
  }

  /** The last count the platform gave for `key` (groupKey), if any. */
  get(key: string): number | undefined {
    return this.cache.get(key)?.value;
  }

  /**
   * Asks for the counts that are due (never twice at once for one channel) and waits for them at most
   * `timeoutMs`: a late answer is kept for the next pass. Never throws.
   */
  async refresh(channels: readonly { key: string; platform: Platform; chat: string }[]): Promise<void> {
    const t = this.now();
    const waits: Promise<void>[] = [];
    for (const ch of channels) {
      const running = this.inFlight.get(ch.key);
      if (running !== undefined) {
        waits.push(running);
        continue;
      }
      const c = this.cache.get(ch.key);
      if (c && t - c.at < (c.value === undefined ? this.retryMs : this.ttlMs)) continue;
      const ask = (async () => {
        let value: number | undefined;
        try {
          const n = await this.fetch(ch.platform, ch.chat);
          value = valid(n) ? n : undefined;
        } catch {
          value = undefined; // the adapter's to log; here it is only unknown
        }
        const prev = this.cache.get(ch.key)?.value;
        if (value !== undefined) this.cache.set(ch.key, { value, at: this.now() });
        // A count the platform gave is not dropped because one later ask failed: kept, asked again after retryMs.
        else if (prev !== undefined) this.cache.set(ch.key, { value: prev, at: this.now() - this.ttlMs + this.retryMs });
        else this.cache.set(ch.key, { value: undefined, at: this.now() });
      })().finally(() => this.inFlight.delete(ch.key));
      this.inFlight.set(ch.key, ask);
      waits.push(ask);
    }
    if (!waits.length) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled(waits),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.timeoutMs);
        timer.unref?.();
      }),
    ]);
    clearTimeout(timer);
  }
}

/** Student channels whose size the rules do not give (the ones worth asking a platform about). */
export function channelsWithoutMembers(cfg: AlumniConfig): { key: string; platform: Platform; chat: string }[] {
  const out = new Map<string, { key: string; platform: Platform; chat: string }>();
  for (const c of cfg.colleges.values()) for (const ch of c.channels) if (ch.members === undefined && !out.has(ch.key)) out.set(ch.key, { key: ch.key, platform: ch.platform, chat: ch.chat });
  return [...out.values()];
}

/** The config with the platforms' counts where the rules give none (the rules' value wins); `cfg` itself when nothing is added. */
export function withMemberCounts(cfg: AlumniConfig, count: (key: string) => number | undefined): AlumniConfig {
  let changed = false;
  const colleges: AlumniConfig['colleges'] = new Map();
  for (const [id, c] of cfg.colleges) {
    colleges.set(id, {
      ...c,
      channels: c.channels.map((ch) => {
        if (ch.members !== undefined) return ch;
        const n = count(ch.key);
        if (n === undefined) return ch;
        changed = true;
        return { ...ch, members: n };
      }),
    });
  }
  return changed ? { ...cfg, colleges } : cfg;
}
