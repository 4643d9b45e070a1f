import { ConfigError, compilePattern } from '@mcp-warden/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bearerToken } from './plugin.js';
import { claimAtPath } from './principal-from-claims.js';
import { type ScopeRuleOption, ScopeRules } from './scope-rules.js';
import { isScopeToken, ScopeHierarchy, scopesFromClaims } from './scopes.js';

const scopeArb = fc.stringMatching(/^[a-z]{1,4}(:[a-z]{1,4}){0,2}$/);

/** Reference glob semantics through a RegExp built from an escaped pattern (fine for tests, not for production). */
function globReference(pattern: string, name: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '[\\s\\S]*')
    .replace(/\?/g, '[\\s\\S]');
  return new RegExp(`^${source}$`).test(name);
}

/** Whether a single `pattern → ['hit']` rule of `option` applies to `name`. */
function ruleMatches(pattern: string, name: string, option: ScopeRuleOption = 'tools'): boolean {
  const out = new Set<string>();
  new ScopeRules({ [pattern]: ['hit'] }, option).collect(name, out);
  return out.has('hit');
}

describe('ScopeRules', () => {
  it('keeps the old meaning over tool names (no "/"): agrees with the old wildcard reference', () => {
    const alphabet = fc.constantFrom('a', 'b', '_', '.', '*');
    fc.assert(
      fc.property(
        fc.string({ unit: alphabet, maxLength: 8 }),
        fc.string({ unit: fc.constantFrom('a', 'b', '_', '.'), maxLength: 10 }),
        (pattern, name) => {
          expect(ruleMatches(pattern, name)).toBe(globReference(pattern, name));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('matches as core’s pattern language does, on any option', () => {
    const alphabet = fc.constantFrom('a', 'b', '/', '*', '**/', '{a,b}');
    fc.assert(
      fc.property(
        fc.array(alphabet, { minLength: 1, maxLength: 6 }).map((p) => `{${p.join('')}}`),
        fc.string({ unit: fc.constantFrom('a', 'b', '_', '/'), maxLength: 10 }),
        fc.constantFrom<ScopeRuleOption>('methods', 'tools', 'prompts', 'resources'),
        (pattern, name, option) => {
          expect(ruleMatches(pattern, name, option)).toBe(compilePattern(pattern).test(name));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('matches literal names only exactly', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('a', 'b', '-', ':'), maxLength: 10 }),
        fc.string({ maxLength: 10 }),
        (a, b) => {
          expect(ruleMatches(a, b)).toBe(a === b);
        },
      ),
    );
  });

  it('handles a pathological pattern on a long name', () => {
    expect(ruleMatches(`${'*a'.repeat(50)}b`, 'a'.repeat(5000))).toBe(false);
  });

  it('ScopeRules unions every matching rule', () => {
    const rules = new ScopeRules(
      { 'notes_*': ['notes:read'], notes_delete: ['notes:write'], '*': ['mcp'] },
      'tools',
    );
    const out = new Set<string>();
    rules.collect('notes_delete', out);
    expect([...out].sort()).toEqual(['mcp', 'notes:read', 'notes:write']);
  });
});

describe('ScopeHierarchy', () => {
  const hierarchy = new ScopeHierarchy({
    implies: { admin: ['notes:write', 'files'], 'notes:write': ['notes:read'] },
    prefixSeparator: ':',
  });

  it('applies implications transitively', () => {
    expect(hierarchy.missing(['admin'], ['notes:read', 'notes:write', 'files', 'files:read'])).toEqual([]);
    expect(hierarchy.missing(['notes:write'], ['notes:read', 'admin'])).toEqual(['admin']);
  });

  it('refuses a cycle at setup (it would let a narrower scope grant a broader one)', () => {
    expect(
      () => new ScopeHierarchy({ implies: { admin: ['files'], files: ['admin'] }, prefixSeparator: ':' }),
    ).toThrow(ConfigError);
  });

  it('applies the prefix rule: "files" covers "files:read:all", not "filesystem"', () => {
    const h = new ScopeHierarchy({ prefixSeparator: ':' });
    expect(h.missing(['files'], ['files:read', 'files:read:all', 'filesystem', 'file'])).toEqual([
      'filesystem',
      'file',
    ]);
  });

  it('is reflexive and monotone: a granted scope is never missing, and more grants never need more', () => {
    fc.assert(
      fc.property(
        fc.array(scopeArb, { maxLength: 6 }),
        fc.array(scopeArb, { maxLength: 6 }),
        fc.array(scopeArb, { maxLength: 6 }),
        (granted, extra, required) => {
          expect(hierarchy.missing(granted, granted)).toEqual([]);
          const fewer = new Set(hierarchy.missing([...granted, ...extra], required));
          for (const scope of fewer) expect(hierarchy.missing(granted, required)).toContain(scope);
        },
      ),
    );
  });

  it('without a hierarchy, missing is plain set difference', () => {
    const plain = new ScopeHierarchy();
    fc.assert(
      fc.property(
        fc.array(scopeArb, { maxLength: 6 }),
        fc.array(scopeArb, { maxLength: 6 }),
        (granted, required) => {
          expect(plain.missing(granted, required)).toEqual(required.filter((s) => !granted.includes(s)));
        },
      ),
    );
  });
});

describe('claims parsing', () => {
  it('scopesFromClaims keeps only valid, unique scope tokens', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.array(fc.oneof(fc.string(), fc.integer()))), (raw) => {
        for (const claims of [{ scope: raw }, { scp: raw }]) {
          const scopes = scopesFromClaims(claims);
          expect(new Set(scopes).size).toBe(scopes.length);
          for (const s of scopes) expect(isScopeToken(s)).toBe(true);
        }
      }),
    );
    expect(scopesFromClaims({ scope: 'a  b "c" d\\e', scp: ['ignored'] })).toEqual(
      ['a', 'b', 'd\\e'].filter(isScopeToken),
    );
  });

  it('claimAtPath reads nested claims and whole dotted claim names, never prototype members', () => {
    expect(claimAtPath({ realm_access: { roles: ['r'] } }, 'realm_access.roles')).toEqual(['r']);
    expect(claimAtPath({ 'https://example.com/roles': ['x'] }, 'https://example.com/roles')).toEqual(['x']);
    expect(claimAtPath({}, 'constructor.name')).toBeUndefined();
    expect(claimAtPath({ a: 'str' }, 'a.length')).toBeUndefined();
  });

  it('bearerToken parses the header strictly', () => {
    expect(bearerToken('Bearer abc.def-_~+/=')).toBe('abc.def-_~+/=');
    expect(bearerToken('bearer   tok')).toBe('tok');
    expect(bearerToken('Basic xyz')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
    expect(() => bearerToken('Bearer')).toThrow();
    expect(() => bearerToken('Bearer a b')).toThrow();
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.constantFrom('a', 'Z', '0', '-', '.', '_', '~', '+', '/', '='),
          minLength: 1,
          maxLength: 40,
        }),
        (token) => {
          expect(bearerToken(`Bearer ${token}`)).toBe(token);
        },
      ),
    );
  });
});
