// One pino root logger; each adapter and stage takes a child. Secrets are redacted by key name.
import pino, { type Logger } from 'pino';

export type { Logger };

/** Keys whose values never reach a log line, wherever they are nested (two levels). */
const SECRET_KEYS = ['token', 'secret', 'appSecret', 'app_secret', 'password', 'encryptKey', 'verificationToken', 'authorization', 'tenant_access_token'];
const redactPaths = SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);

export function createLogger(opts: { level?: string; pretty?: boolean; destination?: pino.DestinationStream } = {}): Logger {
  const level = opts.level ?? process.env.LOG_LEVEL ?? 'info';
  const options = { level, redact: { paths: redactPaths, censor: '[redacted]' } };
  if (opts.destination) return pino(options, opts.destination);
  if (opts.pretty ?? process.stderr.isTTY) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname', destination: 2 } } });
  }
  return pino(options, pino.destination(2));
}

/** For tests and tools that want no log output. */
export const silentLogger: Logger = pino({ level: 'silent' });

/**
 * Lets a recurring log line through once per window and counts what it held back. An SDK that retries
 * on its own (wechaty with wechat4u, WeChat unreachable: 72 errors in 25 s) must not bury the log: one
 * line a minute says the same, with the count.
 */
export class RepeatGate {
  private readonly last = new Map<string, { at: number; held: number }>();

  constructor(
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether to log `key` now; `held` is how many were held back since it was last let through. */
  pass(key: string): { log: boolean; held: number } {
    const t = this.now();
    const e = this.last.get(key);
    if (e && t - e.at < this.windowMs) {
      e.held++;
      return { log: false, held: e.held };
    }
    this.last.delete(key); // re-inserted last: the map's first key is the stalest
    this.last.set(key, { at: t, held: 0 });
    if (this.last.size > 100) this.last.delete(this.last.keys().next().value!);
    return { log: true, held: e?.held ?? 0 };
  }
}
