import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PatternSet, PatternTable, wildcardMatch } from './pattern.js';

/** Reference semantics: `*` is `.*`, everything else literal (fine as an oracle for short test strings). */
function oracle(pattern: string, text: string): boolean {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'))
    .join('[\\s\\S]*');
  return new RegExp(`^${source}$`).test(text);
}

const alphabet = fc.constantFrom('a', 'b', '*', ':', '/', '.', '?', '[', '\\', 'é');

describe('wildcardMatch', () => {
  it('agrees with the regex reference semantics', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: alphabet, maxLength: 12 }),
        fc.string({ unit: alphabet, maxLength: 16 }),
        (pattern, text) => {
          expect(wildcardMatch(pattern, text)).toBe(oracle(pattern, text));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('matches a pattern without `*` against itself only', () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !s.includes('*')),
        fc.string(),
        (literal, other) => {
          expect(wildcardMatch(literal, literal)).toBe(true);
          expect(wildcardMatch(literal, other)).toBe(literal === other);
        },
      ),
    );
  });

  it('handles hostile inputs without blowing up', () => {
    expect(wildcardMatch(`${'*a'.repeat(200)}b`, 'a'.repeat(5000))).toBe(false);
  });
});

describe('PatternSet and PatternTable', () => {
  it('matches exact and wildcard entries', () => {
    const set = new PatternSet(['tool:search', 'resource:file:///*']);
    expect(set.matches('tool:search')).toBe(true);
    expect(set.matches('resource:file:///a/b')).toBe(true);
    expect(set.matches('tool:searcher')).toBe(false);
  });

  it('returns the value of the first matching entry, in order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.string({ unit: alphabet, maxLength: 6 }), fc.nat()), { maxLength: 8 }),
        fc.string({ unit: alphabet, maxLength: 8 }),
        (entries, text) => {
          const table = new PatternTable(entries);
          const expected = entries.find(([pattern]) => oracle(pattern, text))?.[1];
          expect(table.lookup(text)).toBe(expected);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
