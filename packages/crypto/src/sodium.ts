import { randomFillSync } from 'node:crypto';
import sodium from 'libsodium-wrappers-sumo';

/**
 * The libsodium API. We use the "sumo" build of libsodium.js: the standard `libsodium-wrappers` build (0.8.x)
 * ships no `crypto_pwhash` (Argon2id) at runtime although its typings declare it; the sumo build is the same
 * library with the full API.
 */
export type Sodium = typeof sodium;

let loaded = false;

/** Resolves once libsodium's WebAssembly module is ready. Safe to call many times. */
export async function loadSodium(): Promise<Sodium> {
  if (!loaded) {
    await sodium.ready;
    loaded = true;
  }
  return sodium;
}

/** The ready libsodium, or `undefined` before {@link loadSodium} has finished. */
export function sodiumReady(): Sodium | undefined {
  return loaded ? sodium : undefined;
}

/** The ready libsodium; throws when {@link loadSodium} was never awaited (a wiring mistake, not a crypto failure). */
export function sodiumSync(): Sodium {
  if (!loaded)
    throw new Error('libsodium is not initialised: await loadSodium() (or an async factory) first');
  return sodium;
}

/** Zeroes a buffer in place (best effort: JavaScript may have copied it elsewhere before). */
export function wipe(bytes: Uint8Array | undefined): void {
  if (bytes && bytes.length > 0) sodiumSync().memzero(bytes);
}

/**
 * Constant-time equality of two byte strings (libsodium `sodium_memcmp`); unequal lengths compare unequal without
 * an early exit on content. For callers comparing secrets (peppers, MACs, tokens). AEAD tags are already checked
 * in constant time inside libsodium. Call after `await loadSodium()`.
 * @example
 * constantTimeEqual(expectedMac, receivedMac)
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  const s = sodiumSync();
  if (a.length !== b.length) {
    // Still touch the data so timing does not depend on where a difference is; the lengths are not secret.
    s.memcmp(a, a);
    return false;
  }
  return a.length === 0 ? true : s.memcmp(a, b);
}

/**
 * `n` bytes from the operating system's CSPRNG (through node:crypto). libsodium.js's `randombytes_buf` calls back
 * into JavaScript for every request and measured ~1,500 calls/s here, which capped encryption at that rate; the
 * source of randomness is the same (the OS), only the path is shorter.
 */
export function randomBytes(n: number): Uint8Array {
  return randomFillSync(new Uint8Array(n));
}

// Nonces come from a pool filled by one CSPRNG call per 170 nonces: one `randomFillSync` costs about as much as
// sealing 1 KiB, whatever its size. Every pooled byte is handed out once and zeroed when taken. Only nonces (public
// values) come from here; keys always get a fresh `randomBytes` call.
const NONCE_POOL = new Uint8Array(24 * 170);
let noncePoolAt = NONCE_POOL.length;

/** Writes a fresh random 24-byte nonce into `out` at `offset`. */
export function writeNonce(out: Uint8Array, offset: number): void {
  if (noncePoolAt + 24 > NONCE_POOL.length) {
    randomFillSync(NONCE_POOL);
    noncePoolAt = 0;
  }
  const end = noncePoolAt + 24;
  out.set(NONCE_POOL.subarray(noncePoolAt, end), offset);
  NONCE_POOL.fill(0, noncePoolAt, end);
  noncePoolAt = end;
}
