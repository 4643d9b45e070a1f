/**
 * The MCP Warden ciphertext format, version 1. Binary layout (all integers big-endian):
 *
 * | offset | size | field |
 * | --- | --- | --- |
 * | 0 | 2 | magic `0x4D 0x57` (`"MW"`) |
 * | 2 | 1 | format version, `0x01` |
 * | 3 | 1 | flags: bit 0 `T` = creation time present, bit 1 `E` = envelope (wrapped data key present); other bits 0 |
 * | 4 | 1 | key id length `n` (1–255) |
 * | 5 | n | key id (printable ASCII `0x21`–`0x7E`) |
 * | … | 8 | `T` only: creation time, unix seconds (u64) |
 * | … | 2 | `E` only: wrapped data key length `w` (1–4096) |
 * | … | w | `E` only: wrapped data key (opaque to the format; produced by the key provider) |
 * | … | 24 | XChaCha20 nonce (random) |
 * | … | m+16 | XChaCha20-Poly1305-IETF ciphertext of the m-byte plaintext, then the 16-byte tag |
 *
 * Associated data. Direct (key ring) mode: every byte before the nonce, then the canonical context
 * (`encodeContext`). Envelope mode: the data key is wrapped with every byte before the wrapped-key length as
 * associated data; the body is encrypted under the data key with `magic ‖ version ‖ flags ‖ [creation time]` then
 * the canonical context (the key id is left out so re-wrapping under a new master key leaves the body untouched).
 *
 * Text form: `mcpw1.` followed by the unpadded base64url of the bytes.
 */
import { fromBase64Url, toBase64Url } from './encoding.js';
import { CRYPTO_ERROR_CODES, CryptoError } from './errors.js';

export const FORMAT_MAGIC = Object.freeze([0x4d, 0x57] as const);
export const FORMAT_VERSION = 1;
export const FLAG_TIMESTAMP = 0b01;
export const FLAG_ENVELOPE = 0b10;
export const NONCE_BYTES = 24;
export const TAG_BYTES = 16;
export const KEY_BYTES = 32;
export const MAX_KEY_ID_BYTES = 255;
export const MAX_WRAPPED_KEY_BYTES = 4096;
/** Prefix of the text encoding. */
export const TEXT_PREFIX = 'mcpw1.';

const KEY_ID = /^[\x21-\x7e]{1,255}$/;

/** True when `id` can be a key id: 1–255 printable ASCII characters, no spaces. */
export function isValidKeyId(id: string): boolean {
  return KEY_ID.test(id);
}

/** The parsed, not yet authenticated, parts of a ciphertext. */
export interface ParsedCiphertext {
  readonly version: number;
  readonly flags: number;
  readonly keyId: string;
  /** Creation time in unix seconds, when the `T` flag is set. */
  readonly createdAt: number | undefined;
  readonly wrappedKey: Uint8Array | undefined;
  /** Bytes 0 .. end of key id / creation time (before the wrapped-key length). */
  readonly fixedHeader: Uint8Array;
  /** Every byte before the nonce. */
  readonly header: Uint8Array;
  readonly nonce: Uint8Array;
  /** Ciphertext and tag. */
  readonly body: Uint8Array;
}

function malformed(reason: string): CryptoError {
  return new CryptoError(CRYPTO_ERROR_CODES.MALFORMED, 'The value is not a valid encrypted value.', {
    reason,
  });
}

/** Decodes the text form (`mcpw1.…`); bytes pass through. */
export function ciphertextBytes(input: Uint8Array | string): Uint8Array {
  if (typeof input !== 'string') {
    if (!(input instanceof Uint8Array)) throw malformed('ciphertext is neither bytes nor text');
    return input;
  }
  if (!input.startsWith(TEXT_PREFIX)) {
    if (/^mcpw\d+\./.test(input)) {
      throw new CryptoError(
        CRYPTO_ERROR_CODES.UNSUPPORTED_VERSION,
        'The encrypted value uses an unknown format version.',
        {
          reason: `text prefix ${input.slice(0, input.indexOf('.') + 1)}`,
        },
      );
    }
    throw malformed('missing mcpw1. prefix');
  }
  const bytes = fromBase64Url(input.slice(TEXT_PREFIX.length));
  if (!bytes) throw malformed('invalid base64url after prefix');
  return bytes;
}

/** The text form of ciphertext bytes. */
export function encodeCiphertextText(bytes: Uint8Array): string {
  return TEXT_PREFIX + toBase64Url(bytes);
}

/** True when `value` looks like a ciphertext in text form (does not authenticate it). */
export function isCiphertextText(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.startsWith(TEXT_PREFIX) &&
    fromBase64Url(value.slice(TEXT_PREFIX.length)) !== undefined
  );
}

/** Splits a ciphertext into its parts; throws `CryptoError` (`MALFORMED`, `UNSUPPORTED_VERSION`). */
export function parseCiphertext(input: Uint8Array | string): ParsedCiphertext {
  const bytes = ciphertextBytes(input);
  if (bytes.length < 5) throw malformed('truncated header');
  if (bytes[0] !== FORMAT_MAGIC[0] || bytes[1] !== FORMAT_MAGIC[1]) throw malformed('bad magic');
  const version = bytes[2]!;
  if (version !== FORMAT_VERSION) {
    throw new CryptoError(
      CRYPTO_ERROR_CODES.UNSUPPORTED_VERSION,
      'The encrypted value uses an unknown format version.',
      {
        reason: `format version ${version}`,
      },
    );
  }
  const flags = bytes[3]!;
  if ((flags & ~(FLAG_TIMESTAMP | FLAG_ENVELOPE)) !== 0) throw malformed('unknown flags');
  const idLength = bytes[4]!;
  let offset = 5;
  if (idLength === 0 || bytes.length < offset + idLength) throw malformed('truncated key id');
  let keyId = '';
  for (let i = offset; i < offset + idLength; i++) {
    const c = bytes[i]!;
    if (c < 0x21 || c > 0x7e) throw malformed('invalid key id');
    keyId += String.fromCharCode(c);
  }
  offset += idLength;
  let createdAt: number | undefined;
  if (flags & FLAG_TIMESTAMP) {
    if (bytes.length < offset + 8) throw malformed('truncated creation time');
    const high = readU32(bytes, offset);
    // 2^53 - 1 = 0x1FFFFF_FFFFFFFF: a larger high word is beyond Number.MAX_SAFE_INTEGER.
    if (high > 0x1fffff) throw malformed('creation time out of range');
    createdAt = high * 0x1_0000_0000 + readU32(bytes, offset + 4);
    offset += 8;
  }
  const fixedHeader = bytes.subarray(0, offset);
  let wrappedKey: Uint8Array | undefined;
  if (flags & FLAG_ENVELOPE) {
    if (bytes.length < offset + 2) throw malformed('truncated wrapped key length');
    const w = new DataView(bytes.buffer, bytes.byteOffset + offset, 2).getUint16(0);
    offset += 2;
    if (w === 0 || w > MAX_WRAPPED_KEY_BYTES || bytes.length < offset + w)
      throw malformed('truncated wrapped key');
    wrappedKey = bytes.subarray(offset, offset + w);
    offset += w;
  }
  if (bytes.length < offset + NONCE_BYTES + TAG_BYTES) throw malformed('truncated nonce or tag');
  return {
    version,
    flags,
    keyId,
    createdAt,
    wrappedKey,
    fixedHeader,
    header: bytes.subarray(0, offset),
    nonce: bytes.subarray(offset, offset + NONCE_BYTES),
    body: bytes.subarray(offset + NONCE_BYTES),
  };
}

function readU32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

/** Writes `seconds` (a safe non-negative integer) as u64be. */
function writeU64(out: Uint8Array, at: number, seconds: number): void {
  const high = Math.floor(seconds / 0x1_0000_0000);
  const low = seconds >>> 0;
  out[at] = high >>> 24;
  out[at + 1] = high >>> 16;
  out[at + 2] = high >>> 8;
  out[at + 3] = high;
  out[at + 4] = low >>> 24;
  out[at + 5] = low >>> 16;
  out[at + 6] = low >>> 8;
  out[at + 7] = low;
}

function checkCreatedAt(createdAt: number | undefined): void {
  if (createdAt !== undefined && (!Number.isSafeInteger(createdAt) || createdAt < 0)) {
    throw new CryptoError(
      CRYPTO_ERROR_CODES.MALFORMED,
      'The creation time must be a non-negative whole number of seconds.',
    );
  }
}

/** The bytes of a valid key id (ASCII), for {@link writeFixedHeader}; throws `INVALID_KEY` otherwise. */
export function keyIdBytes(keyId: string): Uint8Array {
  if (!isValidKeyId(keyId)) throw new CryptoError(CRYPTO_ERROR_CODES.INVALID_KEY, 'Invalid key id.');
  return Uint8Array.from(keyId, (c) => c.charCodeAt(0));
}

/** Length of `magic ‖ version ‖ flags ‖ kid length ‖ kid ‖ [time]`. */
export function fixedHeaderLength(keyIdLength: number, createdAt: number | undefined): number {
  return 5 + keyIdLength + (createdAt === undefined ? 0 : 8);
}

/**
 * Writes `magic ‖ version ‖ flags ‖ kid length ‖ kid ‖ [time]` at the start of `out` (which must have
 * {@link fixedHeaderLength} bytes) and returns its length. `kid` comes from {@link keyIdBytes}.
 */
export function writeFixedHeader(
  out: Uint8Array,
  kid: Uint8Array,
  createdAt: number | undefined,
  envelope: boolean,
): number {
  checkCreatedAt(createdAt);
  out[0] = FORMAT_MAGIC[0];
  out[1] = FORMAT_MAGIC[1];
  out[2] = FORMAT_VERSION;
  out[3] = (createdAt === undefined ? 0 : FLAG_TIMESTAMP) | (envelope ? FLAG_ENVELOPE : 0);
  out[4] = kid.length;
  out.set(kid, 5);
  if (createdAt === undefined) return 5 + kid.length;
  writeU64(out, 5 + kid.length, createdAt);
  return 13 + kid.length;
}

/** Builds `magic ‖ version ‖ flags ‖ kid length ‖ kid ‖ [time]`. */
export function buildFixedHeader(
  keyId: string,
  createdAt: number | undefined,
  envelope: boolean,
): Uint8Array {
  const kid = keyIdBytes(keyId);
  checkCreatedAt(createdAt);
  const out = new Uint8Array(fixedHeaderLength(kid.length, createdAt));
  writeFixedHeader(out, kid, createdAt, envelope);
  return out;
}

/** `u16be(w) ‖ wrapped key`. */
export function encodeWrappedKey(wrapped: Uint8Array): Uint8Array {
  if (wrapped.length === 0 || wrapped.length > MAX_WRAPPED_KEY_BYTES) {
    throw new CryptoError(
      CRYPTO_ERROR_CODES.KEY_PROVIDER_FAILED,
      'The key provider returned a wrapped key of invalid size.',
    );
  }
  const out = new Uint8Array(2 + wrapped.length);
  new DataView(out.buffer).setUint16(0, wrapped.length);
  out.set(wrapped, 2);
  return out;
}

/** `magic ‖ version ‖ flags ‖ [time]`: the envelope body's header part of the associated data. */
export function envelopeBodyHeader(
  parsed: Pick<ParsedCiphertext, 'flags' | 'createdAt' | 'version'>,
): Uint8Array {
  const out = new Uint8Array(parsed.createdAt === undefined ? 4 : 12);
  out[0] = FORMAT_MAGIC[0];
  out[1] = FORMAT_MAGIC[1];
  out[2] = parsed.version;
  out[3] = parsed.flags;
  if (parsed.createdAt !== undefined) writeU64(out, 4, parsed.createdAt);
  return out;
}

/** Public facts about a ciphertext, without decrypting it. */
export interface CiphertextInfo {
  version: number;
  keyId: string;
  envelope: boolean;
  /** Creation time, when recorded. */
  createdAt: Date | undefined;
  /** Plaintext length in bytes. */
  plaintextLength: number;
}

/**
 * Reads the header of a ciphertext (bytes or `mcpw1.` text). Nothing here is authenticated until decryption.
 * @example
 * inspectCiphertext(value).keyId // 'k-2026-11-26-3f9a'
 */
export function inspectCiphertext(input: Uint8Array | string): CiphertextInfo {
  const p = parseCiphertext(input);
  return {
    version: p.version,
    keyId: p.keyId,
    envelope: (p.flags & FLAG_ENVELOPE) !== 0,
    createdAt: p.createdAt === undefined ? undefined : new Date(p.createdAt * 1000),
    plaintextLength: p.body.length - TAG_BYTES,
  };
}
