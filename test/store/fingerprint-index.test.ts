import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FingerprintIndex } from '../../src/store/fingerprint-index.ts';

const hex = (v: bigint) => v.toString(16).padStart(16, '0');
const distance = (a: bigint, b: bigint) => [...(a ^ b).toString(2)].filter((c) => c === '1').length;

describe('FingerprintIndex', () => {
  it('finds exactly the stored fingerprints within the distance (checked against a full scan)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.array(fc.array(fc.integer({ min: 0, max: 63 }), { maxLength: 16 }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 0, max: 12 }),
        (base, flips, d) => {
          const index = new FingerprintIndex(d);
          const stored = flips.map((bits, i) => {
            const v = bits.reduce((acc, b) => acc ^ (1n << BigInt(b)), base);
            index.add(hex(v), `p${i}`);
            return [`p${i}`, v] as const;
          });
          const expected = stored.filter(([, v]) => distance(v, base) <= d).map(([id]) => id).sort();
          expect(index.near(hex(base)).sort()).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('returns the nearest first and forgets removed ids', () => {
    const index = new FingerprintIndex(10);
    index.add('0000000000000000', 'exact');
    index.add('000000000000000f', 'four');
    index.add('ffffffffffffffff', 'far');
    expect(index.near('0000000000000000')).toEqual(['exact', 'four']);
    index.remove('exact');
    expect(index.near('0000000000000000')).toEqual(['four']);
  });
});
