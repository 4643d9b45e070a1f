import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeContext } from './encoding.js';
import { CRYPTO_ERROR_CODES, CryptoError } from './errors.js';
import { encodeCiphertextText, inspectCiphertext } from './format.js';
import { KeyRing } from './key-ring.js';
import { constantTimeEqual } from './sodium.js';

const contextArb = fc.dictionary(fc.string({ maxLength: 12 }), fc.string({ maxLength: 24 }), { maxKeys: 5 });

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    expect(CryptoError.isCryptoError(error)).toBe(true);
    return (error as CryptoError).code;
  }
  return undefined;
}

describe('KeyRing', () => {
  it('round-trips random plaintexts under random contexts', async () => {
    const ring = await KeyRing.generate();
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 2048 }),
        contextArb,
        fc.boolean(),
        (plaintext, context, timestamp) => {
          const ct = ring.encrypt(plaintext, { context, timestamp });
          expect(Buffer.from(ring.decrypt(ct, { context })).equals(Buffer.from(plaintext))).toBe(true);
          expect(
            Buffer.from(ring.decrypt(encodeCiphertextText(ct), { context })).equals(Buffer.from(plaintext)),
          ).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('round-trips any Unicode string', async () => {
    const ring = await KeyRing.generate();
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (text) => {
        expect(ring.decryptString(ring.encrypt(text))).toBe(text);
      }),
    );
  });

  it('fails on every single-bit flip of a ciphertext', async () => {
    const ring = await KeyRing.generate('k1');
    const context = { record: 'r1', field: 'secret' };
    for (const timestamp of [true, false]) {
      const ct = ring.encrypt('top secret value', { context, timestamp });
      for (let bit = 0; bit < ct.length * 8; bit++) {
        const flipped = Uint8Array.from(ct);
        flipped[bit >> 3]! ^= 1 << (bit & 7);
        expect(codeOf(() => ring.decrypt(flipped, { context }))).toMatch(/^CRYPTO_/);
      }
    }
  });

  it('fails for any other context (ciphertexts cannot move between records or fields)', async () => {
    const ring = await KeyRing.generate();
    fc.assert(
      fc.property(contextArb, contextArb, fc.string(), (a, b, plaintext) => {
        fc.pre(Buffer.compare(Buffer.from(encodeContext(a)), Buffer.from(encodeContext(b))) !== 0);
        const ct = ring.encrypt(plaintext, { context: a });
        expect(codeOf(() => ring.decrypt(ct, { context: b }))).toBe(CRYPTO_ERROR_CODES.DECRYPT_FAILED);
      }),
      { numRuns: 200 },
    );
  });

  it('encodes contexts injectively: {a:"b"} and {ab:""} differ, key order does not matter', () => {
    const enc = (c: Record<string, string>) => Buffer.from(encodeContext(c)).toString('hex');
    expect(enc({ a: 'b' })).not.toBe(enc({ ab: '' }));
    expect(enc({ a: '', b: '' })).not.toBe(enc({ a: 'b' }));
    expect(enc({ x: '1', y: '2' })).toBe(enc({ y: '2', x: '1' }));
    expect(enc({})).toBe(Buffer.from(encodeContext(undefined)).toString('hex'));
    fc.assert(
      fc.property(contextArb, contextArb, (a, b) => {
        const same = JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());
        expect(enc(a) === enc(b)).toBe(same);
      }),
      { numRuns: 500 },
    );
    expect(() => encodeContext({ a: '\uD800' })).toThrow(
      expect.objectContaining({ code: CRYPTO_ERROR_CODES.INVALID_CONTEXT }),
    );
    expect(() => encodeContext({ a: 1 as unknown as string })).toThrow(CryptoError);
  });

  it('fails with a wrong key of the same id, and names unknown keys', async () => {
    const a = await KeyRing.generate('same');
    const b = await KeyRing.generate('same');
    const other = await KeyRing.generate('other');
    const ct = a.encrypt('x');
    expect(codeOf(() => b.decrypt(ct))).toBe(CRYPTO_ERROR_CODES.DECRYPT_FAILED);
    expect(codeOf(() => other.decrypt(ct))).toBe(CRYPTO_ERROR_CODES.UNKNOWN_KEY);
  });

  it('decrypts with every key and encrypts with the primary; rotate moves values to the primary', async () => {
    const ring = await KeyRing.generate('old');
    const context = { record: '7' };
    const old = ring.encrypt('value', { context, timestamp: 1_000 });
    ring.generateKey({ id: 'new' });
    expect(ring.primaryId).toBe('new');
    expect(ring.needsRotation(old)).toBe(true);
    expect(ring.decryptString(old, { context })).toBe('value');
    const rotated = ring.rotate(old, { context });
    expect(inspectCiphertext(rotated)).toMatchObject({ keyId: 'new', createdAt: new Date(1_000_000) });
    expect(ring.needsRotation(rotated)).toBe(false);
    expect(ring.rotate(rotated, { context })).toBe(rotated); // already current: unchanged
    ring.remove('old');
    expect(ring.decryptString(rotated, { context })).toBe('value');
    expect(codeOf(() => ring.decrypt(old, { context }))).toBe(CRYPTO_ERROR_CODES.UNKNOWN_KEY);
    expect(codeOf(() => ring.rotate(old, { context: { record: '8' } }))).toBe(CRYPTO_ERROR_CODES.UNKNOWN_KEY);
    expect(() => ring.remove('new')).toThrow(CryptoError);
  });

  it('does not rotate a tampered value even when it claims the primary key', async () => {
    const ring = await KeyRing.generate();
    const ct = ring.encrypt('v');
    ct[ct.length - 1]! ^= 1;
    expect(codeOf(() => ring.rotate(ct))).toBe(CRYPTO_ERROR_CODES.DECRYPT_FAILED);
  });

  it('checks TTLs after authentication, like Fernet', async () => {
    const ring = await KeyRing.generate();
    const ct = ring.encrypt('v', { timestamp: 1_000 });
    expect(ring.decryptString(ct, { ttlSeconds: 60, now: 1_050 })).toBe('v');
    expect(codeOf(() => ring.decrypt(ct, { ttlSeconds: 60, now: 1_061 }))).toBe(CRYPTO_ERROR_CODES.EXPIRED);
    expect(codeOf(() => ring.decrypt(ct, { ttlSeconds: 60, now: 900 }))).toBe(CRYPTO_ERROR_CODES.EXPIRED);
    expect(codeOf(() => ring.decrypt(ring.encrypt('v', { timestamp: false }), { ttlSeconds: 60 }))).toBe(
      CRYPTO_ERROR_CODES.NO_TIMESTAMP,
    );
  });

  it('never shows key material when printed, serialised or in errors', async () => {
    const ring = await KeyRing.create();
    const key = new Uint8Array(32).fill(0xab);
    ring.add('k', key);
    const keyHex = Buffer.from(key).toString('hex');
    const keyB64 = Buffer.from(key).toString('base64');
    const shown = [inspect(ring, { showHidden: true, depth: 5 }), JSON.stringify(ring), String(ring)];
    let error: unknown;
    try {
      ring.decrypt(ring.encrypt('plain-secret-text', { context: { a: '1' } }), { context: { a: '2' } });
    } catch (e) {
      error = e;
    }
    shown.push(inspect(error, { depth: 5 }), JSON.stringify(error));
    for (const s of shown) {
      expect(s).not.toContain(keyHex);
      expect(s).not.toContain(keyB64);
      expect(s).not.toContain('plain-secret-text');
    }
  });

  it('validates keys and ids; destroy() makes the ring unusable', async () => {
    const ring = await KeyRing.create();
    expect(() => ring.encrypt('x')).toThrow(CryptoError);
    expect(() => ring.add('bad id', new Uint8Array(32))).toThrow(CryptoError);
    expect(() => ring.add('short', new Uint8Array(16))).toThrow(CryptoError);
    ring.add('k', new Uint8Array(32));
    expect(() => ring.add('k', new Uint8Array(32))).toThrow(CryptoError);
    ring.destroy();
    expect(() => ring.encrypt('x')).toThrow();
  });

  it('compares byte strings in constant time, including unequal lengths', async () => {
    await KeyRing.create(); // loads libsodium
    expect(constantTimeEqual(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 3))).toBe(true);
    expect(constantTimeEqual(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 4))).toBe(false);
    expect(constantTimeEqual(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2))).toBe(false);
    expect(constantTimeEqual(new Uint8Array(0), new Uint8Array(0))).toBe(true);
  });
});
