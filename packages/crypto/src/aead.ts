/**
 * XChaCha20-Poly1305-IETF, on the fastest path the runtime has.
 *
 * XChaCha20-Poly1305 is HChaCha20 plus the IETF ChaCha20-Poly1305 AEAD (RFC 8439): HChaCha20 derives a subkey
 * from the key and the first 16 bytes of the 24-byte nonce, and ChaCha20-Poly1305 then runs under that subkey
 * with the 12-byte nonce `0x00000000 ‖ nonce[16..24]` (draft-irtf-cfrg-xchacha-03, section 2.3,
 * https://datatracker.ietf.org/doc/html/draft-irtf-cfrg-xchacha-03#section-2.3). Both paths below compute
 * exactly that, so their outputs are byte-identical and each opens the other's:
 *
 * - `native`: HChaCha20 in TypeScript (below) + node:crypto's `chacha20-poly1305` (OpenSSL). Used on Node, and on
 *   Bun or Deno when their node:crypto has that cipher. Chosen by a known-answer self-test at load, so a runtime
 *   that names the cipher but computes something else falls back.
 * - `libsodium`: libsodium's `crypto_aead_xchacha20poly1305_ietf_*` (libsodium.js, WebAssembly), where there is
 *   no native ChaCha (Workers, browsers).
 * - `auto`, the default where `native` works: `native` from {@link NATIVE_MIN_BYTES} of plaintext up, `libsodium`
 *   below, where creating a node:crypto cipher object costs more than the cipher.
 */
import * as nodeCrypto from 'node:crypto';
import { type Sodium, sodiumReady, sodiumSync } from './sodium.js';

/** Which implementation seals and opens. */
/**
 * `native`: node:crypto only; `libsodium`: libsodium.js (WebAssembly) only; `auto`: node:crypto from
 * {@link NATIVE_MIN_BYTES} up, libsodium below.
 */
export type AeadBackendName = 'native' | 'libsodium' | 'auto';

/** One implementation of XChaCha20-Poly1305-IETF. The associated data is `adHead ‖ adTail`. */
interface AeadBackend {
  readonly name: AeadBackendName;
  /** Writes `ciphertext ‖ tag` (`pt.length + 16` bytes) into `out` at `offset`. */
  seal(
    key: Uint8Array,
    nonce: Uint8Array,
    adHead: Uint8Array,
    adTail: Uint8Array,
    pt: Uint8Array,
    out: Uint8Array,
    offset: number,
  ): void;
  /** The plaintext, or `undefined` when authentication fails (no plaintext is returned then). */
  open(
    key: Uint8Array,
    nonce: Uint8Array,
    adHead: Uint8Array,
    adTail: Uint8Array,
    body: Uint8Array,
  ): Uint8Array | undefined;
}

export const XCHACHA_TAG_BYTES = 16;

/**
 * HChaCha20 (draft-irtf-cfrg-xchacha-03, section 2.2): the ChaCha20 state of constants, the 8 key words and the 4
 * words of `nonce[0..16]`, 20 rounds without the final addition, output words 0–3 and 12–15 (little-endian).
 * Written here rather than taken from a dependency: the one well-kept npm library with it, @noble/ciphers, exports
 * `hchacha` only as a low-level helper of its own JavaScript ChaCha (over Uint32Array words, from its `chacha`
 * module), and a whole cipher library is a lot to add for one function of 20 rounds of additions, xors and
 * rotations on 32-bit words that the draft's test vector (section 2.2.1) pins down.
 */
export function hchacha20(
  key: Uint8Array,
  nonce: Uint8Array,
  out: Uint8Array = new Uint8Array(32),
): Uint8Array {
  const w = (b: Uint8Array, i: number) => b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
  let x0 = 0x61707865;
  let x1 = 0x3320646e;
  let x2 = 0x79622d32;
  let x3 = 0x6b206574;
  let x4 = w(key, 0);
  let x5 = w(key, 4);
  let x6 = w(key, 8);
  let x7 = w(key, 12);
  let x8 = w(key, 16);
  let x9 = w(key, 20);
  let x10 = w(key, 24);
  let x11 = w(key, 28);
  let x12 = w(nonce, 0);
  let x13 = w(nonce, 4);
  let x14 = w(nonce, 8);
  let x15 = w(nonce, 12);
  for (let i = 0; i < 10; i++) {
    // Column round.
    x0 = (x0 + x4) | 0;
    x12 ^= x0;
    x12 = (x12 << 16) | (x12 >>> 16);
    x8 = (x8 + x12) | 0;
    x4 ^= x8;
    x4 = (x4 << 12) | (x4 >>> 20);
    x0 = (x0 + x4) | 0;
    x12 ^= x0;
    x12 = (x12 << 8) | (x12 >>> 24);
    x8 = (x8 + x12) | 0;
    x4 ^= x8;
    x4 = (x4 << 7) | (x4 >>> 25);

    x1 = (x1 + x5) | 0;
    x13 ^= x1;
    x13 = (x13 << 16) | (x13 >>> 16);
    x9 = (x9 + x13) | 0;
    x5 ^= x9;
    x5 = (x5 << 12) | (x5 >>> 20);
    x1 = (x1 + x5) | 0;
    x13 ^= x1;
    x13 = (x13 << 8) | (x13 >>> 24);
    x9 = (x9 + x13) | 0;
    x5 ^= x9;
    x5 = (x5 << 7) | (x5 >>> 25);

    x2 = (x2 + x6) | 0;
    x14 ^= x2;
    x14 = (x14 << 16) | (x14 >>> 16);
    x10 = (x10 + x14) | 0;
    x6 ^= x10;
    x6 = (x6 << 12) | (x6 >>> 20);
    x2 = (x2 + x6) | 0;
    x14 ^= x2;
    x14 = (x14 << 8) | (x14 >>> 24);
    x10 = (x10 + x14) | 0;
    x6 ^= x10;
    x6 = (x6 << 7) | (x6 >>> 25);

    x3 = (x3 + x7) | 0;
    x15 ^= x3;
    x15 = (x15 << 16) | (x15 >>> 16);
    x11 = (x11 + x15) | 0;
    x7 ^= x11;
    x7 = (x7 << 12) | (x7 >>> 20);
    x3 = (x3 + x7) | 0;
    x15 ^= x3;
    x15 = (x15 << 8) | (x15 >>> 24);
    x11 = (x11 + x15) | 0;
    x7 ^= x11;
    x7 = (x7 << 7) | (x7 >>> 25);

    // Diagonal round.
    x0 = (x0 + x5) | 0;
    x15 ^= x0;
    x15 = (x15 << 16) | (x15 >>> 16);
    x10 = (x10 + x15) | 0;
    x5 ^= x10;
    x5 = (x5 << 12) | (x5 >>> 20);
    x0 = (x0 + x5) | 0;
    x15 ^= x0;
    x15 = (x15 << 8) | (x15 >>> 24);
    x10 = (x10 + x15) | 0;
    x5 ^= x10;
    x5 = (x5 << 7) | (x5 >>> 25);

    x1 = (x1 + x6) | 0;
    x12 ^= x1;
    x12 = (x12 << 16) | (x12 >>> 16);
    x11 = (x11 + x12) | 0;
    x6 ^= x11;
    x6 = (x6 << 12) | (x6 >>> 20);
    x1 = (x1 + x6) | 0;
    x12 ^= x1;
    x12 = (x12 << 8) | (x12 >>> 24);
    x11 = (x11 + x12) | 0;
    x6 ^= x11;
    x6 = (x6 << 7) | (x6 >>> 25);

    x2 = (x2 + x7) | 0;
    x13 ^= x2;
    x13 = (x13 << 16) | (x13 >>> 16);
    x8 = (x8 + x13) | 0;
    x7 ^= x8;
    x7 = (x7 << 12) | (x7 >>> 20);
    x2 = (x2 + x7) | 0;
    x13 ^= x2;
    x13 = (x13 << 8) | (x13 >>> 24);
    x8 = (x8 + x13) | 0;
    x7 ^= x8;
    x7 = (x7 << 7) | (x7 >>> 25);

    x3 = (x3 + x4) | 0;
    x14 ^= x3;
    x14 = (x14 << 16) | (x14 >>> 16);
    x9 = (x9 + x14) | 0;
    x4 ^= x9;
    x4 = (x4 << 12) | (x4 >>> 20);
    x3 = (x3 + x4) | 0;
    x14 ^= x3;
    x14 = (x14 << 8) | (x14 >>> 24);
    x9 = (x9 + x14) | 0;
    x4 ^= x9;
    x4 = (x4 << 7) | (x4 >>> 25);
  }
  const put = (i: number, v: number) => {
    out[i] = v;
    out[i + 1] = v >>> 8;
    out[i + 2] = v >>> 16;
    out[i + 3] = v >>> 24;
  };
  put(0, x0);
  put(4, x1);
  put(8, x2);
  put(12, x3);
  put(16, x12);
  put(20, x13);
  put(24, x14);
  put(28, x15);
  return out;
}

const CHACHA = 'chacha20-poly1305';
const TAG_OPTIONS = { authTagLength: XCHACHA_TAG_BYTES } as const;

// Per-call scratch for the native path (JavaScript is single-threaded and nothing below yields). The subkey is
// zeroed as soon as OpenSSL has taken its copy.
const subkey = new Uint8Array(32);
const iv12 = new Uint8Array(12);

function deriveNative(key: Uint8Array, nonce: Uint8Array): void {
  hchacha20(key, nonce, subkey);
  // iv12[0..4] stays 0: the draft's 4 zero bytes.
  for (let i = 0; i < 8; i++) iv12[4 + i] = nonce[16 + i]!;
}

const nativeBackend: AeadBackend = {
  name: 'native',
  seal(key, nonce, adHead, adTail, pt, out, offset) {
    deriveNative(key, nonce);
    let cipher: nodeCrypto.CipherChaCha20Poly1305;
    try {
      cipher = nodeCrypto.createCipheriv(CHACHA, subkey, iv12, TAG_OPTIONS);
    } finally {
      subkey.fill(0);
    }
    if (adHead.length > 0) cipher.setAAD(adHead, { plaintextLength: pt.length });
    if (adTail.length > 0) cipher.setAAD(adTail, { plaintextLength: pt.length });
    let at = offset;
    if (pt.length > 0) {
      const ct = cipher.update(pt);
      out.set(ct, at);
      at += ct.length;
    }
    const rest = cipher.final();
    if (rest.length > 0) {
      out.set(rest, at);
      at += rest.length;
    }
    // A stream cipher returns exactly as many bytes as it was given; the caller relies on every byte being written.
    if (at !== offset + pt.length) throw new Error('node:crypto returned a ciphertext of the wrong length');
    out.set(cipher.getAuthTag(), at);
  },
  open(key, nonce, adHead, adTail, body) {
    if (body.length < XCHACHA_TAG_BYTES) return undefined;
    deriveNative(key, nonce);
    let decipher: nodeCrypto.DecipherChaCha20Poly1305;
    try {
      decipher = nodeCrypto.createDecipheriv(CHACHA, subkey, iv12, TAG_OPTIONS);
    } finally {
      subkey.fill(0);
    }
    const split = body.length - XCHACHA_TAG_BYTES;
    decipher.setAuthTag(body.subarray(split));
    if (adHead.length > 0) decipher.setAAD(adHead, { plaintextLength: split });
    if (adTail.length > 0) decipher.setAAD(adTail, { plaintextLength: split });
    const pt = decipher.update(body.subarray(0, split));
    try {
      decipher.final(); // checks the tag (in constant time, inside OpenSSL)
    } catch {
      // Unauthenticated plaintext never leaves this function.
      pt.fill(0);
      return undefined;
    }
    return new Uint8Array(pt.buffer, pt.byteOffset, pt.length);
  },
};

function joinAd(adHead: Uint8Array, adTail: Uint8Array): Uint8Array {
  if (adTail.length === 0) return adHead;
  if (adHead.length === 0) return adTail;
  const ad = new Uint8Array(adHead.length + adTail.length);
  ad.set(adHead);
  ad.set(adTail, adHead.length);
  return ad;
}

/** The emscripten module under libsodium.js (`sodium.libsodium`): its heap and the C functions. */
interface SodiumWasm {
  HEAPU8: Uint8Array;
  _malloc(size: number): number;
  _free(pointer: number): void;
  // 64-bit lengths are passed as (low, high) 32-bit halves.
  _crypto_aead_xchacha20poly1305_ietf_encrypt(...args: number[]): number;
  _crypto_aead_xchacha20poly1305_ietf_decrypt(...args: number[]): number;
}

function wasmOf(sodium: Sodium): SodiumWasm | undefined {
  const wasm = (sodium as unknown as { libsodium?: Partial<SodiumWasm> }).libsodium;
  return wasm &&
    wasm.HEAPU8 instanceof Uint8Array &&
    typeof wasm._malloc === 'function' &&
    typeof wasm._free === 'function' &&
    typeof wasm._crypto_aead_xchacha20poly1305_ietf_encrypt === 'function' &&
    typeof wasm._crypto_aead_xchacha20poly1305_ietf_decrypt === 'function'
    ? (wasm as SodiumWasm)
    : undefined;
}

/**
 * libsodium's XChaCha20-Poly1305 called on the WebAssembly heap directly: one allocation per call holding key,
 * nonce, AD and message, instead of the wrapper's five allocations and type conversions. The key and plaintext
 * copies are zeroed before the block is freed (the wrapper leaves them in the heap). `seal` and `open` are written
 * out separately on purpose: sharing the layout through a helper and a callback cost 4 % at 1 KiB (measured with
 * `pnpm bench crypto`, 0.915x vs 0.87x of raw libsodium for decrypt), on a path with a 0.9x target.
 */
function sodiumWasmBackend(wasm: SodiumWasm): AeadBackend {
  const MAX = 0x7fff_0000; // lengths stay far below 2^32, so the high halves are 0
  return {
    name: 'libsodium',
    seal(key, nonce, adHead, adTail, pt, out, offset) {
      const adLength = adHead.length + adTail.length;
      if (adLength + 2 * pt.length > MAX) throw new RangeError('message too large');
      const size = 56 + adLength + 2 * pt.length + XCHACHA_TAG_BYTES;
      const k = wasm._malloc(size);
      if (!k) throw new RangeError('out of WebAssembly memory');
      const n = k + 32;
      const a = n + 24;
      const m = a + adLength;
      const c = m + pt.length;
      let heap = wasm.HEAPU8;
      try {
        heap.set(key, k);
        heap.set(nonce, n);
        heap.set(adHead, a);
        heap.set(adTail, a + adHead.length);
        heap.set(pt, m);
        if (
          wasm._crypto_aead_xchacha20poly1305_ietf_encrypt(c, 0, m, pt.length, 0, a, adLength, 0, 0, n, k) !==
          0
        ) {
          throw new Error('libsodium could not encrypt');
        }
        heap = wasm.HEAPU8;
        out.set(heap.subarray(c, c + pt.length + XCHACHA_TAG_BYTES), offset);
      } finally {
        heap = wasm.HEAPU8;
        heap.fill(0, k, k + 32);
        heap.fill(0, m, m + pt.length);
        wasm._free(k);
      }
    },
    open(key, nonce, adHead, adTail, body) {
      if (body.length < XCHACHA_TAG_BYTES) return undefined;
      const adLength = adHead.length + adTail.length;
      if (adLength + 2 * body.length > MAX) throw new RangeError('message too large');
      const ptLength = body.length - XCHACHA_TAG_BYTES;
      const size = 56 + adLength + body.length + ptLength;
      const k = wasm._malloc(size);
      if (!k) throw new RangeError('out of WebAssembly memory');
      const n = k + 32;
      const a = n + 24;
      const c = a + adLength;
      const m = c + body.length;
      let heap = wasm.HEAPU8;
      try {
        heap.set(key, k);
        heap.set(nonce, n);
        heap.set(adHead, a);
        heap.set(adTail, a + adHead.length);
        heap.set(body, c);
        const rc = wasm._crypto_aead_xchacha20poly1305_ietf_decrypt(
          m,
          0,
          0,
          c,
          body.length,
          0,
          a,
          adLength,
          0,
          n,
          k,
        );
        if (rc !== 0) return undefined;
        heap = wasm.HEAPU8;
        return heap.slice(m, m + ptLength);
      } finally {
        heap = wasm.HEAPU8;
        heap.fill(0, k, k + 32);
        heap.fill(0, m, m + ptLength);
        wasm._free(k);
      }
    },
  };
}

/** Through libsodium.js's public API (when its WebAssembly module is not reachable). */
function sodiumWrapperBackend(sodium: Sodium): AeadBackend {
  return {
    name: 'libsodium',
    seal(key, nonce, adHead, adTail, pt, out, offset) {
      const body = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
        pt,
        joinAd(adHead, adTail),
        null,
        nonce,
        key,
      );
      out.set(body, offset);
    },
    open(key, nonce, adHead, adTail, body) {
      try {
        return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
          null,
          body,
          joinAd(adHead, adTail),
          nonce,
          key,
        );
      } catch {
        return undefined;
      }
    },
  };
}

const fromHex = (h: string) => Uint8Array.from(h.match(/../g) ?? [], (b) => Number.parseInt(b, 16));

/** True when `backend` seals and opens the draft's AEAD test vector (draft-irtf-cfrg-xchacha-03, A.3.1) exactly. */
function passesKnownAnswer(backend: AeadBackend): boolean {
  try {
    const key = Uint8Array.from({ length: 32 }, (_, i) => 0x80 + i);
    const nonce = Uint8Array.from({ length: 24 }, (_, i) => 0x40 + i);
    const ad = fromHex('50515253c0c1c2c3c4c5c6c7');
    const pt = new TextEncoder().encode(
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
    );
    const expected =
      'bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39ae64c670' +
      '8c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff921f9664c97637da9' +
      '768812f615c68b13b52e' +
      'c0875924c1c7987947deafd8780acf49';
    const out = new Uint8Array(pt.length + XCHACHA_TAG_BYTES);
    backend.seal(key, nonce, ad.subarray(0, 5), ad.subarray(5), pt, out, 0);
    const hex = Array.from(out, (b) => b.toString(16).padStart(2, '0')).join('');
    if (hex !== expected) return false;
    const back = backend.open(key, nonce, ad, new Uint8Array(0), out);
    if (!back || back.length !== pt.length || back.some((b, i) => b !== pt[i])) return false;
    out[0]! ^= 1;
    return backend.open(key, nonce, ad, new Uint8Array(0), out) === undefined;
  } catch {
    return false;
  }
}

/** The feature test: node:crypto must exist, name `chacha20-poly1305`, and pass the known answer natively. */
function nativeWorks(): boolean {
  try {
    return (
      typeof nodeCrypto.createCipheriv === 'function' &&
      nodeCrypto.getCiphers().includes(CHACHA) &&
      passesKnownAnswer(nativeBackend)
    );
  } catch {
    return false;
  }
}

/**
 * Below this many plaintext bytes the `auto` backend seals and opens with libsodium's WebAssembly even where
 * node:crypto is native: creating a node:crypto cipher object costs several microseconds, more than
 * XChaCha20-Poly1305 itself over a few KiB in WebAssembly; above it OpenSSL's speed wins (about 10× at 1 MiB).
 * Both compute the same function, so the choice never shows in the output. Measured with `pnpm bench crypto`.
 */
export const NATIVE_MIN_BYTES = 4096;

// The feature test runs once, when this module loads.
const nativeAvailable = nativeWorks();
let sodiumAead: AeadBackend | undefined;
let selected: AeadBackend | undefined;

/** The libsodium backend, once libsodium is loaded (its own WebAssembly known-answer test decides the route). */
function sodiumIfLoaded(): AeadBackend | undefined {
  if (sodiumAead) return sodiumAead;
  const sodium = sodiumReady();
  if (!sodium) return undefined;
  const wasm = wasmOf(sodium);
  const direct = wasm ? sodiumWasmBackend(wasm) : undefined;
  sodiumAead = direct && passesKnownAnswer(direct) ? direct : sodiumWrapperBackend(sodium);
  return sodiumAead;
}

const autoBackend: AeadBackend = {
  name: 'auto',
  seal(key, nonce, adHead, adTail, pt, out, offset) {
    const b = pt.length < NATIVE_MIN_BYTES ? (sodiumIfLoaded() ?? nativeBackend) : nativeBackend;
    b.seal(key, nonce, adHead, adTail, pt, out, offset);
  },
  open(key, nonce, adHead, adTail, body) {
    const b =
      body.length < NATIVE_MIN_BYTES + XCHACHA_TAG_BYTES
        ? (sodiumIfLoaded() ?? nativeBackend)
        : nativeBackend;
    return b.open(key, nonce, adHead, adTail, body);
  },
};

function backend(name: AeadBackendName): AeadBackend {
  if (name === 'native' || name === 'auto') {
    if (!nativeAvailable) throw new Error(`The ${name} AEAD backend is not available on this runtime`);
    return name === 'native' ? nativeBackend : autoBackend;
  }
  const sodium = sodiumIfLoaded();
  if (!sodium) sodiumSync(); // throws the "await loadSodium() first" error
  return sodium!;
}

/**
 * The backend in use: `auto` (node:crypto, with libsodium for small messages) when the load-time feature test
 * passed, else `libsodium` (which needs `await loadSodium()` first; every async factory of this package does that).
 */
export function aead(): AeadBackend {
  selected ??= backend(nativeAvailable ? 'auto' : 'libsodium');
  return selected;
}

/** Which backend this runtime uses. */
export function aeadBackendName(): AeadBackendName {
  return aead().name;
}

/**
 * @internal For tests and benchmarks: switch backend (`native` and `auto` only where the feature test passed).
 * Returns the previous one.
 */
export function useAeadBackend(name: AeadBackendName): AeadBackendName {
  const previous = aead().name;
  selected = backend(name);
  return previous;
}
