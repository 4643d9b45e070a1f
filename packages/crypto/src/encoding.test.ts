import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { contextBytes, encodeContext, fromBase64Url } from './encoding.js';
import { CryptoError } from './errors.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** The encoder as it was before the one-pass rewrite: the reference every new encoding must equal. */
function referenceEncodeContext(context: unknown): Uint8Array {
  const fail = (message: string) => new CryptoError('CRYPTO_INVALID_CONTEXT', message);
  if (context !== undefined && (typeof context !== 'object' || context === null || Array.isArray(context))) {
    throw fail('The encryption context must be an object of strings.');
  }
  const entries = Object.entries((context as Record<string, unknown>) ?? {});
  if (entries.length > 64) throw fail('The encryption context has more than 64 entries.');
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const u32 = (n: number) => {
    const out = Buffer.alloc(4);
    out.writeUInt32BE(n);
    return out;
  };
  const parts: Uint8Array[] = [Buffer.from('mcpw-ctx1'), u32(entries.length)];
  let size = 0;
  for (const [key, value] of entries) {
    if (typeof value !== 'string')
      throw fail(`The encryption context entry "${key.slice(0, 64)}" must be a string.`);
    if (/[\uD800-\uDFFF]/u.test(key) || /[\uD800-\uDFFF]/u.test(value)) {
      throw fail('The encryption context contains malformed Unicode.');
    }
    const k = new TextEncoder().encode(key);
    const v = new TextEncoder().encode(value);
    size += k.length + v.length;
    parts.push(u32(k.length), k, u32(v.length), v);
  }
  if (size > 16 * 1024) throw fail('The encryption context is larger than 16384 bytes.');
  return Buffer.concat(parts);
}

function outcome(fn: () => Uint8Array): string {
  try {
    return hex(fn());
  } catch (error) {
    return `${(error as CryptoError).code}: ${(error as Error).message}`;
  }
}

const text = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }), // includes lone surrogates
  fc.constantFrom('', 'é', '\uD800', 'a\uDC00b', '😀', '\u0080'),
);

describe('encodeContext', () => {
  it('equals the reference encoder on any context, errors included (same code and message)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.dictionary(text, text, { maxKeys: 8 }),
          fc.dictionary(fc.string({ maxLength: 4 }), fc.oneof(text, fc.integer(), fc.constant(null)), {
            maxKeys: 4,
          }),
          fc.dictionary(fc.string({ maxLength: 3 }), fc.constant('v'), { minKeys: 60, maxKeys: 70 }),
          // Around the 16 KiB limit, ASCII and multi-byte.
          fc
            .tuple(
              fc.integer({ min: 16_370, max: 16_400 }),
              fc.constantFrom('a', 'é', '😀'),
              fc.string({ maxLength: 3 }),
            )
            .map(([n, c, key]) => ({ [key]: c.repeat(Math.ceil(n / Buffer.byteLength(c))) })),
          fc
            .tuple(fc.integer({ min: 8_180, max: 8_200 }), fc.constantFrom('\uD800', 'x'))
            .map(([n, tail]) => ({ a: 'x'.repeat(n), b: 'y'.repeat(n), c: tail })),
          fc.constantFrom(undefined, null, 'text', 42, [], ['a']),
        ),
        (context) => {
          expect(outcome(() => encodeContext(context as never))).toBe(
            outcome(() => referenceEncodeContext(context)),
          );
        },
      ),
      { numRuns: 600 },
    );
  });

  it('returns a fresh copy each time (the shared, cached bytes cannot be changed from outside)', () => {
    const ctx = Object.freeze({ a: 'b' });
    const one = encodeContext(ctx);
    one.fill(0);
    expect(hex(encodeContext(ctx))).toBe(hex(referenceEncodeContext(ctx)));
    expect(hex(contextBytes(ctx))).toBe(hex(referenceEncodeContext(ctx)));
  });

  it('never serves a stale encoding: unfrozen objects and getters are re-read on every call', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.string({ maxLength: 4 }), fc.string({ maxLength: 6 })), { maxLength: 6 }),
        (edits) => {
          const mutable: Record<string, string> = {};
          let n = 0;
          const frozenGetter = Object.freeze(
            Object.defineProperty({}, 'g', { enumerable: true, get: () => String(n) }),
          ) as Record<string, string>;
          for (const [k, v] of edits) {
            mutable[k] = v;
            n++;
            expect(hex(contextBytes(mutable))).toBe(hex(referenceEncodeContext(mutable)));
            expect(hex(contextBytes(frozenGetter))).toBe(hex(referenceEncodeContext({ g: String(n) })));
          }
        },
      ),
    );
  });

  it('a getter that alternates values is encoded from what it returned this time', () => {
    let flips = 0;
    const ctx = Object.defineProperty({}, 'g', { enumerable: true, get: () => (flips++ % 2 ? 'b' : 'a') });
    for (let i = 0; i < 6; i++) {
      const seen = flips % 2 ? 'b' : 'a';
      expect(hex(contextBytes(ctx as Record<string, string>))).toBe(hex(referenceEncodeContext({ g: seen })));
    }
    // Each call read the getter exactly once.
    expect(flips).toBe(6);
  });
});

/** The earlier decoder: decode, then re-encode and compare (canonical only). */
function referenceFromBase64Url(s: string): string | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1) return undefined;
  const bytes = Buffer.from(s, 'base64url');
  return bytes.toString('base64url') === s ? bytes.toString('hex') : undefined;
}

describe('fromBase64Url', () => {
  it('accepts and refuses exactly what decode-then-re-encode did', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: fc.constantFrom(...alphabet), maxLength: 40 }),
          fc.string({ unit: fc.constantFrom(...alphabet, '+', '/', '=', ' ', '\n', '.'), maxLength: 12 }),
          fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('base64url')),
          fc.string({ maxLength: 12 }),
        ),
        (s) => {
          const got = fromBase64Url(s);
          expect(got === undefined ? undefined : hex(got)).toBe(referenceFromBase64Url(s));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
