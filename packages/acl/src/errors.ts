import { ConfigError } from '@mcp-warden/core';

/**
 * Stable error codes of `@mcp-warden/acl`. `PolicyError.code` is one of the policy codes; at plugin setup a bad
 * policy or bad options become core's `ConfigError` (`CONFIG_INVALID`) with the `PolicyError` as `cause`.
 */
export const ACL_ERROR_CODES = {
  /** A request was refused (the client sees core's `ACCESS_DENIED`, JSON-RPC -32003). */
  ACCESS_DENIED: 'ACCESS_DENIED',
  /** The policy document is not valid (schema, unknown role, bad glob, bad URI, role cycle, …). */
  POLICY_INVALID: 'ACL_POLICY_INVALID',
  /** The policy file could not be read. */
  POLICY_UNREADABLE: 'ACL_POLICY_UNREADABLE',
} as const;

export type AclErrorCode = (typeof ACL_ERROR_CODES)[keyof typeof ACL_ERROR_CODES];

/** Why a decision came out as it did (in `explain()` results and in security event details). */
export const ACL_DECISION_REASONS = {
  ALLOWED_BY_RULE: 'allowed-by-rule',
  DENIED_BY_RULE: 'denied-by-rule',
  NO_MATCHING_RULE: 'no-matching-rule',
  INVALID_TARGET: 'invalid-target',
} as const;

export type AclDecisionReason = (typeof ACL_DECISION_REASONS)[keyof typeof ACL_DECISION_REASONS];

/** One problem in a policy document, located when the document came from text. */
export interface PolicyIssue {
  /** Path into the document, e.g. `['rules', 2, 'targets', 0]`. */
  readonly path: readonly (string | number)[];
  readonly message: string;
  /** How to fix it. */
  readonly hint: string;
  readonly file?: string;
  /** 1-based. */
  readonly line?: number;
  /** 1-based. */
  readonly column?: number;
}

/** Formats an issue as `file:line:column: message (fix: hint)`. */
export function formatPolicyIssue(issue: PolicyIssue): string {
  const where = [issue.file ?? '<policy>', issue.line, issue.column].filter((p) => p !== undefined).join(':');
  const path = issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
  return `${where}: ${issue.message}${path} (fix: ${issue.hint})`;
}

/**
 * A policy document was refused: a core `ConfigError` with code `ACL_POLICY_INVALID` or `ACL_POLICY_UNREADABLE`.
 * `issues` lists every problem found, with file, line and a fix hint.
 */
export class PolicyError extends ConfigError {
  declare readonly code: AclErrorCode;
  constructor(
    readonly issues: readonly PolicyIssue[],
    code:
      | typeof ACL_ERROR_CODES.POLICY_INVALID
      | typeof ACL_ERROR_CODES.POLICY_UNREADABLE = ACL_ERROR_CODES.POLICY_INVALID,
  ) {
    super(`Invalid ACL policy:\n${issues.map((i) => `  ${formatPolicyIssue(i)}`).join('\n')}`, { code });
  }
}
