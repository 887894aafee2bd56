// Finds stored fingerprints within Hamming distance d of a new one without scanning every post.
// Multi-index hashing: split the 64 bits into 4 bands of 16. Two fingerprints at most d bits apart
// differ in at most floor(d/4) bits in at least one band (pigeonhole), so probing every band value
// within that radius finds every match. For d = 10 that is 4 × 137 bucket probes, whatever the size
// of the store; the few candidates found are then checked at full length.

const BANDS = 4;
const BAND_BITS = 16;

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

/** Every 16-bit mask with at most `radius` bits set (XOR them onto a band value to probe its neighbours). */
function masksWithin(radius: number): number[] {
  const out = [0];
  let frontier = [0];
  for (let r = 1; r <= radius; r++) {
    const next = new Set<number>();
    for (const m of frontier) for (let b = 0; b < BAND_BITS; b++) if (!(m & (1 << b))) next.add(m | (1 << b));
    frontier = [...next];
    out.push(...frontier);
  }
  return out;
}

export class FingerprintIndex {
  private readonly buckets = Array.from({ length: BANDS }, () => new Map<number, string[]>());
  private readonly values = new Map<string, [number, number]>();
  private readonly probes: number[];

  constructor(private readonly maxDistance: number) {
    this.probes = masksWithin(Math.floor(maxDistance / BANDS));
  }

  private static bands([hi, lo]: [number, number]): [number, number, number, number] {
    return [lo & 0xffff, lo >>> 16, hi & 0xffff, hi >>> 16];
  }

  add(fingerprint: string, id: string): void {
    const v = halves(fingerprint);
    this.values.set(id, v);
    FingerprintIndex.bands(v).forEach((key, i) => {
      const list = this.buckets[i]!.get(key);
      if (list) list.push(id);
      else this.buckets[i]!.set(key, [id]);
    });
  }

  remove(id: string): void {
    const v = this.values.get(id);
    if (v === undefined) return;
    this.values.delete(id);
    FingerprintIndex.bands(v).forEach((key, i) => {
      const list = this.buckets[i]!.get(key);
      if (!list) return;
      const rest = list.filter((x) => x !== id);
      if (rest.length) this.buckets[i]!.set(key, rest);
      else this.buckets[i]!.delete(key);
    });
  }

  /** Ids within the distance, nearest first. */
  near(fingerprint: string): string[] {
    const v = halves(fingerprint);
    const [hi, lo] = v;
    const found = new Map<string, number>();
    const keys = FingerprintIndex.bands(v);
    for (let i = 0; i < BANDS; i++) {
      const bucket = this.buckets[i]!;
      const key = keys[i]!;
      for (const mask of this.probes) {
        const list = bucket.get(key ^ mask);
        if (!list) continue;
        for (const id of list) {
          if (found.has(id)) continue;
          const w = this.values.get(id)!;
          const d = popcount32((hi ^ w[0]) >>> 0) + popcount32((lo ^ w[1]) >>> 0);
          if (d <= this.maxDistance) found.set(id, d);
        }
      }
    }
    return [...found].sort((a, b) => a[1] - b[1]).map(([id]) => id);
  }
}
