import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sanitizeText, sanitizeValue } from './engine.js';
import { compileRules } from './rules.js';
import { gen, k } from './test-helpers.js';

/** Pieces that exercise every rule's edges: escapes, invisibles, joiners in and out of context, secrets. */
const PIECES = [
  'a',
  'Z',
  '0',
  ' ',
  '\n',
  '\t',
  '\r',
  ';',
  ':',
  '=',
  '"',
  "'",
  '-',
  '_',
  '.',
  '/',
  '\\',
  '[',
  ']',
  '@',
  '<',
  '>',
  '\x1b',
  '\x1b[',
  '\x1b]',
  '\x1b]8;;',
  '\x1b]52;c;',
  '\x1b\\',
  '\x07',
  '\x9b',
  '\x9d',
  '\x9c',
  '\x00',
  '\x7f',
  '\x85',
  '\u200b',
  '\u200c',
  '\u200d',
  '\u2060',
  '\ufeff',
  '\u202e',
  '\u2066',
  '\u2069',
  '\u200f',
  '\u00ad',
  '\ufe0f',
  '\ufe0e',
  '\ufe00',
  '\u{e0100}',
  '\u{e01ef}',
  '\u{e0001}',
  '\u{e0041}',
  '\u{e0067}',
  '\u{e0062}',
  '\u{e007f}',
  '\u{1f3f4}',
  '👩',
  '💻',
  '❤',
  '🏽',
  '1',
  '#',
  'م',
  'ی',
  'क',
  '्',
  'ष',
  '葛',
  '\ud800',
  '\udc00',
  'password=',
  'token: ',
  'Bearer ',
  k('gh', 'p_'),
  gen(36),
  k('AKI', 'A'),
  'IOSFODNN7EXAMPLE',
  'eyJ',
  'postgres://u:',
  'p4ss!W0rd',
  '-----BEGIN PRIVATE KEY-----',
  '-----END PRIVATE KEY-----',
  '<!--',
  '-->',
  '[REDACTED:jwt]',
];
const piece = fc.constantFrom(...PIECES);
const text = fc.oneof(
  fc.array(piece, { maxLength: 60 }).map((p) => p.join('')),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
);

const FORBIDDEN = /[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F\u202A-\u202E\u2066-\u2069]/;
/** An RGI emoji tag sequence (England, Scotland, Wales) is the only place tag characters may remain. */
const FLAG_SEQUENCE =
  /\u{1F3F4}(?:\u{E0067}\u{E0062}(?:\u{E0065}\u{E006E}\u{E0067}|\u{E0073}\u{E0063}\u{E0074}|\u{E0077}\u{E006C}\u{E0073}))\u{E007F}/gu;
const TAG = /[\u{E0000}-\u{E007F}]/u;
const MARKER = /\[REDACTED:[a-z0-9-]{1,40}\]/g;

const rules = compileRules();
const withPii = compileRules([{ pii: 'enforce' }]);

describe('sanitizeText properties', () => {
  it('never throws, and the output is idempotent', () => {
    fc.assert(
      fc.property(text, (input) => {
        for (const r of [rules, withPii]) {
          const once = sanitizeText(input, r).text;
          expect(sanitizeText(once, r).text).toBe(once);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('never grows the output beyond the redaction markers', () => {
    fc.assert(
      fc.property(text, (input) => {
        const out = sanitizeText(input, withPii).text;
        const newMarkers =
          (out.match(MARKER) ?? []).join('').length - (input.match(MARKER) ?? []).join('').length;
        expect(out.length).toBeLessThanOrEqual(input.length + Math.max(0, newMarkers));
        if (newMarkers <= 0) expect(out.length).toBeLessThanOrEqual(input.length);
      }),
      { numRuns: 1000 },
    );
  });

  it('never leaves a tag (outside an RGI flag), bidi control, escape, bare CR or C0/C1 control behind', () => {
    fc.assert(
      fc.property(text, (input) => {
        const out = sanitizeText(input, rules).text;
        expect(FORBIDDEN.test(out)).toBe(false);
        expect(/\r(?!\n)/.test(out)).toBe(false); // terminal-overwrite: no bare CR
        expect(TAG.test(out.replace(FLAG_SEQUENCE, ''))).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });

  it('leaves text without candidates untouched (the same string)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z ,.!?]{0,200}$/), (input) => {
        expect(sanitizeText(input, rules).text).toBe(input);
      }),
    );
  });
});

describe('sanitizeValue properties', () => {
  it('never throws on any JSON value, is idempotent, keeps the shape', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), text, (value, extra) => {
        const input = { value, extra, list: [extra, { nested: extra }] };
        const once = sanitizeValue(input, rules).value;
        expect(sanitizeValue(once, rules).value).toEqual(once);
        expect(Object.keys(once)).toEqual(Object.keys(input));
        expect(once.list).toHaveLength(2);
      }),
      { numRuns: 500 },
    );
  });
});
