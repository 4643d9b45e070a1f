import type { SecurityEventInput } from '@mcp-warden/core';
import type { Cipher, DecryptOptions, EncryptOptions } from './cipher.js';
import { decodeUtf8 } from './encoding.js';
import type { EncryptedStore } from './encrypted-store.js';
import { CRYPTO_ERROR_CODES, CryptoError } from './errors.js';
import { encodeCiphertextText, isCiphertextText, parseCiphertext } from './format.js';
import { wipe } from './sodium.js';

/**
 * What the crypto plugin provides to tools and other plugins (`services.require(CRYPTO_SERVICE)`). Ciphertexts
 * are returned in text form (`mcpw1.…`), ready to store in a database column or a JSON field.
 */
export interface CryptoService {
  /** The cipher behind the service (a `KeyRing` or an `EnvelopeCipher`). */
  readonly cipher: Cipher;
  /** The shared encrypted key/value store, when one is configured. */
  readonly store: EncryptedStore | undefined;
  /** Encrypts to text form. */
  encrypt(plaintext: string | Uint8Array, options?: EncryptOptions): Promise<string>;
  /** Decrypts bytes or text form to bytes. */
  decrypt(ciphertext: string | Uint8Array, options?: DecryptOptions): Promise<Uint8Array>;
  /** Decrypts to UTF-8 text. */
  decryptString(ciphertext: string | Uint8Array, options?: DecryptOptions): Promise<string>;
  /** Re-protects a ciphertext under the current key (text form). */
  rotate(ciphertext: string | Uint8Array, options?: Pick<DecryptOptions, 'context'>): Promise<string>;
  /** True when `value` is text-form ciphertext (not authenticated). */
  isCiphertext(value: unknown): value is string;
}

export interface CryptoServiceOptions {
  cipher: Cipher;
  store?: EncryptedStore | undefined;
  /** Receives `crypto.failed` events (the plugin passes its setup `emit`). */
  emit?: ((event: Omit<SecurityEventInput, 'plugin'>) => void) | undefined;
}

/** Emits `crypto.failed` for a failure (never with plaintext or key material). */
export function cryptoFailedEvent(
  error: CryptoError,
  operation: string,
  extra: Record<string, unknown> = {},
): Omit<SecurityEventInput, 'plugin'> {
  return {
    type: 'crypto.failed',
    outcome: 'denied',
    severity: error.code === CRYPTO_ERROR_CODES.EXPIRED ? 'info' : 'warn',
    reason: error.reason ?? error.message,
    details: { ...error.details, operation, code: error.code, ...extra },
  };
}

/**
 * Builds the crypto service over a cipher. Failures are rethrown as `CryptoError` and reported as
 * `crypto.failed` events through `emit`.
 * @example
 * const crypto = createCryptoService({ cipher: await KeyRing.generate() });
 * const sealed = await crypto.encrypt('secret', { context: { field: 'token' } });
 */
export function createCryptoService(options: CryptoServiceOptions): CryptoService {
  const { cipher, emit } = options;
  const report = <T>(operation: string, fn: () => Promise<T>): Promise<T> =>
    fn().catch((error: unknown) => {
      if (CryptoError.isCryptoError(error)) {
        try {
          emit?.(cryptoFailedEvent(error, operation));
        } catch {
          // Event delivery must not change the outcome.
        }
      }
      throw error;
    });
  return {
    cipher,
    store: options.store,
    encrypt: (plaintext, opts) =>
      report('encrypt', async () => encodeCiphertextText(await cipher.encrypt(plaintext, opts))),
    decrypt: (ciphertext, opts) => report('decrypt', async () => cipher.decrypt(ciphertext, opts)),
    decryptString: (ciphertext, opts) =>
      report('decrypt', async () => {
        const bytes = await cipher.decrypt(ciphertext, opts);
        try {
          return decodeUtf8(bytes);
        } catch (cause) {
          throw new CryptoError(CRYPTO_ERROR_CODES.MALFORMED, 'The decrypted value is not UTF-8 text.', {
            cause,
            details: { keyId: parseCiphertext(ciphertext).keyId },
          });
        } finally {
          wipe(bytes);
        }
      }),
    rotate: (ciphertext, opts) =>
      report('rotate', async () => encodeCiphertextText(await cipher.rotate(ciphertext, opts))),
    isCiphertext: isCiphertextText,
  };
}
