// Console sessions, in memory: a restart logs everyone out, which is the safe default for a small
// office tool. Ids are 32 random bytes; the cookie carrying one is signed (@fastify/cookie) as well.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export interface Session {
  id: string;
  /** Who signed in, for the audit log (the name typed at login, or "本机登录链接"). */
  who: string;
  createdAt: number;
  seenAt: number;
}

export class Sessions {
  private readonly byId = new Map<string, Session>();
  private readonly loginTokens = new Set<string>();

  constructor(
    private readonly idleMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  create(who: string): Session {
    this.sweep();
    const s: Session = { id: randomBytes(32).toString('base64url'), who, createdAt: this.clock(), seenAt: this.clock() };
    this.byId.set(s.id, s);
    return s;
  }

  /** The live session for `id`, its idle timer restarted; undefined when unknown or expired. */
  touch(id: string | undefined): Session | undefined {
    if (!id) return undefined;
    const s = this.byId.get(id);
    if (!s) return undefined;
    if (this.clock() - s.seenAt > this.idleMs) {
      this.byId.delete(id);
      return undefined;
    }
    s.seenAt = this.clock();
    return s;
  }

  destroy(id: string | undefined): void {
    if (id) this.byId.delete(id);
  }

  /** A token for a one-time login URL (used when no admin password is set). */
  issueLoginToken(): string {
    const t = randomBytes(24).toString('base64url');
    this.loginTokens.add(t);
    return t;
  }

  /** True once per issued token. */
  redeem(token: string): boolean {
    return this.loginTokens.delete(token);
  }

  private sweep(): void {
    const now = this.clock();
    for (const [id, s] of this.byId) if (now - s.seenAt > this.idleMs) this.byId.delete(id);
  }
}

/** Constant-time password check (hashes first so lengths do not leak either). */
export function passwordMatches(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
