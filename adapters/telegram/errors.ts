// Telegram failures → AdapterError, and redaction: the bot token is part of every request URL
// (https://api.telegram.org/bot<token>/getMe), and fetch errors quote that URL, so nothing that leaves
// the adapter (error message, cause, log line) carries an original error: only redacted copies.
import { GrammyError, HttpError } from 'grammy';
import { AdapterError } from '../../src/ports.ts';

/** The api root as an error may show it: no user:password, no path or query. */
export function displayRoot(apiRoot: string): string {
  try {
    return new URL(apiRoot).origin;
  } catch {
    return '(TELEGRAM_API_ROOT is not a URL)';
  }
}

/** Replaces the token (and anything shaped like a bot path) in `text`. */
export function redact(text: string, token?: string): string {
  let out = text;
  if (token) {
    out = out.split(token).join('<token>');
    // The secret half alone (after "id:") is as sensitive as the whole token.
    const secret = token.split(':')[1];
    if (secret && secret.length >= 8) out = out.split(secret).join('<token>');
  }
  return out.replace(/\/bot[^/\s'"]+\//g, '/bot<token>/');
}

/** The system error code of a network failure (ECONNREFUSED, ENOTFOUND, ETIMEDOUT…), if any. */
function networkCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return code;
    e = (e as { error?: unknown; cause?: unknown }).error ?? (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** A stand-in for `err` that is safe to keep as a cause and to log: name, redacted message, status/code; no stack of the original. */
export class RedactedError extends Error {
  constructor(
    name: string,
    message: string,
    readonly code?: string | number,
  ) {
    super(message);
    this.name = name;
    // Our own frames only; the message line is already redacted.
    this.stack = `${name}: ${message}`;
  }
}

export function redactedCopy(err: unknown, token?: string): RedactedError {
  if (err instanceof GrammyError) return new RedactedError('GrammyError', redact(`${err.method}: ${err.description}`, token), err.error_code);
  if (err instanceof HttpError) {
    const inner = err.error instanceof Error ? `: ${err.error.message}` : '';
    return new RedactedError('HttpError', redact(`${err.message}${inner}`, token), networkCode(err));
  }
  if (err instanceof Error) return new RedactedError(err.name, redact(err.message, token), networkCode(err));
  return new RedactedError('Error', redact(String(err), token));
}

/** What of an error goes into a log line: name, redacted message, code. */
export function errInfo(err: unknown, token?: string): { name: string; message: string; code?: string | number } {
  const r = redactedCopy(err, token);
  return r.code === undefined ? { name: r.name, message: r.message } : { name: r.name, message: r.message, code: r.code };
}

/** Maps a grammY failure to an AdapterError the outbox can act on; its cause is a redacted copy. */
export function toAdapterError(op: string, err: unknown, token?: string): AdapterError {
  if (err instanceof AdapterError) return err;
  const cause = redactedCopy(err, token);
  if (err instanceof GrammyError) {
    const status = err.error_code;
    const description = redact(err.description, token);
    const retryAfter = err.parameters?.retry_after;
    if (status === 429) {
      return new AdapterError('telegram', op, description, { cause, status, retryAfterMs: typeof retryAfter === 'number' ? retryAfter * 1000 : 30_000 });
    }
    if (status >= 400 && status < 500) {
      // 2026-11: a group upgraded to a supergroup gets a new id; the old one answers 400 with
      // parameters.migrate_to_chat_id, https://core.telegram.org/bots/api#responseparameters
      const migrated = err.parameters?.migrate_to_chat_id;
      const hint = migrated !== undefined ? ` (the group is now ${migrated}: update the rules)` : status === 401 ? ' (check TELEGRAM_BOT_TOKEN with @BotFather)' : '';
      return new AdapterError('telegram', op, `${description}${hint}`, { cause, status, permanent: true });
    }
    return new AdapterError('telegram', op, description, { cause, status });
  }
  return new AdapterError('telegram', op, cause.message, { cause });
}

/**
 * start() failures as one line: what failed and what to check. The api root is named (it holds no
 * secret: the token is in the path, which is not shown).
 */
export function startError(err: unknown, root: string, token: string): AdapterError {
  const apiRoot = displayRoot(root);
  const cause = redactedCopy(err, token);
  if (err instanceof GrammyError) {
    const status = err.error_code;
    if (status === 401 || status === 404) {
      // 2026-11: a revoked or mistyped token answers 401 Unauthorized (404 when it is not even
      // token-shaped), https://core.telegram.org/bots/api#making-requests
      return new AdapterError('telegram', 'start', `Telegram refused the bot token (${status} ${redact(err.description, token)}): check TELEGRAM_BOT_TOKEN with @BotFather`, {
        cause,
        status,
        permanent: true,
      });
    }
    if (status === 429) {
      const after = err.parameters?.retry_after;
      return new AdapterError('telegram', 'start', `Telegram asked to wait ${after ?? '?'} s before calling again (429): it will be retried`, {
        cause,
        status,
        retryAfterMs: typeof after === 'number' ? after * 1000 : 30_000,
      });
    }
    return new AdapterError('telegram', 'start', `${apiRoot} answered ${status} ${redact(err.description, token)}: check TELEGRAM_API_ROOT, or try again later`, {
      cause,
      status,
      permanent: status >= 400 && status < 500,
    });
  }
  const why = networkCode(err) ?? (/timed out/i.test(cause.message) ? 'timed out' : cause.message.split('\n')[0]);
  return new AdapterError('telegram', 'start', `cannot reach ${apiRoot} (${why}): check the network or TELEGRAM_API_ROOT`, { cause });
}
