import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ControlScanModes, scanControls, VIRAMA } from './control-scan.js';
import { sanitizeText } from './engine.js';
import { FindingCollector } from './findings.js';
import { compileRules } from './rules.js';

const ZWJ = '\u200D';
const ZWNJ = '\u200C';
const ENFORCE: ControlScanModes = {
  tags: 'enforce',
  bidi: 'enforce',
  invisible: 'enforce',
  variation: 'enforce',
  escapes: 'enforce',
  controls: 'enforce',
  overwrite: 'enforce',
};

function scan(text: string) {
  const sink = new FindingCollector();
  const out = scanControls(text, ENFORCE, sink);
  return { out, invisible: sink.counts().find((c) => c.rule === 'invisible-chars')?.count ?? 0 };
}

const benignPath = new URL('./testdata/benign-joiners.txt', import.meta.url);

describe('benign joiners: ZWJ/ZWNJ in Brahmic scripts (package test data)', () => {
  const lines = readFileSync(benignPath, 'utf8').split('\n').filter(Boolean);

  it('has a real word with a joiner for every listed script', () => {
    for (const script of [
      'Malayalam',
      'Hindi',
      'Bengali',
      'Sinhala',
      'Kannada',
      'Telugu',
      'Tamil',
      'Gujarati',
      'Oriya',
      'Gurmukhi',
    ]) {
      expect(
        lines.some((l) => l.startsWith(script)),
        script,
      ).toBe(true);
    }
    for (const line of lines) expect(/[\u200C\u200D]/.test(line), line).toBe(true);
  });

  it('comes through the default output and input rules byte for byte, with no finding', () => {
    for (const rules of [compileRules(), compileRules([{ secrets: 'enforce' }], { direction: 'input' })]) {
      for (const line of lines) {
        const result = sanitizeText(line, rules);
        expect(Buffer.from(result.text).equals(Buffer.from(line)), line).toBe(true);
        expect(result.counts, line).toEqual([]);
      }
    }
    const whole = readFileSync(benignPath, 'utf8');
    expect(sanitizeText(whole).text).toBe(whole);
    expect(sanitizeText(whole.replaceAll('\n', '\r\n')).counts).toEqual([]);
  });
});

describe('joiners next to a virama are kept', () => {
  it('a Malayalam chillu before a space, punctuation, LF, CRLF and at the end of the text', () => {
    for (const after of ['', ' ', '.', '\n', '\r\n', ' x', '\t']) {
      const text = `അവന്${ZWJ}${after}`;
      expect(scan(text).out, JSON.stringify(after)).toBe(text);
    }
  });

  it('after every virama of the table (ZWJ and ZWNJ, before a letter and at the end)', () => {
    for (const v of VIRAMA) {
      for (const j of [ZWJ, ZWNJ]) {
        for (const after of ['', 'ക', ' ']) {
          const text = `ക${String.fromCodePoint(v)}${j}${after}`;
          expect(scan(text).out, v.toString(16)).toBe(text);
        }
      }
    }
  });

  it('Myanmar, Khmer, Balinese, Javanese, Tibetan and Thai viramas', () => {
    for (const t of [
      `င်${ZWJ}`, // Myanmar asat
      `က္${ZWJ}က`, // Myanmar virama
      `ក្${ZWNJ}ក`, // Khmer coeng
      `ᬓ᭄${ZWJ}ᬓ`, // Balinese adeg adeg
      `ꦏ꧀${ZWNJ}ꦏ`, // Javanese pangkon
      `ཀ྄${ZWJ}`, // Tibetan halanta
      `กฺ${ZWNJ}`, // Thai phinthu
    ])
      expect(scan(t).out).toBe(t);
  });

  it('ZWJ between a letter and a virama (Bengali ya-phalaa, Sinhala touching letters, Kannada/Telugu ra)', () => {
    for (const t of [`র${ZWJ}্য`, `ක${ZWJ}්ව`, `ರ${ZWJ}್ಯ`, `ర${ZWJ}్య`, `र${ZWJ}्य`]) expect(scan(t).out).toBe(t);
  });
});

describe('joiners anywhere else are still removed and reported', () => {
  it('a table of misuses', () => {
    const cases: [string, string][] = [
      [`pass${ZWJ}word`, 'password'],
      [`pass${ZWNJ}word`, 'password'],
      [`क${ZWJ}ख`, 'कख'], // Devanagari letters without a virama
      [`ക${ZWNJ}ള`, 'കള'],
      [`ශ${ZWJ}ර`, 'ශර'],
      [`র${ZWNJ}্য`, 'র্য'], // ZWNJ before a virama: no meaning
      [`${ZWJ}क्ष`, 'क्ष'], // at the start
      [`क्${ZWJ}${ZWJ}${ZWNJ}ष`, `क्${ZWNJ}ष`], // a run collapses to its last joiner
      [`क्${ZWJ}\u200Bष`, 'क्ष'], // the right neighbour is removed too
      [`क्ष${ZWJ}`, 'क्ष'], // after a consonant, at the end
      [`a${ZWJ}্য`, 'a্য'], // a Latin letter before a Bengali virama
      [`क${ZWJ}্য`, 'क্য'], // a Devanagari letter before a Bengali virama
      [`1${ZWJ}2`, '12'],
    ];
    for (const [input, expected] of cases) {
      const r = scan(input);
      expect(r.out, JSON.stringify(input)).toBe(expected);
      expect(r.invisible, JSON.stringify(input)).toBeGreaterThan(0);
    }
  });

  it('ZWJ/ZWNJ inserted between random ASCII letters: every one stripped and counted', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.stringMatching(/^[A-Za-z]{1,6}$/), fc.constantFrom(ZWJ, ZWNJ)), {
          minLength: 1,
          maxLength: 30,
        }),
        fc.stringMatching(/^[A-Za-z]{1,6}$/),
        (parts, last) => {
          const text = parts.map(([w, j]) => `${w}${j}`).join('') + last;
          const plain = parts.map(([w]) => w).join('') + last;
          const result = sanitizeText(text);
          expect(result.text).toBe(plain);
          expect(result.counts).toEqual([
            expect.objectContaining({ rule: 'invisible-chars', count: parts.length, enforced: true }),
          ]);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('a binary message in ZWJ/ZWNJ runs, in Latin or Brahmic text: only joiners touching a visible virama survive, never two in a row', () => {
    const letters = fc.constantFrom('a', 'Z', 'क', 'ष', 'ന', 'ര', 'ශ', 'ক', ' ', '्', '്', '්', '্');
    const bits = fc.array(fc.constantFrom(ZWJ, ZWNJ), { minLength: 1, maxLength: 16 }).map((b) => b.join(''));
    fc.assert(
      fc.property(fc.array(fc.tuple(letters, bits), { minLength: 1, maxLength: 20 }), (parts) => {
        const text = parts.map(([l, b]) => `${l}${b}`).join('');
        const out = sanitizeText(text).text;
        // Every joiner left touches a virama: after it, or (ZWJ) between a letter of its block and it.
        const cps = [...out];
        cps.forEach((c, k) => {
          if (c !== ZWJ && c !== ZWNJ) return;
          const before = VIRAMA.has(cps[k - 1]?.codePointAt(0) ?? 0);
          const after = c === ZWJ && VIRAMA.has(cps[k + 1]?.codePointAt(0) ?? 0);
          expect(before || after, JSON.stringify(out)).toBe(true);
        });
        if (!parts.some(([l]) => VIRAMA.has(l.codePointAt(0) ?? 0)))
          expect(cps.includes(ZWJ) || cps.includes(ZWNJ)).toBe(false);
        expect(/[\u200C\u200D]{2}/.test(out)).toBe(false);
        expect(sanitizeText(out).text).toBe(out);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('the virama table', () => {
  /**
   * Canonical_Combining_Class=9 as the runtime's normalizer knows it: NFD sorts adjacent marks by combining class, so
   * X has class 9 exactly when it moves after a class-8 mark (U+3099) that follows it and before a class-10 mark
   * (U+05B0) that precedes it.
   */
  function runtimeViramas(): Set<number> {
    const found = new Set<number>();
    for (let cp = 0x300; cp <= 0x10ffff; cp++) {
      if ((cp >= 0xd800 && cp <= 0xdfff) || cp === 0x3099 || cp === 0x05b0) continue;
      const x = String.fromCodePoint(cp);
      if (`a${x}\u3099`.normalize('NFD') !== `a\u3099${x}`) continue;
      if (`a\u05B0${x}`.normalize('NFD') !== `a${x}\u05B0`) continue;
      found.add(cp);
    }
    return found;
  }

  it('is exactly Canonical_Combining_Class=9 of the runtime (entries newer than its Unicode may be unassigned there)', () => {
    const runtime = runtimeViramas();
    expect(VIRAMA.size).toBe(69);
    for (const cp of runtime) expect(VIRAMA.has(cp), cp.toString(16)).toBe(true);
    for (const cp of VIRAMA) {
      const known = runtime.has(cp) || /\p{Cn}/u.test(String.fromCodePoint(cp));
      expect(known, cp.toString(16)).toBe(true);
    }
  });
});
