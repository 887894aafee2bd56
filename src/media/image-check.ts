// Checks an image's bytes BEFORE anything decodes them: the type from its magic bytes, the byte size, and the
// dimensions its header declares (a decompression bomb is a small file declaring a huge canvas). Pure: no sharp,
// no OCR engine, so the relay's process can refuse bad images without loading either.
// Formats: PNG (IHDR), JPEG (SOFn), GIF (logical screen), WebP (VP8 / VP8L / VP8X). Anything else is refused.

export type ImageType = 'png' | 'jpeg' | 'gif' | 'webp';

export interface ImageLimits {
  /** Largest file accepted, in bytes. */
  maxBytes: number;
  /** Largest declared canvas (width × height). */
  maxPixels: number;
  /** Largest long-side / short-side ratio (a 50 000 × 1 strip is no poster). */
  maxAspect: number;
}

export const DEFAULT_IMAGE_LIMITS: ImageLimits = { maxBytes: 8 * 1024 * 1024, maxPixels: 40_000_000, maxAspect: 20 };

export type RefusalReason = 'empty' | 'too-large' | 'unknown-type' | 'truncated' | 'too-many-pixels' | 'bad-aspect';

export type ImageCheck =
  | { ok: true; type: ImageType; width: number; height: number; bytes: number }
  | { ok: false; reason: RefusalReason; message: string; type?: ImageType; width?: number; height?: number; bytes: number };

const startsWith = (buf: Uint8Array, sig: readonly number[], at = 0): boolean =>
  buf.length >= at + sig.length && sig.every((b, i) => buf[at + i] === b);
const ascii = (buf: Uint8Array, at: number, len: number): string => String.fromCharCode(...buf.subarray(at, at + len));
const be16 = (b: Uint8Array, i: number): number => ((b[i] ?? 0) << 8) | (b[i + 1] ?? 0);
const be32 = (b: Uint8Array, i: number): number => ((b[i] ?? 0) * 0x1000000 + (((b[i + 1] ?? 0) << 16) | ((b[i + 2] ?? 0) << 8) | (b[i + 3] ?? 0)));
const le16 = (b: Uint8Array, i: number): number => (b[i] ?? 0) | ((b[i + 1] ?? 0) << 8);
const le24 = (b: Uint8Array, i: number): number => le16(b, i) | ((b[i + 2] ?? 0) << 16);

/** The image type its first bytes announce, or null. */
export function sniffImageType(buf: Uint8Array): ImageType | null {
  if (startsWith(buf, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (startsWith(buf, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (buf.length >= 6 && (ascii(buf, 0, 6) === 'GIF87a' || ascii(buf, 0, 6) === 'GIF89a')) return 'gif';
  if (buf.length >= 12 && ascii(buf, 0, 4) === 'RIFF' && ascii(buf, 8, 4) === 'WEBP') return 'webp';
  return null;
}

type Size = { width: number; height: number } | null;

// PNG: the first chunk must be IHDR (length 13); width and height are big-endian at 16 and 20.
function pngSize(b: Uint8Array): Size {
  if (b.length < 24 || be32(b, 8) !== 13 || ascii(b, 12, 4) !== 'IHDR') return null;
  return { width: be32(b, 16), height: be32(b, 20) };
}

// JPEG: walk the marker segments to the first start-of-frame (SOF0–SOF15 but DHT C4, JPG C8, DAC CC).
function jpegSize(b: Uint8Array): Size {
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) return null;
    const marker = b[i + 1]!;
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      i += 2; // markers without a length
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return null; // end of image / scan data before any frame header
    const len = be16(b, i + 2);
    if (len < 2) return null;
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (i + 9 > b.length) return null;
      return { height: be16(b, i + 5), width: be16(b, i + 7) };
    }
    i += 2 + len;
  }
  return null;
}

function gifSize(b: Uint8Array): Size {
  return b.length >= 10 ? { width: le16(b, 6), height: le16(b, 8) } : null;
}

// WebP: RIFF container; the first chunk says lossy (VP8), lossless (VP8L) or extended (VP8X, canvas size).
function webpSize(b: Uint8Array): Size {
  const chunk = ascii(b, 12, 4);
  if (chunk === 'VP8X' && b.length >= 30) return { width: le24(b, 24) + 1, height: le24(b, 27) + 1 };
  if (chunk === 'VP8L' && b.length >= 25 && b[20] === 0x2f) {
    const bits = (b[21] ?? 0) | ((b[22] ?? 0) << 8) | ((b[23] ?? 0) << 16) | ((b[24] ?? 0) << 24);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8 ' && b.length >= 30 && startsWith(b, [0x9d, 0x01, 0x2a], 23)) {
    return { width: le16(b, 26) & 0x3fff, height: le16(b, 28) & 0x3fff };
  }
  return null;
}

const SIZE_OF: Record<ImageType, (b: Uint8Array) => Size> = { png: pngSize, jpeg: jpegSize, gif: gifSize, webp: webpSize };

const mb = (n: number): string => `${(n / 1048576).toFixed(1)} MB`;

/** Whether an image may be decoded under `limits`; never throws, whatever the bytes. */
export function checkImage(buf: Uint8Array, limits: ImageLimits = DEFAULT_IMAGE_LIMITS): ImageCheck {
  const bytes = buf.length;
  if (bytes === 0) return { ok: false, reason: 'empty', message: 'image refused: empty file', bytes };
  if (bytes > limits.maxBytes) {
    return { ok: false, reason: 'too-large', message: `image refused: ${mb(bytes)} is over the ${mb(limits.maxBytes)} limit`, bytes };
  }
  const type = sniffImageType(buf);
  if (!type) return { ok: false, reason: 'unknown-type', message: 'image refused: not a PNG, JPEG, GIF or WebP file', bytes };
  const size = SIZE_OF[type](buf);
  if (!size || size.width <= 0 || size.height <= 0) {
    return { ok: false, reason: 'truncated', message: `image refused: a ${type.toUpperCase()} whose header declares no valid size`, type, bytes };
  }
  const { width, height } = size;
  if (width * height > limits.maxPixels) {
    return {
      ok: false, reason: 'too-many-pixels', type, width, height, bytes,
      message: `image refused: ${width} × ${height} declares ${((width * height) / 1e6).toFixed(1)} MP, over the ${(limits.maxPixels / 1e6).toFixed(0)} MP limit`,
    };
  }
  if (Math.max(width, height) / Math.min(width, height) > limits.maxAspect) {
    return { ok: false, reason: 'bad-aspect', type, width, height, bytes, message: `image refused: ${width} × ${height} is longer than 1:${limits.maxAspect}` };
  }
  return { ok: true, type, width, height, bytes };
}
