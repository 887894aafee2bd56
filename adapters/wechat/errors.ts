// A failed wechat4u call → AdapterError the outbox can act on.
// 2026-11: send failures come from wechat4u as a Node AssertionError `actual: <Ret>, expected: 0` with
// the axios `response` attached; Ret 1205 means "too frequent", and WeChat sends no Retry-After.
//   https://github.com/danni-cool/wechatbot-webhook/issues/256 (the error shape, actual: 1205)
//   https://github.com/youfou/wxpy/issues/58 ("1205 错误通常表示请求频率过高，需要暂缓")
import { AdapterError } from '../../src/ports.ts';

/** WeChat's "too frequent" (Ret 1205) carries no retry hint; stay quiet this long before trying again. */
export const DEFAULT_FREQUENCY_COOLDOWN_MS = 10 * 60_000;
/** wechat4u's webwxsendmsg Ret for "sending too frequently" (see the links above). */
export const RET_TOO_FREQUENT = 1205;

/** `obj[key]` without letting a getter throw; undefined for non-objects. */
function field(obj: unknown, key: string): unknown {
  if (obj === null || (typeof obj !== 'object' && typeof obj !== 'function')) return undefined;
  try {
    return (obj as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

/** `String(v)` that never throws (an object whose toString throws reads as its type). */
function describe(v: unknown): string {
  try {
    return String(v);
  } catch {
    return `[${typeof v}]`;
  }
}

/** Reads a wechat4u/axios error: the webwxsendmsg Ret code, and a Retry-After header if a gateway sent one. */
export function wechatErrorFacts(err: unknown, now = Date.now()): { ret?: number; retryAfterMs?: number; text: string } {
  const response = field(err, 'response');
  const base = field(field(response, 'data'), 'BaseResponse');
  const fromBody = field(base, 'Ret');
  const actual = field(err, 'actual');
  const ret = typeof fromBody === 'number' ? fromBody : field(err, 'code') === 'ERR_ASSERTION' && typeof actual === 'number' ? actual : undefined;
  let header: unknown;
  try {
    const headers = field(response, 'headers');
    header = headers && typeof headers === 'object' ? Object.entries(headers).find(([k]) => k.toLowerCase() === 'retry-after')?.[1] : undefined;
  } catch {
    header = undefined;
  }
  let retryAfterMs: number | undefined;
  if (typeof header === 'string' || typeof header === 'number') {
    const s = String(header).trim();
    if (/^\d+(\.\d+)?$/.test(s)) retryAfterMs = Math.round(Number(s) * 1000);
    else if (!Number.isNaN(Date.parse(s))) retryAfterMs = Math.max(0, Date.parse(s) - now);
  }
  const message = field(err, 'message');
  const tips = field(err, 'tips');
  const errMsg = field(base, 'ErrMsg');
  const text = [typeof message === 'string' ? message : describe(err), typeof tips === 'string' ? tips : '', typeof errMsg === 'string' ? errMsg : '']
    .filter(Boolean)
    .join(' ');
  return { ret, retryAfterMs, text };
}

/**
 * A failed WeChat call → AdapterError. "Too frequent" (Ret 1205, or 频繁 / too frequent in the text)
 * → retryAfterMs from a Retry-After header when one is present, else `cooldownMs`; everything
 * else is retryable (network, session hiccups; a logged-out session gets a new QR).
 */
export function toAdapterError(err: unknown, op: string, cooldownMs = DEFAULT_FREQUENCY_COOLDOWN_MS): AdapterError {
  if (err instanceof AdapterError) return err;
  const { ret, retryAfterMs, text } = wechatErrorFacts(err);
  const frequent = ret === RET_TOO_FREQUENT || /频繁|too frequent|frequency/i.test(text);
  if (frequent) {
    return new AdapterError('wechat', op, `WeChat says too frequent (Ret ${ret ?? '?'}): ${text}`, {
      cause: err,
      retryAfterMs: retryAfterMs ?? cooldownMs,
      status: 429,
    });
  }
  return new AdapterError('wechat', op, ret === undefined ? text : `Ret ${ret}: ${text}`, { cause: err, retryAfterMs });
}
