// Pure: what a digest item read from pictures (a poster, Post.media) carries on each platform — the
// pictures themselves (OutboundImage, captioned with the item's number), a link to them, or only the
// marker line saying the item came from a picture. No I/O: whether a file still exists is the outbox's
// business at send time (src/outbox.ts drops a picture retention removed and sends the text).
import type { OutboundImage, Platform, PostImage } from '../domain.ts';

/** What a platform accepts as a picture message, and how many we put in one digest part. */
export interface PicturePolicy {
  maxBytes: number;
  mimes: ReadonlySet<string>;
  /** Pictures in one digest part (one message); items past it get their link or the marker only. */
  maxPerPart: number;
  /** Pictures per item (a poster series): the rest are left out. */
  maxPerItem: number;
  /** Dimension rules, when the platform has them (width/height unknown: assumed fine). */
  dimensionsOk?: (width: number, height: number) => boolean;
  /** The caption is on the picture (Telegram; local: on its line) or a text sent right after it (Lark, WeChat): worded for that. */
  captionOnPicture: boolean;
  /**
   * Each picture is a digest part of its own, and its caption another, before the text: the outbox marks
   * each part sent, so a retry after a failure (or a restart) never sends a picture again. For adapters
   * that cannot resume a part (WeChat: one paced send per picture, no memory of what went out; Telegram
   * remembers per idempotency key, Lark's uuid drops repeats).
   */
  picturesApart?: boolean;
  /**
   * Several pictures of a part go as one album whose first picture carries one caption listing them in
   * order (图1 · 第2条 …): a client shows an album's caption in the chat only when it has just one.
   */
  albumCaption?: boolean;
}

const MB = 1024 * 1024;

export const PICTURE_POLICIES: Record<Platform, PicturePolicy> = {
  // 2026-11: sendPhoto "The photo must be at most 10 MB in size. The photo's width and height must not
  // exceed 10000 in total. Width and height ratio must be at most 20." https://core.telegram.org/bots/api#sendphoto
  // A media group holds 2–10 photos (https://core.telegram.org/bots/api#sendmediagroup): ten per part
  // keeps one part's pictures in one group. JPEG/PNG/WebP are sent as photos; other types are not.
  telegram: {
    maxBytes: 10 * MB,
    mimes: new Set(['image/jpeg', 'image/png', 'image/webp']),
    maxPerPart: 10,
    maxPerItem: 3,
    dimensionsOk: (w, h) => w + h <= 10_000 && Math.max(w, h) / Math.max(1, Math.min(w, h)) <= 20,
    captionOnPicture: true,
    // 2026-11: Telegram shows an album's caption under it only when one item has a caption ("If more than
    // one caption is present, then none are displayed", https://github.com/Telegram-FOSS-Team/Telegram-FOSS/issues/574;
    // still so in 2024, https://github.com/Nekmo/telegram-upload/issues/164).
    albumCaption: true,
  },
  // 2026-11: image upload (POST /open-apis/im/v1/images) at most 10 MB; JPG, PNG, WEBP, GIF, BMP, ICO,
  // TIFF, HEIC, https://open.feishu.cn/document/server-docs/im-v1/image/create . The adapter sends each
  // picture as an image message after the card/post, its caption as a text right after it.
  lark: {
    maxBytes: 10 * MB,
    mimes: new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/bmp', 'image/x-icon', 'image/vnd.microsoft.icon', 'image/tiff', 'image/heic']),
    maxPerPart: 10,
    maxPerItem: 3,
    captionOnPicture: false,
  },
  // 2026-11: wechat4u sends .jpg/.jpeg/.png/.bmp as a picture and anything else as a file attachment
  // (uploadMedia's mediatype switch, https://github.com/nodeWechat/wechat4u/blob/master/src/core.js);
  // the web protocol documents no size limit, so the other platforms' 10 MB is kept. Each picture is
  // one paced send (1.5–3 s apart, ban-prone): six per part at most.
  wechat: {
    maxBytes: 10 * MB,
    mimes: new Set(['image/jpeg', 'image/png', 'image/bmp']),
    maxPerPart: 6,
    maxPerItem: 2,
    captionOnPicture: false,
    picturesApart: true,
  },
  // The local platform prints a line naming each picture's file, its caption on the same line.
  local: {
    maxBytes: Number.MAX_SAFE_INTEGER,
    mimes: new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/bmp']),
    maxPerPart: 30,
    maxPerItem: 3,
    captionOnPicture: true,
  },
};

/** A file name under `<dataDir>/media/` (never a path: a crafted name must not reach outside the folder). */
export const isMediaName = (name: unknown): name is string =>
  typeof name === 'string' && name.length > 0 && name.length <= 200 && name !== '.' && name !== '..' && !/[\\/\u0000]/.test(name);

/** Whether `platform` can carry this picture at all (type, size, dimensions). */
export function canCarry(image: PostImage, policy: PicturePolicy): boolean {
  if (!policy.mimes.has(String(image.mime).toLowerCase())) return false;
  if (!(image.bytes > 0) || image.bytes > policy.maxBytes) return false;
  if (policy.dimensionsOk && image.width && image.height && !policy.dimensionsOk(image.width, image.height)) return false;
  return true;
}

/** How one picture item shows: `carried` pictures go with its part; otherwise a link, or only the marker. */
export type PictureShow = { kind: 'carried'; count: number } | { kind: 'link'; href: string } | { kind: 'none' };

export const MARKER = '📷 图片内推';

/** The marker line an item read from pictures carries, in plain text (each format lays out the link). */
export function markerText(n: number, show: PictureShow): string {
  if (show.kind === 'carried') return `${MARKER}（文字识别自海报，原图见图注“第${n}条”）`;
  if (show.kind === 'link') return `${MARKER}（文字识别自海报）`;
  return `${MARKER}（文字识别自海报，原图未能附上）`;
}

/** A picture's caption: the item's number first, so each picture is tied to its item. */
export function pictureCaption(n: number, title: string, i: number, count: number, policy: PicturePolicy): string {
  const which = count > 1 ? `（图${i + 1}/${count}）` : '';
  const head = policy.captionOnPicture ? '📷' : '📷 ↑';
  return `${head} 第${n}条${which} · ${title}`;
}

/** How an item read from pictures shows on a platform, and the pictures it carries (none unless carried). */
export interface ItemPictures {
  show: PictureShow;
  carry: PostImage[];
}

/**
 * Decided per item before packing, so packing can keep each part within `maxPerPart` pictures: the
 * pictures the platform can take (at most `maxPerItem`) are carried; when it can take none, a link to
 * the first one (`link(file)`, when public links are on) or the marker alone. Undefined: no pictures.
 */
export function itemPictures(media: readonly PostImage[] | undefined, policy: PicturePolicy, link?: (file: string) => string | undefined): ItemPictures | undefined {
  const usable = (media ?? []).filter((m) => isMediaName(m?.file));
  if (!usable.length) return undefined;
  const carry = usable.filter((m) => canCarry(m, policy)).slice(0, policy.maxPerItem);
  if (carry.length) return { show: { kind: 'carried', count: carry.length }, carry };
  const href = link?.(usable[0]!.file);
  return { show: href ? { kind: 'link', href } : { kind: 'none' }, carry: [] };
}

/** One caption for an album: each picture's place in it, with its item's number and title. */
export function albumCaption(entries: readonly { n: number; title: string }[]): string {
  return ['📷 海报依次为：', ...entries.map((e, i) => `图${i + 1} · 第${e.n}条 · ${e.title}`)].join('\n');
}

/** The OutboundImages of one item: absolute paths, each captioned with the item's number. */
export function itemImages(n: number, title: string, pictures: ItemPictures, policy: PicturePolicy, mediaPath: (file: string) => string, format: (caption: string) => string): OutboundImage[] {
  return pictures.carry.map((m, i) => ({ file: mediaPath(m.file), mime: m.mime, caption: format(pictureCaption(n, title, i, pictures.carry.length, policy)) }));
}
