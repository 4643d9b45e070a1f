/**
 * Character-level rules for user-supplied paths. Everything here is a single linear pass; nothing backtracks.
 */
import { VALIDATION_ERROR_CODES, type ValidationErrorCode } from '../errors.js';

export interface CharProblem {
  code: ValidationErrorCode;
  message: string;
}

/**
 * Characters that look like `/`, `\` or `.` but are not, from Unicode's confusables data (UTS #39) for those three
 * characters. Many also fold to the ASCII character under NFKC, which {@link foldsToSeparatorOrDot} catches too;
 * the ones listed here do not all fold, so they are listed explicitly.
 */
const LOOKALIKES = new Set<number>([
  // look like "/"
  0x2044, // FRACTION SLASH
  0x2215, // DIVISION SLASH
  0x2571, // BOX DRAWINGS LIGHT DIAGONAL UPPER RIGHT TO LOWER LEFT
  0x29f8, // BIG SOLIDUS
  0xff0f, // FULLWIDTH SOLIDUS
  0x2f03, // KANGXI RADICAL SLASH
  0x0337, // COMBINING SHORT SOLIDUS OVERLAY
  0x0338, // COMBINING LONG SOLIDUS OVERLAY
  0x1735, // PHILIPPINE SINGLE PUNCTUATION
  // look like "\"
  0x2216, // SET MINUS
  0x29f5, // REVERSE SOLIDUS OPERATOR
  0x29f9, // BIG REVERSE SOLIDUS
  0xfe68, // SMALL REVERSE SOLIDUS
  0xff3c, // FULLWIDTH REVERSE SOLIDUS
  0x2572, // BOX DRAWINGS LIGHT DIAGONAL UPPER LEFT TO LOWER RIGHT
  0x31d4, // CJK STROKE D
  // look like "."
  0xff0e, // FULLWIDTH FULL STOP
  0x2024, // ONE DOT LEADER
  0x2025, // TWO DOT LEADER
  0x2026, // HORIZONTAL ELLIPSIS
  0xfe52, // SMALL FULL STOP
  0x0701, // SYRIAC SUPRALINEAR FULL STOP
  0x0702, // SYRIAC SUBLINEAR FULL STOP
  0xa60e, // VAI FULL STOP
  0x10a50, // KHAROSHTHI PUNCTUATION DOT
  0x2e31, // WORD SEPARATOR MIDDLE DOT
]);

/** Invisible formatting characters: bidi controls, zero-width space, word joiner, BOM, soft hyphen, … */
function isInvisibleFormat(cp: number): boolean {
  return (
    cp === 0x00ad ||
    cp === 0x034f ||
    cp === 0x061c ||
    cp === 0x180e ||
    cp === 0x200b ||
    cp === 0x200e ||
    cp === 0x200f ||
    (cp >= 0x202a && cp <= 0x202e) ||
    (cp >= 0x2060 && cp <= 0x2064) ||
    (cp >= 0x2066 && cp <= 0x206f) ||
    cp === 0xfeff ||
    (cp >= 0xfff9 && cp <= 0xfffb) ||
    (cp >= 0xe0000 && cp <= 0xe007f) // tag characters
  );
}

/** Non-ASCII characters whose compatibility form (NFKC) contains `.`, `/` or `\` (e.g. U+FF0E, U+2488). */
function foldsToSeparatorOrDot(char: string): boolean {
  const folded = char.normalize('NFKC');
  return folded !== char && (folded.includes('.') || folded.includes('/') || folded.includes('\\'));
}

const problem = (code: ValidationErrorCode, message: string): CharProblem => ({ code, message });

/**
 * Checks every character of an (NFC-normalised) path. Returns the first problem or `undefined`.
 * ZWJ/ZWNJ stay allowed: emoji sequences and several scripts need them.
 */
export function findCharProblem(value: string): CharProblem | undefined {
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    if (unit < 0x80) {
      if (unit === 0) return problem(VALIDATION_ERROR_CODES.PATH_NUL_BYTE, 'the path contains a NUL byte');
      if (unit < 0x20 || unit === 0x7f)
        return problem(
          VALIDATION_ERROR_CODES.PATH_CONTROL_CHARACTER,
          'the path contains a control character',
        );
      if (unit === 0x5c)
        return problem(
          VALIDATION_ERROR_CODES.PATH_WINDOWS_FORM,
          'backslashes are not allowed in paths; use "/"',
        );
      if (unit === 0x3a) {
        const driveLike = i === 1 && /[A-Za-z]/.test(value[0] ?? '');
        return driveLike
          ? problem(VALIDATION_ERROR_CODES.PATH_WINDOWS_FORM, 'Windows drive letters are not allowed')
          : problem(
              VALIDATION_ERROR_CODES.PATH_ALTERNATE_STREAM,
              'colons are not allowed in paths (NTFS alternate data streams)',
            );
      }
      continue;
    }
    let cp = unit;
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff))
        return problem(VALIDATION_ERROR_CODES.PATH_CONTROL_CHARACTER, 'the path is not valid Unicode');
      cp = ((unit - 0xd800) << 10) + (next - 0xdc00) + 0x10000;
      i++;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) {
      return problem(VALIDATION_ERROR_CODES.PATH_CONTROL_CHARACTER, 'the path is not valid Unicode');
    }
    if (cp >= 0x80 && cp <= 0x9f)
      return problem(VALIDATION_ERROR_CODES.PATH_CONTROL_CHARACTER, 'the path contains a control character');
    if (isInvisibleFormat(cp))
      return problem(
        VALIDATION_ERROR_CODES.PATH_CONTROL_CHARACTER,
        'the path contains an invisible formatting character',
      );
    if (LOOKALIKES.has(cp) || foldsToSeparatorOrDot(String.fromCodePoint(cp))) {
      return problem(
        VALIDATION_ERROR_CODES.PATH_LOOKALIKE_CHARACTER,
        `the path contains a character that looks like a separator or dot (U+${cp.toString(16).toUpperCase().padStart(4, '0')})`,
      );
    }
  }
  return undefined;
}

const HEX = /^[0-9A-Fa-f]{2}$/;
const HEX4 = /^[0-9A-Fa-f]{4}$/;
const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * One round of lenient percent-decoding (`%XX` bytes and IIS-style `%uXXXX`); other characters are kept. Returns
 * `undefined` when the decoded bytes are not valid UTF-8 — which is how overlong encodings such as `%c0%ae`
 * (a "." in broken decoders) show up.
 */
function percentDecodeOnce(segment: string): string | undefined {
  const bytes: number[] = [];
  for (let i = 0; i < segment.length; ) {
    if (segment[i] === '%') {
      const two = segment.slice(i + 1, i + 3);
      if (HEX.test(two)) {
        bytes.push(Number.parseInt(two, 16));
        i += 3;
        continue;
      }
      const marker = segment[i + 1];
      const four = segment.slice(i + 2, i + 6);
      if ((marker === 'u' || marker === 'U') && HEX4.test(four)) {
        for (const b of utf8.encode(String.fromCharCode(Number.parseInt(four, 16)))) bytes.push(b);
        i += 6;
        continue;
      }
    }
    const cp = segment.codePointAt(i) ?? 0;
    const char = String.fromCodePoint(cp);
    for (const b of utf8.encode(char)) bytes.push(b);
    i += char.length;
  }
  try {
    return strictUtf8.decode(new Uint8Array(bytes));
  } catch {
    return undefined;
  }
}

const MAX_DECODE_ROUNDS = 4;

/**
 * Refuses a path segment that would become dangerous if anything downstream percent-decodes it (once or
 * repeatedly): a `..`/`.` segment, a separator, a NUL or control character, a look-alike, or invalid UTF-8.
 * Literal `%` in names (`100%.txt`, `percent%25literal.txt`) stays allowed: those decode to harmless names.
 */
export function findEncodedProblem(segment: string): CharProblem | undefined {
  let current = segment;
  for (let round = 0; round < MAX_DECODE_ROUNDS && current.includes('%'); round++) {
    const decoded = percentDecodeOnce(current);
    const bad = problem(
      VALIDATION_ERROR_CODES.PATH_ENCODED_TRAVERSAL,
      'the path contains percent-encoded traversal, separators or invalid bytes',
    );
    if (decoded === undefined) return bad;
    if (decoded === current) return undefined;
    if (
      decoded === '.' ||
      decoded === '..' ||
      decoded.includes('/') ||
      findCharProblem(decoded.normalize('NFC')) !== undefined
    )
      return bad;
    current = decoded;
  }
  return undefined;
}

const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)(\..*)?$/i;

/** Windows-only segment rules: reserved device names, and trailing dots/spaces that Win32 silently strips. */
export function findWindowsSegmentProblem(segment: string): CharProblem | undefined {
  if (segment === '.' || segment === '..') return undefined;
  if (WINDOWS_RESERVED.test(segment))
    return problem(VALIDATION_ERROR_CODES.PATH_WINDOWS_FORM, 'Windows reserved device names are not allowed');
  if (segment.endsWith('.') || segment.endsWith(' '))
    return problem(
      VALIDATION_ERROR_CODES.PATH_WINDOWS_FORM,
      'names ending in a dot or space are not allowed on Windows',
    );
  if (/[<>"|?*]/.test(segment))
    return problem(
      VALIDATION_ERROR_CODES.PATH_WINDOWS_FORM,
      'the name contains a character Windows does not allow',
    );
  return undefined;
}
