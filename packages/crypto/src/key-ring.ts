import {
  type Cipher,
  checkTtl,
  type DecryptOptions,
  type EncryptOptions,
  resolveTimestamp,
} from './cipher.js';
import { concatBytes, decodeUtf8, encodeContext, encodeUtf8 } from './encoding.js';
import { CRYPTO_ERROR_CODES, CryptoError } from './errors.js';
import {
  buildFixedHeader,
  ciphertextBytes,
  FLAG_ENVELOPE,
  isValidKeyId,
  KEY_BYTES,
  NONCE_BYTES,
  parseCiphertext,
} from './format.js';
import { loadSodium, randomBytes, type Sodium, sodiumSync, wipe } from './sodium.js';

/** One key of a ring, as handed to {@link KeyRing.create}. The ring copies `key`. */
export interface KeyRingEntry {
  id: string;
  /** 32 random bytes. */
  key: Uint8Array;
  /** When the key was made (kept in key files). */
  createdAt?: Date;
}

interface RingState {
  keys: Map<string, { key: Uint8Array; createdAt: Date }>;
  primary: string | undefined;
}

// Key material lives outside the instance, so printing or serialising a KeyRing can never show it.
const STATE = new WeakMap<KeyRing, RingState>();

function state(ring: KeyRing): RingState {
  const s = STATE.get(ring);
  if (!s) throw new Error('KeyRing used after destroy()');
  return s;
}

/** A fresh key id: `k` + UTC date + 8 random hex digits, e.g. `k20261126-3f9a0c1e`. */
export function newKeyId(): string {
  const d = new Date().toISOString().slice(0, 10).replaceAll('-', '');
  return `k${d}-${Buffer.from(randomBytes(4)).toString('hex')}`;
}

/**
 * Keys by id: one primary that encrypts, all usable to decrypt (like Fernet's `MultiFernet`, with key ids so
 * decryption does not try every key). Ciphertexts use XChaCha20-Poly1305-IETF with a random 192-bit nonce.
 * Create it with the async {@link KeyRing.create} (it waits for libsodium); every method after that is synchronous.
 *
 * @example
 * const ring = await KeyRing.generate();
 * const ct = ring.encrypt('s3cret', { context: { record: 'note:1', field: 'body' } });
 * ring.decryptString(ct, { context: { record: 'note:1', field: 'body' } }); // 's3cret'
 */
export class KeyRing implements Cipher {
  private constructor() {
    STATE.set(this, { keys: new Map(), primary: undefined });
  }

  /** A ring holding `keys`; `primary` defaults to the first. An empty ring cannot encrypt until a key is added. */
  static async create(options: { keys?: Iterable<KeyRingEntry>; primary?: string } = {}): Promise<KeyRing> {
    await loadSodium();
    const ring = new KeyRing();
    for (const entry of options.keys ?? []) ring.add(entry.id, entry.key, { createdAt: entry.createdAt });
    if (options.primary !== undefined) ring.setPrimary(options.primary);
    return ring;
  }

  /** A ring with one freshly generated primary key. */
  static async generate(keyId?: string): Promise<KeyRing> {
    const ring = await KeyRing.create();
    ring.generateKey({ id: keyId });
    return ring;
  }

  /** Id of the key that encrypts. Throws when the ring is empty. */
  get primaryId(): string {
    const p = state(this).primary;
    if (p === undefined)
      throw new CryptoError(CRYPTO_ERROR_CODES.INVALID_KEY, 'The key ring has no primary key.');
    return p;
  }

  /** Every key id, oldest first (insertion order). */
  get ids(): string[] {
    return [...state(this).keys.keys()];
  }

  /** When each key was made. */
  get keyInfo(): { id: string; createdAt: Date; primary: boolean }[] {
    const s = state(this);
    return [...s.keys].map(([id, k]) => ({ id, createdAt: k.createdAt, primary: id === s.primary }));
  }

  has(keyId: string): boolean {
    return state(this).keys.has(keyId);
  }

  currentKeyId(): string {
    return this.primaryId;
  }

  /** Adds a copy of `key` under `keyId`. The first key added becomes primary. */
  add(
    keyId: string,
    key: Uint8Array,
    options: { primary?: boolean; createdAt?: Date | undefined } = {},
  ): void {
    const s = state(this);
    if (!isValidKeyId(keyId)) {
      throw new CryptoError(
        CRYPTO_ERROR_CODES.INVALID_KEY,
        'A key id must be 1-255 printable ASCII characters without spaces.',
      );
    }
    if (!(key instanceof Uint8Array) || key.length !== KEY_BYTES) {
      throw new CryptoError(
        CRYPTO_ERROR_CODES.INVALID_KEY,
        `Key "${keyId}" must be exactly ${KEY_BYTES} bytes.`,
      );
    }
    if (s.keys.has(keyId))
      throw new CryptoError(CRYPTO_ERROR_CODES.INVALID_KEY, `Key id "${keyId}" is already in the key ring.`);
    s.keys.set(keyId, { key: Uint8Array.from(key), createdAt: options.createdAt ?? new Date() });
    if (s.primary === undefined || options.primary) s.primary = keyId;
  }

  /** Generates a random key, adds it (as primary unless `primary: false`) and returns its id. */
  generateKey(options: { id?: string | undefined; primary?: boolean } = {}): string {
    const id = options.id ?? newKeyId();
    const key = randomBytes(KEY_BYTES);
    try {
      this.add(id, key, { primary: options.primary ?? true });
    } finally {
      wipe(key);
    }
    return id;
  }

  setPrimary(keyId: string): void {
    const s = state(this);
    if (!s.keys.has(keyId))
      throw new CryptoError(CRYPTO_ERROR_CODES.UNKNOWN_KEY, `Key id "${keyId}" is not in the key ring.`);
    s.primary = keyId;
  }

  /** Removes a key and zeroes it. The primary key cannot be removed. */
  remove(keyId: string): boolean {
    const s = state(this);
    if (keyId === s.primary) {
      throw new CryptoError(
        CRYPTO_ERROR_CODES.INVALID_KEY,
        'The primary key cannot be removed; make another key primary first.',
      );
    }
    const entry = s.keys.get(keyId);
    if (!entry) return false;
    wipe(entry.key);
    s.keys.delete(keyId);
    return true;
  }

  /** Zeroes every key; the ring is unusable afterwards. */
  destroy(): void {
    const s = STATE.get(this);
    if (!s) return;
    for (const entry of s.keys.values()) wipe(entry.key);
    s.keys.clear();
    STATE.delete(this);
  }

  encrypt(plaintext: Uint8Array | string, options: EncryptOptions = {}): Uint8Array {
    const sodium = sodiumSync();
    const keyId = this.primaryId;
    const key = state(this).keys.get(keyId)!.key;
    const header = buildFixedHeader(keyId, resolveTimestamp(options.timestamp), false);
    const nonce = randomBytes(NONCE_BYTES);
    return sealWithNonce(sodium, key, header, nonce, plaintext, encodeContext(options.context));
  }

  decrypt(ciphertext: Uint8Array | string, options: DecryptOptions = {}): Uint8Array {
    const sodium = sodiumSync();
    const parsed = parseCiphertext(ciphertext);
    if (parsed.flags & FLAG_ENVELOPE) {
      throw new CryptoError(
        CRYPTO_ERROR_CODES.MALFORMED,
        'The value is an envelope ciphertext; decrypt it with an EnvelopeCipher.',
        {
          details: { keyId: parsed.keyId },
        },
      );
    }
    const entry = state(this).keys.get(parsed.keyId);
    if (!entry) {
      throw new CryptoError(
        CRYPTO_ERROR_CODES.UNKNOWN_KEY,
        'The value was encrypted with a key that is not available.',
        {
          reason: `key id "${parsed.keyId}" is not in the key ring`,
          details: { keyId: parsed.keyId },
        },
      );
    }
    const ad = concatBytes([parsed.header, encodeContext(options.context)]);
    const plaintext = openAead(sodium, entry.key, ad, parsed.nonce, parsed.body, parsed.keyId);
    try {
      checkTtl(parsed.createdAt, options, parsed.keyId);
    } catch (error) {
      wipe(plaintext);
      throw error;
    }
    return plaintext;
  }

  /** {@link decrypt} as UTF-8 text. */
  decryptString(ciphertext: Uint8Array | string, options: DecryptOptions = {}): string {
    const bytes = this.decrypt(ciphertext, options);
    try {
      return decodeUtf8(bytes);
    } catch (cause) {
      throw new CryptoError(CRYPTO_ERROR_CODES.MALFORMED, 'The decrypted value is not UTF-8 text.', {
        cause,
      });
    } finally {
      wipe(bytes);
    }
  }

  /**
   * Re-encrypts under the primary key, keeping the creation time (like `MultiFernet.rotate`). A ciphertext
   * already under the primary key is returned as is, so a bulk job can be re-run safely.
   */
  rotate(ciphertext: Uint8Array | string, options: Pick<DecryptOptions, 'context'> = {}): Uint8Array {
    const bytes = ciphertextBytes(ciphertext);
    const parsed = parseCiphertext(bytes);
    if (parsed.keyId === this.primaryId) {
      // Authenticate anyway: rotation must never bless a tampered value.
      wipe(this.decrypt(bytes, { context: options.context }));
      return bytes;
    }
    const plaintext = this.decrypt(bytes, { context: options.context });
    try {
      return this.encrypt(plaintext, { context: options.context, timestamp: parsed.createdAt ?? false });
    } finally {
      wipe(plaintext);
    }
  }

  needsRotation(ciphertext: Uint8Array | string): boolean {
    return parseCiphertext(ciphertext).keyId !== this.primaryId;
  }

  toJSON(): { keyIds: string[]; primary: string | undefined } {
    return { keyIds: this.ids, primary: STATE.get(this)?.primary };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    const s = STATE.get(this);
    return s
      ? `KeyRing { keyIds: [${this.ids.join(', ')}], primary: ${s.primary} }`
      : 'KeyRing { destroyed }';
  }
}

/** @internal The raw key for `keyId` (not exported from the package). */
export function keyMaterial(ring: KeyRing, keyId: string): Uint8Array | undefined {
  return state(ring).keys.get(keyId)?.key;
}

/** @internal Copies of every key, for writing key files (not exported from the package). */
export function exportKeyMaterial(ring: KeyRing): { id: string; key: Uint8Array; createdAt: Date }[] {
  return [...state(ring).keys].map(([id, k]) => ({
    id,
    key: Uint8Array.from(k.key),
    createdAt: k.createdAt,
  }));
}

/** @internal AEAD seal with an explicit nonce: `header ‖ nonce ‖ ciphertext ‖ tag`, AD = `header ‖ context`. */
export function sealWithNonce(
  sodium: Sodium,
  key: Uint8Array,
  header: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array | string,
  context: Uint8Array,
): Uint8Array {
  const pt = typeof plaintext === 'string' ? encodeUtf8(plaintext) : plaintext;
  try {
    const body = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
      pt,
      concatBytes([header, context]),
      null,
      nonce,
      key,
    );
    return concatBytes([header, nonce, body]);
  } finally {
    if (typeof plaintext === 'string') wipe(pt);
  }
}

/** @internal AEAD open that turns libsodium's generic failure into `DECRYPT_FAILED`. */
export function openAead(
  sodium: Sodium,
  key: Uint8Array,
  ad: Uint8Array,
  nonce: Uint8Array,
  body: Uint8Array,
  keyId: string,
): Uint8Array {
  try {
    return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, body, ad, nonce, key);
  } catch {
    throw new CryptoError(
      CRYPTO_ERROR_CODES.DECRYPT_FAILED,
      'The encrypted value could not be decrypted: wrong key, wrong context, or the value was altered.',
      { details: { keyId } },
    );
  }
}
