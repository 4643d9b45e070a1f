/** The numbers a `RateLimit` / `RateLimit-Policy` header pair describes. */
export interface RateLimitHeaderInput {
  /** Policy name (a rule name: lower-case letters, digits, `.`, `_`, `-`). */
  policy: string;
  /** Quota: points per window. */
  points: number;
  /** Window in seconds. */
  windowSeconds: number;
  /** Points left. */
  remaining: number;
  /** Milliseconds until the quota resets (or the block ends). */
  msBeforeReset: number;
}

/** A Structured Field string (RFC 9651 §3.3.3): quoted, with `\` and `"` escaped, printable ASCII only. */
function sfString(value: string): string {
  return `"${value.replace(/[^\x20-\x7e]/g, '').replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * `RateLimit-Policy` and `RateLimit` response fields as defined by draft-ietf-httpapi-ratelimit-headers (-09/-10):
 * `RateLimit-Policy: "name";q=<quota>;w=<window seconds>` and `RateLimit: "name";r=<remaining>;t=<seconds to reset>`.
 *
 * @example
 * rateLimitHeaders({ policy: 'per-identity', points: 120, windowSeconds: 60, remaining: 0, msBeforeReset: 12_300 })
 * // { 'RateLimit-Policy': '"per-identity";q=120;w=60', RateLimit: '"per-identity";r=0;t=13' }
 */
export function rateLimitHeaders(input: RateLimitHeaderInput): Record<string, string> {
  const name = sfString(input.policy);
  const remaining = Math.max(0, Math.floor(input.remaining));
  const reset = Math.max(0, Math.ceil(input.msBeforeReset / 1000));
  return {
    'RateLimit-Policy': `${name};q=${Math.floor(input.points)};w=${Math.floor(input.windowSeconds)}`,
    RateLimit: `${name};r=${remaining};t=${reset}`,
  };
}
