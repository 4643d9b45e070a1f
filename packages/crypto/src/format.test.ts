import { createCipheriv } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeContext } from './encoding.js';
import { CRYPTO_ERROR_CODES, CryptoError } from './errors.js';
import {
  buildFixedHeader,
  ciphertextBytes,
  encodeCiphertextText,
  inspectCiphertext,
  isCiphertextText,
  parseCiphertext,
} from './format.js';
import { KeyRing, sealWithNonce } from './key-ring.js';
import { loadSodium, type Sodium } from './sodium.js';

let sodium: Sodium;
beforeAll(async () => {
  sodium = await loadSodium();
});

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const fromHex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));

// HChaCha20 (draft-irtf-cfrg-xchacha-03 §2.2), written out here so the known-answer test does not trust libsodium.
function hchacha20(key: Uint8Array, nonce16: Uint8Array): Uint8Array {
  const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
  const s = new Uint32Array(16);
  s.set([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]);
  for (let i = 0; i < 8; i++) s[4 + i] = dv(key).getUint32(i * 4, true);
  for (let i = 0; i < 4; i++) s[12 + i] = dv(nonce16).getUint32(i * 4, true);
  const rotl = (v: number, n: number) => ((v << n) | (v >>> (32 - n))) >>> 0;
  const qr = (a: number, b: number, c: number, d: number) => {
    s[a] = (s[a]! + s[b]!) >>> 0;
    s[d] = rotl(s[d]! ^ s[a]!, 16);
    s[c] = (s[c]! + s[d]!) >>> 0;
    s[b] = rotl(s[b]! ^ s[c]!, 12);
    s[a] = (s[a]! + s[b]!) >>> 0;
    s[d] = rotl(s[d]! ^ s[a]!, 8);
    s[c] = (s[c]! + s[d]!) >>> 0;
    s[b] = rotl(s[b]! ^ s[c]!, 7);
  };
  for (let i = 0; i < 10; i++) {
    qr(0, 4, 8, 12);
    qr(1, 5, 9, 13);
    qr(2, 6, 10, 14);
    qr(3, 7, 11, 15);
    qr(0, 5, 10, 15);
    qr(1, 6, 11, 12);
    qr(2, 7, 8, 13);
    qr(3, 4, 9, 14);
  }
  const out = new Uint8Array(32);
  for (const [i, w] of [0, 1, 2, 3, 12, 13, 14, 15].entries()) dv(out).setUint32(i * 4, s[w]!, true);
  return out;
}

/** XChaCha20-Poly1305-IETF from node:crypto's ChaCha20-Poly1305 (RFC 8439) and the HChaCha20 above. */
function referenceXChaCha(
  key: Uint8Array,
  nonce: Uint8Array,
  ad: Uint8Array,
  plaintext: Uint8Array,
): Uint8Array {
  const subkey = hchacha20(key, nonce.subarray(0, 16));
  const nonce12 = new Uint8Array(12);
  nonce12.set(nonce.subarray(16), 4);
  const c = createCipheriv('chacha20-poly1305', subkey, nonce12, { authTagLength: 16 });
  c.setAAD(ad, { plaintextLength: plaintext.length });
  return new Uint8Array(Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]));
}

describe('known answers', () => {
  it('HChaCha20 matches the draft-irtf-cfrg-xchacha test vector', () => {
    const key = Uint8Array.from({ length: 32 }, (_, i) => i);
    const nonce = fromHex('000000090000004a0000000031415927');
    expect(hex(hchacha20(key, nonce))).toBe(
      '82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc',
    );
  });

  const key = Uint8Array.from({ length: 32 }, (_, i) => 0x80 + i);
  const nonce = Uint8Array.from({ length: 24 }, (_, i) => 0x40 + i);
  const context = { tenant: 'acme', record: 'note:42', field: 'body' };

  it('seals a fixed key, nonce, time and context to fixed bytes', () => {
    const header = buildFixedHeader('k1', 1_700_000_000, false);
    const ct = sealWithNonce(sodium, key, header, nonce, 'attack at dawn', encodeContext(context));
    expect(hex(header)).toBe('4d5701010' + '2' + '6b31' + '000000006553f100');
    const ad = new Uint8Array([...header, ...encodeContext(context)]);
    const body = referenceXChaCha(key, nonce, ad, new TextEncoder().encode('attack at dawn'));
    expect(hex(ct)).toBe(hex(header) + hex(nonce) + hex(body));
    expect(encodeCiphertextText(ct)).toBe(
      'mcpw1.TVcBAQJrMQAAAABlU_EAQEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXkHgHlTib1DuPMhOygcDHZzQNCq7ZJkqc2hm7TI6U',
    );
  });

  it('encodes contexts canonically', () => {
    expect(hex(encodeContext({ b: '2', a: '1' }))).toBe(
      `${hex(new TextEncoder().encode('mcpw-ctx1'))}00000002` +
        '00000001' +
        '61' +
        '00000001' +
        '31' +
        '00000001' +
        '62' +
        '00000001' +
        '32',
    );
  });

  it('a key ring decrypts the fixed bytes', async () => {
    const ring = await KeyRing.create({ keys: [{ id: 'k1', key }] });
    const ct = sealWithNonce(
      sodium,
      key,
      buildFixedHeader('k1', undefined, false),
      nonce,
      'attack at dawn',
      encodeContext(context),
    );
    expect(ring.decryptString(ct, { context })).toBe('attack at dawn');
    expect(hex(ct.subarray(0, 7))).toBe('4d570100026b31');
  });
});

describe('parsing', () => {
  it('rejects every truncation of a valid ciphertext', async () => {
    const ring = await KeyRing.generate('k1');
    const ct = ring.encrypt('hello');
    for (let n = 0; n < ct.length; n++) {
      const attempt = () => ring.decrypt(ct.subarray(0, n));
      expect(attempt).toThrow(CryptoError);
    }
  });

  it('names unknown versions', () => {
    const ct = new Uint8Array([0x4d, 0x57, 0x02, 0, 1, 0x41, ...new Uint8Array(40)]);
    expect(() => parseCiphertext(ct)).toThrow(
      expect.objectContaining({ code: CRYPTO_ERROR_CODES.UNSUPPORTED_VERSION }),
    );
    expect(() => ciphertextBytes('mcpw2.AAAA')).toThrow(
      expect.objectContaining({ code: CRYPTO_ERROR_CODES.UNSUPPORTED_VERSION }),
    );
  });

  it('rejects bad magic, unknown flags and bad text', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as CryptoError).code;
      }
      return 'none';
    };
    expect(
      code(() => parseCiphertext(new Uint8Array([0x4e, 0x57, 1, 0, 1, 0x41, ...new Uint8Array(40)]))),
    ).toBe('CRYPTO_MALFORMED');
    expect(
      code(() => parseCiphertext(new Uint8Array([0x4d, 0x57, 1, 4, 1, 0x41, ...new Uint8Array(40)]))),
    ).toBe('CRYPTO_MALFORMED');
    expect(code(() => parseCiphertext('mcpw1.AA=='))).toBe('CRYPTO_MALFORMED');
    expect(code(() => parseCiphertext('gAAAAABh'))).toBe('CRYPTO_MALFORMED');
  });

  it('text form round-trips and is strict (no two strings decode to the same bytes)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 100 }), (bytes) => {
        const text = encodeCiphertextText(bytes);
        expect(isCiphertextText(text)).toBe(true);
        expect(hex(ciphertextBytes(text))).toBe(hex(bytes));
      }),
    );
    // 'AB' and 'AA' both carry the byte 0x00 in lenient decoders; only the canonical one is accepted.
    expect(isCiphertextText('mcpw1.AA')).toBe(true);
    expect(isCiphertextText('mcpw1.AB')).toBe(false);
  });

  it('fails only with a CryptoError on arbitrary bytes and strings (fuzz)', async () => {
    const ring = await KeyRing.generate('k');
    const valid = ring.encrypt('seed');
    const onlyCryptoErrors = (input: Uint8Array | string) => {
      try {
        ring.decrypt(input);
        return false; // forging a valid ciphertext by chance would be a bug
      } catch (error) {
        return CryptoError.isCryptoError(error);
      }
    };
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 120 }),
          fc.uint8Array({ maxLength: 80 }).map((tail) => new Uint8Array([...valid.subarray(0, 9), ...tail])),
          fc.string().map((s) => `mcpw1.${s}`),
          fc.string(),
        ),
        (input) => onlyCryptoErrors(input),
      ),
      { numRuns: 500 },
    );
  });

  it('inspects without decrypting', async () => {
    const ring = await KeyRing.generate('kid-1');
    const info = inspectCiphertext(encodeCiphertextText(ring.encrypt('12345', { timestamp: 1_000 })));
    expect(info).toEqual({
      version: 1,
      keyId: 'kid-1',
      envelope: false,
      createdAt: new Date(1_000_000),
      plaintextLength: 5,
    });
  });
});
