import { aead } from './aead.js';
import {
  type Cipher,
  checkTtl,
  type DecryptOptions,
  type EncryptOptions,
  resolveTimestamp,
} from './cipher.js';
import { contextBytes, decodeUtf8, encodeUtf8 } from './encoding.js';
import { CRYPTO_ERROR_CODES, CryptoError } from './errors.js';
import {
  ciphertextBytes,
  FLAG_ENVELOPE,
  fixedHeaderLength,
  isValidKeyId,
  KEY_BYTES,
  keyIdBytes,
  NONCE_BYTES,
  parseCiphertext,
  TAG_BYTES,
  writeFixedHeader,
} from './format.js';
import { loadSodium, randomBytes, type Sodium, wipe, writeNonce } from './sodium.js';

/** One key of a ring, as handed to {@link KeyRing.create}. The ring copies `key`. */
export interface KeyRingEntry {
  id: string;
  /** 32 random bytes. */
  key: Uint8Array;
  /** When the key was made (kept in key files). */
  createdAt?: Date;
}

interface RingKey {
  key: Uint8Array;
  createdAt: Date;
  /** The key id's bytes, as written into every header (computed once). */
  kid: Uint8Array;
}

interface RingState {
  keys: Map<string, RingKey>;
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
    s.keys.set(keyId, {
      key: Uint8Array.from(key),
      createdAt: options.createdAt ?? new Date(),
      kid: keyIdBytes(keyId),
    });
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
    const s = state(this);
    const entry = s.keys.get(this.primaryId)!;
    const createdAt = resolveTimestamp(options.timestamp);
    const context = contextBytes(options.context);
    const pt = typeof plaintext === 'string' ? encodeUtf8(plaintext) : plaintext;
    try {
      // header ‖ nonce ‖ ciphertext ‖ tag, written in place; AD = header ‖ context.
      const headerLength = fixedHeaderLength(entry.kid.length, createdAt);
      const out = outputBytes(headerLength + NONCE_BYTES + pt.length + TAG_BYTES);
      writeFixedHeader(out, entry.kid, createdAt, false);
      writeNonce(out, headerLength);
      const bodyAt = headerLength + NONCE_BYTES;
      aead().seal(
        entry.key,
        out.subarray(headerLength, bodyAt),
        out.subarray(0, headerLength),
        context,
        pt,
        out,
        bodyAt,
      );
      return out;
    } finally {
      if (typeof plaintext === 'string') wipe(pt);
    }
  }

  decrypt(ciphertext: Uint8Array | string, options: DecryptOptions = {}): Uint8Array {
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
    const context = contextBytes(options.context);
    const plaintext = openAead(entry.key, parsed.header, context, parsed.nonce, parsed.body, parsed.keyId);
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

const NO_BYTES = new Uint8Array(0);

/**
 * A buffer for a ciphertext. From 64 KiB up it is not zero-filled first (that fill was a tenth of the cost of
 * sealing 1 MiB): the caller writes every byte — header, nonce, then the backend writes exactly the ciphertext and
 * tag, or throws, and the buffer is dropped.
 */
function outputBytes(length: number): Uint8Array {
  if (length < 64 * 1024) return new Uint8Array(length);
  const b = Buffer.allocUnsafeSlow(length);
  return new Uint8Array(b.buffer, b.byteOffset, length);
}

/**
 * @internal AEAD seal with an explicit nonce: `header ‖ nonce ‖ ciphertext ‖ tag`, AD = `header ‖ context`. The
 * `sodium` argument is kept for callers of the earlier signature; the runtime's backend seals.
 */
export function sealWithNonce(
  _sodium: Sodium | undefined,
  key: Uint8Array,
  header: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array | string,
  context: Uint8Array,
): Uint8Array {
  const pt = typeof plaintext === 'string' ? encodeUtf8(plaintext) : plaintext;
  try {
    const bodyAt = header.length + NONCE_BYTES;
    const out = new Uint8Array(bodyAt + pt.length + TAG_BYTES);
    out.set(header);
    out.set(nonce, header.length);
    aead().seal(key, nonce, header, context, pt, out, bodyAt);
    return out;
  } finally {
    if (typeof plaintext === 'string') wipe(pt);
  }
}

/**
 * @internal AEAD open (AD = `adHead ‖ adTail`) that turns any authentication failure into the one
 * `DECRYPT_FAILED` error: it never says which part (ciphertext, tag, header or context) was wrong.
 */
export function openAead(
  key: Uint8Array,
  adHead: Uint8Array,
  adTail: Uint8Array | undefined,
  nonce: Uint8Array,
  body: Uint8Array,
  keyId: string,
): Uint8Array {
  const plaintext = aead().open(key, nonce, adHead, adTail ?? NO_BYTES, body);
  if (plaintext) return plaintext;
  throw new CryptoError(
    CRYPTO_ERROR_CODES.DECRYPT_FAILED,
    'The encrypted value could not be decrypted: wrong key, wrong context, or the value was altered.',
    { details: { keyId } },
  );
}
