import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EnvelopeCipher,
  envKeyProvider,
  fileKeyProvider,
  type KeyProvider,
  keyRingKeyProvider,
} from './envelope.js';
import { CRYPTO_ERROR_CODES } from './errors.js';
import { inspectCiphertext, parseCiphertext } from './format.js';
import { writeKeyFile } from './key-file.js';
import { KeyRing } from './key-ring.js';
import { FAST_KDF, rejectionCode, tempDir } from './test-helpers.js';

const b64 = (fill: number) => Buffer.alloc(32, fill).toString('base64url');

describe('EnvelopeCipher', () => {
  it('round-trips random values and binds the context', async () => {
    const cipher = await EnvelopeCipher.create(keyRingKeyProvider(await KeyRing.generate('m1')));
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 512 }),
        fc.string({ maxLength: 16 }),
        async (plaintext, record) => {
          const ct = await cipher.encrypt(plaintext, { context: { record } });
          expect(
            Buffer.from(await cipher.decrypt(ct, { context: { record } })).equals(Buffer.from(plaintext)),
          ).toBe(true);
          expect(await rejectionCode(cipher.decrypt(ct, { context: { record: `${record}x` } }))).toBe(
            CRYPTO_ERROR_CODES.DECRYPT_FAILED,
          );
        },
      ),
      { numRuns: 50 },
    );
  });

  it('fails on every single-bit flip', async () => {
    const cipher = await EnvelopeCipher.create(keyRingKeyProvider(await KeyRing.generate('m1')));
    const ct = await cipher.encrypt('secret', { context: { r: '1' } });
    for (let bit = 0; bit < ct.length * 8; bit++) {
      const flipped = Uint8Array.from(ct);
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      expect(await rejectionCode(cipher.decrypt(flipped, { context: { r: '1' } }))).toMatch(/^CRYPTO_/);
    }
  });

  it('rotating the master key re-wraps the data key only: the body bytes stay the same', async () => {
    const ring = await KeyRing.generate('m1');
    const cipher = await EnvelopeCipher.create(keyRingKeyProvider(ring));
    const ct = await cipher.encrypt('envelope body', { context: { r: '1' }, timestamp: 42 });
    ring.generateKey({ id: 'm2' });
    expect(await cipher.needsRotation(ct)).toBe(true);
    const rewrapped = await cipher.rotate(ct);
    const before = parseCiphertext(ct);
    const after = parseCiphertext(rewrapped);
    expect(after.keyId).toBe('m2');
    expect(after.createdAt).toBe(42);
    expect(Buffer.from(after.nonce).equals(Buffer.from(before.nonce))).toBe(true);
    expect(Buffer.from(after.body).equals(Buffer.from(before.body))).toBe(true);
    expect(Buffer.from(after.wrappedKey!).equals(Buffer.from(before.wrappedKey!))).toBe(false);
    ring.remove('m1');
    expect(new TextDecoder().decode(await cipher.decrypt(rewrapped, { context: { r: '1' } }))).toBe(
      'envelope body',
    );
    expect(await rejectionCode(cipher.decrypt(ct, { context: { r: '1' } }))).toBe(
      CRYPTO_ERROR_CODES.UNKNOWN_KEY,
    );
  });

  it('reads master keys from the environment without echoing them', async () => {
    const env = { MCP_WARDEN_MASTER_KEYS: `m2:${b64(2)}, m1:${b64(1)}` };
    const provider = await envKeyProvider({ env });
    expect(provider.currentKeyId()).toBe('m2');
    expect(provider.keyRing.ids).toEqual(['m2', 'm1']);
    const bad = { MCP_WARDEN_MASTER_KEYS: `m1:${Buffer.alloc(31, 7).toString('base64url')}` };
    const err = await envKeyProvider({ env: bad }).catch((e: Error) => e);
    expect(err).toMatchObject({ code: CRYPTO_ERROR_CODES.INVALID_KEY });
    expect((err as Error).message).not.toContain(bad.MCP_WARDEN_MASTER_KEYS.slice(3));
    expect(await rejectionCode(envKeyProvider({ env: {} }))).toBe(CRYPTO_ERROR_CODES.KEY_MISSING);
  });

  it('reads master keys from a key file', async () => {
    const dir = tempDir();
    const ring = await KeyRing.generate('file-master');
    await writeKeyFile(`${dir}/master.json`, ring, { passphrase: 'pw', kdf: FAST_KDF });
    const cipher = await EnvelopeCipher.create(
      await fileKeyProvider({ path: `${dir}/master.json`, passphrase: 'pw' }),
    );
    const ct = await cipher.encrypt('x');
    expect(inspectCiphertext(ct)).toMatchObject({ keyId: 'file-master', envelope: true });
  });

  it('reports provider failures as typed errors (the KMS seam)', async () => {
    const failing: KeyProvider = {
      name: 'flaky-kms',
      currentKeyId: () => 'arn:aws:kms:eu-west-1:1:key/abc',
      wrapKey: () => {
        throw new Error('network down');
      },
      unwrapKey: () => {
        throw new Error('network down');
      },
    };
    const cipher = await EnvelopeCipher.create(failing);
    expect(await rejectionCode(cipher.encrypt('x'))).toBe(CRYPTO_ERROR_CODES.KEY_PROVIDER_FAILED);
  });

  it('keeps key-ring and envelope ciphertexts apart', async () => {
    const ring = await KeyRing.generate('k');
    const cipher = await EnvelopeCipher.create(keyRingKeyProvider(ring));
    expect(await rejectionCode(cipher.decrypt(ring.encrypt('x')))).toBe(CRYPTO_ERROR_CODES.MALFORMED);
    expect(
      await rejectionCode(Promise.resolve().then(async () => ring.decrypt(await cipher.encrypt('x')))),
    ).toBe(CRYPTO_ERROR_CODES.MALFORMED);
  });
});
