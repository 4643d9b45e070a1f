import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CRYPTO_ERROR_CODES } from './errors.js';
import { keyFileInfo, readKeyFile, writeKeyFile } from './key-file.js';
import { exportKeyMaterial, KeyRing } from './key-ring.js';
import { FAST_KDF, rejectionCode, tempDir } from './test-helpers.js';

const mode = (path: string) => statSync(path).mode & 0o777;

describe('key files', () => {
  it('round-trips a passphrase-protected ring with default Argon2id parameters recorded in the file', async () => {
    const dir = tempDir();
    const path = join(dir, 'nested', 'keys.json');
    const ring = await KeyRing.generate('k1');
    ring.generateKey({ id: 'k2' });
    await writeKeyFile(path, ring, { passphrase: 'correct horse battery staple' });
    expect(mode(path)).toBe(0o600);
    const file = JSON.parse(readFileSync(path, 'utf8'));
    expect(file).toMatchObject({ format: 'mcp-warden-keys', version: 1, protection: 'passphrase' });
    expect(file.kdf).toMatchObject({ algorithm: 'argon2id13', opsLimit: 3, memLimitBytes: 64 * 1024 * 1024 });
    const text = readFileSync(path, 'utf8');
    for (const k of exportKeyMaterial(ring))
      expect(text).not.toContain(Buffer.from(k.key).toString('base64url'));
    const loaded = await readKeyFile(path, { passphrase: 'correct horse battery staple' });
    expect(loaded.ids).toEqual(['k1', 'k2']);
    expect(loaded.primaryId).toBe('k2');
    expect(loaded.decryptString(ring.encrypt('hi'))).toBe('hi');
    expect(await keyFileInfo(path)).toEqual({ protection: 'passphrase' });
  });

  it('refuses a wrong or missing passphrase with a typed error', async () => {
    const dir = tempDir();
    const path = join(dir, 'keys.json');
    await writeKeyFile(path, await KeyRing.generate(), { passphrase: 'right', kdf: FAST_KDF });
    expect(await rejectionCode(readKeyFile(path, { passphrase: 'wrong' }))).toBe(
      CRYPTO_ERROR_CODES.WRONG_PASSPHRASE,
    );
    expect(await rejectionCode(readKeyFile(path))).toBe(CRYPTO_ERROR_CODES.PASSPHRASE_REQUIRED);
  });

  it('detects tampering with the recorded KDF parameters', async () => {
    const dir = tempDir();
    const path = join(dir, 'keys.json');
    await writeKeyFile(path, await KeyRing.generate(), {
      passphrase: 'pw',
      kdf: { opsLimit: 2, memLimitBytes: 8192 },
    });
    const file = JSON.parse(readFileSync(path, 'utf8'));
    file.kdf.opsLimit = 1;
    writeFileSync(path, JSON.stringify(file), { mode: 0o600 });
    expect(await rejectionCode(readKeyFile(path, { passphrase: 'pw' }))).toBe(
      CRYPTO_ERROR_CODES.WRONG_PASSPHRASE,
    );
    file.kdf.memLimitBytes = 64 * 1024 ** 3; // a hostile file cannot make us allocate 64 GiB
    writeFileSync(path, JSON.stringify(file), { mode: 0o600 });
    expect(await rejectionCode(readKeyFile(path, { passphrase: 'pw' }))).toBe(
      CRYPTO_ERROR_CODES.KEY_FILE_INVALID,
    );
  });

  it('writes unprotected files 0600 too, and refuses files others can read', async () => {
    const dir = tempDir();
    const path = join(dir, 'keys.json');
    await writeKeyFile(path, await KeyRing.generate('plain'));
    expect(mode(path)).toBe(0o600);
    expect((await readKeyFile(path)).ids).toEqual(['plain']);
    chmodSync(path, 0o644);
    const err = await readKeyFile(path).catch((e: Error) => e);
    expect(err).toMatchObject({ code: CRYPTO_ERROR_CODES.KEY_FILE_PERMISSIONS });
    expect((err as Error).message).toContain(`chmod 600 ${path}`);
    expect((await readKeyFile(path, { allowInsecurePermissions: true })).ids).toEqual(['plain']);
  });

  it('names missing, invalid and existing files', async () => {
    const dir = tempDir();
    const path = join(dir, 'keys.json');
    expect(await rejectionCode(readKeyFile(path))).toBe(CRYPTO_ERROR_CODES.KEY_FILE_MISSING);
    writeFileSync(path, '{not json', { mode: 0o600 });
    expect(await rejectionCode(readKeyFile(path))).toBe(CRYPTO_ERROR_CODES.KEY_FILE_INVALID);
    writeFileSync(path, JSON.stringify({ format: 'other' }), { mode: 0o600 });
    expect(await rejectionCode(readKeyFile(path))).toBe(CRYPTO_ERROR_CODES.KEY_FILE_INVALID);
    expect(await rejectionCode(writeKeyFile(path, await KeyRing.generate()))).toBe(
      CRYPTO_ERROR_CODES.KEY_FILE_EXISTS,
    );
  });

  it('names key files that cannot be read', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'not-a-dir'), 'x');
    // Tests run as root here, so EACCES cannot be provoked; ENOTDIR takes the same "cannot be read" path.
    expect(await rejectionCode(readKeyFile(join(dir, 'not-a-dir', 'keys.json')))).toBe(
      CRYPTO_ERROR_CODES.KEY_FILE_UNREADABLE,
    );
    mkdirSync(join(dir, 'a-dir.json'));
    expect(await rejectionCode(readKeyFile(join(dir, 'a-dir.json')))).toBe(
      CRYPTO_ERROR_CODES.KEY_FILE_INVALID,
    );
  });
});
