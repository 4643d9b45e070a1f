/**
 * The guard for options that used another wildcard before: every pattern it accepts means what it meant on the
 * strings the option is matched against, and the spelling it proposes never matches less than the old one did.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePattern, PatternSyntaxError } from './pattern.js';
import {
  checkLegacyPattern,
  keepingSpelling,
  type LegacyPatternOptions,
  MCP_METHOD_NAMES,
  wildcardMatch,
} from './pattern-legacy.js';

const accepted = (source: string, options: LegacyPatternOptions): boolean => {
  try {
    checkLegacyPattern(source, options);
    return true;
  } catch (error) {
    expect(error).toBeInstanceOf(PatternSyntaxError);
    return false;
  }
};

const piece = fc.constantFrom('a', 'b', '/', '*', '**', '?', 'x/');
const oldPattern = fc.array(piece, { minLength: 1, maxLength: 6 }).map((p) => p.join(''));
const textPiece = fc.constantFrom('a', 'b', '/', 'ab', 'x', '?', '');
const text = fc.array(textPiece, { maxLength: 6 }).map((p) => p.join(''));
const nameText = fc
  .array(fc.constantFrom('a', 'b', 'ab', 'x', '?', '_'), { maxLength: 6 })
  .map((p) => p.join(''));

/** sanitize's old per-target key: exact, or a prefix when it ends in `*`. */
const oldPrefix = (key: string, name: string): boolean =>
  key === name || (key.endsWith('*') && name.startsWith(key.slice(0, -1)));

/**
 * The same answer, except that a whole-segment `**` (new: it meant a literal or a plain `*` before) may match
 * more: zero segments (`a/**` matches `a`). Never less.
 */
function sameOrGlobstar(pattern: string, before: boolean, now: boolean): void {
  if (pattern.split('/').includes('**')) {
    if (before) expect(now).toBe(true);
  } else expect(now).toBe(before);
}

describe('checkLegacyPattern', () => {
  it('accepts a wildcard pattern over names only when it means the same on every name', () => {
    fc.assert(
      fc.property(oldPattern, nameText, (p, n) => {
        if (!accepted(p, { legacy: 'wildcard', questionMark: true, targets: 'names' })) return;
        sameOrGlobstar(p, wildcardMatch(p, n, true), compilePattern(p).test(n));
      }),
      { numRuns: 3000 },
    );
  });

  it('accepts a wildcard pattern over paths only when it matches at least what it did', () => {
    fc.assert(
      fc.property(oldPattern, text, (p, t) => {
        if (!accepted(p, { legacy: 'wildcard', targets: 'paths' })) return;
        if (wildcardMatch(p, t, false)) expect(compilePattern(p).test(t)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('proposes a spelling that it accepts and that matches at least what the old one did', () => {
    fc.assert(
      fc.property(oldPattern, text, (p, t) => {
        const keep = keepingSpelling(p);
        if (keep === undefined) return;
        expect(accepted(keep, { legacy: 'wildcard', targets: 'paths' })).toBe(true);
        if (!p.includes('?')) expect(accepted(keep, { legacy: 'prefix', targets: 'paths' })).toBe(true);
        if (wildcardMatch(p, t, false)) expect(compilePattern(keep).test(t)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('over a list of targets, refuses exactly the patterns whose matches on it changed', () => {
    const method = fc.oneof(
      fc.constantFrom(...MCP_METHOD_NAMES),
      fc
        .array(fc.constantFrom('tools', 'resources', 'templates', 'list', 'call', '*', '**', 're*', '*s'), {
          minLength: 1,
          maxLength: 3,
        })
        .map((s) => s.join('/')),
    );
    fc.assert(
      fc.property(method, (p) => {
        const same = MCP_METHOD_NAMES.every((m) => wildcardMatch(p, m, false) === compilePattern(p).test(m));
        expect(accepted(p, { legacy: 'wildcard', targets: MCP_METHOD_NAMES })).toBe(same);
      }),
      { numRuns: 1000 },
    );
  });

  it('accepts a sanitize key over names only when it means the same on every name', () => {
    fc.assert(
      fc.property(oldPattern, nameText, (p, n) => {
        if (!accepted(p, { legacy: 'prefix', targets: 'names' })) return;
        sameOrGlobstar(p, oldPrefix(p, n), compilePattern(p).test(n));
      }),
      { numRuns: 3000 },
    );
  });

  it.each([
    ['*', MCP_METHOD_NAMES, '**'],
    ['resources/*', MCP_METHOD_NAMES, 'resources/**'],
    ['*/list', MCP_METHOD_NAMES, '**/list'],
    ['file:///private/*', 'paths', 'file:///private/**'],
    ['resource:file:///*.md', 'paths', 'resource:file:///**/*.md'],
  ] as const)('refuses %s with the spelling that keeps its meaning', (source, targets, keep) => {
    expect(() =>
      checkLegacyPattern(source, { legacy: 'wildcard', targets }, { plugin: 'ratelimit', path: 'rules[0]' }),
    ).toThrow(new RegExp(`^ratelimit: rules\\[0\\]: .*\\(fix: write "${keep.replaceAll('*', '\\*')}"`));
  });

  it.each([
    ['tools/*', { legacy: 'wildcard', targets: MCP_METHOD_NAMES }],
    ['notes_*', { legacy: 'wildcard', questionMark: true, targets: 'names' }],
    ['file:///private/**', { legacy: 'wildcard', targets: 'paths' }],
    ['file:///private/{*}', { legacy: 'wildcard', targets: 'paths' }],
    ['file:///x{?}y', { legacy: 'wildcard', questionMark: true, targets: 'paths' }],
    ['file:///docs/**', { legacy: 'prefix', targets: 'paths' }],
    ['render_*', { legacy: 'prefix', targets: 'names' }],
  ] as const)('accepts %s', (source, options) => {
    expect(accepted(source, options)).toBe(true);
  });

  it.each([
    ['note_?', { legacy: 'wildcard', questionMark: true, targets: 'names' }, '"{?}" for a literal'],
    ['a*b', { legacy: 'prefix', targets: 'names' }, 'was a literal character'],
    ['file:///docs/*', { legacy: 'prefix', targets: 'paths' }, 'write "file:///docs/**"'],
  ] as const)('refuses %s', (source, options, says) => {
    expect(() => checkLegacyPattern(source, options)).toThrow(says);
  });
});
