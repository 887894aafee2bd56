// Near-duplicate fingerprints: the same referral reposted in several groups, or lightly edited
// (a line added, punctuation changed, a tracking parameter on the link), gets a SimHash within
// NEAR_DUPLICATE_MAX_DISTANCE bits; a different referral from the same company does not.
import { foldWidth } from './classify/normalize.ts';

/**
 * Chosen from test/dedupe.test.ts's realistic pairs: reposts and light edits land at 0–6 bits for a
 * 400-char referral and 8 for a 100-char one (each added char moves more of a short text); different
 * referrals of one company sharing its boilerplate land at 12–14, unrelated texts near 32.
 * 10 sits between, 2 bits from the nearest case on each side.
 */
export const NEAR_DUPLICATE_MAX_DISTANCE = 10;

const TRACKING_PARAM = /^(utm_\w+|spm|from|share\w*|scene|src|source|ref|refer\w*|timestamp|ts|t|sid|clicktime|enterid|isappinstalled|nsukey|wxshare\w*|fbclid|gclid|mc_\w+|_\w+)$/i;
const URL_RE = /https?:\/\/[^\s<>"'，。；、）)】」\]]+/gi;

function stripTracking(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const hash = url.indexOf('#', q);
  const query = url.slice(q + 1, hash < 0 ? undefined : hash);
  const kept = query.split('&').filter((kv) => kv && !TRACKING_PARAM.test(kv.split('=')[0] ?? ''));
  return url.slice(0, q) + (kept.length ? '?' + kept.join('&') : '');
}

/** Letters and digits of every script only: whitespace, punctuation, symbols and emoji go. */
const NOISE_RE = /[^\p{L}\p{N}]+/gu;

export function normalizeForFingerprint(text: string): string {
  const s = typeof text === 'string' ? text : String(text ?? '');
  return foldWidth(s.replace(URL_RE, stripTracking)).normalize('NFKC').toLowerCase().replace(NOISE_RE, '');
}

/** 32-bit hash of a 3-unit shingle (murmur3 finaliser over FNV-style mixing); no strings allocated. */
function shingleHash(a: number, b: number, c: number, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  h = Math.imul(h ^ a, 0x01000193);
  h = Math.imul(h ^ b, 0x01000193);
  h = Math.imul(h ^ c, 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const SEED_HI = 0x9e3779b9;
const SEED_LO = 0x7f4a7c15;

/** 64-bit SimHash over 3-grams (UTF-16 units) of the normalised text, as 16 hex digits. */
export function simhash(text: string): string {
  const norm = normalizeForFingerprint(text);
  const v = new Int32Array(64);
  const add = (a: number, b: number, c: number): void => {
    const hi = shingleHash(a, b, c, SEED_HI);
    const lo = shingleHash(a, b, c, SEED_LO);
    for (let bit = 0; bit < 32; bit++) {
      v[bit]! += ((hi >>> (31 - bit)) & 1) * 2 - 1;
      v[32 + bit]! += ((lo >>> (31 - bit)) & 1) * 2 - 1;
    }
  };
  const n = norm.length;
  if (n > 0 && n < 3) add(norm.charCodeAt(0), n > 1 ? norm.charCodeAt(1) : -1, -1);
  for (let i = 0; i + 3 <= n; i++) add(norm.charCodeAt(i), norm.charCodeAt(i + 1), norm.charCodeAt(i + 2));
  let hi = 0;
  let lo = 0;
  for (let b = 0; b < 32; b++) {
    if (v[b]! > 0) hi |= 1 << (31 - b);
    if (v[32 + b]! > 0) lo |= 1 << (31 - b);
  }
  return (hi >>> 0).toString(16).padStart(8, '0') + (lo >>> 0).toString(16).padStart(8, '0');
}

function popcount32(x: number): number {
  let n = x >>> 0;
  n = n - ((n >>> 1) & 0x55555555);
  n = (n & 0x33333333) + ((n >>> 2) & 0x33333333);
  return (Math.imul((n + (n >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

/** Bits that differ between two 16-hex-digit fingerprints (64 when either is malformed). */
export function hammingDistance(a: string, b: string): number {
  if (!/^[0-9a-f]{16}$/i.test(a) || !/^[0-9a-f]{16}$/i.test(b)) return 64;
  const hi = parseInt(a.slice(0, 8), 16) ^ parseInt(b.slice(0, 8), 16);
  const lo = parseInt(a.slice(8), 16) ^ parseInt(b.slice(8), 16);
  return popcount32(hi) + popcount32(lo);
}
