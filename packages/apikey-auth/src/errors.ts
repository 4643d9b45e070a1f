import { WardenError } from '@mcp-warden/core';

/**
 * Stable codes of `@mcp-warden/apikey-auth`. Failure reasons (`APIKEY_UNKNOWN`, …) go into security events only:
 * clients always see core's `INVALID_CREDENTIALS`, whatever was wrong with the key.
 */
export const APIKEY_AUTH_ERROR_CODES = {
  /** Length, prefix, charset or checksum is wrong (refused without a store lookup). */
  MALFORMED: 'APIKEY_MALFORMED',
  UNKNOWN: 'APIKEY_UNKNOWN',
  EXPIRED: 'APIKEY_EXPIRED',
  REVOKED: 'APIKEY_REVOKED',
  EXHAUSTED: 'APIKEY_EXHAUSTED',
  ADDRESS_NOT_ALLOWED: 'APIKEY_ADDRESS_NOT_ALLOWED',
  /** A key was sent in the URL query string (client-visible). */
  KEY_IN_QUERY: 'APIKEY_IN_QUERY',
  /** The header carrying the key is empty, too long, non-ASCII or contains whitespace (client-visible). */
  BAD_CREDENTIAL_SYNTAX: 'APIKEY_BAD_CREDENTIAL_SYNTAX',
  /** Manager: no key with that id. */
  NOT_FOUND: 'APIKEY_NOT_FOUND',
  /** Manager: invalid input to create/rotate/…. */
  INVALID_INPUT: 'APIKEY_INVALID_INPUT',
  /** Manager: the operation needs an active key (e.g. rotating a revoked one). */
  NOT_ACTIVE: 'APIKEY_NOT_ACTIVE',
} as const;

export type ApiKeyAuthErrorCode = (typeof APIKEY_AUTH_ERROR_CODES)[keyof typeof APIKEY_AUTH_ERROR_CODES];

/** Thrown by {@link ApiKeyManager} lifecycle operations for bad input or unknown ids (not by verification). */
export class ApiKeyManagerError extends WardenError {
  constructor(code: ApiKeyAuthErrorCode, message: string) {
    super({ code, message, httpStatus: code === APIKEY_AUTH_ERROR_CODES.NOT_FOUND ? 404 : 400 });
  }
}
