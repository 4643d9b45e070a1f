/**
 * Compatibility names: the acl's glob language is core's pattern language now (`compilePattern`,
 * `PatternIndex`, `PatternSyntaxError` in `@mcp-warden/core`).
 */
export {
  expandPattern as expandBraces,
  MAX_PATTERN_EXPANSIONS as MAX_BRACE_EXPANSIONS,
  PatternIndex as GlobIndex,
  PatternSyntaxError as GlobSyntaxError,
} from '@mcp-warden/core';
export {
  AccessPolicy,
  type AclArguments,
  type AclDecision,
  type AclRuleRef,
  type AclTarget,
  type CompileOptions,
  canonicalTarget,
  type RuleSource,
} from './access-policy.js';
export { ACL_ACTIONS, type AclAction, isExemptMethod, KNOWN_ACTIONS, type TargetKind } from './actions.js';
export {
  type CanonicalResult,
  canonicalizeName,
  canonicalizeUri,
  MAX_TARGET_LENGTH,
  resolvePathSegments,
} from './canonical-uri.js';
export {
  ACL_DECISION_REASONS,
  ACL_ERROR_CODES,
  type AclDecisionReason,
  formatPolicyIssue,
  PolicyError,
  type PolicyIssue,
} from './errors.js';
export {
  loadPolicyFile,
  MAX_POLICY_BYTES,
  type ParsePolicyOptions,
  parsePolicy,
  readPolicyText,
} from './load-policy.js';
export {
  type AclOptions,
  type AclPlugin,
  acl,
  aclOptionsSchema,
  denial,
  describeDecision,
} from './plugin.js';
export {
  type AclCondition,
  type AclPolicyDocument,
  type AclRole,
  type AclRule,
  aclConditionSchema,
  aclPolicySchema,
  aclRoleSchema,
  aclRuleSchema,
} from './policy-schema.js';
export { PolicyWatcher, type PolicyWatcherOptions } from './policy-watcher.js';
