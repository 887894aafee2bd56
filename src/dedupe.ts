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

/**
 * Per UTF-16 code unit, what normalizeForFingerprint's lowercase + noise steps make of it: the
 * lowercase unit to keep, DROP, or SLOW when the whole text must take the general path (surrogate
 * halves, and units whose lowercase is context-dependent or longer: 'Σ', 'İ'). Built on first use.
 */
const DROP = -1;
const SLOW = -2;
let unitTable: Int32Array | undefined;
function units(): Int32Array {
  if (unitTable) return unitTable;
  const t = new Int32Array(0x10000);
  const keep = /^[\p{L}\p{N}]$/u;
  for (let c = 0; c < 0x10000; c++) {
    if (c >= 0xd800 && c <= 0xdfff) t[c] = SLOW;
    else if (c === 0x03a3) t[c] = SLOW; // final sigma depends on what follows
    else {
      const lower = String.fromCharCode(c).toLowerCase();
      t[c] = lower.length !== 1 ? SLOW : keep.test(lower) ? lower.charCodeAt(0) : DROP;
    }
  }
  return (unitTable = t);
}

/** Bits per shingle position counted as bit planes (a carry-save counter): ~2 word ops per shingle, not 64. */
class BitCounter {
  private readonly planes = new Int32Array(32);
  reset(): this {
    this.planes.fill(0);
    return this;
  }
  add(h: number): void {
    let carry = h | 0;
    for (let k = 0; carry !== 0; k++) {
      const t = this.planes[k]! & carry;
      this.planes[k]! ^= carry;
      carry = t;
    }
  }
  /** Bit (31 - b) set where more than half of the `n` hashes had it set: the SimHash majority vote. */
  majority(n: number): number {
    const planes = this.planes;
    const used = 32 - Math.clz32(n); // a count never exceeds n (< 2^31), so higher planes are all zero
    let out = 0;
    for (let b = 0; b < 32; b++) {
      let count = 0;
      for (let k = 0; k < used; k++) count |= ((planes[k]! >>> b) & 1) << k;
      if (count * 2 > n) out |= 1 << b;
    }
    return out >>> 0;
  }
}

/** simhash is synchronous, so one pair of counters serves every call. */
const HI = new BitCounter();
const LO = new BitCounter();

/** 64-bit SimHash over 3-grams (UTF-16 units) of the normalised text, as 16 hex digits. */
export function simhash(text: string): string {
  const s = typeof text === 'string' ? text : String(text ?? '');
  // NFKC already folds full width to half width, so foldWidth is not needed before it.
  const nfkc = (/http/i.test(s) ? s.replace(URL_RE, stripTracking) : s).normalize('NFKC');
  const table = units();
  const hi = HI.reset();
  const lo = LO.reset();
  let n = 0;
  let a = -1;
  let b = -1;
  let kept = 0;
  let slow = false;
  for (let i = 0; i < nfkc.length; i++) {
    const u = table[nfkc.charCodeAt(i)]!;
    if (u === DROP) continue;
    if (u === SLOW) {
      slow = true;
      break;
    }
    if (kept >= 2) {
      hi.add(shingleHash(a, b, u, SEED_HI));
      lo.add(shingleHash(a, b, u, SEED_LO));
      n++;
    }
    a = b;
    b = u;
    kept++;
  }
  if (slow) return simhashOf(normalizeForFingerprint(s));
  if (kept > 0 && kept < 3) {
    // One shingle of what there is: (x, -1, -1) or (x, y, -1).
    const x = kept === 1 ? b : a;
    const y = kept === 1 ? -1 : b;
    hi.add(shingleHash(x, y, -1, SEED_HI));
    lo.add(shingleHash(x, y, -1, SEED_LO));
    n = 1;
  }
  return hex(hi.majority(n), lo.majority(n));
}

/** The general path, over an already normalised string. */
function simhashOf(norm: string): string {
  const hi = HI.reset();
  const lo = LO.reset();
  const add = (a: number, b: number, c: number): void => {
    hi.add(shingleHash(a, b, c, SEED_HI));
    lo.add(shingleHash(a, b, c, SEED_LO));
  };
  const n = norm.length;
  if (n > 0 && n < 3) add(norm.charCodeAt(0), n > 1 ? norm.charCodeAt(1) : -1, -1);
  for (let i = 0; i + 3 <= n; i++) add(norm.charCodeAt(i), norm.charCodeAt(i + 1), norm.charCodeAt(i + 2));
  const shingles = n >= 3 ? n - 2 : n > 0 ? 1 : 0;
  return hex(hi.majority(shingles), lo.majority(shingles));
}

const hex = (hi: number, lo: number): string => hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');

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
