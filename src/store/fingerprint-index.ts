// Finds stored fingerprints within Hamming distance d of a new one without scanning every post.
// Multi-index hashing: split the 64 bits into 6 bands (11, 11, 11, 11, 10, 10 bits). Two fingerprints at
// most d bits apart differ in at most floor(d/6) bits in at least one band (pigeonhole), so probing every
// band value within that radius finds every match. For d = 10 that is 6 × 12 slot probes whatever the
// size of the store; the candidates found are then checked at full length (two popcounts each over the slot's typed array of halves:
// no object or hash lookup per candidate). Referrals built from templates crowd some band values (a few hundred
// entries in one slot among the bench's 4.7k posts), so the candidates, not the probes, are the cost:
// ≈ 16 µs a lookup there, down from 48 µs with four 16-bit bands in Maps (4 × 137 probes, a Map lookup
// per candidate); the slot arrays take 40 KB instead of 1 MB.

/** [bit offset, width] of each band, low bits first. */
const BANDS: readonly (readonly [number, number])[] = [
  [0, 11],
  [11, 11],
  [22, 11],
  [33, 11],
  [44, 10],
  [54, 10],
];

/** Set bits of a 32-bit integer (SWAR). BigInt arithmetic was most of ingest's store time. */
function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** A 16-hex-digit fingerprint as two unsigned 32-bit halves. */
function halves(fingerprint: string): [number, number] {
  const hex = fingerprint.padStart(16, '0');
  return [parseInt(hex.slice(0, 8), 16) >>> 0, parseInt(hex.slice(8, 16), 16) >>> 0];
}

/** Bits [off, off + width) of the 64-bit value hi:lo. */
function bits(hi: number, lo: number, off: number, width: number): number {
  const mask = (1 << width) - 1;
  if (off >= 32) return (hi >>> (off - 32)) & mask;
  if (off + width <= 32) return (lo >>> off) & mask;
  return ((lo >>> off) | (hi << (32 - off))) & mask;
}

/** Every `width`-bit mask with at most `radius` bits set (XOR them onto a band value to probe its neighbours). */
function masksWithin(radius: number, width: number): number[] {
  const out = [0];
  let frontier = [0];
  for (let r = 1; r <= radius; r++) {
    const next = new Set<number>();
    for (const m of frontier) for (let b = 0; b < width; b++) if (!(m & (1 << b))) next.add(m | (1 << b));
    frontier = [...next];
    out.push(...frontier);
  }
  return out;
}

/** One indexed fingerprint. */
interface Entry {
  id: string;
  hi: number;
  lo: number;
}

/**
 * One band value's entries in insertion order: the halves interleaved in a typed array (the candidate
 * scan reads contiguous memory, not one object per candidate) and the ids alongside.
 */
class Slot {
  hl = new Int32Array(8);
  ids: string[] = [];
  get size(): number {
    return this.ids.length;
  }
  push(e: Entry): void {
    const n = this.ids.length;
    if (2 * n + 2 > this.hl.length) {
      const grown = new Int32Array(this.hl.length * 2);
      grown.set(this.hl);
      this.hl = grown;
    }
    this.hl[2 * n] = e.hi | 0;
    this.hl[2 * n + 1] = e.lo | 0;
    this.ids.push(e.id);
  }
  /** Removes `id`, keeping the order of the rest. */
  remove(id: string): void {
    const i = this.ids.indexOf(id);
    if (i < 0) return;
    const n = this.ids.length;
    this.hl.copyWithin(2 * i, 2 * i + 2, 2 * n);
    this.ids.splice(i, 1);
  }
}

export class FingerprintIndex {
  // One slot per band value (arrays, not Maps).
  private readonly buckets: (Slot | undefined)[][] = BANDS.map(([, w]) => new Array<Slot | undefined>(1 << w).fill(undefined));
  private readonly entries = new Map<string, Entry>();
  /** Probe masks per band width. */
  private readonly probes: number[][];

  constructor(private readonly maxDistance: number) {
    const radius = Math.floor(maxDistance / BANDS.length);
    this.probes = BANDS.map(([, w]) => masksWithin(radius, w));
  }

  add(fingerprint: string, id: string): void {
    this.remove(id);
    const [hi, lo] = halves(fingerprint);
    const entry: Entry = { id, hi, lo };
    this.entries.set(id, entry);
    for (let i = 0; i < BANDS.length; i++) {
      const [off, w] = BANDS[i]!;
      const key = bits(hi, lo, off, w);
      (this.buckets[i]![key] ??= new Slot()).push(entry);
    }
  }

  remove(id: string): void {
    const entry = this.entries.get(id);
    if (entry === undefined) return;
    this.entries.delete(id);
    for (let i = 0; i < BANDS.length; i++) {
      const [off, w] = BANDS[i]!;
      const key = bits(entry.hi, entry.lo, off, w);
      const slot = this.buckets[i]![key];
      if (!slot) continue;
      slot.remove(id);
      if (slot.size === 0) this.buckets[i]![key] = undefined;
    }
  }

  /** Ids within the distance, nearest first (ties in the order first found). */
  near(fingerprint: string): string[] {
    const [hi, lo] = halves(fingerprint);
    const qhi = hi | 0;
    const qlo = lo | 0;
    let found: Map<string, number> | undefined;
    const max = this.maxDistance;
    for (let i = 0; i < BANDS.length; i++) {
      const [off, w] = BANDS[i]!;
      const bucket = this.buckets[i]!;
      const key = bits(hi, lo, off, w);
      const probes = this.probes[i]!;
      for (let k = 0; k < probes.length; k++) {
        const slot = bucket[key ^ probes[k]!];
        if (slot === undefined) continue;
        const hl = slot.hl;
        const n = slot.ids.length;
        for (let j = 0; j < n; j++) {
          const d = popcount32((qhi ^ hl[2 * j]!) >>> 0) + popcount32((qlo ^ hl[2 * j + 1]!) >>> 0);
          if (d <= max) (found ??= new Map()).set(slot.ids[j]!, d);
        }
      }
    }
    return found ? [...found].sort((a, b) => a[1] - b[1]).map(([id]) => id) : [];
  }
}
