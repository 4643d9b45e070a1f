import { createHmac, hash as oneShotHash, timingSafeEqual } from 'node:crypto';

/** One HMAC pepper: a server-side secret mixed into every stored key hash. */
export interface Pepper {
  /** Short id stored with each record (e.g. `p1`, `2026-11`), so peppers can be rotated. */
  id: string;
  /** At least 32 bytes of randomness (a string is used as its UTF-8 bytes). */
  secret: string | Uint8Array;
}

/** Smallest accepted pepper, in bytes (HMAC-SHA256's block is 64; 32 bytes is its security level). */
export const MIN_PEPPER_BYTES = 32;

export const PEPPER_ID_PATTERN = /^[A-Za-z0-9._-]{1,32}$/;

/**
 * The peppers in use: one current (new hashes), the others still accepted (old hashes, re-hashed to the current
 * pepper on their next successful use).
 */
export class PepperRing {
  readonly currentId: string;
  readonly #keys = new Map<string, PepperHmac>();
  /** Current first, then the others in the order given. */
  readonly #order: string[];

  /**
   * @param peppers at least one; ids unique; secrets ≥ 32 bytes.
   * @param currentId the pepper new hashes use. @default the first pepper's id
   */
  constructor(peppers: readonly Pepper[], currentId?: string) {
    if (peppers.length === 0) throw new TypeError('At least one pepper is required.');
    for (const pepper of peppers) {
      if (!PEPPER_ID_PATTERN.test(pepper.id))
        throw new TypeError(
          `Pepper id must match ${PEPPER_ID_PATTERN} (got a ${pepper.id.length}-character id).`,
        );
      if (this.#keys.has(pepper.id)) throw new TypeError(`Pepper id "${pepper.id}" is used twice.`);
      const bytes =
        typeof pepper.secret === 'string' ? Buffer.from(pepper.secret, 'utf8') : Buffer.from(pepper.secret);
      if (bytes.length < MIN_PEPPER_BYTES) {
        throw new TypeError(
          `Pepper "${pepper.id}" is ${bytes.length} bytes; use at least ${MIN_PEPPER_BYTES} random bytes (e.g. \`openssl rand -base64 32\`).`,
        );
      }
      this.#keys.set(pepper.id, new PepperHmac(bytes));
    }
    const first = peppers[0] as Pepper;
    this.currentId = currentId ?? first.id;
    if (!this.#keys.has(this.currentId))
      throw new TypeError(`The current pepper id "${this.currentId}" is not among the configured peppers.`);
    this.#order = [this.currentId, ...peppers.map((p) => p.id).filter((id) => id !== this.currentId)];
  }

  /** Pepper ids, current first. */
  get ids(): readonly string[] {
    return this.#order;
  }

  has(id: string): boolean {
    return this.#keys.has(id);
  }

  /** base64url HMAC-SHA256(pepper, key). Throws for an unknown pepper id. */
  hash(key: string, pepperId: string = this.currentId): string {
    const hmac = this.#keys.get(pepperId);
    if (!hmac) throw new TypeError(`Unknown pepper id "${pepperId}".`);
    return hmac.digest(key);
  }
}

/** Longest key (UTF-16 code units) hashed with the one-shot construction; longer input goes to `createHmac`. */
const ONE_SHOT_MAX_KEY_LENGTH = 256;
/** SHA-256's block size: HMAC pads the key to it (RFC 2104). */
const SHA256_BLOCK_BYTES = 64;

/**
 * HMAC-SHA256 under one pepper, base64url. It is RFC 2104's construction,
 * `H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ m))`, computed with two calls of Node's one-shot `crypto.hash` over buffers
 * that hold the padded pepper. Why not `createHmac` alone: for an input as short as an API key, setting up an
 * `Hmac` object costs several times more than the hashing itself (measured in bench/: about 2–3× slower per key
 * on Node 20), and that setup was most of a verification's cost. The output is identical to `createHmac`'s
 * (tested for random peppers and inputs); keys longer than {@link ONE_SHOT_MAX_KEY_LENGTH} still use it.
 *
 * The scratch buffers are reused: this runs synchronously on one thread, and the key's bytes are wiped after each
 * use so the buffer never keeps a key around.
 */
class PepperHmac {
  readonly #secret: Buffer;
  /** `K ⊕ ipad`, then room for the message (≤ 3 UTF-8 bytes per UTF-16 code unit). */
  readonly #inner: Buffer;
  /** `K ⊕ opad`, then the 32-byte inner digest. */
  readonly #outer: Buffer;
  /** The part of `#inner` the last message used (keys have one length, so this is made once). */
  #innerView: Buffer;

  constructor(secret: Buffer) {
    // A pepper longer than the block is first hashed, as RFC 2104 says; ours are 32+ bytes, usually below it.
    const key = secret.length > SHA256_BLOCK_BYTES ? oneShotHash('sha256', secret, 'buffer') : secret;
    this.#secret = Buffer.from(secret);
    this.#inner = Buffer.alloc(SHA256_BLOCK_BYTES + 3 * ONE_SHOT_MAX_KEY_LENGTH, 0);
    this.#outer = Buffer.alloc(SHA256_BLOCK_BYTES + 32, 0);
    this.#innerView = this.#inner.subarray(0, SHA256_BLOCK_BYTES);
    for (let i = 0; i < SHA256_BLOCK_BYTES; i++) {
      const k = i < key.length ? (key[i] as number) : 0;
      this.#inner[i] = k ^ 0x36;
      this.#outer[i] = k ^ 0x5c;
    }
  }

  digest(message: string): string {
    const length = message.length;
    if (length > ONE_SHOT_MAX_KEY_LENGTH) {
      return createHmac('sha256', this.#secret).update(message, 'utf8').digest('base64url');
    }
    const inner = this.#inner;
    // ASCII (every API key) is copied by a plain loop, UTF-8 encoded otherwise: for input this short, the
    // Buffer.write wrapper costs more than the copy.
    let end = SHA256_BLOCK_BYTES + length;
    for (let i = 0; i < length; i++) {
      const c = message.charCodeAt(i);
      if (c > 0x7f) {
        end = SHA256_BLOCK_BYTES + inner.write(message, SHA256_BLOCK_BYTES, 'utf8');
        break;
      }
      inner[SHA256_BLOCK_BYTES + i] = c;
    }
    if (end !== this.#innerView.length) this.#innerView = inner.subarray(0, end);
    // 'binary' (latin1: one character per byte) is the cheapest way to move the inner digest into the outer
    // buffer: a Buffer output costs several times more on Node 20.
    const innerDigest = oneShotHash('sha256', this.#innerView, 'binary');
    for (let i = SHA256_BLOCK_BYTES; i < end; i++) inner[i] = 0;
    const outer = this.#outer;
    for (let i = 0; i < 32; i++) outer[SHA256_BLOCK_BYTES + i] = innerDigest.charCodeAt(i);
    return oneShotHash('sha256', outer, 'base64url');
  }
}

/** Length of a base64url SHA-256 digest (32 bytes, unpadded). */
const DIGEST_LENGTH = 43;
// Scratch space for the common case below: comparing two stored-format digests allocates nothing.
const leftScratch = Buffer.alloc(DIGEST_LENGTH);
const rightScratch = Buffer.alloc(DIGEST_LENGTH);

/** Constant-time equality of two base64url digests (also for unequal lengths, without an early exit). */
export function digestsEqual(a: string, b: string): boolean {
  if (a.length === DIGEST_LENGTH && b.length === DIGEST_LENGTH) {
    // base64url is ASCII, so the low byte of each character is the whole character (a plain loop is cheaper
    // than two Buffer.write calls here). The final `===` only runs after a constant-time match: it refuses
    // non-ASCII strings whose low bytes happen to collide (a stored hash is never such).
    for (let i = 0; i < DIGEST_LENGTH; i++) {
      leftScratch[i] = a.charCodeAt(i) & 0xff;
      rightScratch[i] = b.charCodeAt(i) & 0xff;
    }
    return timingSafeEqual(leftScratch, rightScratch) && a === b;
  }
  const left = Buffer.from(a, 'latin1');
  const right = Buffer.from(b, 'latin1');
  if (left.length !== right.length) {
    // Compare left with itself so the unequal-length case costs the same as a mismatch.
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right) && a === b;
}
