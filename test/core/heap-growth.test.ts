// The start-up's heap setting: node's --heap-growing-percent is found wherever it was given, and a relay
// started without one is left alone.
import { describe, expect, it } from 'vitest';
import { heapGrowingPercent, looseHeapWhileStarting } from '../../src/heap-growth.ts';

describe('heap growth while starting', () => {
  it('reads --heap-growing-percent from the command line, else NODE_OPTIONS; the command line wins', () => {
    expect(heapGrowingPercent(['--max-semi-space-size=2', '--heap-growing-percent=15'], '')).toBe(15);
    expect(heapGrowingPercent([], '--enable-source-maps --heap_growing_percent=20')).toBe(20);
    expect(heapGrowingPercent(['--heap-growing-percent=15'], '--heap-growing-percent=40')).toBe(15);
    expect(heapGrowingPercent(['--max-semi-space-size=2'], '')).toBeUndefined();
  });

  it('changes nothing when node was started without the flag (vitest is)', () => {
    expect(heapGrowingPercent()).toBeUndefined();
    const restore = looseHeapWhileStarting(50);
    expect(restore).toBeTypeOf('function');
    restore();
  });
});
