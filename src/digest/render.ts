// Pure: a Digest → the messages one platform receives, split on item boundaries at its size limit.
import type { Digest, OutboundMessage, Platform, Post } from '../domain.ts';
import type { Privacy } from '../rules/schema.ts';
import { htmlVisibleText } from '../plain-text.ts';
import { splitHtml, splitOnLines } from '../split.ts';
import { chineseDay, daysBetween, localDate } from '../time.ts';
import { albumCaption, type ItemPictures, itemImages, itemPictures, markerText, PICTURE_POLICIES } from './pictures.ts';
import { attribute, maskContacts } from './privacy.ts';

/** How much one message may hold, measured as `measure` below measures it. */
export const PLATFORM_LIMITS: Record<Platform, number> = {
  // 2026-11: "1-4096 characters after entities parsing": tags and the href of a link do not count,
  // https://core.telegram.org/bots/api#sendmessage
  telegram: 4096,
  // 2026-11: a `post` message body may be at most 30 KB, https://open.feishu.cn/document/server-docs/im-v1/message/create
  lark: 28_000,
  // WeChat has no documented limit; very long texts fold and are unpleasant to read on a phone.
  wechat: 1800,
  local: 4096,
};

/** The formats a digest is rendered in (a Lark card is built from a lark-post by the feedback step). */
export type DigestFormat = Exclude<OutboundMessage['format'], 'lark-card'>;
export const PLATFORM_FORMAT: Record<Platform, DigestFormat> = {
  telegram: 'html',
  lark: 'lark-post',
  wechat: 'plain',
  local: 'plain',
};

export interface RenderOptions {
  now: Date;
  timeZone: string;
  privacy: Pick<Privacy, 'attribution' | 'maskContacts'>;
  /** Human name of a source group, e.g. "北京校友群". */
  sourceName: (platform: Platform, chatId: string) => string;
  /** Override the platform's limit (tests). */
  limit?: number;
  /** Rewrites an apply link of `post` (tracked links, src/feedback/links.ts); default: as it is. */
  link?: (url: string, post: Post) => string;
  /** Told which item numbers (1-based) each rendered part holds, in order (buttons per part). */
  partItems?: (items: number[][]) => void;
  /**
   * A picture's file (PostImage.file, a name under `<dataDir>/media/`) → its absolute path. Without it the
   * part carries the bare name, and the outbox resolves it against the store's media folder at send time.
   */
  mediaPath?: (file: string) => string;
  /** A picture's public address (src/digest/media-link.ts), for one the platform cannot carry; undefined: none. */
  mediaLink?: (file: string) => string | undefined;
}

const EXCERPT_CHARS = 140;

interface Link {
  kind: 'url' | 'email';
  label: string;
  /** The target; `undefined` once dropped to make the item fit (its label is then shown as text). */
  href: string | undefined;
  /** The target as plain text shows it (maybe shortened). */
  shown: string;
}

/** One digest item as data; each format lays it out. */
interface ItemView {
  n: number;
  title: string;
  meta: string;
  excerpt: string;
  links: Link[];
  referralCode?: string;
  source: string;
  why?: string;
  /** Set when the post was read from pictures: the marker line, and the link to the picture when it is not carried. */
  picture?: { text: string; href?: string };
}

/** `today` is the local date of `opts.now` in `opts.timeZone`, computed once per render. */
/** C0 controls but line feed, DEL and C1: a chat client (or a terminal, locally) must never get them raw. */
const CONTROLS = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g;
const noControls = (s: string) => s.replace(CONTROLS, (c) => (c === '\t' ? ' ' : ''));

function itemView(n: number, post: Post, why: string | undefined, opts: RenderOptions, today: string, pictures: ItemPictures | undefined): ItemView {
  const f = post.classification.fields;
  const clean = (s: string) => (opts.privacy.maskContacts ? maskContacts(s) : s);
  const oneLine = clean(post.text.replace(/\s+/g, ' ').trim());
  const title = [f.company, f.roles.slice(0, 3).join('/')].filter(Boolean).join('｜') || truncate(oneLine, 30);
  const left = f.deadline === undefined ? undefined : daysBetween(today, f.deadline);
  const deadline =
    f.deadline === undefined
      ? undefined
      : `截止${Number(f.deadline.slice(5, 7))}月${Number(f.deadline.slice(8, 10))}日${left !== undefined && left <= 3 ? `（⚠ ${left === 0 ? '今天截止' : `还剩${left}天`}）` : ''}`;
  const meta = [f.city, f.cohort, f.degrees.join('/'), deadline].filter(Boolean).join(' · ');
  const groups = [...new Set(post.sources.map((s) => opts.sourceName(s.platform, s.chatId)))];
  const who = attribute(post.sources[0]?.senderName ?? '', opts.privacy.attribution);
  const links = [
    ...f.links.slice(0, 2).map((href) => ({ kind: 'url' as const, label: '投递链接', href: opts.link ? opts.link(href, post) : href })),
    ...f.emails.slice(0, 2).map((e) => ({ kind: 'email' as const, label: e, href: `mailto:${e}` })),
  ];
  // Every text here comes from what someone typed in a group: drop control characters once, here.
  return {
    n,
    title: noControls(truncate(title, 60)),
    meta: noControls(meta),
    excerpt: noControls(truncate(oneLine, EXCERPT_CHARS)),
    links: links.map((l): Link => ({ kind: l.kind, label: noControls(l.label), href: noControls(l.href), shown: noControls(l.href) })),
    referralCode: f.referralCode === undefined ? undefined : noControls(f.referralCode),
    source: noControls(`来源：${groups.slice(0, 3).join('、')}${groups.length > 3 ? ` 等${groups.length}个群` : ''}${who ? ` · ${who}` : ''}`),
    why: why === undefined ? undefined : noControls(why),
    ...(pictures && {
      picture: { text: markerText(n, pictures.show), ...(pictures.show.kind === 'link' && { href: noControls(pictures.show.href) }) },
    }),
  };
}

/**
 * `s` cut to `max` code points (the last one an ellipsis) when it has more. Walks only the first
 * `max` + 1 code points: spreading the whole text into an array of characters was a third of the
 * renderer's time on the bench's 30 × 500 digests.
 */
function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  let cut = 0; // end of the first max − 1 code points
  let i = 0;
  for (let n = 0; i < s.length; n++) {
    if (n === max) return `${s.slice(0, cut)}…`;
    if (n === max - 1) cut = i;
    const c = s.charCodeAt(i);
    // A surrogate pair is one code point; a lone surrogate is one on its own (as `[...s]` counts them).
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
  }
  return s;
}

/**
 * How far an item is shortened when it does not fit in one message on its own (a 5,000-character
 * apply link, a huge email, a wall of text in a group name): every shown text is cut to `cap`
 * characters with an ellipsis, and at the last step link targets longer than `hrefMax` are dropped
 * (Lark counts them; Telegram does not, so HTML keeps them whole until then).
 */
const SHORTEN_STEPS: { cap: number; hrefMax?: number }[] = [{ cap: 200 }, { cap: 80 }, { cap: 40 }, { cap: 16 }, { cap: 16, hrefMax: 300 }];

function shortened(v: ItemView, cap: number, hrefMax = Infinity): ItemView {
  const t = (s: string) => truncate(s, cap);
  return {
    ...v,
    title: t(v.title),
    meta: t(v.meta),
    excerpt: t(v.excerpt),
    links: v.links.map((l) => ({ kind: l.kind, label: t(l.label), href: l.href !== undefined && l.href.length <= hrefMax ? l.href : undefined, shown: t(l.shown) })),
    referralCode: v.referralCode === undefined ? undefined : t(v.referralCode),
    source: t(v.source),
    why: v.why === undefined ? undefined : t(v.why),
    // The marker is short and fixed; a picture link is dropped with the other long targets at the last step.
    ...(v.picture && { picture: { text: v.picture.text, ...(v.picture.href !== undefined && v.picture.href.length <= hrefMax && { href: v.picture.href }) } }),
  };
}

/** The item as laid out, shortened step by step until it fits `budget` (or as short as it gets). */
function fitItem<I>(v: ItemView, layout: Layout<I>, budget: number): I {
  let item = layout.item(v);
  for (const step of SHORTEN_STEPS) {
    if (layout.itemSize(item) <= budget) return item;
    item = layout.item(shortened(v, step.cap, step.hrefMax));
  }
  return item;
}

interface Frame {
  title: string;
  subtitle: string;
  footer: string;
}

function frame(digest: Digest, today: string, part: number, parts: number): Frame {
  const day = chineseDay(today);
  return {
    title: `📮 ${digest.collegeName}｜校友内推速递${parts > 1 ? `（${part}/${parts}）` : ''}`,
    subtitle: `${day} · 共 ${digest.items.length} 条`,
    footer: '信息由校友在群内发布，alumni-relay 按专业整理；投递前请核实，勿缴纳任何费用。',
  };
}

// ---- the three layouts ----

function plainItem(v: ItemView): string {
  const lines = [`${v.n}. ${v.title}`];
  if (v.picture) lines.push(`   ${v.picture.text}${v.picture.href ? ` 原图：${v.picture.href}` : ''}`);
  if (v.meta) lines.push(`   ${v.meta}`);
  lines.push(`   ${v.excerpt}`);
  const apply = [...v.links.map((l) => (l.kind === 'email' ? `✉ ${l.label}` : `🔗 ${l.shown}`)), v.referralCode ? `内推码 ${v.referralCode}` : '']
    .filter(Boolean)
    .join(' ｜ ');
  if (apply) lines.push(`   ${apply}`);
  lines.push(`   ${v.source}`);
  if (v.why) lines.push(`   匹配：${v.why}`);
  return lines.join('\n');
}

function plainPart(f: Frame, items: string[]): string {
  return [f.title, f.subtitle, '', items.join('\n\n'), '', f.footer].join('\n');
}

export const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function safeHref(href: string | undefined): string | undefined {
  return href !== undefined && /^(https?:\/\/|mailto:)/i.test(href) ? href : undefined;
}

function htmlItem(v: ItemView): string {
  const e = escapeHtml;
  const lines = [`<b>${v.n}. ${e(v.title)}</b>`];
  if (v.picture) {
    const href = safeHref(v.picture.href);
    lines.push(`${e(v.picture.text)}${href ? ` <a href="${e(href)}">查看原图</a>` : ''}`);
  }
  if (v.meta) lines.push(e(v.meta));
  lines.push(e(v.excerpt));
  const apply = [
    ...v.links.map((l) => {
      const href = safeHref(l.href);
      return href ? `<a href="${e(href)}">${e(l.label)}</a>` : e(l.label);
    }),
    v.referralCode ? `内推码 <code>${e(v.referralCode)}</code>` : '',
  ].filter(Boolean);
  if (apply.length) lines.push(apply.join(' ｜ '));
  lines.push(`<i>${e(v.source)}</i>`);
  if (v.why) lines.push(`<i>匹配：${e(v.why)}</i>`);
  return lines.join('\n');
}

function htmlPart(f: Frame, items: string[]): string {
  const e = escapeHtml;
  return [`<b>${e(f.title)}</b>`, e(f.subtitle), '', items.join('\n\n'), '', `<i>${e(f.footer)}</i>`].join('\n');
}

type LarkElement = { tag: 'text'; text: string } | { tag: 'a'; text: string; href: string };

function larkItem(v: ItemView): LarkElement[][] {
  const text = (t: string): LarkElement => ({ tag: 'text', text: t });
  const lines: LarkElement[][] = [[text(`${v.n}. ${v.title}`)]];
  if (v.picture) {
    const href = safeHref(v.picture.href);
    lines.push(href ? [text(`${v.picture.text} `), { tag: 'a', text: '查看原图', href }] : [text(v.picture.text)]);
  }
  if (v.meta) lines.push([text(v.meta)]);
  lines.push([text(v.excerpt)]);
  const apply: LarkElement[] = [];
  for (const l of v.links) {
    const href = safeHref(l.href);
    if (apply.length) apply.push(text(' ｜ '));
    apply.push(href ? { tag: 'a', text: l.label, href } : text(l.label));
  }
  if (v.referralCode) apply.push(text(`${apply.length ? ' ｜ ' : ''}内推码 ${v.referralCode}`));
  if (apply.length) lines.push(apply);
  lines.push([text(v.source)]);
  if (v.why) lines.push([text(`匹配：${v.why}`)]);
  lines.push([text('')]);
  return lines;
}

function larkPart(f: Frame, items: LarkElement[][][]): string {
  const content = [[{ tag: 'text', text: f.subtitle }], [{ tag: 'text', text: '' }], ...items.flat(), [{ tag: 'text', text: f.footer }]];
  return JSON.stringify({ zh_cn: { title: f.title, content } });
}

const utf8Bytes = (s: string) => Buffer.byteLength(s, 'utf8');

/**
 * A format's layout. A part's measure is exactly `measure(part(f, []))` + Σ `itemSize` + `sep` between
 * items, so packing measures each item once instead of re-rendering the candidate part per item.
 */
interface Layout<I> {
  item(v: ItemView): I;
  part(f: Frame, items: I[]): string;
  measure(body: string): number;
  itemSize(item: I): number;
  /** What joining one more item adds besides the item itself. */
  sep: number;
}

const textLength = (s: string) => s.length;
const htmlLength = (s: string) => htmlVisibleText(s).length;
// plain/html: items.join('\n\n') replaces an empty line of the frame.
const plainLayout: Layout<string> = { item: plainItem, part: plainPart, measure: textLength, itemSize: textLength, sep: 2 };
const htmlLayout: Layout<string> = { item: htmlItem, part: htmlPart, measure: htmlLength, itemSize: htmlLength, sep: 2 };
// lark: an item's lines are spliced into the content array: its JSON minus the brackets, plus a comma.
const larkLayout: Layout<LarkElement[][]> = { item: larkItem, part: larkPart, measure: utf8Bytes, itemSize: (i) => utf8Bytes(JSON.stringify(i)) - 1, sep: 0 };
const LAYOUTS: Record<DigestFormat, Layout<unknown>> = {
  plain: plainLayout as Layout<unknown>,
  html: htmlLayout as Layout<unknown>,
  'lark-post': larkLayout as Layout<unknown>,
};

/**
 * Greedy packing of item indices on summed item sizes under a frame of `base` size, and on summed
 * pictures (`pics[i]`) under `maxPics` per part.
 */
function pack(indices: number[], sizes: number[], base: number, sep: number, limit: number, pics: number[], maxPics: number): number[][] {
  const groups: number[][] = [];
  let current: number[] = [];
  let size = base;
  let count = 0;
  for (const i of indices) {
    const add = sizes[i]! + (current.length ? sep : 0);
    if (current.length && (size + add > limit || count + pics[i]! > maxPics)) {
      groups.push(current);
      current = [i];
      size = base + sizes[i]!;
      count = pics[i]!;
    } else {
      current.push(i);
      size += add;
      count += pics[i]!;
    }
  }
  if (current.length) groups.push(current);
  return groups;
}

/**
 * Renders a digest for one platform. Items are never split across messages; each message repeats
 * the header with its part number. An empty digest renders to no message at all.
 */
export function renderDigest(digest: Digest, platform: Platform, opts: RenderOptions): OutboundMessage[] {
  if (digest.items.length === 0) return [];
  const format = PLATFORM_FORMAT[platform];
  const layout = LAYOUTS[format];
  const limit = opts.limit ?? PLATFORM_LIMITS[platform];
  const today = localDate(opts.now, opts.timeZone);
  const baseSize = (f: Frame) => layout.measure(layout.part(f, []));
  // Each item must fit in a part of its own under the widest header packing assumes.
  const budget = limit - baseSize(frame(digest, today, 99, 99));
  // Pictures are decided per item before packing, so that packing keeps each part within its pictures.
  const policy = PICTURE_POLICIES[platform];
  const pictures = digest.items.map((it) => itemPictures(it.post.media, policy, opts.mediaLink));
  const views = digest.items.map((it, i) => itemView(i + 1, it.post, it.why, opts, today, pictures[i]));
  const items = views.map((v) => fitItem(v, layout, budget));
  const sizes = items.map((it) => layout.itemSize(it));
  const pics = pictures.map((p) => p?.carry.length ?? 0);
  const mediaPath = opts.mediaPath ?? ((file: string) => file);
  const caption = format === 'html' ? escapeHtml : (s: string) => s;
  const imagesOf = (k: number) => (pictures[k]?.carry.length ? itemImages(k + 1, views[k]!.title, pictures[k]!, policy, mediaPath, caption) : []);
  const render = (groups: number[][]) =>
    groups.map((g, i) => layout.part(frame(digest, today, i + 1, groups.length), g.map((k) => items[k])));

  // Pack greedily with a worst-case header ("(99/99)"), each item measured once; then render with the
  // real part count and verify. Only past 99 parts can a real header be wider than the one packed
  // against: such a part is packed again against its own header.
  let groups = pack(items.map((_, i) => i), sizes, baseSize(frame(digest, today, 99, 99)), layout.sep, limit, pics, policy.maxPerPart);
  let bodies = render(groups);
  for (let attempt = 0; attempt < 3; attempt++) {
    const over = (g: number[], i: number) => g.length > 1 && layout.measure(bodies[i]!) > limit;
    if (!groups.some(over)) break;
    const n = groups.length;
    groups = groups.flatMap((g, i) => (over(g, i) ? pack(g, sizes, baseSize(frame(digest, today, i + 1, n + 1)), layout.sep, limit, pics, policy.maxPerPart) : [g]));
    bodies = render(groups);
  }

  const out: { message: OutboundMessage; items: number[] }[] = [];
  bodies.forEach((body, i) => {
    const g = groups[i]!;
    let images = g.flatMap(imagesOf);
    if (policy.albumCaption && images.length > 1) {
      // One caption for the album, on its first picture, listing the pictures in order.
      const entries = g.flatMap((k) => (pictures[k]?.carry ?? []).map(() => ({ n: k + 1, title: views[k]!.title })));
      images = images.map(({ caption: _one, ...image }, j) => (j === 0 ? { ...image, caption: caption(albumCaption(entries)) } : image));
    }
    if (policy.picturesApart) {
      // Each picture a part of its own, then its caption as one, before the text they belong to (see
      // PicturePolicy.picturesApart): whatever fails, a retry never sends a picture or a caption again.
      for (const k of g) {
        for (const { caption: text, ...image } of imagesOf(k)) {
          out.push({ message: { format, body: '', images: [image] }, items: [k + 1] });
          if (text) out.push({ message: { format, body: text }, items: [k + 1] });
        }
      }
      images = [];
    }
    // One item alone over the limit even when shortened (only with a tiny test limit): split its lines,
    // HTML outside tags and balanced. Its pictures go with the first piece, its items (buttons) with the last.
    const pieces = layout.measure(body) <= limit || format === 'lark-post' ? [body] : format === 'html' ? splitHtml(body, limit) : splitOnLines(body, limit);
    pieces.forEach((b, j) => {
      const message: OutboundMessage = j === 0 && images.length ? { format, body: b, images } : { format, body: b };
      out.push({ message, items: j === pieces.length - 1 ? g.map((k) => k + 1) : [] });
    });
  });
  opts.partItems?.(out.map((o) => o.items));
  return out.map((o) => o.message);
}
