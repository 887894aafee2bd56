// Finds stored fingerprints within Hamming distance d of a new one without scanning every post.
// Multi-index hashing: split the 64 bits into 4 bands of 16. Two fingerprints at most d bits apart
// differ in at most floor(d/4) bits in at least one band (pigeonhole), so probing every band value
// within that radius finds every match. For d = 10 that is 4 × 137 bucket probes, whatever the size
// of the store; the few candidates found are then checked at full length.

const BANDS = 4;
const BAND_BITS = 16;

const popcount64 = (x: bigint): number => {
  let n = 0;
  while (x) {
    x &= x - 1n;
    n++;
  }
  return n;
};

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
  private readonly values = new Map<string, bigint>();
  private readonly probes: number[];

  constructor(private readonly maxDistance: number) {
    this.probes = masksWithin(Math.floor(maxDistance / BANDS));
  }

  private static bands(v: bigint): number[] {
    return Array.from({ length: BANDS }, (_, i) => Number((v >> BigInt(i * BAND_BITS)) & 0xffffn));
  }

  add(fingerprint: string, id: string): void {
    const v = BigInt(`0x${fingerprint}`);
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
    const v = BigInt(`0x${fingerprint}`);
    const found = new Map<string, number>();
    FingerprintIndex.bands(v).forEach((key, i) => {
      const bucket = this.buckets[i]!;
      for (const mask of this.probes) {
        for (const id of bucket.get(key ^ mask) ?? []) {
          if (found.has(id)) continue;
          const d = popcount64(v ^ this.values.get(id)!);
          if (d <= this.maxDistance) found.set(id, d);
        }
      }
    });
    return [...found].sort((a, b) => a[1] - b[1]).map(([id]) => id);
  }
}
