import { JSON_RPC_ERROR_CODES, WardenError } from '@mcp-warden/core';

/** Stable error codes of `@mcp-warden/crypto`. */
export const CRYPTO_ERROR_CODES = {
  /** The input is not a well-formed MCP Warden ciphertext (bad magic, truncated, bad encoding, bad flags). */
  MALFORMED: 'CRYPTO_MALFORMED',
  /** The ciphertext names a format version this code does not know. */
  UNSUPPORTED_VERSION: 'CRYPTO_UNSUPPORTED_VERSION',
  /** The ciphertext was made with a key id that is not in the key ring / provider. */
  UNKNOWN_KEY: 'CRYPTO_UNKNOWN_KEY',
  /** Authentication failed: wrong key, tampered ciphertext or wrong context (associated data). */
  DECRYPT_FAILED: 'CRYPTO_DECRYPT_FAILED',
  /** The ciphertext is older than the requested TTL (or dated in the future). */
  EXPIRED: 'CRYPTO_EXPIRED',
  /** A TTL was requested but the ciphertext carries no creation time. */
  NO_TIMESTAMP: 'CRYPTO_NO_TIMESTAMP',
  /** The associated-data context is not a flat map of strings, or too large. */
  INVALID_CONTEXT: 'CRYPTO_INVALID_CONTEXT',
  /** A key or key id is malformed (wrong length, bad characters, duplicate, primary missing). */
  INVALID_KEY: 'CRYPTO_INVALID_KEY',
  /** The key file is not valid JSON / not an MCP Warden key file. */
  KEY_FILE_INVALID: 'CRYPTO_KEY_FILE_INVALID',
  /** Refusing to overwrite an existing key file. */
  KEY_FILE_EXISTS: 'CRYPTO_KEY_FILE_EXISTS',
  /** The key file does not exist. */
  KEY_FILE_MISSING: 'CRYPTO_KEY_FILE_MISSING',
  /** The key file exists but this process cannot read it. */
  KEY_FILE_UNREADABLE: 'CRYPTO_KEY_FILE_UNREADABLE',
  /** The key file is readable by group or others. */
  KEY_FILE_PERMISSIONS: 'CRYPTO_KEY_FILE_PERMISSIONS',
  /** The key file is passphrase-protected and no passphrase was given. */
  PASSPHRASE_REQUIRED: 'CRYPTO_PASSPHRASE_REQUIRED',
  /** The passphrase does not open the key file (or the file was altered). */
  WRONG_PASSPHRASE: 'CRYPTO_WRONG_PASSPHRASE',
  /** Encrypted data exists but the key material does not open it. */
  KEY_MISMATCH: 'CRYPTO_KEY_MISMATCH',
  /** Encrypted data exists but its key file is missing. */
  KEY_MISSING: 'CRYPTO_KEY_MISSING',
  /** A {@link KeyProvider} failed to wrap or unwrap a data key. */
  KEY_PROVIDER_FAILED: 'CRYPTO_KEY_PROVIDER_FAILED',
} as const;

export type CryptoErrorCode = (typeof CRYPTO_ERROR_CODES)[keyof typeof CRYPTO_ERROR_CODES];

const CRYPTO_ERROR_MARKER = Symbol.for('mcp-warden.crypto-error');

export interface CryptoErrorOptions {
  /** Operator-facing detail for the security event. Never key material or plaintext. */
  reason?: string;
  details?: Record<string, unknown>;
  cause?: unknown;
}

/**
 * Every failure of this package. The `message` says what is wrong (and, for setup problems, how to fix it); it
 * never contains key material, passphrases or plaintext. No partial plaintext is ever returned with it.
 */
export class CryptoError extends WardenError {
  readonly [CRYPTO_ERROR_MARKER] = true;
  override readonly code: CryptoErrorCode;

  constructor(code: CryptoErrorCode, message: string, options: CryptoErrorOptions = {}) {
    super({
      code,
      message,
      reason: options.reason ?? message,
      httpStatus: 500,
      jsonRpcCode: JSON_RPC_ERROR_CODES.INTERNAL_ERROR,
      // Core's `SecurityEventKind` has no `crypto.failed`; the crypto service emits that event itself.
      eventType: 'request.rejected',
      details: { code, ...options.details },
      cause: options.cause,
    });
    this.code = code;
  }

  /** True for a `CryptoError`, also one thrown by another copy of this package. */
  static isCryptoError(value: unknown): value is CryptoError {
    return (
      WardenError.isInstance(value) &&
      (value as unknown as Record<symbol, unknown>)[CRYPTO_ERROR_MARKER] === true
    );
  }
}
