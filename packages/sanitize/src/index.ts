export { CONTROL_RULE_IDS, type ControlScanModes, scanControls } from './control-scan.js';
export {
  resolveRules,
  type SanitizeValueOptions,
  type SanitizeValueResult,
  sanitizeText,
  sanitizeValue,
  ValueTooDeepError,
} from './engine.js';
export { SANITIZE_ERROR_CODES, type SanitizeErrorCode } from './errors.js';
export { FindingCollector } from './findings.js';
export { INJECTION_RULES } from './injection.js';
export { escapeHtml, SQL_KEYWORDS_RULE, TUTORIAL_SQL_KEYWORD_REGEX } from './markup.js';
export { type PatternContext, type PatternRule, PatternSet, shannonEntropy } from './pattern-rule.js';
export { isIban, isPaymentCard, isPhoneNumber, isUsSsn, luhnValid, PII_RULES } from './pii.js';
export {
  type SanitizeOptions,
  type SanitizeTargetOptions,
  sanitize,
  sanitizeOptionsSchema,
} from './plugin.js';
export {
  type CompiledRules,
  type CompileOptions,
  compileRules,
  DEFAULT_ENTROPY_THRESHOLD,
  getRule,
  RULE_CATEGORIES,
  RULES,
  RuleConfigError,
  type RuleInfo,
  type RulesConfig,
} from './rules.js';
export { findPrivateKeys, isLikelySecretValue, looksLikePlaceholder, SECRET_RULES } from './secrets.js';
export type {
  Finding,
  RuleAction,
  RuleCategory,
  RuleCount,
  RuleMode,
  RuleSetting,
  SanitizeTextResult,
} from './types.js';
export { MAX_FINDINGS } from './types.js';
