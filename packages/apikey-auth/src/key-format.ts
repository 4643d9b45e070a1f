import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

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

/** `n` (0 ≤ n < 2^32) in base62, left-padded to {@link API_KEY_CHECKSUM_LENGTH} characters. */
export function checksumOf(prefixAndBody: string): string {
  let n = crc32(prefixAndBody);
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
 * the characters, the checksum compared as a number (no string building), one CRC32.
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
  let checksum = 0;
  for (let i = prefix.length + 1; i < candidate.length; i++) {
    const c = candidate.charCodeAt(i);
    const value = c < 128 ? (BASE62_VALUE[c] as number) : -1;
    if (value < 0) return 'charset';
    if (i >= split) checksum = checksum * 62 + value;
  }
  return crc32(candidate.slice(0, split)) === checksum ? undefined : 'checksum';
}

/** True when `candidate` is a well-formed key with this prefix (see {@link parseApiKey}). */
export function isWellFormedApiKey(candidate: string, prefix: string = DEFAULT_API_KEY_PREFIX): boolean {
  return formatProblem(candidate, prefix) === undefined;
}

/** The display prefix (`<prefix>_` + first 4 body characters) of a well-formed key. */
export function displayPrefixOf(key: string, prefix: string = DEFAULT_API_KEY_PREFIX): string {
  return key.slice(0, prefix.length + 1 + API_KEY_DISPLAY_BODY_LENGTH);
}
