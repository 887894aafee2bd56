// Button presses: a `callback_query` update → InboundAction (pure), and the answer the presser sees.
// 2026-11, https://core.telegram.org/bots/api#callbackquery : "After the user presses a callback
// button, Telegram clients will display a progress bar until you call answerCallbackQuery. It is,
// therefore, necessary to react by calling answerCallbackQuery even if no notification to the user is
// needed." `message` is absent for a button under an inline-mode message (inline_message_id instead),
// and may be an InaccessibleMessage (date 0) that still has chat and message_id; `data` is absent
// for game buttons.
import type { InboundAction } from '../../src/domain.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/** 2026-11: answerCallbackQuery `text` is "0-200 characters", https://core.telegram.org/bots/api#answercallbackquery */
export const CALLBACK_ANSWER_MAX_CHARS = 200;

export interface PressedButton {
  /** The callback query's id, to answer it; absent when the update is too broken to answer. */
  queryId?: string;
  /** What to hand the core; absent for a press the core cannot use (inline mode, no data, malformed). */
  action?: InboundAction;
}

/** Reads a `callback_query` update; null when the update is not one. Total: never throws. */
export function normalizeAction(update: unknown, now: Date): PressedButton | null {
  try {
    if (!isObj(update) || !isObj(update.callback_query)) return null;
    const q = update.callback_query;
    const queryId = typeof q.id === 'string' && q.id ? q.id : undefined;
    // User ids are positive; a press from anything else is not a person's.
    const from = isObj(q.from) && isId(q.from.id) && q.from.id > 0 ? q.from : undefined;
    const msg = isObj(q.message) ? q.message : undefined;
    const chat = msg && isObj(msg.chat) && isId(msg.chat.id) ? msg.chat : undefined;
    const data = typeof q.data === 'string' && q.data !== '' ? q.data : undefined;
    if (!queryId || !from || !msg || !chat || !data) return queryId ? { queryId } : {};
    return {
      queryId,
      action: {
        platform: 'telegram',
        chatId: String(chat.id),
        userId: String(from.id),
        data,
        ...(isId(msg.message_id) && msg.message_id > 0 ? { messageId: String(msg.message_id) } : {}),
        at: now.toISOString(),
      },
    };
  } catch {
    return null;
  }
}

/** The toast text as Telegram takes it: at most 200 characters (never a broken surrogate pair), or none. */
export function answerText(text: string | undefined): string | undefined {
  if (typeof text !== 'string' || !text.trim()) return undefined;
  const chars = [...text.trim()];
  return chars.length <= CALLBACK_ANSWER_MAX_CHARS ? chars.join('') : `${chars.slice(0, CALLBACK_ANSWER_MAX_CHARS - 1).join('')}…`;
}

export type AnswerOutcome = { kind: 'answered'; text: string | undefined } | { kind: 'failed' } | { kind: 'slow' };

/**
 * Runs `handler` and settles on what the presser should see within `withinMs`: its answer, or
 * 'failed' / 'slow'. The handler's own promise is returned as well: the update is acknowledged only
 * once it settles (a vote is durable), however long after the toast that takes.
 */
export function raceAnswer(handler: () => Promise<string | undefined>, withinMs: number): { outcome: Promise<AnswerOutcome>; done: Promise<string | undefined> } {
  let done: Promise<string | undefined>;
  try {
    done = handler();
  } catch (err) {
    done = Promise.reject(err);
  }
  let timer: NodeJS.Timeout | undefined;
  const outcome = Promise.race<AnswerOutcome>([
    done.then(
      (text) => ({ kind: 'answered', text }),
      () => ({ kind: 'failed' }),
    ),
    new Promise<AnswerOutcome>((resolve) => {
      timer = setTimeout(() => resolve({ kind: 'slow' }), withinMs);
    }),
  ]).finally(() => clearTimeout(timer));
  return { outcome, done };
}
