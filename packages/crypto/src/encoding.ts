import { CRYPTO_ERROR_CODES, CryptoError } from './errors.js';

/**
 * The caller's context bound into a ciphertext as associated data: a flat map of strings, e.g.
 * `{ tenant: 'acme', record: 'note:42', field: 'body' }`. Decrypting needs the same map (key order does not matter).
 */
export type CryptoContext = Readonly<Record<string, string>>;

const CONTEXT_TAG = 'mcpw-ctx1';
const MAX_CONTEXT_ENTRIES = 64;
const MAX_CONTEXT_BYTES = 16 * 1024;
// In a `u` regex a character class of surrogates only matches *lone* surrogates (pairs are one code point).
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 encoding of text. */
export function encodeUtf8(text: string): Uint8Array {
  return utf8.encode(text);
}

/** Strict UTF-8 decoding (invalid sequences throw). */
export function decodeUtf8(bytes: Uint8Array): string {
  return utf8Strict.decode(bytes);
}

/** Concatenates byte strings. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

const CONTEXT_HEAD = utf8.encode(CONTEXT_TAG);
// Room for the largest valid encoding: tag, count, two length prefixes per entry, and the key/value bytes. An
// encoding that does not fit is over MAX_CONTEXT_BYTES (UTF-8 never takes fewer bytes than UTF-16 code units).
const SCRATCH = new Uint8Array(CONTEXT_HEAD.length + 4 + MAX_CONTEXT_ENTRIES * 8 + MAX_CONTEXT_BYTES);
SCRATCH.set(CONTEXT_HEAD);
const CONTEXT_DATA_START = CONTEXT_HEAD.length + 4;

function invalidContext(message: string): CryptoError {
  return new CryptoError(CRYPTO_ERROR_CODES.INVALID_CONTEXT, message);
}

function putU32(out: Uint8Array, at: number, n: number): void {
  out[at] = n >>> 24;
  out[at + 1] = n >>> 16;
  out[at + 2] = n >>> 8;
  out[at + 3] = n;
}

/**
 * Writes the UTF-8 of `text` into SCRATCH at `at` and returns the end, or -1 when it does not fit. ASCII is copied
 * in a loop (contexts are mostly short ASCII); the rest goes through `TextEncoder.encodeInto`.
 */
function putString(text: string, at: number): number {
  const n = text.length;
  if (at + n > SCRATCH.length) {
    if (LONE_SURROGATE.test(text)) throw malformedUnicode();
    return -1;
  }
  let i = 0;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) break;
    SCRATCH[at + i] = c;
  }
  if (i === n) return at + n;
  // Lone surrogates would be replaced by U+FFFD when UTF-8 encoded, making two contexts collide.
  if (LONE_SURROGATE.test(text)) throw malformedUnicode();
  const rest = i === 0 ? text : text.slice(i);
  const r = utf8.encodeInto(rest, SCRATCH.subarray(at + i));
  return r.read < rest.length ? -1 : at + i + r.written;
}

function malformedUnicode(): CryptoError {
  return invalidContext('The encryption context contains malformed Unicode.');
}

interface CachedContext {
  readonly keys: readonly string[];
  readonly values: readonly unknown[];
  readonly bytes: Uint8Array;
}

/** Every entry, each value read once (like `Object.entries`). */
function snapshot(context: CryptoContext): { keys: string[]; values: unknown[] } {
  if (typeof context !== 'object' || context === null || Array.isArray(context)) {
    throw invalidContext('The encryption context must be an object of strings.');
  }
  const keys = Object.keys(context);
  const values = new Array<unknown>(keys.length);
  for (let i = 0; i < keys.length; i++) values[i] = (context as Record<string, unknown>)[keys[i]!];
  return { keys, values };
}

/** Encodes a snapshot of a context's entries. */
function encodeEntries(keys: readonly string[], values: readonly unknown[]): CachedContext {
  if (keys.length > MAX_CONTEXT_ENTRIES) {
    throw invalidContext(`The encryption context has more than ${MAX_CONTEXT_ENTRIES} entries.`);
  }
  // Sorted by key in UTF-16 code units, like `a < b` (keys are unique); already sorted is the common case.
  let sorted = true;
  for (let i = 1; i < keys.length && sorted; i++) sorted = keys[i - 1]! < keys[i]!;
  const order = sorted ? undefined : keys.map((_, i) => i).sort((i, j) => (keys[i]! < keys[j]! ? -1 : 1));
  let at = CONTEXT_DATA_START;
  let tooLarge = false;
  for (let n = 0; n < keys.length; n++) {
    const index = order ? order[n]! : n;
    const key = keys[index]!;
    const value = values[index];
    if (typeof value !== 'string') {
      throw invalidContext(`The encryption context entry "${key.slice(0, 64)}" must be a string.`);
    }
    if (tooLarge) {
      if (LONE_SURROGATE.test(key) || LONE_SURROGATE.test(value)) throw malformedUnicode();
      continue;
    }
    const keyEnd = putString(key, at + 4);
    const valueEnd = keyEnd < 0 ? -1 : putString(value, keyEnd + 4);
    if (valueEnd < 0) {
      tooLarge = true;
      if (keyEnd < 0 && LONE_SURROGATE.test(value)) throw malformedUnicode();
      continue;
    }
    putU32(SCRATCH, at, keyEnd - at - 4);
    putU32(SCRATCH, keyEnd, valueEnd - keyEnd - 4);
    at = valueEnd;
  }
  if (tooLarge || at - CONTEXT_DATA_START - keys.length * 8 > MAX_CONTEXT_BYTES) {
    throw invalidContext(`The encryption context is larger than ${MAX_CONTEXT_BYTES} bytes.`);
  }
  putU32(SCRATCH, CONTEXT_HEAD.length, keys.length);
  return { keys, values, bytes: SCRATCH.slice(0, at) };
}

const EMPTY_CONTEXT = encodeEntries([], []).bytes;

// The last context encoded, with the keys and values it was made from. The same object passed again (a
// module-level constant, one object reused for a batch, encrypt then decrypt) is checked entry by entry against
// what was encoded — never trusted by identity alone, since it may have been changed since — and its bytes are
// reused when nothing differs; comparing costs far less than encoding. One slot, so a new object per call pays
// nothing for the cache (a WeakMap insert per call would cost more than the encoding).
let lastContext: object | undefined;
let lastEncoded: CachedContext | undefined;

function sameEntries(a: CachedContext, keys: readonly string[], values: readonly unknown[]): boolean {
  if (keys.length !== a.keys.length) return false;
  for (let i = 0; i < keys.length; i++) {
    if (keys[i] !== a.keys[i] || values[i] !== a.values[i]) return false;
  }
  return true;
}

/**
 * @internal The canonical encoding of `context`, shared: callers must not modify it (see {@link encodeContext}
 * for a copy). Reuses the previous encoding when called again with the same, unchanged object.
 */
export function contextBytes(context: CryptoContext | undefined): Uint8Array {
  if (context === undefined) return EMPTY_CONTEXT;
  const { keys, values } = snapshot(context);
  if (context === lastContext && lastEncoded && sameEntries(lastEncoded, keys, values))
    return lastEncoded.bytes;
  const fresh = encodeEntries(keys, values);
  lastContext = context;
  lastEncoded = fresh;
  return fresh.bytes;
}

/**
 * The canonical byte encoding of a context: `"mcpw-ctx1" ‖ u32be(n) ‖ (u32be(len k) ‖ k ‖ u32be(len v) ‖ v)*` with
 * entries sorted by key and every string UTF-8 encoded. Length prefixes make it injective, so `{a: 'b'}`,
 * `{ab: ''}` and `{a: '', b: ''}` can never produce the same bytes; sorting makes key order irrelevant.
 * A missing context encodes like the empty one.
 */
export function encodeContext(context: CryptoContext | undefined): Uint8Array {
  return contextBytes(context).slice();
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Unpadded base64url (RFC 4648 §5). */
export function toBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/** The 6-bit value of a base64url character (the caller has checked the alphabet). */
function base64UrlValue(c: number): number {
  if (c >= 0x61) return c - 0x61 + 26; // a-z
  if (c >= 0x41) return c === 0x5f ? 63 : c - 0x41; // A-Z, _
  if (c >= 0x30) return c - 0x30 + 52; // 0-9
  return 62; // -
}

/**
 * Strict unpadded base64url decoding: rejects foreign characters and non-canonical encodings (so two different
 * strings never decode to the same bytes). Returns `undefined` on invalid input. Canonical means: only the
 * alphabet, a length that is not 1 mod 4, and zero in the bits of the last character that carry no data (4 of them
 * after 2 characters, 2 after 3); that is checked directly instead of re-encoding the decoded bytes.
 */
export function fromBase64Url(text: string): Uint8Array | undefined {
  if (!BASE64URL.test(text)) return undefined;
  const rest = text.length % 4;
  if (rest === 1) return undefined;
  if (rest !== 0 && (base64UrlValue(text.charCodeAt(text.length - 1)) & (rest === 2 ? 0x0f : 0x03)) !== 0) {
    return undefined;
  }
  const bytes = Buffer.from(text, 'base64url');
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
