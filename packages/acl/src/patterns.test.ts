/**
 * The acl reads its targets and actions in core's one pattern language: a bad target is refused with core's
 * problem and fix at its rule path, and a good one matches exactly what `compilePattern` matches.
 */
import { compilePattern, createPrincipal, PatternSyntaxError } from '@mcp-warden/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AccessPolicy } from './access-policy.js';
import { PolicyError } from './errors.js';
import { GlobSyntaxError } from './index.js';

const principal = createPrincipal({ id: 'alice', kind: 'test', roles: [] });
const policyWith = (targets: string[], actions: string[] = ['tools:call']) => ({
  version: 1,
  rules: [{ effect: 'allow', subjects: '*', actions, targets }],
});

/** Core's verdict on a pattern: its error, or `undefined` when it compiles. */
function coreError(source: string): PatternSyntaxError | undefined {
  try {
    compilePattern(source);
    return undefined;
  } catch (error) {
    if (error instanceof PatternSyntaxError) return error;
    throw error;
  }
}

const piece = fc.constantFrom('a', 'b', '*', '**', '/', '{', '}', ',', '_');
const source = fc.array(piece, { minLength: 1, maxLength: 10 }).map((p) => p.join(''));

describe('acl targets are core patterns', () => {
  it('refuses a target exactly when core does, with core’s problem and fix at its path', () => {
    fc.assert(
      fc.property(source, (target) => {
        const expected = coreError(target);
        let caught: unknown;
        try {
          AccessPolicy.compile(policyWith(['ok', target]));
        } catch (error) {
          caught = error;
        }
        if (expected === undefined) {
          // Valid pattern: any refusal is about the name itself (canonicalisation), never its syntax.
          if (caught !== undefined) expect(caught).toBeInstanceOf(PolicyError);
          return;
        }
        expect(caught).toBeInstanceOf(PolicyError);
        expect((caught as PolicyError).issues).toContainEqual({
          path: ['rules', 0, 'targets', 1],
          message: expected.problem,
          hint: expected.hint,
        });
      }),
      { numRuns: 1000 },
    );
  });

  it('matches a tool name exactly as compilePattern does', () => {
    const name = fc
      .array(fc.constantFrom('a', 'b', 'ab', '_', 'x'), { minLength: 1, maxLength: 4 })
      .map((p) => p.join(''));
    fc.assert(
      fc.property(source, name, (target, tool) => {
        fc.pre(coreError(target) === undefined);
        let policy: AccessPolicy;
        try {
          policy = AccessPolicy.compile(policyWith([target]));
        } catch {
          return; // a target the acl refuses as a name (e.g. empty): not a syntax question
        }
        expect(policy.check(principal, 'tools:call', tool)).toBe(compilePattern(target).test(tool));
      }),
      { numRuns: 1000 },
    );
  });

  it('reads action patterns in the same language', () => {
    const policy = AccessPolicy.compile({
      version: 1,
      rules: [{ effect: 'allow', subjects: '*', actions: ['resources:*'] }],
    });
    expect(policy.check(principal, 'resources:templates:list')).toBe(true);
    expect(policy.check(principal, 'tools:list')).toBe(false);
  });

  it('keeps GlobSyntaxError as the name of core’s error', () => {
    expect(GlobSyntaxError).toBe(PatternSyntaxError);
  });
});
