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
