/**
 * Stable error codes of `@mcp-warden/ratelimit`, sent to clients as `error.data.code` (JSON-RPC) and recorded in
 * security events as `details.code`.
 */
export const RATELIMIT_ERROR_CODES = {
  /** A request exceeded a rule's budget (core's own code, so clients need to know only one). */
  RATE_LIMITED: 'RATE_LIMITED',
  /** The client address is blocked after too many failed authentications. */
  AUTH_BLOCKED: 'AUTH_BLOCKED',
  /** The client address is in a cool-down after recent failed authentications. */
  AUTH_COOLDOWN: 'AUTH_COOLDOWN',
  /** The plugin's options are invalid (thrown by `rateLimit()` as a `ConfigError`; core's own code). */
  CONFIG_INVALID: 'CONFIG_INVALID',
} as const;

export type RateLimitErrorCode = (typeof RATELIMIT_ERROR_CODES)[keyof typeof RATELIMIT_ERROR_CODES];
