// Article and link cards as post text, so that the core treats them like any other message: a WeChat Url
// message (type 14: title + description + url), a Lark link preview, a Telegram message that is a bare link with
// a preview. Pure.
// 2026-11: wechaty exposes a Url message's card as UrlLink {title, description, url, thumbnailUrl}
// https://wechaty.js.org/docs/api/url-link ; Lark's link preview is a card with a title and url
// https://open.feishu.cn/document/server-docs/im-v1/message-content-description/message_content

export interface LinkCard {
  title?: string | null;
  description?: string | null;
  url?: string | null;
}

/** Longest title/description kept: a card's description is a teaser, never the article. */
const MAX_PART = 1000;

const CONTROLS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u200b-\u200f\ufeff]/g;

const clean = (s: unknown): string =>
  typeof s === 'string'
    ? s.replace(CONTROLS, '').replace(/\s+/g, ' ').trim().slice(0, MAX_PART)
    : '';

/** Title, then description (unless it only repeats the title), then the link, one per line; '' for an empty card. */
export function linkCardText(card: LinkCard): string {
  const title = clean(card.title);
  let description = clean(card.description);
  const url = clean(card.url);
  if (description && title && (description === title || title.includes(description))) description = '';
  else if (description && title && description.startsWith(title)) description = description.slice(title.length).trim();
  const link = /^https?:\/\/\S+$/i.test(url) ? url : '';
  return [title, description, link].filter(Boolean).join('\n');
}
