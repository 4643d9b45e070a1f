import { createHmac, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { digestsEqual, PepperRing } from './pepper.js';

/** Any UTF-16 string, lone surrogates included (they become U+FFFD in UTF-8, as with createHmac). */
const anyString = (maxLength: number) =>
  fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength }).map((units) => String.fromCharCode(...units));

const reference = (secret: Uint8Array, message: string) =>
  createHmac('sha256', secret).update(message, 'utf8').digest('base64url');

describe('PepperRing.hash', () => {
  it('is HMAC-SHA256 exactly as createHmac computes it, for any pepper and input', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 150 }), // below, at and above SHA-256's 64-byte block
        anyString(300), // past the one-shot limit (256) too
        (secret, message) => {
          const ring = new PepperRing([{ id: 'p', secret }]);
          expect(ring.hash(message)).toBe(reference(secret, message));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('gives the same digest whatever was hashed before', () => {
    const secret = randomBytes(32);
    const ring = new PepperRing([{ id: 'p', secret }]);
    fc.assert(
      fc.property(fc.array(anyString(80), { minLength: 1, maxLength: 20 }), (messages) => {
        for (const message of messages) expect(ring.hash(message)).toBe(reference(secret, message));
      }),
    );
  });

  it('uses a string pepper as its UTF-8 bytes and keeps peppers apart', () => {
    const text = 'ü'.repeat(20); // 40 UTF-8 bytes
    const ring = new PepperRing([
      { id: 'a', secret: text },
      { id: 'b', secret: randomBytes(32) },
    ]);
    expect(ring.hash('k', 'a')).toBe(reference(Buffer.from(text, 'utf8'), 'k'));
    expect(ring.hash('k', 'a')).not.toBe(ring.hash('k', 'b'));
    expect(ring.hash('k')).toBe(ring.hash('k', 'a'));
    expect(() => ring.hash('k', 'c')).toThrow('Unknown pepper id "c"');
  });
});

describe('digestsEqual', () => {
  it('is true exactly for equal strings, digests and other lengths alike', () => {
    const digest = fc.string({ unit: fc.constantFrom(...'ABCxyz019-_'), minLength: 43, maxLength: 43 });
    fc.assert(
      fc.property(fc.oneof(digest, anyString(50)), fc.oneof(digest, anyString(50)), (a, b) => {
        expect(digestsEqual(a, b)).toBe(a === b);
        expect(digestsEqual(a, a)).toBe(true);
      }),
    );
  });

  it('does not mistake characters whose latin1 bytes collide', () => {
    const a = 'A'.repeat(42) + 'A';
    const b = 'A'.repeat(42) + String.fromCharCode(0x141); // low byte 0x41 = 'A'
    expect(digestsEqual(a, b)).toBe(false);
    expect(digestsEqual(a.slice(1), b.slice(1))).toBe(false);
  });
});
