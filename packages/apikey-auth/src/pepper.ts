import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';

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
  readonly #keys = new Map<string, KeyObject>();
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
      this.#keys.set(pepper.id, createSecretKey(bytes));
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
    const secret = this.#keys.get(pepperId);
    if (!secret) throw new TypeError(`Unknown pepper id "${pepperId}".`);
    // Straight to base64url: measurably cheaper than digest() + toString() on the verification path.
    return createHmac('sha256', secret).update(key, 'utf8').digest('base64url');
  }
}

/** Constant-time equality of two base64url digests (also for unequal lengths, without an early exit). */
export function digestsEqual(a: string, b: string): boolean {
  // base64url is ASCII: latin1 is a byte-for-byte copy.
  const left = Buffer.from(a, 'latin1');
  const right = Buffer.from(b, 'latin1');
  if (left.length !== right.length) {
    // Compare left with itself so the unequal-length case costs the same as a mismatch.
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}
