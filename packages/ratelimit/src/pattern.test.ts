import { compilePattern } from '@mcp-warden/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PatternSet, PatternTable } from './pattern.js';

/** The old reading: `*` is `.*`, everything else literal (fine as an oracle for short test strings). */
function oracle(pattern: string, text: string): boolean {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'))
    .join('[\\s\\S]*');
  return new RegExp(`^${source}$`).test(text);
}

// Tool names have no `/`: over `tool:` targets the old and the new reading must agree.
const nameUnit = fc.constantFrom('a', 'b', '*', ':', '.', '?', '[', '\\', 'é');
const toolPattern = fc.string({ unit: nameUnit, maxLength: 10 }).map((s) => `tool:${s}`);
const toolTarget = fc
  .string({ unit: fc.constantFrom('a', 'b', ':', '.', '?', '[', '\\', 'é'), maxLength: 12 })
  .map((s) => `tool:${s}`);

describe('PatternSet', () => {
  it('keeps the old meaning over tool targets', () => {
    fc.assert(
      fc.property(toolPattern, toolTarget, (pattern, text) => {
        expect(new PatternSet([pattern], 'target').matches(text)).toBe(oracle(pattern, text));
      }),
      { numRuns: 2000 },
    );
  });

  it('matches as core’s pattern language does, on methods and targets', () => {
    const unit = fc.constantFrom('a', 'b', '/', '*', '**/', ':', '{a,b}');
    fc.assert(
      fc.property(
        fc.array(unit, { minLength: 1, maxLength: 6 }).map((p) => `{${p.join('')}}`),
        fc.string({ unit: fc.constantFrom('a', 'b', '/', ':'), maxLength: 12 }),
        fc.constantFrom('method' as const, 'target' as const),
        (pattern, text, kind) => {
          expect(new PatternSet([pattern], kind).matches(text)).toBe(compilePattern(pattern).test(text));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('matches a pattern without `*` or braces against itself only', () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !/[*{}]/.test(s)),
        fc.string(),
        (literal, other) => {
          const set = new PatternSet([literal], 'target');
          expect(set.matches(literal)).toBe(true);
          expect(set.matches(other)).toBe(literal === other);
        },
      ),
    );
  });

  it('handles hostile inputs without blowing up', () => {
    expect(new PatternSet([`tool:${'*a'.repeat(200)}b`], 'target').matches(`tool:${'a'.repeat(5000)}`)).toBe(
      false,
    );
  });
});

describe('PatternSet and PatternTable', () => {
  it('matches exact and wildcard entries', () => {
    const set = new PatternSet(['tool:search', 'resource:file:///**'], 'target');
    expect(set.matches('tool:search')).toBe(true);
    expect(set.matches('resource:file:///a/b')).toBe(true);
    expect(set.matches('tool:searcher')).toBe(false);
  });

  it('returns the value of the first matching entry, in order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.string({ unit: nameUnit, maxLength: 6 }), fc.nat()), { maxLength: 8 }),
        fc.string({ unit: nameUnit, maxLength: 8 }),
        (entries, text) => {
          const tools = entries.map(([pattern, value]) => [`tool:${pattern}`, value] as const);
          const table = new PatternTable(tools, 'target');
          const expected = tools.find(([pattern]) => oracle(pattern, `tool:${text}`))?.[1];
          expect(table.lookup(`tool:${text}`)).toBe(expected);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
