import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { ScopeHierarchy } from './scope-hierarchy.js';

/** Small alphabets, so generated scopes share prefixes and collide often. */
const scopeArb = fc.stringMatching(/^[ab]{1,2}(:[ab]{1,2}){0,2}$/);
const impliesArb = fc.dictionary(scopeArb, fc.uniqueArray(scopeArb, { maxLength: 3 }), { maxKeys: 5 });

/** Prefixes by the ':' rule, computed independently of the implementation: `a:b:c` → `a`, `a:b`. */
function colonPrefixes(scope: string): string[] {
  const parts = scope.split(':');
  return parts.slice(1).map((_, i) => parts.slice(0, i + 1).join(':'));
}

/** Reference semantics: a naive fixpoint of "explicit edge or prefix rule" over a finite universe. */
function oracle(implies: Record<string, string[]>, prefixRule: boolean, universe: readonly string[]) {
  const reach = (from: string): Set<string> => {
    const out = new Set([from]);
    for (let changed = true; changed; ) {
      changed = false;
      for (const scope of [...out]) {
        for (const child of Object.hasOwn(implies, scope) ? (implies[scope] ?? []) : []) {
          if (!out.has(child)) changed = out.add(child) !== undefined;
        }
      }
      if (!prefixRule) continue;
      for (const scope of universe) {
        if (!out.has(scope) && colonPrefixes(scope).some((p) => out.has(p)))
          changed = out.add(scope) !== undefined;
      }
    }
    return out;
  };
  const reaches = new Map(universe.map((s) => [s, reach(s)]));
  const implied = (x: string, y: string) => reaches.get(x)?.has(y) ?? false;
  const cyclic =
    Object.entries(implies).some(([k, v]) => v.includes(k)) ||
    universe.some((x) => universe.some((y) => x !== y && implied(x, y) && implied(y, x)));
  return { implied, cyclic };
}

function universeOf(implies: Record<string, string[]>, extra: readonly string[]): string[] {
  const all = new Set<string>(extra);
  for (const [k, v] of Object.entries(implies)) for (const s of [k, ...v]) all.add(s);
  for (const s of [...all]) for (const p of colonPrefixes(s)) all.add(p);
  return [...all];
}

function build(implies: Record<string, string[]>, prefixRule: boolean): ScopeHierarchy | ConfigError {
  try {
    return new ScopeHierarchy({ implies, ...(prefixRule ? { prefixSeparator: ':' } : {}) });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
}

describe('ScopeHierarchy over generated hierarchies', () => {
  it('refuses exactly the cyclic ones, and otherwise implies exactly what the reference reaches', () => {
    fc.assert(
      fc.property(
        impliesArb,
        fc.boolean(),
        fc.uniqueArray(scopeArb, { maxLength: 4 }),
        (implies, prefixRule, extra) => {
          const universe = universeOf(implies, extra);
          const reference = oracle(implies, prefixRule, universe);
          const hierarchy = build(implies, prefixRule);
          expect(hierarchy instanceof ConfigError).toBe(reference.cyclic);
          if (hierarchy instanceof ConfigError) return;
          for (const x of universe)
            for (const y of universe)
              expect(hierarchy.missing([x], [y]).length === 0).toBe(reference.implied(x, y));
        },
      ),
      { numRuns: 600 },
    );
  });

  it('is transitive and never grants upward', () => {
    fc.assert(
      fc.property(impliesArb, fc.boolean(), (implies, prefixRule) => {
        const hierarchy = build(implies, prefixRule);
        fc.pre(!(hierarchy instanceof ConfigError));
        const h = hierarchy as ScopeHierarchy;
        const universe = universeOf(implies, []);
        const sat = (x: string, y: string) => h.missing([x], [y]).length === 0;
        for (const x of universe) {
          expect(sat(x, x)).toBe(true);
          for (const y of universe) {
            if (!sat(x, y)) continue;
            // Upward: a scope that a broader one implies never implies the broader one back.
            if (x !== y) expect(sat(y, x)).toBe(false);
            for (const z of universe) if (sat(y, z)) expect(sat(x, z)).toBe(true);
          }
        }
      }),
      { numRuns: 400 },
    );
  });

  it('keeps a scope reached through the prefix rule together with its own implications', () => {
    const h = new ScopeHierarchy({ implies: { 'mcp:write': ['files:read'] }, prefixSeparator: ':' });
    // "mcp" covers "mcp:write" by prefix, and "mcp:write" implies "files:read".
    expect(h.missing(['mcp'], ['mcp:write', 'files:read'])).toEqual([]);
    expect(h.missing(['mcp:write'], ['mcp', 'mcp:admin'])).toEqual(['mcp', 'mcp:admin']);
  });
});

describe('hierarchies that try to grant upward are refused at setup', () => {
  const upward: [string, Record<string, string[]>, boolean][] = [
    [
      'a chain closed back to its top',
      { 'mcp:admin': ['mcp:write'], 'mcp:write': ['mcp:read'], 'mcp:read': ['mcp:admin'] },
      false,
    ],
    ['two scopes implying each other', { read: ['write'], write: ['read'] }, false],
    ['a scope implying itself', { 'mcp:read': ['mcp:read'] }, false],
    ['a narrower scope implying its prefix', { 'mcp:read': ['mcp'] }, true],
    ['a cycle closed through the prefix rule', { 'notes:read': ['admin'], admin: ['notes'] }, true],
  ];
  it.each(upward)('%s', (_label, implies, prefixRule) => {
    expect(() => new ScopeHierarchy({ implies, ...(prefixRule ? { prefixSeparator: ':' } : {}) })).toThrow(
      /cycle.*never imply a broader one/s,
    );
  });

  it('treats token scopes literally: no wildcards, no prototype members', () => {
    const h = new ScopeHierarchy({ implies: { admin: ['constructor'] }, prefixSeparator: ':' });
    expect(h.missing(['*', 'mcp:*', '__proto__', 'toString'], ['mcp:read', 'constructor'])).toEqual([
      'mcp:read',
      'constructor',
    ]);
    expect(h.missing(['admin'], ['constructor'])).toEqual([]);
  });
});
