import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog.ts';
import { parseRules, RulesError } from '../../src/rules/index.ts';

const catalog = loadCatalog();
const example = readFileSync('rules/routing.yaml', 'utf8');
const lineCount = (s: string) => s.split('\n').length;

/** Parses or throws a RulesError whose every problem points inside the text; anything else fails. */
function check(text: string): void {
  try {
    parseRules(text, 'p.yaml', catalog);
  } catch (err) {
    expect(err).toBeInstanceOf(RulesError);
    for (const p of (err as RulesError).problems) {
      expect(p.file).toBe('p.yaml');
      expect(p.line).toBeGreaterThanOrEqual(1);
      expect(p.line).toBeLessThanOrEqual(lineCount(text) + 1);
      expect(p.col).toBeGreaterThanOrEqual(1);
      expect(p.message.length).toBeGreaterThan(0);
      expect(p.hint.length, `no hint for ${p.path}: ${p.message}`).toBeGreaterThan(0);
    }
  }
}

// CPU-bound (800 parses of a full rules file); on a shared 2-core machine they have timed out at 20 s.
describe('rules parser properties', { timeout: 60_000 }, () => {
  it('never throws anything but a located RulesError on arbitrary text', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 400 }), check), { numRuns: 300 });
  });

  it('never throws anything but a located RulesError when the example is damaged', () => {
    const lines = example.split('\n');
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(lines.length - 1), fc.oneof(fc.constant(''), fc.string({ maxLength: 12 }), fc.constantFrom('  - ', ': ', '[', '"', '\t', '&a', '*a', '!!binary'))), { minLength: 1, maxLength: 4 }),
        (edits) => {
          const copy = [...lines];
          for (const [i, junk] of edits) copy[i] = `${copy[i]!.slice(0, copy[i]!.length >> 1)}${junk}`;
          check(copy.join('\n'));
        },
      ),
      { numRuns: 500 },
    );
  });
});
