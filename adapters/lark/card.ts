// Interactive cards: a lark-card body → card parts within the size limit (split between top-level
// elements, never inside one), and the card that carries OutboundMessage.buttons. Pure.
//
// 2026-11, https://open.feishu.cn/document/server-docs/im-v1/message/create : msg_type 'interactive',
// content = the card JSON; a card's request body at most 30 KB (as a post's). Card JSON 1.0 keeps its
// components in `elements`; 2.0 (`"schema": "2.0"`) in `body.elements`
// (https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-json-v2-structure).
import { AdapterError } from '../../src/ports.ts';
import { larkCardToText } from '../../src/plain-text.ts';
import { BUTTON_DATA_KEY } from './action.ts';
import { bodyBytes, type Part, textParts } from './render.ts';

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface CardLimits {
  /** Request-body bytes of one card. */
  maxCardBytes: number;
  maxChars: number;
  maxTextBytes: number;
}

const card = (json: Obj): Part => ({ msgType: 'interactive', content: JSON.stringify(json) });

/**
 * A lark-card body → parts. Too big: its top-level elements spread over several cards in order (the
 * header on the first; config and schema on each), an element too big for any card alone sent as text
 * in its place. Buttons inside the card stay where the card put them.
 */
export function cardParts(chat: string, body: string, limits: CardLimits): Part[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (cause) {
    throw new AdapterError('lark', 'send', 'lark-card body is not JSON', { cause, permanent: true });
  }
  if (!isObject(parsed)) throw new AdapterError('lark', 'send', 'lark-card body is not an object', { permanent: true });
  const whole = card(parsed);
  if (bodyBytes(chat, whole) <= limits.maxCardBytes) return [whole];

  const v2 = isObject(parsed.body) && Array.isArray(parsed.body.elements);
  const elements: unknown[] = v2 ? ((parsed.body as Obj).elements as unknown[]) : Array.isArray(parsed.elements) ? parsed.elements : [];
  if (!elements.length) throw new AdapterError('lark', 'send', 'lark-card body is over the size limit and has no elements to split', { permanent: true });
  const { header, ...rest } = parsed;
  const make = (els: unknown[], withHeader: boolean): Part => {
    const base: Obj = withHeader && header !== undefined ? { ...rest, header } : { ...rest };
    if (v2) base.body = { ...(parsed.body as Obj), elements: els };
    else base.elements = els;
    return card(base);
  };
  const fits = (els: unknown[], withHeader: boolean) => bodyBytes(chat, make(els, withHeader)) <= limits.maxCardBytes;

  const out: Part[] = [];
  let current: unknown[] = [];
  let headerPending = header !== undefined;
  const flush = () => {
    if (!current.length) return;
    out.push(make(current, headerPending));
    headerPending = false;
    current = [];
  };
  for (const el of elements) {
    if (fits([...current, el], headerPending)) {
      current.push(el);
      continue;
    }
    flush();
    if (fits([el], headerPending)) current.push(el);
    else if (fits([el], false)) {
      // The header leaves no room for this element: the header's text goes first, as text.
      const title = larkCardToText(JSON.stringify(header)).trim();
      if (title) out.push(...textParts(chat, title, limits.maxChars, limits.maxTextBytes));
      headerPending = false;
      current.push(el);
    } else {
      // One element bigger than a card: its text, in its place (never cut inside the element's markup).
      const text = larkCardToText(JSON.stringify(el)).trim();
      if (text) out.push(...textParts(chat, text, limits.maxChars, limits.maxTextBytes));
    }
  }
  flush();
  return out;
}

/**
 * OutboundMessage.buttons on a text, post or html message → one small card of action rows, sent right
 * after the message's last part (Lark has buttons only in cards). Each button's value is
 * `{"d": data}`; a press comes back as card.action.trigger with that value.
 */
export function buttonsCard(rows: { text: string; data: string }[][]): Part | undefined {
  const elements = rows
    .filter((row) => row.length)
    .map((row) => ({
      tag: 'action',
      actions: row.map((b) => ({ tag: 'button', text: { tag: 'plain_text', content: b.text }, type: 'default', value: { [BUTTON_DATA_KEY]: b.data } })),
    }));
  return elements.length ? card({ config: { wide_screen_mode: true }, elements }) : undefined;
}
