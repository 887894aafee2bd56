// Pure: what a student typed → a feedback command, or null for anything else (ordinary chat is never
// mistaken for a command: each form must be the whole message).
//   group replies to the latest digest:  `3 不对口`  `3不对口`  `👎3`  `👎 3`  `2 有用`  `👍2`  `3、5 不对口`
//   private chat with the bot:           `订阅 电气工程及其自动化`  `订阅 0806 每天 20:00`  `订阅 每天 8:30`
//                                        `退订`  `退订 0806`  `我的订阅`
import { foldWidth } from '../classify/normalize.ts';

export type FeedbackCommand =
  | { kind: 'vote'; items: number[]; value: 1 | -1 }
  | { kind: 'subscribe'; queries: string[]; time?: string }
  | { kind: 'unsubscribe'; queries: string[] }
  | { kind: 'list' };

/** Items a digest can hold (rules: maxItemsPerDigest ≤ 200). */
const MAX_ITEM = 200;
const DOWN = ['不对口', '没用', '无关', '不相关', '👎'];
const UP = ['有用', '对口', '👍'];
// 👍/👎 with an optional skin-tone modifier and variation selector.
const EMOJI_TAIL = /[\u{1F3FB}-\u{1F3FF}\uFE0F]/gu;
const WORD = `(${[...DOWN, ...UP].join('|')})`;
const NUMBERS = '(\\d{1,3}(?:\\s*[、,，/\\s]\\s*\\d{1,3})*)';
const VOTE_AFTER = new RegExp(`^${NUMBERS}\\s*(?:号|条)?\\s*${WORD}$`, 'u');
const VOTE_BEFORE = new RegExp(`^${WORD}\\s*${NUMBERS}$`, 'u');
/** `每天 20:00`, `每天20点`, `20:30`, `晚上8点` (8 → 20). */
const TIME = /(?:每天|每日)?\s*(早上|上午|中午|下午|晚上)?\s*(\d{1,2})\s*(?:[:：点时]\s*(\d{1,2})?\s*分?)\s*$/u;

export function parseFeedbackCommand(input: string): FeedbackCommand | null {
  if (typeof input !== 'string' || input.length > 300) return null;
  const text = foldWidth(input).replace(EMOJI_TAIL, '').trim();
  if (!text) return null;
  const vote = VOTE_AFTER.exec(text) ?? VOTE_BEFORE.exec(text);
  if (vote) {
    const [nums, word] = VOTE_AFTER.test(text) ? [vote[1]!, vote[2]!] : [vote[2]!, vote[1]!];
    const items = [...new Set(nums.split(/[^\d]+/).filter(Boolean).map(Number))].filter((n) => n >= 1 && n <= MAX_ITEM);
    if (items.length === 0) return null;
    return { kind: 'vote', items, value: DOWN.includes(word) ? -1 : 1 };
  }
  if (text === '我的订阅' || text === '查看订阅') return { kind: 'list' };
  if (text.startsWith('退订') || text.startsWith('取消订阅')) {
    const rest = text.replace(/^(退订|取消订阅)/, '').trim();
    return { kind: 'unsubscribe', queries: splitQueries(rest) };
  }
  if (text.startsWith('订阅')) {
    let rest = text.slice(2).trim();
    let time: string | undefined;
    const t = TIME.exec(rest);
    if (t) {
      const parsed = clock(t[1], Number(t[2]), t[3] === undefined ? 0 : Number(t[3]));
      if (parsed === undefined) return { kind: 'subscribe', queries: [], time: 'invalid' };
      time = parsed;
      rest = rest.slice(0, t.index).trim();
    }
    return { kind: 'subscribe', queries: splitQueries(rest), time };
  }
  return null;
}

function splitQueries(s: string): string[] {
  return s.split(/[、,，;；\s]+/).map((q) => q.trim()).filter(Boolean).slice(0, 20);
}

/** HH:MM, or undefined for an impossible time. */
function clock(part: string | undefined, h: number, m: number): string | undefined {
  let hour = h;
  if ((part === '下午' || part === '晚上') && hour < 12) hour += 12;
  if (part === '中午' && hour < 6) hour += 12;
  if (hour > 23 || m > 59) return undefined;
  return `${String(hour).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
}

/** The syntax, briefly, for the digest footer (WeChat, where there are no buttons). */
export const WECHAT_FOOTER = '回复「3 不对口」或「2 有用」评价第几条；私聊我「订阅 专业名」按专业订阅。';
/** For platforms with buttons. */
export const BUTTON_FOOTER = '每条下方 👍/👎 评价是否对口；私聊我「订阅 专业名」按专业订阅。';
