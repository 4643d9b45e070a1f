/**
 * Canonical forms of the strings an ACL matches: resource URIs and tool/prompt names.
 *
 * A rule can only protect a resource if every spelling of that resource's URI reaches the same canonical string
 * before matching. This module decides, for a raw URI, either its one canonical form or a refusal. Anything that
 * two components could read differently (an encoded `/`, a backslash, a `%25` that a later layer would decode
 * again, an overlong UTF-8 sequence, a full-width dot) is refused rather than guessed at: refused means denied.
 *
 * Why not `new URL()`: the WHATWG parser normalises for browsers, not for access control. It re-encodes instead of
 * decoding, leaves `%2e%2e` and `%2f` in place for the server to interpret, silently turns `\` into `/` for
 * special schemes only, and treats non-special schemes (`notes://`, `urn:`) differently from `file:`/`https:`. We
 * need one rule for every scheme and a refusal for every ambiguity, so the algorithm is written out here.
 *
 * Canonical form (RFC 3986 §6.2.2 syntax-based normalisation, made stricter):
 * - scheme and host lower-cased; `file://localhost/` is `file:///`;
 * - the path and query percent-decoded exactly once (as UTF-8), never re-encoded;
 * - in the path, duplicate `/` collapsed and `.` / `..` segments resolved; a `..` above the root is refused;
 * - refused: `%` not followed by two hex digits, a decoded `%XX` (double encoding), an encoded `/`, `\` (raw or
 *   encoded), NUL and other control characters, invalid or overlong UTF-8, invisible / bidi format characters,
 *   characters whose NFKC form differs (full-width `．` `／`, ligatures), user info in the authority, percent
 *   signs or malformed hosts, `file:` URIs with a host (UNC paths), and path segments made only of dots/spaces.
 * - refused: a dot segment (`.`, `..`) anywhere in the query or fragment, where a handler that takes a template
 *   variable or a query parameter as a path would climb (`x?%2F..%2Fkeys` is read as `x?/../keys` by such a
 *   handler); look-alike separators (see {@link LOOKALIKE_SEPARATORS}) and path parameters (`..;`) are read as
 *   the characters they imitate for this check.
 * - a path that another component could read as another path gets an `alias`: the reading of a backend that drops
 *   trailing dots and spaces of segments (Windows reads `private.` as `private`), drops `;parameters` from segments
 *   (servlet containers read `/a/..;/b` as `/b`), takes a look-alike slash or dot for the real one, or resolves
 *   dot segments before decoding (`/a/%2e%2e/b` as `/a/%2e%2e/b`'s literal segment). The policy must allow every
 *   reading (`alias`, `aliases`), and a deny of any wins.
 * - a URI with a query or fragment also has `denyOnly` readings, which deny rules are checked against: the path
 *   alone (a handler that ignores the query reads that) and the path run on into the query and fragment.
 */

/** Longest URI or name the ACL will consider (longer ones are refused). */
export const MAX_TARGET_LENGTH = 4096;

/**
 * A canonical form, or why there is none. `alias` is a second reading of the same URI that some file systems
 * make: Windows drops trailing dots and spaces of path segments (`secret.txt.` opens `secret.txt`). The ACL
 * denies when either reading is denied and allows only when both are allowed.
 */
export type CanonicalResult =
  | {
      readonly ok: true;
      readonly value: string;
      readonly alias?: string;
      /** Every other reading, when there is more than one (`alias` is the first): each must be allowed. */
      readonly aliases?: readonly string[];
      /**
       * Readings of a URI with a query or fragment that are checked for denies only: the path without them, and the
       * path run on into them (as a template variable capturing the last segment reads it).
       */
      readonly denyOnly?: readonly string[];
    }
  | { readonly ok: false; readonly reason: string };

/**
 * Characters that imitate `/`, `\` or `.` without being them, mapped to what they imitate, for the alternate reading
 * of a path. Taken from Unicode's confusables.txt (UTS #39), entries whose prototype is U+002F SOLIDUS,
 * U+005C REVERSE SOLIDUS or U+002E FULL STOP, keeping symbols and punctuation and leaving out letters (e.g. Katakana
 * ノ) that legitimate names use; plus MIDDLE DOT, HYPHENATION POINT, BULLET OPERATOR and KATAKANA MIDDLE DOT, which
 * file-name "best-fit" conversions are known to turn into a dot. Compatibility forms (full-width `／` `．` `＼`, ONE
 * DOT LEADER) are refused earlier by the NFKC check.
 */
export const LOOKALIKE_SEPARATORS: ReadonlyMap<string, '/' | '.'> = new Map<string, '/' | '.'>([
  // → "/"
  ...(
    [
      '\u1735',
      '\u2041',
      '\u2044',
      '\u2215',
      '\u2571',
      '\u27cb',
      '\u29f8',
      '\u31d3',
      '\u3033',
      '\u{1d23a}',
    ] as const
  ).map((c) => [c, '/'] as [string, '/']),
  // "\" look-alikes are separators too for a Windows backend
  ...(['\u2216', '\u27cd', '\u29f5', '\u29f9', '\u31d4', '\u{1d20f}', '\u{1d23b}'] as const).map(
    (c) => [c, '/'] as [string, '/'],
  ),
  // → "."
  ...(
    [
      '\u00b7',
      '\u0701',
      '\u0702',
      '\u2027',
      '\u2219',
      '\u2e31',
      '\u30fb',
      '\u3002',
      '\ua60e',
      '\u{10a50}',
      '\u{1d16d}',
    ] as const
  ).map((c) => [c, '.'] as [string, '.']),
]);

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;
const HEX = /^[0-9A-Fa-f]{2}$/;
const DOUBLE_ENCODED = /%[0-9A-Fa-f]{2}/;
// C0 controls, DEL, C1 controls.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/**
 * Invisible and bidi format characters, as [first, last] code point ranges: soft hyphen, combining grapheme
 * joiner, Arabic letter mark, Hangul fillers, Khmer inherent vowels, Mongolian selectors, zero-width and bidi
 * marks, embeddings, isolates, invisible operators, variation selectors, BOM, interlinear annotations, tags.
 */
const INVISIBLE_RANGES: readonly (readonly [number, number])[] = [
  [0x00ad, 0x00ad],
  [0x034f, 0x034f],
  [0x061c, 0x061c],
  [0x115f, 0x1160],
  [0x17b4, 0x17b5],
  [0x180b, 0x180f],
  [0x200b, 0x200f],
  [0x202a, 0x202e],
  [0x2060, 0x206f],
  [0x3164, 0x3164],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
  [0xffa0, 0xffa0],
  [0xfff0, 0xfffb],
  [0xe0000, 0xe0fff],
];

function hasInvisible(value: string): boolean {
  for (const ch of value) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp < 0xad) continue;
    for (const [first, last] of INVISIBLE_RANGES) if (cp >= first && cp <= last) return true;
  }
  return false;
}
const NON_ASCII = /[^\u0000-\u007f]/;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const fail = (reason: string): CanonicalResult => ({ ok: false, reason });

/**
 * Decodes `%XX` sequences exactly once as UTF-8. Refuses malformed escapes, invalid/overlong UTF-8, and escapes of
 * characters listed in `forbidden` (e.g. `/` in a path, where `%2F` and `/` would otherwise become ambiguous).
 */
function percentDecodeOnce(input: string, forbidden: string): CanonicalResult {
  if (!input.includes('%')) return { ok: true, value: input };
  let out = '';
  let i = 0;
  while (i < input.length) {
    const pct = input.indexOf('%', i);
    if (pct === -1) {
      out += input.slice(i);
      break;
    }
    out += input.slice(i, pct);
    const bytes: number[] = [];
    let j = pct;
    while (j < input.length && input.charCodeAt(j) === 0x25 /* % */) {
      const hex = input.slice(j + 1, j + 3);
      if (!HEX.test(hex)) return fail('malformed percent-encoding');
      bytes.push(Number.parseInt(hex, 16));
      j += 3;
    }
    let decoded: string;
    try {
      decoded = utf8.decode(Uint8Array.from(bytes));
    } catch {
      return fail('percent-encoding is not valid UTF-8');
    }
    for (const ch of decoded) {
      if (forbidden.includes(ch)) return fail(`encoded ${JSON.stringify(ch)} is ambiguous`);
    }
    out += decoded;
    i = j;
  }
  if (DOUBLE_ENCODED.test(out)) return fail('double percent-encoding');
  return { ok: true, value: out };
}

/** Checks that apply to every decoded URI part and every name. */
function checkCharacters(value: string): string | undefined {
  if (CONTROL.test(value)) return 'control character';
  if (value.includes('\\')) return 'backslash';
  if (NON_ASCII.test(value)) {
    if (hasInvisible(value)) return 'invisible or bidi format character';
    // Compatibility forms (full-width `．`/`／`, ligatures, decomposed accents) are ambiguous: a server that
    // normalises would read a different name than the one matched here.
    if (value.normalize('NFKC') !== value) return 'character with a compatibility (NFKC) form';
  }
  return undefined;
}

/**
 * Resolves `.` and `..` segments and collapses empty segments of a decoded path, keeping a leading and a trailing
 * `/`. Returns `undefined` when `..` climbs above the root (refused rather than clamped, as clamping hides intent).
 */
export function resolvePathSegments(path: string): string | undefined {
  const absolute = path.startsWith('/');
  const raw = path.split('/');
  const trailing =
    raw.length > 1 &&
    (raw[raw.length - 1] === '' || raw[raw.length - 1] === '.' || raw[raw.length - 1] === '..');
  const out: string[] = [];
  for (const segment of raw) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (out.length === 0) return undefined;
      out.pop();
      continue;
    }
    out.push(segment);
  }
  let result = (absolute ? '/' : '') + out.join('/');
  if (trailing && out.length > 0) result += '/';
  return result;
}

/**
 * The canonical form of a resource URI, or why it is refused.
 *
 * @example
 * canonicalizeUri('FILE://LocalHost/public//a/./b/../c%20d') // { ok: true, value: 'file:///public/a/c d' }
 * canonicalizeUri('file:///public/..%2fprivate/x')          // { ok: false, reason: 'encoded "/" is ambiguous' }
 */
export function canonicalizeUri(raw: string): CanonicalResult {
  return isPlainCanonicalUri(raw) ? { ok: true, value: raw } : canonicalizeUriSlow(raw);
}

/**
 * Fast path: true when `raw` is already canonical by construction, so the full algorithm would return it
 * unchanged: printable ASCII without `%`, `\`, `?`, `#`, `;` or spaces; a lower-case scheme and authority; `file:` with
 * an empty host; no empty segment after the authority, no segment starting with a dot and none ending with one.
 * (Anything else takes the full path; a property test checks both agree.)
 */
export function isPlainCanonicalUri(raw: string): boolean {
  const n = raw.length;
  if (n === 0 || n > MAX_TARGET_LENGTH) return false;
  let i = 0;
  // Scheme: lower-case letter, then [a-z0-9+.-], then ':'.
  let c = raw.charCodeAt(0);
  if (c < 0x61 || c > 0x7a) return false;
  for (i = 1; i < n; i++) {
    c = raw.charCodeAt(i);
    if (c === 0x3a /* : */) break;
    if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e))
      return false;
  }
  if (i >= n - 1) return false;
  const isFile = i === 4 && raw.startsWith('file');
  i++; // past ':'
  if (raw.charCodeAt(i) === 0x2f && raw.charCodeAt(i + 1) === 0x2f) {
    i += 2;
    const hostStart = i;
    for (; i < n; i++) {
      c = raw.charCodeAt(i);
      if (c === 0x2f) break;
      // Host: lower-case letters, digits, '-', inner '.', one ':' port part: keep it simple, digits/letters/.-:
      if (
        !(
          (c >= 0x61 && c <= 0x7a) ||
          (c >= 0x30 && c <= 0x39) ||
          c === 0x2d ||
          (c === 0x2e && i > hostStart && raw.charCodeAt(i - 1) !== 0x2e)
        )
      )
        return false;
    }
    if (isFile && i !== hostStart) return false;
    if (i > hostStart && raw.charCodeAt(i - 1) === 0x2e) return false;
    if (i === n) return true;
    if (raw.charCodeAt(i + 1) === 0x2f) return false; // '//' right after the authority
  } else if (raw.charCodeAt(i) === 0x2f && raw.charCodeAt(i + 1) === 0x2e) {
    return false;
  }
  // Path: printable ASCII except space % \ ? # ; (path parameters); no '//', no segment starting or ending with '.'.
  for (; i < n; i++) {
    c = raw.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c === 0x25 || c === 0x5c || c === 0x3f || c === 0x23 || c === 0x3b)
      return false;
    if (c === 0x2f) {
      const next = raw.charCodeAt(i + 1);
      if (next === 0x2f || next === 0x2e) return false;
      if (raw.charCodeAt(i - 1) === 0x2e) return false;
    }
  }
  if (raw.charCodeAt(n - 1) === 0x2e) return false;
  return true;
}

/** The full canonicalisation (see the module comment). */
export function canonicalizeUriSlow(raw: string): CanonicalResult {
  return canonicalize(raw, false);
}

/**
 * The readings of a server that resolves dot segments before it decodes percent-encoding (`/private/%2e/../x` is
 * `/private/x` to it and `/x` to the canonical form), other than the canonical form itself. For deny rules
 * only; kept out of `CanonicalResult`, whose value and aliases never depend on how a URI was percent-encoded.
 */
export function readingsResolvedBeforeDecoding(raw: string, canonical: string): readonly string[] {
  if (!raw.includes('%')) return [];
  const result = canonicalize(raw, true);
  if (!result.ok) return [];
  return [
    result.value,
    ...(result.aliases ?? (result.alias === undefined ? [] : [result.alias])),
    ...(result.denyOnly ?? []),
  ].filter((reading) => reading !== canonical);
}

function canonicalize(raw: string, resolveBeforeDecoding: boolean): CanonicalResult {
  if (typeof raw !== 'string' || raw.length === 0) return fail('empty URI');
  if (raw.length > MAX_TARGET_LENGTH) return fail('URI too long');
  const rawProblem = checkCharacters(raw);
  if (rawProblem) return fail(rawProblem);
  const scheme = SCHEME.exec(raw);
  if (!scheme?.[1]) return fail('not an absolute URI (no scheme)');
  let rest = raw.slice(scheme[0].length);

  // Fragment: kept as part of the identifier (MCP resource URIs are opaque to the client), decoded like a query.
  let fragment: string | undefined;
  const hash = rest.indexOf('#');
  if (hash !== -1) {
    fragment = rest.slice(hash + 1);
    rest = rest.slice(0, hash);
  }
  let query: string | undefined;
  const q = rest.indexOf('?');
  if (q !== -1) {
    query = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }

  const schemeName = scheme[1].toLowerCase();
  let authority: string | undefined;
  let path = rest;
  if (rest.startsWith('//')) {
    const end = rest.indexOf('/', 2);
    authority = end === -1 ? rest.slice(2) : rest.slice(2, end);
    path = end === -1 ? '' : rest.slice(end);
    if (authority.includes('@')) return fail('user information in the authority');
    if (authority.includes('%')) return fail('percent-encoding in the host');
    authority = authority.toLowerCase();
    if (authority.endsWith('.')) authority = authority.slice(0, -1); // `example.com.` is `example.com`
    if (authority.endsWith(':')) authority = authority.slice(0, -1); // empty port
    if (schemeName === 'file' && authority === 'localhost') authority = '';
    if (schemeName === 'file' && authority !== '') return fail('file URI with a host (a UNC path)');
    if (!/^([a-z0-9_~!$&'()*+,;=-]+(\.[a-z0-9_~!$&'()*+,;=-]+)*|\[[0-9a-f:.]+\])?(:[0-9]*)?$/.test(authority))
      return fail('malformed host');
  }

  const decodedPath = percentDecodeOnce(path, '/\\\u0000');
  if (!decodedPath.ok) return decodedPath;
  const pathProblem = checkCharacters(decodedPath.value);
  if (pathProblem) return fail(pathProblem);

  let canonicalPath = decodedPath.value;
  if (canonicalPath.includes('/')) {
    const resolved = resolvePathSegments(canonicalPath);
    if (resolved === undefined) return fail('path climbs above its root');
    canonicalPath = resolved;
  } else if (canonicalPath === '.' || canonicalPath === '..') {
    return fail('dot segment as the whole path');
  }
  if (authority !== undefined && canonicalPath !== '' && !canonicalPath.startsWith('/'))
    return fail('relative path after an authority');
  if (/[. ](\/|$)/.test(canonicalPath)) {
    // A segment of only dots and spaces (`...`) means different things to different systems.
    const segments = canonicalPath.split('/');
    if (segments.some((segment) => segment !== '' && segment.replace(/[. ]+$/, '') === ''))
      return fail('path segment of only dots or spaces');
  }
  // The readings of components that decode and then read leniently (see `alternatePaths`).
  const lenient = alternatePaths(decodedPath.value);
  if (lenient === undefined) return fail('path climbs above its root when read by another component');
  let aliasPaths = lenient.filter((reading) => reading !== canonicalPath);
  if (resolveBeforeDecoding) {
    // A server that resolves dot segments before it decodes reads `/private/%2e/../x` as `/private/x`.
    const readings: string[] = [];
    for (const reading of [resolvePathSegments(path), ...(alternatePaths(path) ?? [undefined])]) {
      const decoded = reading === undefined ? undefined : percentDecodeOnce(reading, '\u0000');
      if (decoded === undefined || !decoded.ok)
        return fail('path climbs above its root when read by another component');
      readings.push(decoded.value);
    }
    canonicalPath = readings[0] as string;
    aliasPaths = [...new Set(readings.slice(1))].filter((reading) => reading !== canonicalPath);
  }

  let prefix = `${schemeName}:`;
  if (authority !== undefined) prefix += `//${authority}`;
  let suffix = '';
  for (const [sep, part] of [
    ['?', query],
    ['#', fragment],
  ] as const) {
    if (part === undefined) continue;
    const decoded = percentDecodeOnce(part, '\\\u0000');
    if (!decoded.ok) return decoded;
    const problem = checkCharacters(decoded.value);
    if (problem) return fail(problem);
    suffix += sep + decoded.value;
  }
  const value = prefix + canonicalPath + suffix;
  const aliases = aliasPaths.map((p) => prefix + p + suffix);
  const result: {
    ok: true;
    value: string;
    alias?: string;
    aliases?: readonly string[];
    denyOnly?: readonly string[];
  } = { ok: true, value };
  if (aliases.length > 0) result.alias = aliases[0];
  if (aliases.length > 1) result.aliases = aliases;
  if (suffix === '') return result;

  // A template variable that captures the last segment may run on into the query and fragment (`x?/../keys`).
  const lastSegment = decodedPath.value.slice(decodedPath.value.lastIndexOf('/') + 1);
  if (hasDotSegment(lastSegment + suffix)) return fail('dot segment in the query or fragment');
  const runOn = alternatePaths(decodedPath.value + suffix);
  if (runOn === undefined) return fail('path climbs above its root when read by another component');
  // Deny rules also see the path without the query and fragment (a handler that ignores them reads that), and
  // the path run on into them.
  result.denyOnly = [...new Set([canonicalPath, ...aliasPaths, ...runOn].map((p) => prefix + p))].filter(
    (reading) => reading !== value,
  );
  return result;
}

const LOOKALIKES = 1;
const PARAMETERS = 2;
const TRAILING_DOTS = 4;

/**
 * The path as more lenient components read it, one reading per combination of their habits: look-alike separators
 * taken for the real ones, `;parameters` dropped from each segment, trailing dots and spaces of segments dropped
 * (after dot segments are resolved). `undefined` when any reading climbs above the root or has a segment of only
 * dots and spaces.
 */
function alternatePaths(input: string): string[] | undefined {
  const out = new Set<string>();
  for (let habits = LOOKALIKES; habits <= (LOOKALIKES | PARAMETERS | TRAILING_DOTS); habits++) {
    const reading = alternatePath(input, habits);
    if (reading === undefined) return undefined;
    out.add(reading);
  }
  return [...out];
}

function alternatePath(input: string, habits: number): string | undefined {
  let path = input;
  if (habits & LOOKALIKES && NON_ASCII.test(path)) {
    let mapped = '';
    for (const ch of path) mapped += LOOKALIKE_SEPARATORS.get(ch) ?? ch;
    path = mapped;
  }
  if (habits & PARAMETERS && path.includes(';')) {
    path = path
      .split('/')
      .map((segment) => {
        const semicolon = segment.indexOf(';');
        return semicolon === -1 ? segment : segment.slice(0, semicolon);
      })
      .join('/');
  }
  if (path.includes('/')) {
    const resolved = resolvePathSegments(path);
    if (resolved === undefined) return undefined;
    path = resolved;
  }
  if (habits & TRAILING_DOTS && /[. ](\/|$)/.test(path)) {
    const segments = path.split('/');
    const stripped = segments.map((segment) => segment.replace(/[. ]+$/, ''));
    // A segment of only dots and spaces in this reading (`··` read as `..`, `...`): refused, as in the path itself.
    if (stripped.some((segment, i) => segment === '' && segments[i] !== '')) return undefined;
    path = stripped.join('/');
  }
  return path;
}

/** Separators a handler may split a query or fragment on before it reads a part as a path. */
const QUERY_SEPARATORS = /[/?#&=;]/;

/** Whether a decoded query or fragment holds a `.` or `..` part (look-alike dots and slashes counted as real). */
function hasDotSegment(decoded: string): boolean {
  let text = decoded;
  if (NON_ASCII.test(text)) {
    let mapped = '';
    for (const ch of text) mapped += LOOKALIKE_SEPARATORS.get(ch) ?? ch;
    text = mapped;
  }
  if (!text.includes('.')) return false;
  return text.split(QUERY_SEPARATORS).some((part) => {
    const trimmed = part.trim();
    return trimmed === '.' || trimmed === '..';
  });
}

/**
 * Checks a tool name, prompt name or completion reference. Names are matched exactly as sent (MCP names are
 * case-sensitive and never decoded), so only characters that no legitimate name carries are refused.
 */
export function canonicalizeName(raw: string): CanonicalResult {
  if (typeof raw !== 'string' || raw.length === 0) return fail('empty name');
  if (raw.length > MAX_TARGET_LENGTH) return fail('name too long');
  const problem = checkCharacters(raw);
  if (problem) return fail(problem);
  return { ok: true, value: raw };
}
