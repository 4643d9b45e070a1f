import { AuthenticationError, CORE_ERROR_CODES } from '@mcp-warden/core';

/** Stable codes of every refusal this package makes. They appear in security events and `AuthenticationError.code`. */
export const OAUTH_ERROR_CODES = {
  /** The request carried the token somewhere other than the `Authorization` header, or the header is malformed. */
  INVALID_REQUEST: 'OAUTH_INVALID_REQUEST',
  /** The token is not a well-formed JWS/JWT, or is longer than `maxTokenLength`. */
  TOKEN_MALFORMED: 'OAUTH_TOKEN_MALFORMED',
  /** The JWT's `alg` is not on the allow-list (this includes `none` and HMAC algorithms). */
  ALGORITHM_NOT_ALLOWED: 'OAUTH_ALGORITHM_NOT_ALLOWED',
  /** The JWT header carries `jwk`, `jku`, `x5u`, `x5c`, `crit` or `b64`: key material or extensions we never trust. */
  FORBIDDEN_HEADER: 'OAUTH_FORBIDDEN_HEADER',
  /** `typ` is not `at+jwt` while `requireTyp` is on (RFC 9068). */
  TYPE_MISMATCH: 'OAUTH_TYPE_MISMATCH',
  /** The signature does not verify with the key the header names. */
  SIGNATURE_INVALID: 'OAUTH_SIGNATURE_INVALID',
  /** The JWT header names no `kid` while `requireKid` is on (the default). */
  KID_MISSING: 'OAUTH_KID_MISSING',
  /** No key with the token's `kid` (after one bounded JWKS refresh). */
  KEY_NOT_FOUND: 'OAUTH_KEY_NOT_FOUND',
  /** The JWKS endpoint could not be reached and no cached key fits. Fails closed. */
  JWKS_UNAVAILABLE: 'OAUTH_JWKS_UNAVAILABLE',
  TOKEN_EXPIRED: 'OAUTH_TOKEN_EXPIRED',
  TOKEN_NOT_YET_VALID: 'OAUTH_TOKEN_NOT_YET_VALID',
  /** `iat` lies further in the future than `clockToleranceSeconds` (always checked, with or without a maximum age). */
  TOKEN_ISSUED_IN_FUTURE: 'OAUTH_TOKEN_ISSUED_IN_FUTURE',
  /** Older than `maxTokenAgeSeconds` (by `iat`). */
  TOKEN_TOO_OLD: 'OAUTH_TOKEN_TOO_OLD',
  /**
   * A required claim (`exp`, `iat` with a maximum age, `sub`/`client_id`) is missing, or a time claim (`exp`, `nbf`,
   * `iat`) is not a finite, non-negative number.
   */
  CLAIM_INVALID: 'OAUTH_CLAIM_INVALID',
  ISSUER_MISMATCH: 'OAUTH_ISSUER_MISMATCH',
  /** `aud` does not contain this server's canonical resource URI (RFC 8707). */
  AUDIENCE_MISMATCH: 'OAUTH_AUDIENCE_MISMATCH',
  /** Introspection answered `active: false` (revoked, expired or unknown token). */
  TOKEN_INACTIVE: 'OAUTH_TOKEN_INACTIVE',
  /** The introspection endpoint failed or answered something unusable. Fails closed. */
  INTROSPECTION_FAILED: 'OAUTH_INTROSPECTION_FAILED',
  /** An opaque token arrived but no introspection endpoint is configured. */
  UNSUPPORTED_TOKEN: 'OAUTH_UNSUPPORTED_TOKEN',
  /** The token is valid but lacks a scope the operation needs. */
  INSUFFICIENT_SCOPE: 'OAUTH_INSUFFICIENT_SCOPE',
} as const;

export type OAuthErrorCode = (typeof OAUTH_ERROR_CODES)[keyof typeof OAUTH_ERROR_CODES];

/** The one message every refused access token gets, whatever the reason (the reason goes to the security event). */
export const INVALID_TOKEN_MESSAGE = 'The access token is not valid for this server.';

/**
 * Why a token was refused by {@link TokenVerifier.verify}: an `AuthenticationError` (HTTP 401, RFC 6750
 * `invalid_token`), so thrown from an authenticator it is the refusal itself. The client learns only the one
 * {@link INVALID_TOKEN_MESSAGE} and core's generic `INVALID_CREDENTIALS` as `data.code`: telling it which check
 * failed (audience, signature, unknown key, …) would let an attacker probe the verifier one property at a time.
 * `code` (one of {@link OAUTH_ERROR_CODES}), `reason` and `details` keep the precise cause for the operator;
 * `reason` never contains the token.
 */
export class TokenVerificationError extends AuthenticationError {
  declare readonly code: OAuthErrorCode;
  declare readonly reason: string;
  constructor(code: OAuthErrorCode, reason: string, options?: { cause?: unknown }) {
    super({
      code,
      oauthError: 'invalid_token',
      message: INVALID_TOKEN_MESSAGE,
      reason,
      // Client-visible JSON-RPC `error.data`: overrides the `code` that toJsonRpcError would otherwise copy in.
      data: { code: CORE_ERROR_CODES.INVALID_CREDENTIALS },
      details: { code },
      cause: options?.cause,
    });
  }
}
