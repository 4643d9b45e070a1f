import { aead } from './aead.js';
import {
  type Cipher,
  checkTtl,
  type DecryptOptions,
  type EncryptOptions,
  resolveTimestamp,
} from './cipher.js';
import { concatBytes, contextBytes, encodeUtf8 } from './encoding.js';
import { CRYPTO_ERROR_CODES, CryptoError } from './errors.js';
import {
  buildFixedHeader,
  ciphertextBytes,
  encodeWrappedKey,
  envelopeBodyHeader,
  FLAG_ENVELOPE,
  FLAG_TIMESTAMP,
  KEY_BYTES,
  NONCE_BYTES,
  parseCiphertext,
  TAG_BYTES,
} from './format.js';
import { readKeyFile } from './key-file.js';
import { KeyRing, keyMaterial, openAead } from './key-ring.js';

const NO_BYTES = new Uint8Array(0);

import { loadSodium, randomBytes, wipe, writeNonce } from './sodium.js';

/**
 * Where key-encryption keys (KEKs, "master keys") live. The envelope cipher asks it to wrap each record's random
 * data key and to unwrap it again; the KEK itself never has to leave the provider.
 *
 * **Cloud KMS seam.** Implement these three methods over the KMS API: `currentKeyId()` returns the configured
 * key's id (ARN / resource name, ≤ 255 printable ASCII), `wrapKey` calls the KMS *Encrypt* operation with the
 * data key as plaintext and `associatedData` as the encryption context / AAD, `unwrapKey` calls *Decrypt* with the
 * same AAD. Rotating the KMS key then only re-wraps data keys ({@link EnvelopeCipher.rotate}).
 *
 * @example
 * const kms: KeyProvider = {
 *   name: 'aws-kms',
 *   currentKeyId: () => process.env.KMS_KEY_ARN!,
 *   async wrapKey(dataKey, { keyId, associatedData }) {
 *     const out = await client.send(new EncryptCommand({ KeyId: keyId, Plaintext: dataKey,
 *       EncryptionContext: { ad: Buffer.from(associatedData).toString('base64') } }));
 *     return out.CiphertextBlob!;
 *   },
 *   async unwrapKey(wrapped, { keyId, associatedData }) { … DecryptCommand with the same context … },
 * };
 */
export interface KeyProvider {
  /** A short name for events and errors, e.g. `env`, `file`, `aws-kms`. */
  readonly name: string;
  /** The id of the KEK that wraps new data keys. */
  currentKeyId(): string | Promise<string>;
  /** Wraps (encrypts) `dataKey` under KEK `keyId`, binding `associatedData`. Must not keep `dataKey`. */
  wrapKey(
    dataKey: Uint8Array,
    options: { keyId: string; associatedData: Uint8Array },
  ): Uint8Array | Promise<Uint8Array>;
  /** Unwraps a data key. Throw (anything) when it cannot: the cipher reports a typed error. */
  unwrapKey(
    wrappedKey: Uint8Array,
    options: { keyId: string; associatedData: Uint8Array },
  ): Uint8Array | Promise<Uint8Array>;
  /** Whether KEK `keyId` is known (lets errors say "unknown key" rather than "failed"). */
  hasKey?(keyId: string): boolean | Promise<boolean>;
  /** Releases resources and zeroes held keys. */
  close?(): void | Promise<void>;
}

/** A {@link KeyProvider} over a local {@link KeyRing}: KEKs by id, the ring's primary wraps. */
export function keyRingKeyProvider(
  ring: KeyRing,
  name = 'keyring',
): KeyProvider & { readonly keyRing: KeyRing } {
  return {
    name,
    keyRing: ring,
    currentKeyId: () => ring.primaryId,
    hasKey: (keyId) => ring.has(keyId),
    wrapKey(dataKey, { keyId, associatedData }) {
      const kek = keyMaterial(ring, keyId);
      if (!kek)
        throw new CryptoError(CRYPTO_ERROR_CODES.UNKNOWN_KEY, 'The master key is not available.', {
          details: { keyId },
        });
      // nonce ‖ ciphertext ‖ tag
      const out = new Uint8Array(NONCE_BYTES + dataKey.length + TAG_BYTES);
      writeNonce(out, 0);
      aead().seal(kek, out.subarray(0, NONCE_BYTES), associatedData, NO_BYTES, dataKey, out, NONCE_BYTES);
      return out;
    },
    unwrapKey(wrappedKey, { keyId, associatedData }) {
      const kek = keyMaterial(ring, keyId);
      if (!kek)
        throw new CryptoError(CRYPTO_ERROR_CODES.UNKNOWN_KEY, 'The master key is not available.', {
          details: { keyId },
        });
      if (wrappedKey.length !== NONCE_BYTES + KEY_BYTES + TAG_BYTES) {
        throw new CryptoError(CRYPTO_ERROR_CODES.MALFORMED, 'The wrapped data key has the wrong size.', {
          details: { keyId },
        });
      }
      return openAead(
        kek,
        associatedData,
        undefined,
        wrappedKey.subarray(0, NONCE_BYTES),
        wrappedKey.subarray(NONCE_BYTES),
        keyId,
      );
    },
    close: () => ring.destroy(),
  };
}

/** Name of the environment variable {@link envKeyProvider} reads by default. */
export const DEFAULT_MASTER_KEYS_ENV = 'MCP_WARDEN_MASTER_KEYS';

/**
 * Master keys from an environment variable: `id:base64url-key[,id:base64url-key…]`, the first one primary
 * (encrypts), the others kept for decrypting older data. Each key is 32 random bytes
 * (e.g. `node -e "console.log(require('crypto').randomBytes(32).toString('base64url'))"`).
 *
 * @example
 * // MCP_WARDEN_MASTER_KEYS="m2:Qm9n…,m1:c2Vj…"
 * const cipher = await EnvelopeCipher.create(await envKeyProvider());
 */
export async function envKeyProvider(
  options: { variable?: string; env?: Readonly<Record<string, string | undefined>> } = {},
): Promise<KeyProvider & { readonly keyRing: KeyRing }> {
  const variable = options.variable ?? DEFAULT_MASTER_KEYS_ENV;
  const raw = (options.env ?? process.env)[variable];
  if (raw === undefined || raw.trim() === '') {
    throw new CryptoError(
      CRYPTO_ERROR_CODES.KEY_MISSING,
      `Environment variable ${variable} is not set. Set it to "id:base64url-32-byte-key" (several comma-separated, the first encrypts).`,
    );
  }
  const ring = await KeyRing.create();
  try {
    for (const [index, item] of raw.split(',').entries()) {
      const colon = item.indexOf(':');
      const id = item.slice(0, colon).trim();
      const bytes = colon > 0 ? Buffer.from(item.slice(colon + 1).trim(), 'base64url') : Buffer.alloc(0);
      try {
        if (colon <= 0 || bytes.length !== KEY_BYTES) {
          // Never echo the value: only its position.
          throw new CryptoError(
            CRYPTO_ERROR_CODES.INVALID_KEY,
            `Entry ${index + 1} of ${variable} is not "id:base64url-key" with a 32-byte key.`,
          );
        }
        ring.add(id, bytes, { primary: index === 0 });
      } finally {
        bytes.fill(0);
      }
    }
  } catch (error) {
    ring.destroy();
    throw error;
  }
  return keyRingKeyProvider(ring, 'env');
}

/**
 * Master keys from an MCP Warden key file (see `writeKeyFile` / `keygen`), optionally passphrase-protected.
 * Rotating the master key is `rotate({ keyFile })` followed by a re-wrap (`reencrypt` with this provider's cipher).
 * @example
 * const provider = await fileKeyProvider({ path: '/etc/mcp-warden/master-keys.json', passphrase });
 */
export async function fileKeyProvider(options: {
  path: string;
  passphrase?: string | undefined;
}): Promise<KeyProvider & { readonly keyRing: KeyRing }> {
  const ring = await readKeyFile(options.path, { passphrase: options.passphrase });
  return keyRingKeyProvider(ring, 'file');
}

/**
 * Envelope encryption: every value gets its own random 256-bit data key (XChaCha20-Poly1305), wrapped by the
 * provider's current master key and stored in the ciphertext. Rotating the master key re-wraps data keys
 * ({@link rotate}) without touching the encrypted bodies.
 *
 * @example
 * const cipher = await EnvelopeCipher.create(await envKeyProvider());
 * const ct = await cipher.encrypt('hello', { context: { record: 'r1' } });
 */
export class EnvelopeCipher implements Cipher {
  private constructor(readonly provider: KeyProvider) {}

  static async create(provider: KeyProvider): Promise<EnvelopeCipher> {
    await loadSodium();
    return new EnvelopeCipher(provider);
  }

  async currentKeyId(): Promise<string> {
    return this.provider.currentKeyId();
  }

  async encrypt(plaintext: Uint8Array | string, options: EncryptOptions = {}): Promise<Uint8Array> {
    const context = contextBytes(options.context);
    const keyId = await this.provider.currentKeyId();
    const createdAt = resolveTimestamp(options.timestamp);
    const fixed = buildFixedHeader(keyId, createdAt, true);
    const dataKey = randomBytes(KEY_BYTES);
    const pt = typeof plaintext === 'string' ? encodeUtf8(plaintext) : plaintext;
    try {
      const wrapped = await this.#wrap(dataKey, keyId, fixed);
      const flags = FLAG_ENVELOPE | (createdAt === undefined ? 0 : FLAG_TIMESTAMP);
      const head = concatBytes([fixed, encodeWrappedKey(wrapped)]);
      // fixed header ‖ wrapped key ‖ nonce ‖ ciphertext ‖ tag; body AD = magic ‖ version ‖ flags ‖ [time] ‖ context.
      const bodyAt = head.length + NONCE_BYTES;
      const out = new Uint8Array(bodyAt + pt.length + TAG_BYTES);
      out.set(head);
      writeNonce(out, head.length);
      const bodyHeader = envelopeBodyHeader({ version: 1, flags, createdAt });
      aead().seal(dataKey, out.subarray(head.length, bodyAt), bodyHeader, context, pt, out, bodyAt);
      return out;
    } finally {
      wipe(dataKey);
      if (typeof plaintext === 'string') wipe(pt);
    }
  }

  async decrypt(ciphertext: Uint8Array | string, options: DecryptOptions = {}): Promise<Uint8Array> {
    const parsed = parseCiphertext(ciphertext);
    if (!(parsed.flags & FLAG_ENVELOPE) || !parsed.wrappedKey) {
      throw new CryptoError(
        CRYPTO_ERROR_CODES.MALFORMED,
        'The value is not an envelope ciphertext; decrypt it with its KeyRing.',
        {
          details: { keyId: parsed.keyId },
        },
      );
    }
    const context = contextBytes(options.context);
    const dataKey = await this.#unwrap(parsed.wrappedKey, parsed.keyId, parsed.fixedHeader);
    let plaintext: Uint8Array;
    try {
      plaintext = openAead(
        dataKey,
        envelopeBodyHeader(parsed),
        context,
        parsed.nonce,
        parsed.body,
        parsed.keyId,
      );
    } finally {
      wipe(dataKey);
    }
    try {
      checkTtl(parsed.createdAt, options, parsed.keyId);
    } catch (error) {
      wipe(plaintext);
      throw error;
    }
    return plaintext;
  }

  /**
   * Re-wraps the data key under the current master key. The nonce and encrypted body are kept byte for byte, so
   * this is cheap and does not need the context; a value already under the current key is returned unchanged
   * (after its data key was checked to unwrap).
   */
  async rotate(ciphertext: Uint8Array | string): Promise<Uint8Array> {
    const bytes = ciphertextBytes(ciphertext);
    const parsed = parseCiphertext(bytes);
    if (!(parsed.flags & FLAG_ENVELOPE) || !parsed.wrappedKey) {
      throw new CryptoError(CRYPTO_ERROR_CODES.MALFORMED, 'The value is not an envelope ciphertext.', {
        details: { keyId: parsed.keyId },
      });
    }
    const keyId = await this.provider.currentKeyId();
    const dataKey = await this.#unwrap(parsed.wrappedKey, parsed.keyId, parsed.fixedHeader);
    try {
      if (keyId === parsed.keyId) return bytes;
      const fixed = buildFixedHeader(keyId, parsed.createdAt, true);
      const wrapped = await this.#wrap(dataKey, keyId, fixed);
      return concatBytes([fixed, encodeWrappedKey(wrapped), parsed.nonce, parsed.body]);
    } finally {
      wipe(dataKey);
    }
  }

  async needsRotation(ciphertext: Uint8Array | string): Promise<boolean> {
    return parseCiphertext(ciphertext).keyId !== (await this.provider.currentKeyId());
  }

  async #wrap(dataKey: Uint8Array, keyId: string, associatedData: Uint8Array): Promise<Uint8Array> {
    try {
      return await this.provider.wrapKey(dataKey, { keyId, associatedData });
    } catch (cause) {
      if (CryptoError.isCryptoError(cause)) throw cause;
      throw new CryptoError(
        CRYPTO_ERROR_CODES.KEY_PROVIDER_FAILED,
        'The key provider could not wrap a data key.',
        {
          reason: `provider "${this.provider.name}" failed to wrap under key "${keyId}"`,
          details: { keyId },
          cause,
        },
      );
    }
  }

  async #unwrap(wrapped: Uint8Array, keyId: string, associatedData: Uint8Array): Promise<Uint8Array> {
    if (this.provider.hasKey && !(await this.provider.hasKey(keyId))) {
      throw new CryptoError(
        CRYPTO_ERROR_CODES.UNKNOWN_KEY,
        'The value was encrypted with a master key that is not available.',
        {
          reason: `key id "${keyId}" is unknown to provider "${this.provider.name}"`,
          details: { keyId },
        },
      );
    }
    let dataKey: Uint8Array;
    try {
      dataKey = await this.provider.unwrapKey(wrapped, { keyId, associatedData });
    } catch (cause) {
      if (CryptoError.isCryptoError(cause)) throw cause;
      throw new CryptoError(
        CRYPTO_ERROR_CODES.DECRYPT_FAILED,
        'The encrypted value could not be decrypted: its data key did not unwrap.',
        {
          reason: `provider "${this.provider.name}" failed to unwrap under key "${keyId}"`,
          details: { keyId },
          cause,
        },
      );
    }
    if (dataKey.length !== KEY_BYTES) {
      wipe(dataKey);
      throw new CryptoError(
        CRYPTO_ERROR_CODES.KEY_PROVIDER_FAILED,
        'The key provider returned a data key of the wrong size.',
        {
          details: { keyId },
        },
      );
    }
    return dataKey;
  }
}
