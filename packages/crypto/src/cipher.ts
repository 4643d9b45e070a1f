import type { CryptoContext } from './encoding.js';
import { CRYPTO_ERROR_CODES, CryptoError } from './errors.js';

export interface EncryptOptions {
  /** Associated data: the same context must be given to decrypt (e.g. `{ record: 'note:42', field: 'body' }`). */
  context?: CryptoContext;
  /**
   * Record the creation time in the ciphertext (for TTL checks on decryption). `true` uses the current time; a
   * `Date` or unix seconds set it explicitly; `false` omits it (8 bytes shorter, no time disclosed).
   * @default true
   */
  timestamp?: boolean | Date | number;
}

export interface DecryptOptions {
  /** The context given at encryption. */
  context?: CryptoContext;
  /** Refuse ciphertexts older than this many seconds (needs a recorded creation time). */
  ttlSeconds?: number;
  /** The current time for TTL checks. @default new Date() */
  now?: Date | number;
  /** Allowed clock skew for ciphertexts dated in the future, in seconds (TTL checks only). @default 60 */
  clockSkewSeconds?: number;
}

/** What the encrypted store, the re-encryption job and the crypto service need: a key ring or an envelope cipher. */
export interface Cipher {
  /** Encrypts `plaintext` (UTF-8 when a string) under the current key. */
  encrypt(plaintext: Uint8Array | string, options?: EncryptOptions): Uint8Array | Promise<Uint8Array>;
  /** Authenticates and decrypts; throws `CryptoError` on any failure, never returns partial plaintext. */
  decrypt(ciphertext: Uint8Array | string, options?: DecryptOptions): Uint8Array | Promise<Uint8Array>;
  /**
   * Re-protects a ciphertext under the current key, keeping plaintext, context and creation time: a key ring
   * re-encrypts, an envelope cipher re-wraps the data key. Returns the input unchanged when already current.
   */
  rotate(
    ciphertext: Uint8Array | string,
    options?: Pick<DecryptOptions, 'context'>,
  ): Uint8Array | Promise<Uint8Array>;
  /** True when `ciphertext` is not under the current key (cheap: reads the header only). */
  needsRotation(ciphertext: Uint8Array | string): boolean | Promise<boolean>;
  /** Id of the key new ciphertexts are made with. */
  currentKeyId(): string | Promise<string>;
}

/** The creation time to record, in unix seconds, or `undefined`. */
export function resolveTimestamp(option: EncryptOptions['timestamp']): number | undefined {
  if (option === false) return undefined;
  if (option === undefined || option === true) return Math.floor(Date.now() / 1000);
  const seconds = option instanceof Date ? Math.floor(option.getTime() / 1000) : option;
  if (!Number.isSafeInteger(seconds) || seconds < 0) {
    throw new CryptoError(
      CRYPTO_ERROR_CODES.MALFORMED,
      'The creation time must be a non-negative whole number of seconds.',
    );
  }
  return seconds;
}

/** Throws `EXPIRED` / `NO_TIMESTAMP` when a TTL was asked for and the creation time does not satisfy it. */
export function checkTtl(
  createdAt: number | undefined,
  options: DecryptOptions | undefined,
  keyId: string,
): void {
  if (options?.ttlSeconds === undefined) return;
  if (createdAt === undefined) {
    throw new CryptoError(
      CRYPTO_ERROR_CODES.NO_TIMESTAMP,
      'The encrypted value has no creation time, so its age cannot be checked.',
      {
        details: { keyId },
      },
    );
  }
  const now =
    options.now === undefined
      ? Date.now() / 1000
      : options.now instanceof Date
        ? options.now.getTime() / 1000
        : options.now;
  const skew = options.clockSkewSeconds ?? 60;
  if (createdAt > now + skew) {
    throw new CryptoError(
      CRYPTO_ERROR_CODES.EXPIRED,
      'The encrypted value is not valid yet (dated in the future).',
      {
        details: { keyId },
      },
    );
  }
  if (now - createdAt > options.ttlSeconds) {
    throw new CryptoError(CRYPTO_ERROR_CODES.EXPIRED, 'The encrypted value has expired.', {
      details: { keyId },
    });
  }
}
