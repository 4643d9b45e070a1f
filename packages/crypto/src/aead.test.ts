import fc from 'fast-check';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type AeadBackendName,
  aead,
  aeadBackendName,
  hchacha20,
  NATIVE_MIN_BYTES,
  useAeadBackend,
} from './aead.js';
import { encodeContext } from './encoding.js';
import { EnvelopeCipher, keyRingKeyProvider } from './envelope.js';
import { CryptoError } from './errors.js';
import { encodeCiphertextText, parseCiphertext } from './format.js';
import { KeyRing, keyMaterial } from './key-ring.js';
import { loadSodium } from './sodium.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const fromHex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
const BACKENDS: readonly AeadBackendName[] = ['native', 'libsodium', 'auto'];
const PAIRS = BACKENDS.flatMap((w) => BACKENDS.map((r) => [w, r] as const));

let initial: AeadBackendName;
beforeAll(async () => {
  await loadSodium();
  initial = aeadBackendName();
});
afterEach(() => {
  useAeadBackend(initial);
});

function withBackend<T>(name: AeadBackendName, fn: () => T): T {
  const previous = useAeadBackend(name);
  try {
    return fn();
  } finally {
    useAeadBackend(previous);
  }
}

async function withBackendAsync<T>(name: AeadBackendName, fn: () => Promise<T>): Promise<T> {
  const previous = useAeadBackend(name);
  try {
    return await fn();
  } finally {
    useAeadBackend(previous);
  }
}

function failure(fn: () => unknown): { code: string; message: string } | undefined {
  try {
    fn();
  } catch (error) {
    expect(CryptoError.isCryptoError(error)).toBe(true);
    return { code: (error as CryptoError).code, message: (error as CryptoError).message };
  }
  return undefined;
}

describe('runtime selection', () => {
  it('uses node:crypto on Node (the feature test passes here), libsodium for small messages', () => {
    expect(aeadBackendName()).toBe('auto');
  });
});

// draft-irtf-cfrg-xchacha-03, https://datatracker.ietf.org/doc/html/draft-irtf-cfrg-xchacha-03
describe('draft-irtf-cfrg-xchacha-03 test vectors', () => {
  it('HChaCha20, section 2.2.1', () => {
    const key = Uint8Array.from({ length: 32 }, (_, i) => i);
    const nonce = fromHex('000000090000004a0000000031415927');
    expect(hex(hchacha20(key, nonce))).toBe(
      '82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc',
    );
  });

  // Appendix A.3.1 (the AEAD_XCHACHA20_POLY1305 vector, also given in A.1).
  const key = Uint8Array.from({ length: 32 }, (_, i) => 0x80 + i);
  const nonce = Uint8Array.from({ length: 24 }, (_, i) => 0x40 + i);
  const ad = fromHex('50515253c0c1c2c3c4c5c6c7');
  const plaintext = new TextEncoder().encode(
    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
  );
  const expected =
    'bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39ae64c670' +
    '8c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff921f9664c97637da9' +
    '768812f615c68b13b52e' +
    'c0875924c1c7987947deafd8780acf49';

  for (const name of BACKENDS) {
    it(`AEAD_XCHACHA20_POLY1305, appendix A.3.1, ${name}`, () => {
      withBackend(name, () => {
        // Every split of the AD between its two parts gives the same bytes.
        for (let split = 0; split <= ad.length; split++) {
          const out = new Uint8Array(3 + plaintext.length + 16);
          aead().seal(key, nonce, ad.subarray(0, split), ad.subarray(split), plaintext, out, 3);
          expect(hex(out.subarray(3))).toBe(expected);
          const back = aead().open(key, nonce, ad.subarray(0, split), ad.subarray(split), out.subarray(3));
          expect(back && Buffer.from(back).toString()).toBe(Buffer.from(plaintext).toString());
        }
        const body = fromHex(expected);
        body[body.length - 1]! ^= 0x80;
        expect(aead().open(key, nonce, ad, new Uint8Array(0), body)).toBeUndefined();
      });
    });
  }
});

describe('native and libsodium read each other', () => {
  const context = { tenant: 'acme', record: 'note:42', field: 'body' };
  const sizes = [0, 1, 1024, NATIVE_MIN_BYTES - 1, NATIVE_MIN_BYTES, 1024 * 1024];

  for (const [writer, reader] of PAIRS) {
    it(`KeyRing: ${writer} writes, ${reader} reads, sizes 0 / 1 / 1 KiB / around NATIVE_MIN_BYTES / 1 MiB, bytes and mcpw1 text`, async () => {
      const ring = await KeyRing.generate('k-cross');
      for (const size of sizes) {
        const plaintext = new Uint8Array(size).map((_, i) => (i * 31 + size) & 0xff);
        for (const timestamp of [true, false]) {
          const ct = withBackend(writer, () => ring.encrypt(plaintext, { context, timestamp }));
          const text = encodeCiphertextText(ct);
          withBackend(reader, () => {
            expect(Buffer.from(ring.decrypt(ct, { context })).equals(Buffer.from(plaintext))).toBe(true);
            expect(Buffer.from(ring.decrypt(text, { context })).equals(Buffer.from(plaintext))).toBe(true);
          });
        }
      }
    });

    it(`EnvelopeCipher: ${writer} writes, ${reader} reads (data key and body)`, async () => {
      const kek = await KeyRing.generate('m1');
      const cipher = await EnvelopeCipher.create(keyRingKeyProvider(kek));
      for (const size of sizes) {
        const plaintext = new Uint8Array(size).map((_, i) => (i * 7) & 0xff);
        const ct = await withBackendAsync(writer, () => cipher.encrypt(plaintext, { context }));
        const back = await withBackendAsync(reader, () => cipher.decrypt(ct, { context }));
        expect(Buffer.from(back).equals(Buffer.from(plaintext))).toBe(true);
      }
    });
  }

  it('random plaintexts, contexts and timestamps cross both ways, and both write the same bytes', async () => {
    const ring = await KeyRing.generate('k-prop');
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 2 * NATIVE_MIN_BYTES }),
        fc.dictionary(fc.string({ maxLength: 12 }), fc.string({ maxLength: 24 }), { maxKeys: 5 }),
        fc.option(fc.integer({ min: 0, max: 2 ** 40 }), { nil: undefined }),
        fc.constantFrom(...PAIRS),
        (plaintext, ctx, timestamp, [writer, reader]) => {
          const ct = withBackend(writer, () =>
            ring.encrypt(plaintext, { context: ctx, timestamp: timestamp ?? false }),
          );
          const back = withBackend(reader, () => ring.decrypt(ct, { context: ctx }));
          expect(hex(back)).toBe(hex(plaintext));
          // Same key, header and nonce: re-sealing on the other backend reproduces the ciphertext byte for byte.
          const p = parseCiphertext(ct);
          const again = new Uint8Array(p.body.length);
          withBackend(reader, () => {
            aead().seal(
              keyMaterial(ring, 'k-prop')!,
              p.nonce,
              p.header,
              encodeContext(ctx),
              plaintext,
              again,
              0,
            );
          });
          expect(hex(again)).toBe(hex(p.body));
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('tampering is refused on both paths, with the same error', () => {
  it('any bit flip in header time, nonce, ciphertext or tag, or any change of context', async () => {
    const ring = await KeyRing.generate('k-tamper');
    const baseContext = { record: 'r1', field: 'secret' };
    const messages = new Set<string>();
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 300 }),
        fc.constantFrom(...PAIRS),
        fc.nat(),
        fc.integer({ min: 0, max: 7 }),
        fc.constantFrom('bytes', 'context'),
        fc.string({ minLength: 1, maxLength: 8 }),
        (plaintext, [writer, reader], where, bit, kind, extra) => {
          const ct = withBackend(writer, () => ring.encrypt(plaintext, { context: baseContext }));
          const p = parseCiphertext(ct);
          // Flip a bit in the low 5 bytes of the creation time, the nonce, the ciphertext or the tag: the parts
          // only the AEAD can vouch for (a changed key id, flag or out-of-range time is refused earlier, as
          // UNKNOWN_KEY / MALFORMED, and the existing single-bit-flip test covers those).
          const from = p.header.length - 5;
          let input = ct;
          let context: Record<string, string> = baseContext;
          if (kind === 'bytes') {
            input = Uint8Array.from(ct);
            input[from + (where % (ct.length - from))]! ^= 1 << bit;
          } else {
            context =
              where % 2 ? { ...baseContext, extra } : { ...baseContext, field: baseContext.field + extra };
          }
          const f = withBackend(reader, () => failure(() => ring.decrypt(input, { context })));
          expect(f?.code).toBe('CRYPTO_DECRYPT_FAILED');
          messages.add(f!.message);
        },
      ),
      { numRuns: 400 },
    );
    // One message whatever was altered and whichever backend refused it: no oracle.
    expect(messages.size).toBe(1);
  });

  for (const name of BACKENDS) {
    it(`a tag-only change and a ciphertext-only change fail identically (${name})`, async () => {
      const ring = await KeyRing.generate('k');
      const ct = ring.encrypt('value', { context: { a: 'b' } });
      const tag = Uint8Array.from(ct);
      tag[tag.length - 1]! ^= 1;
      const body = Uint8Array.from(ct);
      body[body.length - 17]! ^= 1;
      withBackend(name, () => {
        expect(failure(() => ring.decrypt(tag, { context: { a: 'b' } }))).toEqual(
          failure(() => ring.decrypt(body, { context: { a: 'b' } })),
        );
        expect(failure(() => ring.decrypt(ct, { context: { a: 'c' } }))).toEqual(
          failure(() => ring.decrypt(body, { context: { a: 'b' } })),
        );
      });
    });
  }
});
