// Card button presses: the card.action.trigger callback (schema 2.0) → InboundAction, and the answer
// Lark shows the presser. Pure parts (normalizeAction, toastReply) and the desk that answers in time
// and once per callback.
//
// 2026-11, card.action.trigger ("卡片回传交互", https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-callback-communication):
// - comes over the long connection (as an `event` frame the SDK's EventDispatcher routes by
//   header.event_type; node-sdk 1.74 registers it there itself, lib/index.js 'card.action.trigger'),
//   or to the callback URL in webhook mode — which may be the event URL, with the same envelope,
//   encryption, signature and verification token as events;
// - event.operator.open_id pressed; event.action.value is the button's `value` (an object or a string);
//   event.context.open_message_id / open_chat_id say where the card is;
// - must be answered within 3 s; the answer body may hold `toast: {type: info|success|error|warning,
//   content}` and/or a new card. We never send a card back: a card in a group is shared by everyone,
//   so one presser's answer must not change it for the others.
import type { InboundAction } from '../../src/domain.ts';
import type { ActionHandler } from '../../src/ports.ts';

/** The key the core's data travels under in a button's value: `{ "d": "<data>" }`. */
export const BUTTON_DATA_KEY = 'd';
/** Shown when the handler failed or was too slow: neutral, it promises nothing. */
export const NEUTRAL_TOAST = '已收到';
/** Lark shows a toast as one short line; longer answers are cut. */
const TOAST_MAX = 200;

type Obj = Record<string, unknown>;
const own = (o: unknown, key: string): unknown => {
  if (typeof o !== 'object' || o === null) return undefined;
  const d = Object.getOwnPropertyDescriptor(o, key);
  return d && 'value' in d ? d.value : undefined;
};
const str = (o: unknown, key: string): string | undefined => {
  const v = own(o, key);
  return typeof v === 'string' && v !== '' ? v : undefined;
};

/** What the SDK hands the card.action.trigger handler: header and event fields merged into one object. */
export type CardActionData = Obj;

/**
 * Pure and total: one card.action.trigger payload → InboundAction, or null when it carries no button
 * press we can name (no presser, no value). A value the core did not make (a plain string, or an object
 * without `d`) is passed on as its JSON text: the core decides to ignore it.
 */
export function normalizeAction(data: unknown, now: () => Date = () => new Date()): InboundAction | null {
  try {
    const operator = own(data, 'operator');
    const userId = str(operator, 'open_id') ?? str(operator, 'user_id') ?? str(operator, 'union_id');
    if (!userId) return null;
    const action = own(data, 'action');
    const value = own(action, 'value');
    let payload: string | undefined;
    if (typeof value === 'string') payload = value;
    else if (typeof value === 'object' && value !== null) {
      const d = own(value, BUTTON_DATA_KEY);
      payload = typeof d === 'string' ? d : JSON.stringify(value);
    }
    if (payload === undefined || payload === '') return null;
    const context = own(data, 'context');
    // node-sdk 1.74's own normaliser (lib/index.js, normalizeCardAction) reads context first, then the root.
    const chatId = str(context, 'open_chat_id') ?? str(data, 'open_chat_id');
    const messageId = str(context, 'open_message_id') ?? str(data, 'open_message_id');
    if (!chatId) return null;
    const out: InboundAction = { platform: 'lark', chatId, userId, data: payload.slice(0, 4096), at: now().toISOString() };
    if (messageId) out.messageId = messageId;
    return out;
  } catch {
    return null;
  }
}

/** The event id of a callback (header.event_id, merged into the data by the SDK). */
export function callbackId(data: unknown): string | undefined {
  try {
    return str(data, 'event_id') ?? str(data, 'uuid');
  } catch {
    return undefined;
  }
}

export interface CardReply {
  toast?: { type: 'success' | 'info'; content: string };
}

/** The callback's answer: the handler's text as a success toast, none for undefined, the neutral one on failure. */
export function toastReply(outcome: { text: string | undefined } | 'failed'): CardReply {
  if (outcome === 'failed') return { toast: { type: 'info', content: NEUTRAL_TOAST } };
  const text = outcome.text?.trim();
  if (!text) return {};
  return { toast: { type: 'success', content: [...text].slice(0, TOAST_MAX).join('') } };
}

export interface ActionDeskOptions {
  /** Answer with the neutral toast once the handler took this long (Lark waits 3 s). */
  deadlineMs: number;
  log: { warn(o: object, m: string): void; debug(o: object, m: string): void };
}

/**
 * Answers presses: each callback once (a redelivered event_id gets the first answer again, the handler
 * is not run twice), always within the deadline, whatever the handler does. The handler goes on after
 * a timeout (what it records is kept); only its answer is late.
 */
export class ActionDesk {
  private readonly answers = new Map<string, Promise<CardReply>>();

  constructor(private readonly opts: ActionDeskOptions) {}

  answer(data: unknown, handler: ActionHandler | undefined): Promise<CardReply> {
    const id = callbackId(data);
    const known = id ? this.answers.get(id) : undefined;
    if (known !== undefined) return known;
    const reply = this.run(data, handler);
    if (id) {
      this.answers.set(id, reply);
      if (this.answers.size > 10_000) this.answers.delete(this.answers.keys().next().value as string);
    }
    return reply;
  }

  private async run(data: unknown, handler: ActionHandler | undefined): Promise<CardReply> {
    const action = normalizeAction(data);
    if (!action || !handler) {
      this.opts.log.debug({ handled: Boolean(handler) }, 'lark card press ignored (no usable value, or no action handler)');
      return {};
    }
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), this.opts.deadlineMs)));
    const work = Promise.resolve()
      .then(() => handler(action))
      .then(
        (text) => ({ text }),
        (e: unknown) => {
          this.opts.log.warn({ chat: action.chatId, err: e instanceof Error ? e.message : String(e) }, 'lark card press handler failed; answered with the neutral toast');
          return 'failed' as const;
        },
      );
    try {
      const outcome = await Promise.race([work, late]);
      if (outcome === 'late') {
        this.opts.log.warn({ chat: action.chatId, deadlineMs: this.opts.deadlineMs }, 'lark card press handler slow; answered with the neutral toast');
        return toastReply('failed');
      }
      return toastReply(outcome);
    } finally {
      clearTimeout(timer);
    }
  }
}
