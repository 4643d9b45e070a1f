import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  API_KEY_BODY_LENGTH,
  API_KEY_PATTERN,
  apiKeyLength,
  apiKeyPattern,
  BASE62_ALPHABET,
  checksumOf,
  crc32Ascii,
  generateApiKey,
  isWellFormedApiKey,
  parseApiKey,
  randomBase62,
} from './key-format.js';

describe('CRC-32', () => {
  it('equals zlib.crc32 for any ASCII text, whole or a leading part', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary-ascii', maxLength: 100 }), fc.nat(), (text, cut) => {
        const end = text.length === 0 ? 0 : cut % (text.length + 1);
        expect(crc32Ascii(text)).toBe(crc32(text));
        expect(crc32Ascii(text, end)).toBe(crc32(text.slice(0, end)));
      }),
    );
    expect(crc32Ascii('123456789')).toBe(0xcbf43926); // the standard check value
  });

  it('is what the checksum of a key encodes', () => {
    const key = generateApiKey();
    const head = key.slice(0, -6);
    let n = crc32(head);
    let expected = '';
    for (let i = 0; i < 6; i++, n = Math.floor(n / 62)) expected = BASE62_ALPHABET[n % 62] + expected;
    expect(checksumOf(head)).toBe(expected);
    expect(key.slice(-6)).toBe(expected);
  });
});

describe('key format', () => {
  it('issues prefixed base62 keys of a fixed length that parse', () => {
    const key = generateApiKey();
    expect(key).toMatch(/^mcpw_[0-9A-Za-z]{38}$/);
    expect(key).toHaveLength(apiKeyLength());
    const parsed = parseApiKey(key);
    expect(parsed.ok).toBe(true);
    if (parsed.ok) {
      expect(parsed.body).toHaveLength(API_KEY_BODY_LENGTH);
      expect(parsed.displayPrefix).toBe(key.slice(0, 9));
    }
  });

  it('supports a custom prefix and refuses keys of another prefix', () => {
    const key = generateApiKey('acme');
    expect(parseApiKey(key, 'acme').ok).toBe(true);
    expect(parseApiKey(key, 'mcpw')).toEqual({ ok: false, problem: 'prefix' });
    expect(parseApiKey(generateApiKey('acmecorp'), 'mcpw')).toEqual({ ok: false, problem: 'length' });
    expect(() => generateApiKey('Bad_Prefix')).toThrow(TypeError);
  });

  it('names what is wrong with a malformed key', () => {
    const key = generateApiKey();
    expect(parseApiKey('')).toEqual({ ok: false, problem: 'length' });
    expect(parseApiKey(`${key}x`)).toEqual({ ok: false, problem: 'length' });
    expect(parseApiKey(`xxxx${key.slice(4)}`)).toEqual({ ok: false, problem: 'prefix' });
    expect(parseApiKey(`${key.slice(0, 10)}-${key.slice(11)}`)).toEqual({ ok: false, problem: 'charset' });
    expect(parseApiKey(`${key.slice(0, 10)}é${key.slice(11)}`)).toEqual({ ok: false, problem: 'charset' });
    const other = key[10] === 'a' ? 'b' : 'a';
    expect(parseApiKey(`${key.slice(0, 10)}${other}${key.slice(11)}`)).toEqual({
      ok: false,
      problem: 'checksum',
    });
  });

  it('draws body characters from the whole alphabet', () => {
    const seen = new Set(randomBase62(5000));
    expect(seen.size).toBe(BASE62_ALPHABET.length);
  });

  it('documents a scanner regex that finds keys in text', () => {
    const key = generateApiKey();
    const text = `config: token=${key}\nother: mcpw_short and ${generateApiKey('acme')}`;
    expect(API_KEY_PATTERN.test(text)).toBe(true);
    const found = [...text.matchAll(apiKeyPattern('mcpw', 'g'))].map((m) => m[0]);
    expect(found).toEqual([key]);
    expect(found.every((k) => isWellFormedApiKey(k))).toBe(true);
  });

  it('property: the checksum rejects every single-character change of an issued key', () => {
    const printable = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: apiKeyLength() - 1 }), printable, (position, replacement) => {
        const key = generateApiKey();
        fc.pre(key[position] !== replacement);
        const changed = key.slice(0, position) + replacement + key.slice(position + 1);
        expect(parseApiKey(changed).ok).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('exhaustively: every base62 substitution at every position of one key fails the checksum', () => {
    const key = generateApiKey();
    for (let position = 5; position < key.length; position++) {
      for (const ch of BASE62_ALPHABET) {
        if (ch === key[position]) continue;
        expect(parseApiKey(key.slice(0, position) + ch + key.slice(position + 1))).toEqual({
          ok: false,
          problem: 'checksum',
        });
      }
    }
  });

  it('property: arbitrary strings, including key-shaped ones, are not well-formed', () => {
    const base62Char = fc.constantFrom(...BASE62_ALPHABET);
    const keyShaped = fc.string({ unit: base62Char, minLength: 38, maxLength: 38 }).map((s) => `mcpw_${s}`);
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: 'grapheme', maxLength: 60 }), keyShaped),
        (candidate) => {
          expect(isWellFormedApiKey(candidate)).toBe(false);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
