import { JSON_RPC_ERROR_CODES, WardenError } from '@mcp-warden/core';

/** Stable error codes of `@mcp-warden/audit`. Bad options are a core `ConfigError`, thrown by the factory itself. */
export const AUDIT_ERROR_CODES = {
  /** `canonicalJson` was given a value JSON cannot carry as it is (nested deeper than its limit). */
  NOT_CANONICAL: 'AUDIT_NOT_CANONICAL',
  /** A read-only `SqliteAuditStore` was opened on a file that does not exist. */
  STORE_MISSING: 'AUDIT_STORE_MISSING',
} as const;

export type AuditErrorCode = (typeof AUDIT_ERROR_CODES)[keyof typeof AUDIT_ERROR_CODES];

/**
 * Thrown by `canonicalJson` for values that are not JSON (too deep): a `WardenError` with code
 * `AUDIT_NOT_CANONICAL`. The message names the limit, never the value.
 */
export class NotCanonicalError extends WardenError {
  declare readonly code: typeof AUDIT_ERROR_CODES.NOT_CANONICAL;
  constructor(message: string) {
    super({
      code: AUDIT_ERROR_CODES.NOT_CANONICAL,
      message,
      httpStatus: 400,
      jsonRpcCode: JSON_RPC_ERROR_CODES.INVALID_PARAMS,
      eventType: 'validation.rejected',
    });
  }
}
