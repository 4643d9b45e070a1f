/**
 * The compiled matcher (action index → exact map + segment trie) against a slow, obviously-correct reference:
 * loop over the rules in file order, expand braces by brute force, match globs by plain recursion.
 */
import { createPrincipal, type Principal } from '@mcp-warden/core';
import { referenceExpand, referenceMatchAlternative } from '@mcp-warden/core/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AccessPolicy } from './access-policy.js';
import { canonicalizeName, canonicalizeUri } from './canonical-uri.js';
import type { AclRule } from './policy-schema.js';

// ---------------------------------------------------------------- reference

function refDecide(
  rules: AclRule[],
  principal: Principal,
  action: string,
  target: string,
  uri: boolean,
): { allowed: boolean; rule: number | undefined } {
  const canon = (s: string) => (uri ? canonicalizeUri(s) : canonicalizeName(s));
  const t = canon(target);
  if (!t.ok) return { allowed: false, rule: undefined };
  const subjectsOf = (p: Principal) =>
    new Set([
      '*',
      'authenticated',
      `principal:${p.id}`,
      ...p.roles.map((r) => `role:${r}`),
      ...p.scopes.map((s) => `scope:${s}`),
    ]);
  const keys = subjectsOf(principal);
  let firstAllow: number | undefined;
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i] as AclRule;
    const subjects = typeof rule.subjects === 'string' ? [rule.subjects] : rule.subjects;
    if (!subjects.some((s) => keys.has(s))) continue;
    const actions = typeof rule.actions === 'string' ? [rule.actions] : rule.actions;
    if (
      !actions.some(
        (a) => a === '*' || a === action || (a.endsWith(':*') && action.startsWith(a.slice(0, -1))),
      )
    )
      continue;
    const targets =
      rule.targets === undefined ? ['**'] : typeof rule.targets === 'string' ? [rule.targets] : rule.targets;
    const hit = targets.some((pattern) =>
      referenceExpand(pattern).some((p) => {
        if (p === '**') return true;
        const cp = canon(p);
        return cp.ok && referenceMatchAlternative(cp.value, t.value);
      }),
    );
    if (!hit) continue;
    if (rule.effect === 'deny') return { allowed: false, rule: i }; // the first deny in file order
    firstAllow ??= i;
  }
  return { allowed: firstAllow !== undefined, rule: firstAllow };
}

// ---------------------------------------------------------------- generators

const segmentPattern = fc.constantFrom(
  'a',
  'b',
  'ab',
  'ba',
  '*',
  '**',
  'a*',
  '*b',
  'a*b',
  '*a*',
  '{a,b}',
  '{ab,*}',
  'x{a,}',
  '',
);
const segmentText = fc.constantFrom('a', 'b', 'ab', 'ba', 'aab', 'xa', 'x', '');
const principals = [
  createPrincipal({ id: 'alice', kind: 'test', roles: ['r1'] }),
  createPrincipal({ id: 'bob', kind: 'test', roles: ['r2'], scopes: ['s1'] }),
  createPrincipal({ id: 'carol', kind: 'test', roles: [], scopes: [] }),
];
const subject = fc.constantFrom(
  '*',
  'authenticated',
  'principal:alice',
  'principal:bob',
  'role:r1',
  'role:r2',
  'scope:s1',
);

function ruleArb(kind: 'name' | 'uri'): fc.Arbitrary<AclRule> {
  const action =
    kind === 'name'
      ? fc.constantFrom('tools:call', 'prompts:get', 'tools:*', '*')
      : fc.constantFrom('resources:read', 'resources:*', '*');
  const pattern = fc
    .array(segmentPattern, { minLength: 1, maxLength: 4 })
    .map((segs) => (kind === 'uri' ? `file:///${segs.join('/')}` : segs.join('/')));
  return fc.record({
    effect: fc.constantFrom('allow' as const, 'deny' as const),
    subjects: fc.array(subject, { minLength: 1, maxLength: 2 }),
    actions: fc.array(action, { minLength: 1, maxLength: 2 }),
    targets: fc.option(fc.array(pattern, { minLength: 1, maxLength: 3 }), { nil: undefined, freq: 6 }),
  });
}

function compileOrSkip(rules: AclRule[]): AccessPolicy | undefined {
  try {
    return AccessPolicy.compile({ version: 1, roles: { r1: {}, r2: {} }, rules });
  } catch {
    return undefined; // e.g. a URI pattern that climbs above its root: the reference needs no opinion on those
  }
}

describe('compiled matcher = reference matcher', () => {
  for (const kind of ['name', 'uri'] as const) {
    it(`on random policies and ${kind} targets`, () => {
      const target = fc
        .array(segmentText, { minLength: 1, maxLength: 5 })
        .map((segs) => (kind === 'uri' ? `file:///${segs.join('/')}` : segs.join('/')));
      fc.assert(
        fc.property(
          fc.array(ruleArb(kind), { maxLength: 12 }),
          fc.constantFrom(...principals),
          target,
          (rules, principal, t) => {
            const policy = compileOrSkip(rules);
            fc.pre(policy !== undefined);
            const action = kind === 'name' ? 'tools:call' : 'resources:read';
            const expected = refDecide(rules, principal, action, t, kind === 'uri');
            const actual = (policy as AccessPolicy).explain(principal, action, t);
            expect({ allowed: actual.allowed, rule: actual.rule?.index }).toEqual(expected);
            expect((policy as AccessPolicy).check(principal, action, t)).toBe(expected.allowed);
          },
        ),
        { numRuns: 400 },
      );
    });
  }
});
