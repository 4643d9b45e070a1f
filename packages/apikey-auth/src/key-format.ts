import { randomBytes } from 'node:crypto';

/**
 * The API-key format: `<prefix>_<body><checksum>`.
 *
 * - `prefix`: 2–16 lower-case letters and digits, starting with a letter (default `mcpw`). It names the issuer, so
 *   secret scanners can attribute a leaked key, and lets an authenticator tell its keys from other bearer tokens.
 * - `body`: {@link API_KEY_BODY_LENGTH} base62 characters drawn uniformly from `crypto.randomBytes`
 *   (32 × log2(62) ≈ 190.5 bits; ≈ 166.7 bits remain secret after the 4 characters shown in the display prefix).
 * - `checksum`: CRC32 of `<prefix>_<body>` in base62, left-padded with `0` to {@link API_KEY_CHECKSUM_LENGTH}
 *   characters (62^6 > 2^32, so every CRC32 value fits). As with GitHub's tokens, the checksum lets a scanner (or
 *   this package) refuse a mistyped or made-up key offline, before any store lookup. It is not a secret and not a
 *   MAC: security rests on the random body alone.
 */
export const BASE62_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** The default key prefix. */
export const DEFAULT_API_KEY_PREFIX = 'mcpw';

/** Number of random base62 characters in a key. */
export const API_KEY_BODY_LENGTH = 32;

/** Number of base62 characters of the CRC32 checksum. */
export const API_KEY_CHECKSUM_LENGTH = 6;

/** Characters of the body shown in a key's display prefix (e.g. `mcpw_AbC1`). */
export const API_KEY_DISPLAY_BODY_LENGTH = 4;

/** What a prefix may look like: no `_`, so the prefix/body split is unambiguous. */
export const API_KEY_PREFIX_PATTERN = /^[a-z][a-z0-9]{1,15}$/;

/**
 * Regular expression secret scanners can use to find keys with the default prefix in text. Linear-time (one
 * fixed-length character class, no backtracking). Verify a match's checksum with {@link parseApiKey} to drop
 * false positives. Not global (a shared global regex keeps `lastIndex` state): use {@link apiKeyPattern} with
 * `'g'` to scan a whole text.
 *
 * `\bmcpw_[0-9A-Za-z]{38}\b`
 */
export const API_KEY_PATTERN: RegExp = /\bmcpw_[0-9A-Za-z]{38}\b/;

/**
 * The scanner regex for a custom prefix (see {@link API_KEY_PATTERN}).
 * @example
 * for (const match of text.matchAll(apiKeyPattern('mcpw', 'g'))) if (parseApiKey(match[0]).ok) report(match.index);
 */
export function apiKeyPattern(prefix: string = DEFAULT_API_KEY_PREFIX, flags = ''): RegExp {
  assertPrefix(prefix);
  return new RegExp(`\\b${prefix}_[0-9A-Za-z]{${API_KEY_BODY_LENGTH + API_KEY_CHECKSUM_LENGTH}}\\b`, flags);
}

/** Total length of a key with the given prefix. */
export function apiKeyLength(prefix: string = DEFAULT_API_KEY_PREFIX): number {
  return prefix.length + 1 + API_KEY_BODY_LENGTH + API_KEY_CHECKSUM_LENGTH;
}

/** Throws a `TypeError` when `prefix` does not match {@link API_KEY_PREFIX_PATTERN}. */
export function assertPrefix(prefix: string): void {
  if (!API_KEY_PREFIX_PATTERN.test(prefix)) {
    throw new TypeError(
      `API-key prefix must be 2-16 lower-case letters or digits starting with a letter (got ${JSON.stringify(prefix.slice(0, 20))}).`,
    );
  }
}

// Lookup table: char code → base62 digit value, -1 for anything else. A table beats a regex on the hot path.
const BASE62_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < BASE62_ALPHABET.length; i++) BASE62_VALUE[BASE62_ALPHABET.charCodeAt(i)] = i;

/**
 * CRC-32 (IEEE 802.3, the one zlib, PNG and GitHub's token checksums use), table-driven. Ours rather than
 * `zlib.crc32` because verification computes it in the same pass as the charset check (see
 * {@link formatProblem}); zlib's needs a sliced copy of the key and a native call, together more than that
 * whole pass. Tested against `zlib.crc32`.
 */
const CRC32_TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/** Feeds one byte into a running CRC-32 state (start with -1, finish with `(state ^ -1) >>> 0`). */
const crc32Step = (state: number, byte: number): number =>
  (CRC32_TABLE[(state ^ byte) & 0xff] as number) ^ (state >>> 8);

/** CRC-32 of the first `end` characters of an ASCII string (each character is one byte). */
export function crc32Ascii(text: string, end: number = text.length): number {
  let state = -1;
  for (let i = 0; i < end; i++) state = crc32Step(state, text.charCodeAt(i));
  return (state ^ -1) >>> 0;
}

/** `n` (0 ≤ n < 2^32) in base62, left-padded to {@link API_KEY_CHECKSUM_LENGTH} characters. */
export function checksumOf(prefixAndBody: string): string {
  let n = crc32Ascii(prefixAndBody);
  let out = '';
  for (let i = 0; i < API_KEY_CHECKSUM_LENGTH; i++) {
    out = BASE62_ALPHABET[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

/**
 * `length` base62 characters, uniformly distributed. Rejection sampling: bytes ≥ 248 (= 4 × 62) are dropped so
 * `byte % 62` has no modulo bias.
 */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    const bytes = randomBytes(Math.ceil((length - out.length) * 1.1) + 4);
    for (const byte of bytes) {
      if (byte >= 248) continue;
      out += BASE62_ALPHABET[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

/** A fresh key: `<prefix>_<32 random base62 chars><6-char checksum>`. */
export function generateApiKey(prefix: string = DEFAULT_API_KEY_PREFIX): string {
  assertPrefix(prefix);
  const head = `${prefix}_${randomBase62(API_KEY_BODY_LENGTH)}`;
  return head + checksumOf(head);
}

/** Why a string is not a well-formed key. */
export type ApiKeyFormatProblem = 'length' | 'prefix' | 'charset' | 'checksum';

export type ParsedApiKey =
  | {
      readonly ok: true;
      readonly prefix: string;
      readonly body: string;
      readonly checksum: string;
      readonly displayPrefix: string;
    }
  | { readonly ok: false; readonly problem: ApiKeyFormatProblem };

/**
 * Checks a candidate key offline: length, prefix, charset, checksum. Never touches a store. Linear in the key
 * length and bounded: anything longer than a key is refused on its length first.
 * @example
 * parseApiKey(generateApiKey()).ok // true
 * parseApiKey('mcpw_nope') // { ok: false, problem: 'length' }
 */
export function parseApiKey(candidate: string, prefix: string = DEFAULT_API_KEY_PREFIX): ParsedApiKey {
  const problem = formatProblem(candidate, prefix);
  if (problem !== undefined) return { ok: false, problem };
  const split = candidate.length - API_KEY_CHECKSUM_LENGTH;
  const body = candidate.slice(prefix.length + 1, split);
  return {
    ok: true,
    prefix,
    body,
    checksum: candidate.slice(split),
    displayPrefix: `${prefix}_${body.slice(0, API_KEY_DISPLAY_BODY_LENGTH)}`,
  };
}

/**
 * What is wrong with `candidate`, or `undefined` when it is a well-formed key. The hot-path check: one pass over
 * the characters that checks the charset, computes the CRC-32 and reads the checksum as a number (no string
 * building, no native call).
 */
export function formatProblem(
  candidate: string,
  prefix: string = DEFAULT_API_KEY_PREFIX,
): ApiKeyFormatProblem | undefined {
  if (
    typeof candidate !== 'string' ||
    candidate.length !== prefix.length + 1 + API_KEY_BODY_LENGTH + API_KEY_CHECKSUM_LENGTH
  )
    return 'length';
  if (!candidate.startsWith(prefix) || candidate.charCodeAt(prefix.length) !== 95 /* _ */) return 'prefix';
  const split = candidate.length - API_KEY_CHECKSUM_LENGTH;
  // The prefix and `_` are ASCII (checked above and by assertPrefix), so each character is one byte.
  let crc = -1;
  for (let i = 0; i <= prefix.length; i++) crc = crc32Step(crc, candidate.charCodeAt(i));
  let checksum = 0;
  for (let i = prefix.length + 1; i < candidate.length; i++) {
    const c = candidate.charCodeAt(i);
    const value = c < 128 ? (BASE62_VALUE[c] as number) : -1;
    if (value < 0) return 'charset';
    if (i < split) crc = crc32Step(crc, c);
    else checksum = checksum * 62 + value;
  }
  return (crc ^ -1) >>> 0 === checksum ? undefined : 'checksum';
}

/** True when `candidate` is a well-formed key with this prefix (see {@link parseApiKey}). */
export function isWellFormedApiKey(candidate: string, prefix: string = DEFAULT_API_KEY_PREFIX): boolean {
  return formatProblem(candidate, prefix) === undefined;
}

/** The display prefix (`<prefix>_` + first 4 body characters) of a well-formed key. */
export function displayPrefixOf(key: string, prefix: string = DEFAULT_API_KEY_PREFIX): string {
  return key.slice(0, prefix.length + 1 + API_KEY_DISPLAY_BODY_LENGTH);
}
