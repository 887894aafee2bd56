// Finds stored fingerprints within Hamming distance d of a new one without scanning every post.
// Multi-index hashing: split the 64 bits into 6 bands (11, 11, 11, 11, 10, 10 bits). Two fingerprints at
// most d bits apart differ in at most floor(d/6) bits in at least one band (pigeonhole), so probing every
// band value within that radius finds every match. For d = 10 that is 6 × 12 slot probes whatever the
// size of the store; the candidates found are then checked at full length (two popcounts each: the slots
// hold the entries, no hash lookups). Referrals built from templates crowd some band values (a few hundred
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

/** One indexed fingerprint; each of its band slots holds this same object. */
interface Entry {
  id: string;
  hi: number;
  lo: number;
}

export class FingerprintIndex {
  // One slot per band value (arrays, not Maps), each holding the entries themselves.
  private readonly buckets: (Entry[] | undefined)[][] = BANDS.map(([, w]) => new Array<Entry[] | undefined>(1 << w).fill(undefined));
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
    BANDS.forEach(([off, w], i) => {
      const key = bits(hi, lo, off, w);
      const list = this.buckets[i]![key];
      if (list) list.push(entry);
      else this.buckets[i]![key] = [entry];
    });
  }

  remove(id: string): void {
    const entry = this.entries.get(id);
    if (entry === undefined) return;
    this.entries.delete(id);
    BANDS.forEach(([off, w], i) => {
      const key = bits(entry.hi, entry.lo, off, w);
      const list = this.buckets[i]![key];
      if (!list) return;
      const rest = list.filter((x) => x !== entry);
      this.buckets[i]![key] = rest.length ? rest : undefined;
    });
  }

  /** Ids within the distance, nearest first. */
  near(fingerprint: string): string[] {
    const [hi, lo] = halves(fingerprint);
    let found: Map<string, number> | undefined;
    const max = this.maxDistance;
    for (let i = 0; i < BANDS.length; i++) {
      const [off, w] = BANDS[i]!;
      const bucket = this.buckets[i]!;
      const key = bits(hi, lo, off, w);
      const probes = this.probes[i]!;
      for (let k = 0; k < probes.length; k++) {
        const list = bucket[key ^ probes[k]!];
        if (list === undefined) continue;
        for (let j = 0; j < list.length; j++) {
          const e = list[j]!;
          const d = popcount32((hi ^ e.hi) >>> 0) + popcount32((lo ^ e.lo) >>> 0);
          if (d <= max) (found ??= new Map()).set(e.id, d);
        }
      }
    }
    return found ? [...found].sort((a, b) => a[1] - b[1]).map(([id]) => id) : [];
  }
}
