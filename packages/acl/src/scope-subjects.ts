import { ConfigError, ScopeHierarchy } from '@mcp-warden/core';
import type { AclPolicyDocument } from './policy-schema.js';

/**
 * `scope:<scope>` subjects under the policy's scope hierarchy (MCP 2026-07-28: a broader scope implies narrower
 * ones). Without a hierarchy a principal matches the scopes it holds; with one, it also matches every scope subject
 * of the policy that its scopes imply. Deny rules follow the same reading: a deny on `scope:notes:read` also stops
 * a holder of `notes:write` when that implies `notes:read` (fail closed).
 */
export class ScopeSubjects {
  readonly #hierarchy: ScopeHierarchy | undefined;
  readonly #named: readonly string[];

  private constructor(hierarchy: ScopeHierarchy | undefined, named: Iterable<string>) {
    this.#hierarchy = hierarchy;
    this.#named = [...new Set(named)];
  }

  /**
   * Builds the hierarchy of a policy's `scopes` section; `subjects` are the rule subjects. A cycle is reported
   * through `issue` (the policy is then refused as a whole).
   */
  static compile(
    section: AclPolicyDocument['scopes'],
    subjects: Iterable<string>,
    issue: (message: string, hint: string) => void,
  ): ScopeSubjects {
    const named: string[] = [];
    for (const subject of subjects) if (subject.startsWith('scope:')) named.push(subject.slice(6));
    if (!section) return new ScopeSubjects(undefined, named);
    try {
      const hierarchy = new ScopeHierarchy({
        implies: section.implies ?? {},
        ...(section.prefixSeparator !== undefined && { prefixSeparator: section.prefixSeparator }),
      });
      return new ScopeSubjects(hierarchy, named);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      issue(
        error.message,
        'remove one "implies" entry of the cycle: a narrower scope must not imply a broader one',
      );
      return new ScopeSubjects(undefined, named);
    }
  }

  /** The `scope:` subject keys `scopes` match: each held scope, plus every implied scope a rule names. */
  keysFor(scopes: readonly string[]): string[] {
    const keys = scopes.map((scope) => `scope:${scope}`);
    const hierarchy = this.#hierarchy;
    if (!hierarchy) return keys;
    const expanded = hierarchy.expand(scopes);
    for (const scope of this.#named) if (hierarchy.satisfies(expanded, scope)) keys.push(`scope:${scope}`);
    return keys;
  }
}
