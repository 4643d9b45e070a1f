import { existsSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATA_DIR_FILES, openDataDirKeys } from './data-dir.js';
import { EncryptedStore } from './encrypted-store.js';
import { CRYPTO_ERROR_CODES, CryptoError } from './errors.js';
import { writeKeyFile } from './key-file.js';
import { KeyRing } from './key-ring.js';
import { FAST_KDF, rejectionCode, tempDir } from './test-helpers.js';

describe('openDataDirKeys', () => {
  it('initialises an empty data directory, says where, and reopens it', async () => {
    const dir = join(tempDir(), 'data');
    const first = await openDataDirKeys(dir, { passphrase: 'pw', kdf: FAST_KDF });
    expect(first.created).toBe(true);
    expect(first.keyFile).toBe(join(dir, DATA_DIR_FILES.keyFile));
    expect(first.message).toContain(first.keyFile);
    expect(statSync(first.keyFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, DATA_DIR_FILES.canary)).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const ct = first.keyRing.encrypt('x');
    const again = await openDataDirKeys(dir, { passphrase: 'pw' });
    expect(again.created).toBe(false);
    expect(again.protection).toBe('passphrase');
    expect(again.keyRing.primaryId).toBe(first.keyRing.primaryId);
    expect(again.keyRing.decryptString(ct)).toBe('x');
  });

  it('refuses to start when the key file is missing but encrypted data exists, and generates nothing', async () => {
    const dir = tempDir();
    await openDataDirKeys(dir);
    renameSync(join(dir, DATA_DIR_FILES.keyFile), join(dir, 'moved-away.json'));
    const before = readdirSync(dir).sort();
    const err = await openDataDirKeys(dir).catch((e: unknown) => e);
    expect(CryptoError.isCryptoError(err)).toBe(true);
    expect(err).toMatchObject({ code: CRYPTO_ERROR_CODES.KEY_MISSING });
    expect((err as Error).message).toMatch(/missing.*Restore the key file/s);
    expect(readdirSync(dir).sort()).toEqual(before);
  });

  it('treats an existing store (without check file) as encrypted data', async () => {
    const dir = tempDir();
    const store = await EncryptedStore.open({
      path: join(dir, DATA_DIR_FILES.store),
      cipher: await KeyRing.generate(),
    });
    await store.set('n', 'k', 'v');
    store.close();
    expect(await rejectionCode(openDataDirKeys(dir))).toBe(CRYPTO_ERROR_CODES.KEY_MISSING);
    expect(existsSync(join(dir, DATA_DIR_FILES.keyFile))).toBe(false);
    writeFileSync(join(dir, 'other.db'), '');
  });

  it('refuses a key file that belongs to other data', async () => {
    const dir = tempDir();
    await openDataDirKeys(dir);
    await writeKeyFile(join(dir, DATA_DIR_FILES.keyFile), await KeyRing.generate(), { overwrite: true });
    const err = await openDataDirKeys(dir).catch((e: Error) => e);
    expect(err).toMatchObject({ code: CRYPTO_ERROR_CODES.KEY_MISMATCH });
    expect(err.message).toContain('does not match');
  });

  it('refuses a wrong or missing passphrase', async () => {
    const dir = tempDir();
    await openDataDirKeys(dir, { passphrase: 'right', kdf: FAST_KDF });
    expect(await rejectionCode(openDataDirKeys(dir, { passphrase: 'wrong' }))).toBe(
      CRYPTO_ERROR_CODES.WRONG_PASSPHRASE,
    );
    const err = await openDataDirKeys(dir).catch((e: Error) => e);
    expect(err).toMatchObject({ code: CRYPTO_ERROR_CODES.PASSPHRASE_REQUIRED });
    expect(err.message).toContain('MCP_WARDEN_KEY_PASSPHRASE');
  });

  it('warns when a passphrase is given for an unprotected key file', async () => {
    const dir = tempDir();
    await openDataDirKeys(dir);
    const opened = await openDataDirKeys(dir, { passphrase: 'late' });
    expect(opened.protection).toBe('none');
    expect(opened.message).toContain('NOT passphrase-protected');
  });

  it('honours extra encrypted data files', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'legacy.db'), 'x');
    expect(await rejectionCode(openDataDirKeys(dir, { encryptedDataFiles: ['legacy.db'] }))).toBe(
      CRYPTO_ERROR_CODES.KEY_MISSING,
    );
  });
});
