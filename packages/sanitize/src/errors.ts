/**
 * Stable error codes of `@mcp-warden/sanitize` (the `code` of the `WardenError`s it throws). Bad options are a
 * core `ConfigError` (`CONFIG_INVALID`), thrown by `sanitize()` itself.
 */
export const SANITIZE_ERROR_CODES = {
  /** Arguments matched the enforced `sql-keywords` compatibility rule. */
  SQL_KEYWORDS: 'SANITIZE_SQL_KEYWORDS',
  /** A result matched an enforced refusing rule and was withheld. */
  CONTENT_REFUSED: 'SANITIZE_CONTENT_REFUSED',
  /** Arguments or a result nest deeper than the walker's limit (fail closed); also `ValueTooDeepError.code`. */
  VALUE_TOO_DEEP: 'SANITIZE_VALUE_TOO_DEEP',
  /** `compileRules` was given an unknown rule id or a bad setting (`RuleConfigError`, a core `ConfigError`). */
  RULES_INVALID: 'SANITIZE_RULES_INVALID',
} as const;

export type SanitizeErrorCode = (typeof SANITIZE_ERROR_CODES)[keyof typeof SANITIZE_ERROR_CODES];
