/**
 * The single-pass scanner for invisible-text smuggling and terminal escapes.
 *
 * One regular expression made of a single character class finds the next BMP *candidate* code unit (a control
 * character, a format/invisible character, a variation selector), and memoised `indexOf` calls the high
 * surrogates of the astral ones (tags, VS17–VS256). Clean text never leaves those searches, which V8 runs as
 * tight loops over the string. Each candidate is then decided from its neighbours:
 *
 * - the left neighbour is the last code point *kept in the output* (not the last one in the input), and
 * - the right neighbour must be a non-candidate (which this pass never removes),
 *
 * so a second pass over the output sees exactly the same neighbours and keeps exactly the same characters:
 * the scan is idempotent by construction. Every candidate is consumed once; escape-string bodies are searched
 * with a memoised terminator lookup, so the whole pass is linear in the input length.
 *
 * Why hand-rolled: no maintained npm library covers these context rules (emoji ZWJ sequences, script joiners,
 * emoji/ideographic variation sequences, flag tag sequences) together with ECMA-48 escape parsing in one pass.
 */
import type { FindingCollector } from './findings.js';
import type { RuleMode } from './types.js';

/** Modes of the seven rules this scanner implements. */
export interface ControlScanModes {
  /** `unicode-tags`: U+E0000–U+E007F (except inside an RGI emoji tag sequence: the flags of England, Scotland, Wales). */
  readonly tags: RuleMode;
  /** `bidi-controls`: U+202A–U+202E embeddings/overrides, U+2066–U+2069 isolates. */
  readonly bidi: RuleMode;
  /** `invisible-chars`: zero-width and other invisible format characters (context-checked joiners). */
  readonly invisible: RuleMode;
  /** `variation-selectors`: VS1–VS256 not attached to a base that takes them. */
  readonly variation: RuleMode;
  /** `terminal-escapes`: ESC and 8-bit C1 introduced sequences (CSI, OSC incl. 8/52, DCS, SOS, PM, APC, …). */
  readonly escapes: RuleMode;
  /** `control-chars`: other C0 controls (except TAB, LF, CR), DEL and C1 controls. */
  readonly controls: RuleMode;
  /**
   * `terminal-overwrite`: a carriage return that is not part of CRLF (replaced by LF) and BS U+0008 (removed), which
   * let a line redraw itself on a terminal. {@link compileRules} always sets it. Absent (a modes object written
   * before this rule existed), bare CRs are kept and BS counts as `control-chars`, as they did then.
   */
  readonly overwrite?: RuleMode;
}

export const CONTROL_RULE_IDS = {
  tags: 'unicode-tags',
  bidi: 'bidi-controls',
  invisible: 'invisible-chars',
  variation: 'variation-selectors',
  escapes: 'terminal-escapes',
  controls: 'control-chars',
  overwrite: 'terminal-overwrite',
} as const satisfies Record<keyof ControlScanModes, string>;

type ModeKey = keyof ControlScanModes;

const CATEGORY: Record<ModeKey, 'invisible' | 'terminal'> = {
  tags: 'invisible',
  bidi: 'invisible',
  invisible: 'invisible',
  variation: 'invisible',
  escapes: 'terminal',
  controls: 'terminal',
  overwrite: 'terminal',
};

// BMP code units that need a decision. (Surrogates are kept out of this class: with them V8 falls back to a slow
// path on two-byte strings, ~35 MB/s instead of several hundred; they are found with `indexOf` instead.)
const CANDIDATE_BMP =
  // biome-ignore lint/suspicious/noMisleadingCharacterClass: matches single code units on purpose (joiners and selectors are decided one by one).
  /[\x00-\x08\x0B-\x1F\x7F-\x9F\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200D\u202A-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0\uFFF9-\uFFFB]/g;
/** High surrogates of the astral candidates: U+1BCA0 block, U+1D173 block, U+E0000–U+E0FFF (tags, VS17+). */
const CANDIDATE_HIGH = ['\uD82F', '\uD834', '\uDB40', '\uDB41', '\uDB42', '\uDB43'] as const;
/** The same set as a table, for "is the code unit at i a candidate" checks. */
const IS_CANDIDATE = new Uint8Array(65536);
for (const [from, to] of [
  [0x00, 0x08],
  [0x0b, 0x1f],
  [0x7f, 0x9f],
  [0x115f, 0x1160],
  [0x17b4, 0x17b5],
  [0x180b, 0x180f],
  [0x200b, 0x200d],
  [0x202a, 0x202e],
  [0x2060, 0x206f],
  [0x3164, 0x3164],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
  [0xffa0, 0xffa0],
  [0xfff9, 0xfffb],
  [0xd82f, 0xd82f],
  [0xd834, 0xd834],
  [0xdb40, 0xdb43],
] as const) {
  IS_CANDIDATE.fill(1, from, to + 1);
}

/** Finds the next candidate: one regex for the BMP set, memoised `indexOf` per astral high surrogate. */
class CandidateFinder {
  #bmp = -2;
  readonly #high: number[] = CANDIDATE_HIGH.map(() => -2);
  constructor(readonly text: string) {}

  /** First candidate index at or after `from`, or -1. */
  next(from: number): number {
    const text = this.text;
    if (this.#bmp !== -1 && this.#bmp < from) {
      CANDIDATE_BMP.lastIndex = from;
      this.#bmp = CANDIDATE_BMP.test(text) ? CANDIDATE_BMP.lastIndex - 1 : -1;
    }
    let best = this.#bmp;
    for (let k = 0; k < CANDIDATE_HIGH.length; k++) {
      let at = this.#high[k] ?? -1;
      if (at !== -1 && at < from) {
        at = text.indexOf(CANDIDATE_HIGH[k] as string, from);
        this.#high[k] = at;
      }
      if (at !== -1 && (best === -1 || at < best)) best = at;
    }
    return best;
  }
}

// Sticky, code-point-aware classifiers, tested at an index of the input (no substring allocation).
const EMOJI = /\p{Emoji}/uy;
const EXT_PICT = /\p{Extended_Pictographic}/uy;
const EMOJI_MODIFIER = /\p{Emoji_Modifier}/uy;
/**
 * Cursive-joining scripts, in which ZWNJ/ZWJ between two letters select joining forms (Unicode §23.2; UAX #31 R1a
 * A1). Brahmic scripts are not here: their joiners are legitimate next to a virama only (see {@link VIRAMA}).
 */
const JOINING_SCRIPT = /[\p{sc=Arabic}\p{sc=Syriac}\p{sc=Nko}\p{sc=Mandaic}\p{sc=Mongolian}\p{sc=Thaana}]/uy;
const LETTER = /\p{L}/uy;
/**
 * Every character with Canonical_Combining_Class=9 (Virama): the viramas, halants, pullis, al-lakuna, chandrakkala,
 * coeng, asat, pangkon, adeg-adeg, … of Devanagari, Bengali, Gurmukhi, Gujarati, Oriya, Tamil, Telugu, Kannada,
 * Malayalam (incl. the vertical-bar and circular viramas), Sinhala, Thai, Lao, Tibetan, Myanmar, Tagalog, Hanunoo,
 * Khmer, Tai Tham, Balinese, Sundanese, Batak, Tifinagh, Syloti Nagri, Saurashtra, Rejang, Javanese, Meetei Mayek,
 * Kharoshthi, Brahmi, Kaithi, Chakma, Sharada, Khojki, Khudawadi, Grantha, Tulu-Tigalari, Newa, Tirhuta, Siddham,
 * Modi, Takri, Ahom, Dogra, Dives Akuru, Nandinagari, Zanabazar Square, Soyombo, Bhaiksuki, Masaram Gondi, Gunjala
 * Gondi, Kawi and Gurung Khema. Source: the Unicode Character Database, DerivedCombiningClass.txt, section
 * `Canonical_Combining_Class=Virama` (https://www.unicode.org/Public/16.0.0/ucd/extracted/DerivedCombiningClass.txt;
 * 69 code points, unchanged in 17.0). JavaScript has no `\p{ccc=…}`; a test derives the same set from the runtime's
 * own normalization data (NFD reorders marks by combining class) and compares.
 */
export const VIRAMA: ReadonlySet<number> = new Set([
  0x094d, 0x09cd, 0x0a4d, 0x0acd, 0x0b4d, 0x0bcd, 0x0c4d, 0x0ccd, 0x0d3b, 0x0d3c, 0x0d4d, 0x0dca, 0x0e3a,
  0x0eba, 0x0f84, 0x1039, 0x103a, 0x1714, 0x1715, 0x1734, 0x17d2, 0x1a60, 0x1b44, 0x1baa, 0x1bab, 0x1bf2,
  0x1bf3, 0x2d7f, 0xa806, 0xa82c, 0xa8c4, 0xa953, 0xa9c0, 0xaaf6, 0xabed, 0x10a3f, 0x11046, 0x11070, 0x1107f,
  0x110b9, 0x11133, 0x11134, 0x111c0, 0x11235, 0x112ea, 0x1134d, 0x113ce, 0x113cf, 0x113d0, 0x11442, 0x114c2,
  0x115bf, 0x1163f, 0x116b6, 0x1172b, 0x11839, 0x1193d, 0x1193e, 0x119e0, 0x11a34, 0x11a47, 0x11a99, 0x11c3f,
  0x11d44, 0x11d45, 0x11d97, 0x11f41, 0x11f42, 0x1612f,
]);
/** Bases of standardized variation sequences with VS1–VS14 (StandardizedVariants.txt: math, CJK, Myanmar, …). */
const SVS_BASE =
  /[0\p{Sm}\p{So}\p{sc=Han}\p{sc=Myanmar}\p{sc=Phags_Pa}\p{sc=Egyptian_Hieroglyphs}\p{sc=Manichaean}\p{sc=Mongolian}]/uy;
/** Bases of ideographic variation sequences (VS17–VS256, the IVD). */
const IVS_BASE = /\p{Ideographic}/uy;
/** Terminators of an escape string body: BEL, ESC (ST or abort), 8-bit ST, CAN, SUB. */
const STRING_END = /[\x07\x1B\x9C\x18\x1A]/g;

function testAt(re: RegExp, text: string, index: number): boolean {
  re.lastIndex = index;
  return re.test(text);
}

/** Hidden-output state of one scan. */
class Scan {
  out = '';
  /** Start of the input not yet copied to `out`. */
  copied = 0;
  /** Index (in the input) of the last code point kept in the output, or -1. */
  lastKept = -1;
  /** Memo of the escape-string terminator search: first terminator at or after `termFrom` is `termAt` (-1: none). */
  termFrom = -1;
  termAt = -1;

  constructor(
    readonly text: string,
    readonly modes: ControlScanModes,
    readonly sink: FindingCollector | undefined,
  ) {}

  /**
   * Records a finding for [start, end) and removes it from the output when enforced (writing `replacement` in its
   * place when given). Returns false when off.
   */
  hit(key: ModeKey, start: number, end: number, kind?: string, replacement?: string): boolean {
    const mode = this.modes[key];
    if (mode === undefined || mode === 'off') return false;
    const enforced = mode === 'enforce';
    this.sink?.add(CONTROL_RULE_IDS[key], CATEGORY[key], 'remove', enforced, start, end, kind);
    if (enforced) {
      if (start > this.copied) this.out += this.text.slice(this.copied, start);
      this.copied = end;
      if (replacement !== undefined) {
        this.out += replacement;
        // The replacement (LF for a bare CR) is now the left neighbour of what follows. The input character at
        // `start` stands in for it: every neighbour test of this scanner answers the same for CR as for LF (both are
        // Cc: no emoji, script letter, variation base or flag), so a second pass decides exactly as this one.
        this.lastKept = start;
      }
    } else {
      this.keep(end);
    }
    return true;
  }

  /** Marks [.., end) as kept: the last kept code point is the one ending at `end`. */
  keep(end: number): void {
    const text = this.text;
    const low = text.charCodeAt(end - 1);
    this.lastKept =
      low >= 0xdc00 && low <= 0xdfff && end >= 2 && isHigh(text.charCodeAt(end - 2)) ? end - 2 : end - 1;
  }

  /** First escape-string terminator at or after `from`, or -1; linear overall thanks to the memo. */
  terminator(from: number): number {
    if (this.termFrom !== -1 && from >= this.termFrom && (this.termAt === -1 || this.termAt >= from))
      return this.termAt;
    STRING_END.lastIndex = from;
    const found = STRING_END.test(this.text) ? STRING_END.lastIndex - 1 : -1;
    this.termFrom = from;
    this.termAt = found;
    return found;
  }
}

function isHigh(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

/**
 * Scans `text` once and returns it with every enforced finding removed (the same string when nothing was).
 * Findings go to `sink` when given.
 */
export function scanControls(text: string, modes: ControlScanModes, sink?: FindingCollector): string {
  const finder = new CandidateFinder(text);
  let i = finder.next(0);
  if (i === -1) return text;
  const scan = new Scan(text, modes, sink);
  let processed = 0;
  const length = text.length;
  while (i !== -1) {
    if (i > processed) scan.keep(i);
    const next = decide(scan, i);
    processed = next;
    if (next >= length) break;
    i = finder.next(next);
  }
  if (scan.copied === 0) return text;
  if (scan.copied < length) scan.out += text.slice(scan.copied);
  return scan.out;
}

/** Decides the candidate at `i`; returns the index after it (and after its sequence, for escapes). */
function decide(scan: Scan, i: number): number {
  const text = scan.text;
  const c = text.charCodeAt(i);

  if (c <= 0x1f || (c >= 0x7f && c <= 0x9f)) return control(scan, i, c);

  switch (c) {
    case 0x200d: // ZWJ: emoji sequences and script joiners
      return joiner(scan, i, true);
    case 0x200c: // ZWNJ: script joiners only
      return joiner(scan, i, false);
    case 0x202a:
    case 0x202b:
    case 0x202c:
    case 0x202d:
    case 0x202e:
    case 0x2066:
    case 0x2067:
    case 0x2068:
    case 0x2069:
      return removeOrKeep(scan, 'bidi', i, i + 1);
    case 0x115f:
    case 0x1160: {
      // Hangul fillers are legitimate inside a conjoining jamo sequence.
      const next = text.charCodeAt(i + 1);
      const prev = scan.lastKept === -1 ? -1 : text.charCodeAt(scan.lastKept);
      if ((next >= 0x1100 && next <= 0x11ff) || (prev >= 0x1100 && prev <= 0x11ff))
        return keepAt(scan, i, i + 1);
      return removeOrKeep(scan, 'invisible', i, i + 1);
    }
    case 0x180b:
    case 0x180c:
    case 0x180d:
    case 0x180f: // Mongolian free variation selectors, legitimate after a Mongolian letter.
      if (scan.lastKept !== -1 && isMongolianLetter(text.charCodeAt(scan.lastKept)))
        return keepAt(scan, i, i + 1);
      return removeOrKeep(scan, 'variation', i, i + 1);
    case 0x180e: // Mongolian vowel separator: between Mongolian letters only.
      if (
        scan.lastKept !== -1 &&
        isMongolianLetter(text.charCodeAt(scan.lastKept)) &&
        isMongolianLetter(text.charCodeAt(i + 1))
      )
        return keepAt(scan, i, i + 1);
      return removeOrKeep(scan, 'invisible', i, i + 1);
    case 0xd82f:
    case 0xd834:
    case 0xdb40:
    case 0xdb41:
    case 0xdb42:
    case 0xdb43:
      return astral(scan, i);
  }
  if (c >= 0xfe00 && c <= 0xfe0f) return variationSelector(scan, i, c);
  // U+200B, U+2060–U+2065, U+206A–U+206F, U+17B4/5, U+3164, U+FEFF, U+FFA0, U+FFF9–U+FFFB.
  return removeOrKeep(scan, 'invisible', i, i + 1);
}

function isMongolianLetter(c: number): boolean {
  return c >= 0x1820 && c <= 0x18aa;
}

function keepAt(scan: Scan, _start: number, end: number): number {
  scan.keep(end);
  return end;
}

function removeOrKeep(scan: Scan, key: ModeKey, start: number, end: number, kind?: string): number {
  if (!scan.hit(key, start, end, kind)) scan.keep(end);
  return end;
}

/** True when the code point at `index` has Canonical_Combining_Class=Virama. */
function isViramaAt(text: string, index: number): boolean {
  const c = text.codePointAt(index);
  return c !== undefined && VIRAMA.has(c);
}

/**
 * True when the code point at `letter` is a letter in the same 128-code-point block as the virama at `virama`: the
 * Brahmic blocks are 128-aligned (Devanagari U+0900–U+097F, Bengali U+0980–U+09FF, …, Sinhala U+0D80–U+0DFF), so a
 * Bengali RA before a Bengali virama qualifies and a Latin letter before it does not.
 */
function sameBlockLetter(text: string, letter: number, virama: number): boolean {
  const l = text.codePointAt(letter) ?? 0;
  const v = text.codePointAt(virama) ?? 0;
  return l >>> 7 === v >>> 7 && testAt(LETTER, text, letter);
}

/**
 * True when the character at `k` is one this pass never removes (so a second pass sees the same right neighbour):
 * the end of the text, a non-candidate, or the CR of a CRLF.
 */
function isStableAt(text: string, k: number): boolean {
  if (k >= text.length) return true;
  const c = text.charCodeAt(k);
  return IS_CANDIDATE[c] !== 1 || (c === 0x0d && text.charCodeAt(k + 1) === 0x0a);
}

/**
 * ZWJ / ZWNJ. Kept where Unicode gives them a meaning, removed (and reported) everywhere else:
 *
 * - **after a virama** (Canonical_Combining_Class=9), ZWJ or ZWNJ: half forms and explicit viramas (Devanagari क्‍ष,
 *   क्‌ष), chillus (Malayalam ന്‍, also at the end of a word or text), Sinhala rakaaranshaya and yansaya (ශ්‍රී),
 *   Myanmar kinzi, … (Unicode §12.1–12.2 and §13.2; UAX #31 R1a A2 and B, which allow them in identifiers too).
 *   The right neighbour only has to be stable (never removed by this pass), so a chillu before a space, a line
 *   break or the end of the text stays;
 * - **ZWJ between a letter and a virama of the same block**: Bengali ya-phalaa after RA (র‍্য), Sinhala touching letters (ක‍්ව), the
 *   non-repha RA of Kannada and Telugu (Unicode §12.2, §13.2);
 * - ZWNJ/ZWJ **between two letters of a cursive-joining script** (Persian می‌خواهم; UAX #31 R1a A1);
 * - ZWJ **inside an emoji ZWJ sequence** (UTS #51 ED-16).
 *
 * Between Latin (or any other) letters, doubled, at the edges, or after a removed character, they carry nothing a
 * reader sees, and runs of them spell binary messages: removed. After a virama a run collapses to its last joiner.
 */
function joiner(scan: Scan, i: number, zwj: boolean): number {
  const text = scan.text;
  const prev = scan.lastKept;
  const next = i + 1;
  if (prev !== -1) {
    if (isViramaAt(text, prev) && isStableAt(text, next)) return keepAt(scan, i, next);
    if (next < text.length && IS_CANDIDATE[text.charCodeAt(next)] !== 1) {
      if (zwj && isViramaAt(text, next) && sameBlockLetter(text, prev, next)) return keepAt(scan, i, next);
      if (testAt(JOINING_SCRIPT, text, prev) && testAt(JOINING_SCRIPT, text, next))
        return keepAt(scan, i, next);
      if (
        zwj &&
        testAt(EXT_PICT, text, next) &&
        (text.charCodeAt(prev) === 0xfe0f ||
          testAt(EXT_PICT, text, prev) ||
          testAt(EMOJI_MODIFIER, text, prev))
      )
        return keepAt(scan, i, next);
    }
  }
  return removeOrKeep(scan, 'invisible', i, next, zwj ? 'zwj' : 'zwnj');
}

function variationSelector(scan: Scan, i: number, c: number): number {
  const prev = scan.lastKept;
  if (prev !== -1 && !isVariationSelectorAt(scan.text, prev)) {
    if (c >= 0xfe0e ? testAt(EMOJI, scan.text, prev) : testAt(SVS_BASE, scan.text, prev))
      return keepAt(scan, i, i + 1);
  }
  return removeOrKeep(scan, 'variation', i, i + 1);
}

function isVariationSelectorAt(text: string, index: number): boolean {
  const c = text.charCodeAt(index);
  if ((c >= 0xfe00 && c <= 0xfe0f) || (c >= 0x180b && c <= 0x180f)) return true;
  if (c !== 0xdb40) return false;
  const low = text.charCodeAt(index + 1);
  return low >= 0xdd00 && low <= 0xddef;
}

function astral(scan: Scan, i: number): number {
  const text = scan.text;
  const low = text.charCodeAt(i + 1);
  if (!(low >= 0xdc00 && low <= 0xdfff)) return keepAt(scan, i, i + 1); // lone surrogate: not ours
  const cp = text.codePointAt(i) ?? 0;
  const end = i + 2;
  if (cp >= 0x1d173 && cp <= 0x1d17a) return removeOrKeep(scan, 'invisible', i, end); // musical format controls
  if (cp >= 0x1bca0 && cp <= 0x1bca3) return removeOrKeep(scan, 'invisible', i, end); // shorthand format controls
  if (cp < 0xe0000) return keepAt(scan, i, end);
  if (cp <= 0xe007f) {
    const flagEnd = flagTagSequence(scan, i);
    if (flagEnd !== -1) return keepAt(scan, i, flagEnd);
    return removeOrKeep(scan, 'tags', i, end);
  }
  if (cp >= 0xe0100 && cp <= 0xe01ef) {
    const prev = scan.lastKept;
    if (prev !== -1 && !isVariationSelectorAt(text, prev) && testAt(IVS_BASE, text, prev))
      return keepAt(scan, i, end);
    return removeOrKeep(scan, 'variation', i, end);
  }
  return removeOrKeep(scan, 'invisible', i, end); // unassigned default-ignorable code points of plane 14
}

/**
 * The tag specs (the tag letters between U+1F3F4 and U+E007F CANCEL TAG) of every RGI emoji tag sequence, i.e.
 * every emoji tag sequence Unicode recommends for general interchange. Source: emoji-sequences.txt, section
 * `RGI_Emoji_Tag_Sequence` ("# Total elements: 3"), https://www.unicode.org/Public/emoji/16.0/emoji-sequences.txt
 * (unchanged since Emoji 5.0; UTS #51 Annex C): England `gbeng`, Scotland `gbsct`, Wales `gbwls`. A test checks the
 * list against the runtime's `\p{RGI_Emoji_Tag_Sequence}`. Any other tag sequence, however well formed, renders as
 * a plain black flag and carries invisible text (up to 32 tag characters per UTS #51's limit, more in practice).
 */
export const RGI_TAG_SPECS: readonly string[] = ['gbeng', 'gbsct', 'gbwls'];
/** The same, as the UTF-16 low surrogates of the tag characters (all tags share the high surrogate U+DB40). */
const RGI_TAG_LOWS: readonly (readonly number[])[] = RGI_TAG_SPECS.map((spec) =>
  [...spec, '\u{7f}'].map((ch) => 0xdc00 + (ch.charCodeAt(0) & 0x7f)),
);
const RGI_TAG_LENGTH = 2 * (5 + 1); // five tag letters and the cancel tag, two code units each

/**
 * An RGI emoji tag sequence (UTS #51 §2.8, restricted to {@link RGI_TAG_SPECS}): U+1F3F4 WAVING BLACK FLAG
 * immediately followed by the tag letters of England, Scotland or Wales and U+E007F CANCEL TAG. Returns its end,
 * or -1 (then every tag character of the sequence is removed one by one and reported as `unicode-tags`).
 */
function flagTagSequence(scan: Scan, i: number): number {
  const text = scan.text;
  // The flag must be immediately before the tags in the input, not merely the last character kept.
  if (scan.lastKept !== i - 2 || text.codePointAt(scan.lastKept) !== 0x1f3f4) return -1;
  if (i + RGI_TAG_LENGTH > text.length) return -1;
  for (const lows of RGI_TAG_LOWS) {
    let k = 0;
    while (
      k < lows.length &&
      text.charCodeAt(i + 2 * k) === 0xdb40 &&
      text.charCodeAt(i + 2 * k + 1) === lows[k]
    )
      k++;
    if (k === lows.length) return i + RGI_TAG_LENGTH;
  }
  return -1;
}

// --- terminal escapes (ECMA-48 / xterm control sequences) ---

function control(scan: Scan, i: number, c: number): number {
  const text = scan.text;
  if (c === 0x0d) {
    // CR LF is a line break; any other CR returns the cursor to the start of the line, so the text after it can
    // overwrite what came before ("Transfer approved: NO\rTransfer approved: YES"). It becomes a line break.
    if (scan.modes.overwrite === undefined || text.charCodeAt(i + 1) === 0x0a) return keepAt(scan, i, i + 1);
    if (!scan.hit('overwrite', i, i + 1, 'cr', '\n')) scan.keep(i + 1);
    return i + 1;
  }
  if (c === 0x08 && scan.modes.overwrite !== undefined) {
    // Backspace moves the cursor left: a run of them rewrites the characters before it. Removed.
    return removeOrKeep(scan, 'overwrite', i, i + 1, 'bs');
  }
  if (c === 0x1b) {
    if (scan.modes.escapes === 'off') return removeOrKeep(scan, 'controls', i, i + 1);
    const n = text.charCodeAt(i + 1);
    if (n === 0x5b) return escapeSequence(scan, i, csiEnd(text, i + 2), 'csi');
    if (n === 0x5d) return escapeString(scan, i, i + 2, 'osc');
    if (n === 0x50) return escapeString(scan, i, i + 2, 'dcs');
    if (n === 0x58) return escapeString(scan, i, i + 2, 'sos');
    if (n === 0x5e) return escapeString(scan, i, i + 2, 'pm');
    if (n === 0x5f) return escapeString(scan, i, i + 2, 'apc');
    if (n >= 0x20 && n <= 0x2f) {
      // nF: intermediates then one final byte (e.g. ESC ( B, character set designation).
      let k = i + 1;
      while (k < text.length && text.charCodeAt(k) >= 0x20 && text.charCodeAt(k) <= 0x2f) k++;
      const f = text.charCodeAt(k);
      if (f >= 0x30 && f <= 0x7e) k++;
      return escapeSequence(scan, i, k, 'esc');
    }
    if (n >= 0x30 && n <= 0x7e) return escapeSequence(scan, i, i + 2, 'esc'); // ESC c (reset), ESC 7, ESC =, …
    return escapeSequence(scan, i, i + 1, 'esc');
  }
  if (scan.modes.escapes !== 'off') {
    if (c === 0x9b) return escapeSequence(scan, i, csiEnd(text, i + 1), 'csi');
    if (c === 0x9d) return escapeString(scan, i, i + 1, 'osc');
    if (c === 0x90) return escapeString(scan, i, i + 1, 'dcs');
    if (c === 0x98) return escapeString(scan, i, i + 1, 'sos');
    if (c === 0x9e) return escapeString(scan, i, i + 1, 'pm');
    if (c === 0x9f) return escapeString(scan, i, i + 1, 'apc');
  }
  return removeOrKeep(scan, 'controls', i, i + 1);
}

/** End of a CSI sequence whose parameters start at `k`: parameter bytes, intermediate bytes, one final byte. */
function csiEnd(text: string, k: number): number {
  const length = text.length;
  while (k < length) {
    const b = text.charCodeAt(k);
    if (b < 0x30 || b > 0x3f) break;
    k++;
  }
  while (k < length) {
    const b = text.charCodeAt(k);
    if (b < 0x20 || b > 0x2f) break;
    k++;
  }
  const f = text.charCodeAt(k);
  return f >= 0x40 && f <= 0x7e ? k + 1 : k;
}

function escapeSequence(scan: Scan, start: number, end: number, kind: string): number {
  return removeOrKeep(scan, 'escapes', start, end, kind);
}

/**
 * OSC / DCS / SOS / PM / APC: a string terminated by ST (ESC \ or U+009C) or, in practice, BEL. CAN/SUB cancel
 * it; any other ESC aborts it and starts a new sequence. Unterminated, only the introducer is removed (a
 * terminal would swallow the rest; keeping it visible as plain text hides nothing).
 */
function escapeString(scan: Scan, start: number, bodyStart: number, kind: string): number {
  const text = scan.text;
  let fullKind = kind;
  if (kind === 'osc') {
    if (text.startsWith('8;', bodyStart)) fullKind = 'osc-8';
    else if (text.startsWith('52;', bodyStart)) fullKind = 'osc-52';
  }
  const t = scan.terminator(bodyStart);
  if (t === -1) return removeOrKeep(scan, 'escapes', start, bodyStart, `${fullKind}-unterminated`);
  const c = text.charCodeAt(t);
  let end = t + 1;
  if (c === 0x1b) end = text.charCodeAt(t + 1) === 0x5c ? t + 2 : t;
  return removeOrKeep(scan, 'escapes', start, end, fullKind);
}
