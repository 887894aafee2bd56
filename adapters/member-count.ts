// How many people are in a group, for the acknowledgement's "约 N 人": asked of the platform at most once per
// chat every few hours (group sizes change slowly; the API calls count against rate limits), one lookup in
// flight per chat, bounded in time. Used by every adapter's memberCount(); never throws.

export interface MemberCountOptions {
  /** How long a count is kept; default 6 h. */
  ttlMs?: number;
  /** How long a failed or unknown lookup is remembered as unknown (so a broken chat is not asked every time); default 10 min. */
  failureTtlMs?: number;
  /** A lookup taking longer counts as failed; default 10 s. */
  timeoutMs?: number;
  /** Chats remembered at most (oldest forgotten first); default 2000. */
  maxEntries?: number;
  now?: () => number;
  /** Told about a failed lookup (the adapter logs it, without secrets). */
  onError?: (chat: string, err: unknown) => void;
}

interface Entry {
  value: number | undefined;
  until: number;
}

export class MemberCountCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<number | undefined>>();
  private readonly ttlMs: number;
  private readonly failureTtlMs: number;
  private readonly timeoutMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(
    private readonly lookup: (chat: string) => Promise<number | undefined>,
    private readonly opts: MemberCountOptions = {},
  ) {
    this.ttlMs = opts.ttlMs ?? 6 * 3600_000;
    this.failureTtlMs = opts.failureTtlMs ?? 10 * 60_000;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.maxEntries = opts.maxEntries ?? 2000;
    this.now = opts.now ?? Date.now;
  }

  /** The chat's member count: cached, else looked up; undefined when unknown. Never rejects. */
  get(chat: string): Promise<number | undefined> {
    const hit = this.entries.get(chat);
    if (hit && hit.until > this.now()) {
      this.entries.delete(chat); // most recently used last: the oldest unused one goes first
      this.entries.set(chat, hit);
      return Promise.resolve(hit.value);
    }
    const running = this.inflight.get(chat);
    if (running !== undefined) return running;
    const p = this.ask(chat).finally(() => this.inflight.delete(chat));
    this.inflight.set(chat, p);
    return p;
  }

  /** Forget every count (a new login: WeChat room ids change). */
  clear(): void {
    this.entries.clear();
  }

  private async ask(chat: string): Promise<number | undefined> {
    let timer: NodeJS.Timeout | undefined;
    let value: number | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      });
      const n = await Promise.race([this.lookup(chat), timeout]);
      value = typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : undefined;
    } catch (err) {
      try {
        this.opts.onError?.(chat, err);
      } catch {
        // a failing logger must not turn into a rejection
      }
    } finally {
      clearTimeout(timer);
    }
    this.entries.delete(chat);
    this.entries.set(chat, { value, until: this.now() + (value === undefined ? this.failureTtlMs : this.ttlMs) });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    return value;
  }
}
