import { ConfigError, createPrincipal, type Principal, ScopeHierarchy } from '@mcp-warden/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AccessPolicy } from './access-policy.js';
import { PolicyError } from './errors.js';
import type { AclPolicyDocument } from './policy-schema.js';

const holder = (scopes: string[]): Principal => createPrincipal({ id: 'p', kind: 'oauth', scopes });
const CHAIN = { implies: { 'mcp:admin': ['mcp:write'], 'mcp:write': ['mcp:read'] } };

function compile(scopes: AclPolicyDocument['scopes'], rules: AclPolicyDocument['rules']): AccessPolicy {
  return AccessPolicy.compile({ version: 1, ...(scopes && { scopes }), rules });
}

describe('scope: subjects honour the policy scope hierarchy', () => {
  const p = compile(CHAIN, [
    { id: 'read', effect: 'allow', subjects: 'scope:mcp:read', actions: 'tools:call', targets: 'read_*' },
    { id: 'admin', effect: 'allow', subjects: 'scope:mcp:admin', actions: 'tools:call', targets: 'purge' },
    {
      id: 'no-export',
      effect: 'deny',
      subjects: 'scope:mcp:read',
      actions: 'tools:call',
      targets: 'read_export',
    },
  ]);

  it('a broader scope matches a rule on a narrower one, through the chain', () => {
    for (const scope of ['mcp:admin', 'mcp:write', 'mcp:read'])
      expect(p.check(holder([scope]), 'tools:call', 'read_note')).toBe(true);
    expect(p.check(holder(['other']), 'tools:call', 'read_note')).toBe(false);
  });

  it('never upward: a narrower scope does not match a rule on a broader one', () => {
    for (const scope of ['mcp:write', 'mcp:read', 'mcp', 'mcp:admin:x'])
      expect(p.check(holder([scope]), 'tools:call', 'purge')).toBe(false);
    expect(p.check(holder(['mcp:admin']), 'tools:call', 'purge')).toBe(true);
  });

  it('deny rules read the hierarchy too (a broader scope cannot dodge a deny on a narrower one)', () => {
    for (const scope of ['mcp:admin', 'mcp:write', 'mcp:read'])
      expect(p.explain(holder([scope]), 'tools:call', 'read_export')).toMatchObject({ allowed: false });
  });

  it('without a scopes section, scopes match literally (as before)', () => {
    const literal = compile(undefined, [
      { effect: 'allow', subjects: 'scope:mcp:read', actions: 'tools:call', targets: 't' },
    ]);
    expect(literal.check(holder(['mcp:read']), 'tools:call', 't')).toBe(true);
    expect(literal.check(holder(['mcp:admin']), 'tools:call', 't')).toBe(false);
  });

  it('refuses a cyclic hierarchy as a policy issue at scopes.implies', () => {
    let error: unknown;
    try {
      compile({ implies: { 'mcp:read': ['mcp'] }, prefixSeparator: ':' }, []);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PolicyError);
    const [issue] = (error as PolicyError).issues;
    expect(issue?.path).toEqual(['scopes', 'implies']);
    expect(issue?.message).toMatch(/cycle/);
  });

  it('means what the oauth plugin means: ACL decisions agree with ScopeHierarchy on generated hierarchies', () => {
    const scope = fc.stringMatching(/^[ab]{1,2}(:[ab]{1,2}){0,1}$/);
    fc.assert(
      fc.property(
        fc.dictionary(scope, fc.uniqueArray(scope, { maxLength: 3 }), { maxKeys: 4 }),
        fc.boolean(),
        scope,
        fc.uniqueArray(scope, { maxLength: 3 }),
        (implies, prefixRule, required, held) => {
          const section = { implies, ...(prefixRule && { prefixSeparator: ':' }) };
          let hierarchy: ScopeHierarchy;
          try {
            hierarchy = new ScopeHierarchy(section);
          } catch (error) {
            expect(error).toBeInstanceOf(ConfigError);
            expect(() => compile(section, [])).toThrow(PolicyError);
            return;
          }
          const p = compile(section, [
            { effect: 'allow', subjects: `scope:${required}`, actions: 'tools:call', targets: 't' },
          ]);
          const expected = hierarchy.missing(held, [required]).length === 0;
          expect(p.check(holder(held), 'tools:call', 't')).toBe(expected);
        },
      ),
      { numRuns: 400 },
    );
  });
});
