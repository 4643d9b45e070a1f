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

function u32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
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

/**
 * The canonical byte encoding of a context: `"mcpw-ctx1" ‖ u32be(n) ‖ (u32be(len k) ‖ k ‖ u32be(len v) ‖ v)*` with
 * entries sorted by key and every string UTF-8 encoded. Length prefixes make it injective, so `{a: 'b'}`,
 * `{ab: ''}` and `{a: '', b: ''}` can never produce the same bytes; sorting makes key order irrelevant.
 * A missing context encodes like the empty one.
 */
export function encodeContext(context: CryptoContext | undefined): Uint8Array {
  if (context !== undefined && (typeof context !== 'object' || context === null || Array.isArray(context))) {
    throw new CryptoError(
      CRYPTO_ERROR_CODES.INVALID_CONTEXT,
      'The encryption context must be an object of strings.',
    );
  }
  const entries = Object.entries(context ?? {});
  if (entries.length > MAX_CONTEXT_ENTRIES) {
    throw new CryptoError(
      CRYPTO_ERROR_CODES.INVALID_CONTEXT,
      `The encryption context has more than ${MAX_CONTEXT_ENTRIES} entries.`,
    );
  }
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const parts: Uint8Array[] = [utf8.encode(CONTEXT_TAG), u32(entries.length)];
  let size = 0;
  for (const [key, value] of entries) {
    if (typeof value !== 'string') {
      throw new CryptoError(
        CRYPTO_ERROR_CODES.INVALID_CONTEXT,
        `The encryption context entry "${key.slice(0, 64)}" must be a string.`,
      );
    }
    // Lone surrogates would be replaced by U+FFFD when UTF-8 encoded, making two contexts collide.
    if (LONE_SURROGATE.test(key) || LONE_SURROGATE.test(value)) {
      throw new CryptoError(
        CRYPTO_ERROR_CODES.INVALID_CONTEXT,
        'The encryption context contains malformed Unicode.',
      );
    }
    const k = utf8.encode(key);
    const v = utf8.encode(value);
    size += k.length + v.length;
    parts.push(u32(k.length), k, u32(v.length), v);
  }
  if (size > MAX_CONTEXT_BYTES) {
    throw new CryptoError(
      CRYPTO_ERROR_CODES.INVALID_CONTEXT,
      `The encryption context is larger than ${MAX_CONTEXT_BYTES} bytes.`,
    );
  }
  return concatBytes(parts);
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Unpadded base64url (RFC 4648 §5). */
export function toBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/**
 * Strict unpadded base64url decoding: rejects foreign characters and non-canonical encodings (so two different
 * strings never decode to the same bytes). Returns `undefined` on invalid input.
 */
export function fromBase64Url(text: string): Uint8Array | undefined {
  if (!BASE64URL.test(text) || text.length % 4 === 1) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.toString('base64url') !== text) return undefined;
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
