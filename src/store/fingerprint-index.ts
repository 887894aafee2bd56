// Finds stored fingerprints within Hamming distance d of a new one without scanning every post.
// Pigeonhole: split the 64 bits into d+1 bands; two fingerprints at most d bits apart agree on at
// least one whole band. So look up each band, then check the real distance of the few candidates.

const popcount64 = (x: bigint): number => {
  let n = 0;
  while (x) {
    x &= x - 1n;
    n++;
  }
  return n;
};

export class FingerprintIndex {
  private readonly bands: { shift: bigint; mask: bigint; map: Map<bigint, string[]> }[] = [];
  private readonly values = new Map<string, bigint>();

  constructor(private readonly maxDistance: number) {
    const count = maxDistance + 1;
    const width = Math.floor(64 / count);
    for (let i = 0; i < count; i++) {
      const bits = i === count - 1 ? 64 - width * i : width;
      this.bands.push({ shift: BigInt(width * i), mask: (1n << BigInt(bits)) - 1n, map: new Map() });
    }
  }

  add(fingerprint: string, id: string): void {
    const v = BigInt(`0x${fingerprint}`);
    this.values.set(id, v);
    for (const b of this.bands) {
      const key = (v >> b.shift) & b.mask;
      const list = b.map.get(key);
      if (list) list.push(id);
      else b.map.set(key, [id]);
    }
  }

  /** Ids within the distance, nearest first. */
  near(fingerprint: string): string[] {
    const v = BigInt(`0x${fingerprint}`);
    const found = new Map<string, number>();
    for (const b of this.bands) {
      for (const id of b.map.get((v >> b.shift) & b.mask) ?? []) {
        if (found.has(id)) continue;
        const d = popcount64(v ^ this.values.get(id)!);
        if (d <= this.maxDistance) found.set(id, d);
      }
    }
    return [...found].sort((a, b) => a[1] - b[1]).map(([id]) => id);
  }
}
