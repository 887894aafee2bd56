// Pure readers for the parts of an inbound message beyond its text: pictures (as refs, nothing
// downloaded) and a shared link. Total like normalize: any value in, a value out, never a throw.
import type { InboundMedia, InboundMessage } from '../../src/domain.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const nonEmpty = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v : undefined);
const count = (v: unknown): number | undefined => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : undefined);

/**
 * 2026-11: "For the moment, bots can download files of up to 20MB in size" (getFile),
 * https://core.telegram.org/bots/api#getfile . A bigger file cannot be fetched at all.
 */
export const TELEGRAM_DOWNLOAD_MAX_BYTES = 20 * 1024 * 1024;

/** A message that is a link with at most this many other characters is a shared link ("看看这个", "内推链接："). */
export const LINK_CARD_MAX_OTHER_CHARS = 40;

/**
 * The pictures of a message: the best `photo` size, or a `document` sent as a file whose mime type is
 * an image. 2026-11, https://core.telegram.org/bots/api#message : `photo` is "available sizes of the
 * photo" (PhotoSize: file_id, width, height, optional file_size); `document` has optional mime_type
 * and file_size.
 */
export function mediaOf(msg: Obj): InboundMedia[] {
  const out: InboundMedia[] = [];
  const photo = bestPhotoSize(msg.photo);
  if (photo) out.push(photo);
  const doc = msg.document;
  if (isObj(doc)) {
    const ref = nonEmpty(doc.file_id);
    const mime = nonEmpty(doc.mime_type)?.trim().toLowerCase();
    if (ref && mime?.startsWith('image/')) {
      const bytes = count(doc.file_size);
      out.push({ kind: 'image', ref, mime, ...(bytes !== undefined ? { bytes } : {}) });
    }
  }
  return out;
}

/**
 * The largest size (by pixels, then bytes) that can be downloaded (declared size ≤ 20 MB, or not
 * declared); when every size declares more, the smallest, so the core sees the size and refuses it.
 */
export function bestPhotoSize(sizes: unknown): InboundMedia | undefined {
  if (!Array.isArray(sizes)) return undefined;
  const valid: { ref: string; width?: number; height?: number; bytes?: number }[] = [];
  for (const s of sizes) {
    if (!isObj(s)) continue;
    const ref = nonEmpty(s.file_id);
    if (!ref) continue;
    valid.push({ ref, width: count(s.width), height: count(s.height), bytes: count(s.file_size) });
  }
  if (!valid.length) return undefined;
  const area = (s: (typeof valid)[number]) => (s.width ?? 0) * (s.height ?? 0);
  const fits = valid.filter((s) => s.bytes === undefined || s.bytes <= TELEGRAM_DOWNLOAD_MAX_BYTES);
  const pick = fits.length
    ? fits.reduce((a, b) => (area(b) > area(a) || (area(b) === area(a) && (b.bytes ?? 0) > (a.bytes ?? 0)) ? b : a))
    : valid.reduce((a, b) => ((b.bytes ?? Infinity) < (a.bytes ?? Infinity) ? b : a));
  return {
    kind: 'image',
    ref: pick.ref,
    ...(pick.bytes !== undefined ? { bytes: pick.bytes } : {}),
    ...(pick.width !== undefined ? { width: pick.width } : {}),
    ...(pick.height !== undefined ? { height: pick.height } : {}),
  };
}

const URL_IN_TEXT = /\bhttps?:\/\/[^\s<>"'（）【】，。；！]+/gi;
const FILLER = /[\s\p{P}\p{S}]/gu;

/**
 * A shared link: the message is a link with little other text. The Bot API tells bots the URL only
 * (no page title or description): the link's `url` entity or a text link's target, or the URL the
 * sender's preview was made for (`link_preview_options.url`). 2026-11,
 * https://core.telegram.org/bots/api#message , https://core.telegram.org/bots/api#linkpreviewoptions
 */
export function linkCardOf(raw: unknown, entities: unknown, preview: unknown): InboundMessage['linkCard'] {
  if (typeof raw !== 'string') return undefined;
  const urls: string[] = [];
  let rest = raw;
  if (Array.isArray(entities)) {
    for (const e of entities) {
      if (!isObj(e)) continue;
      if (e.type === 'text_link' && nonEmpty(e.url)) urls.push(e.url as string);
      const offset = count(e.offset);
      const length = count(e.length);
      if (e.type === 'url' && offset !== undefined && length && offset + length <= raw.length) urls.push(raw.slice(offset, offset + length));
    }
  }
  for (const m of raw.matchAll(URL_IN_TEXT)) urls.push(m[0]);
  const previewUrl = isObj(preview) ? nonEmpty(preview.url)?.trim() : undefined;
  if (!urls.length && !previewUrl) return undefined;
  for (const u of [...urls].sort((a, b) => b.length - a.length)) rest = rest.split(u).join(' ');
  if (previewUrl) rest = rest.split(previewUrl).join(' ');
  if (rest.replace(FILLER, '').length > LINK_CARD_MAX_OTHER_CHARS) return undefined;
  const url = previewUrl ?? urls.map((u) => u.trim()).find(Boolean);
  return url ? { url } : undefined;
}
