/**
 * The one pattern language: the single-pattern matcher and the many-pattern index against a slow, obviously
 * correct reference (brute-force brace expansion, `*` and `**` by trying every split), plus its errors.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CORE_ERROR_CODES, ConfigError, WardenError } from './errors.js';
import { formatOptionPath } from './options.js';
import {
  compilePattern,
  expandPattern,
  isPattern,
  MAX_PATTERN_EXPANSIONS,
  MAX_PATTERN_LENGTH,
  PatternSyntaxError,
} from './pattern.js';
import { PatternIndex } from './pattern-index.js';
import { referenceExpand, referencePatternMatch } from './testing/pattern-reference.js';

// ---------------------------------------------------------------- generators

const segmentPattern = fc.constantFrom(
  'a',
  'b',
  'ab',
  '*',
  '**',
  'a*',
  '*b',
  'a*b',
  '*a*',
  'a**b',
  '{a,b}',
  '{ab,*}',
  'x{a,}',
  '{a,{b,**}}',
  '?',
  '',
);
const segmentText = fc.constantFrom('a', 'b', 'ab', 'ba', 'aab', 'xa', 'x', '?', '*', '');
const pattern = fc.array(segmentPattern, { minLength: 1, maxLength: 4 }).map((s) => s.join('/'));
const name = fc.array(segmentText, { minLength: 1, maxLength: 6 }).map((s) => s.join('/'));

describe('compilePattern', () => {
  it('matches as the reference does', () => {
    fc.assert(
      fc.property(pattern, name, (p, n) => {
        expect(compilePattern(p).test(n)).toBe(referencePatternMatch(p, n));
      }),
      { numRuns: 3000 },
    );
  });

  it('PatternIndex reports exactly the patterns compilePattern matches', () => {
    fc.assert(
      fc.property(fc.array(pattern, { maxLength: 10 }), name, (patterns, n) => {
        const index = new PatternIndex<number>();
        patterns.forEach((p, i) => {
          index.add(compilePattern(p), i);
        });
        const found: number[] = [];
        index.collect(n, found);
        const expected = patterns.flatMap((p, i) => (compilePattern(p).test(n) ? [i] : []));
        expect([...new Set(found)].sort((a, b) => a - b)).toEqual(expected);
      }),
      { numRuns: 1000 },
    );
  });

  it.each([
    ['notes_*', 'notes_read', true],
    ['notes_*', 'notes/read', false],
    ['*', 'tools/call', false],
    ['**', 'tools/call', true],
    ['tools/*', 'tools/call', true],
    ['resources/*', 'resources/templates/list', false],
    ['resources/**', 'resources/templates/list', true],
    ['file:///private/**', 'file:///private', true],
    ['file:///private/**', 'file:///private/a/b', true],
    ['file:///private/**', 'file:///privateer', false],
    ['file:///{public,shared}/*.md', 'file:///shared/a.md', true],
    ['file:///{public,shared}/*.md', 'file:///shared/x/a.md', false],
    ['a/**/b', 'a/b', true],
    ['a/**/b', 'a/x/y/b', true],
    ['file:///x?y', 'file:///x?y', true],
    ['file:///x?y', 'file:///xay', false],
    ['[ab]', 'a', false],
    ['[ab]', '[ab]', true],
  ])('%s on %s: %s', (p, n, expected) => {
    expect(compilePattern(p).test(n)).toBe(expected);
  });

  it('is linear on a hostile pattern and name', () => {
    const hostile = compilePattern(`${'*a'.repeat(200)}b`);
    expect(hostile.test('a'.repeat(20_000))).toBe(false);
    const deep = compilePattern(`${'**/a/'.repeat(100)}b`);
    expect(deep.test(`${'a/'.repeat(5000)}c`)).toBe(false);
  });

  it('isPattern tells patterns from plain names', () => {
    expect(['a*', '**', '{a,b}', 'a}'].map(isPattern)).toEqual([true, true, true, true]);
    expect(['tools/call', 'file:///x?y', 'a[b]'].map(isPattern)).toEqual([false, false, false]);
  });
});

describe('PatternSyntaxError', () => {
  const bad = [
    ['{a,b', '{a,b', 'unbalanced "{"'],
    ['a}', 'a}', 'unbalanced "}"'],
    ['}{', '}{', 'unbalanced "}"'],
    ['{{a}', '{{a}', 'unbalanced "{"'],
    ['9 brace pairs', `${'{a,b}'.repeat(9)}`, `more than ${MAX_PATTERN_EXPANSIONS} alternatives`],
    ['a long pattern', 'x'.repeat(MAX_PATTERN_LENGTH + 1), `longer than ${MAX_PATTERN_LENGTH}`],
  ] as const;

  it.each(bad)('refuses %s', (_label, source, problem) => {
    let caught: unknown;
    try {
      compilePattern(source, { plugin: 'oauth', path: ['tools', source.slice(0, 8)] });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(PatternSyntaxError);
    expect(caught).toBeInstanceOf(ConfigError);
    expect(WardenError.isInstance(caught)).toBe(true);
    const e = caught as PatternSyntaxError;
    expect(e.code).toBe(CORE_ERROR_CODES.PATTERN_INVALID);
    expect(e.name).toBe('PatternSyntaxError');
    expect(e.problem).toContain(problem);
    expect(e.hint.length).toBeGreaterThan(0);
    expect(e.path).toBe(formatOptionPath(['tools', source.slice(0, 8)]));
    expect(e.message).toBe(`oauth: ${e.path}: ${e.problem} (fix: ${e.hint})`);
  });

  it('refuses every generated unbalanced pattern, and accepts every balanced one', () => {
    const piece = fc.constantFrom('a', '*', '/', ',', '{', '}', '**');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => {
        const source = pieces.join('');
        let depth = 0;
        let balanced = true;
        for (const ch of source) {
          if (ch === '{') depth++;
          else if (ch === '}' && --depth < 0) balanced = false;
        }
        balanced &&= depth === 0;
        let expansions: string[] | undefined;
        try {
          expansions = expandPattern(source);
        } catch (error) {
          expect(error).toBeInstanceOf(PatternSyntaxError);
        }
        if (balanced && expansions === undefined) {
          // Only the expansion cap may refuse a balanced pattern.
          expect(referenceExpand(source).length).toBeGreaterThan(MAX_PATTERN_EXPANSIONS);
        }
        if (!balanced) expect(expansions).toBeUndefined();
        if (expansions !== undefined) expect(expansions).toEqual(referenceExpand(source));
      }),
      { numRuns: 2000 },
    );
  });
});
