import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keygen, reencrypt, rotate } from './commands.js';
import { DATA_DIR_FILES, openDataDirKeys } from './data-dir.js';
import { EncryptedStore } from './encrypted-store.js';
import { CRYPTO_ERROR_CODES } from './errors.js';
import { readKeyFile } from './key-file.js';
import { FAST_KDF, rejectionCode, tempDir } from './test-helpers.js';

describe('keygen / rotate / reencrypt', () => {
  it('runs the whole key lifecycle on a data directory', async () => {
    const dataDir = tempDir();
    const passphrase = 'operator passphrase';
    const created = await keygen({ dataDir, passphrase, kdf: FAST_KDF });
    expect(created.keyFile).toBe(join(dataDir, DATA_DIR_FILES.keyFile));
    expect(created.message).toContain(created.keyFile);
    expect(await rejectionCode(keygen({ dataDir, passphrase }))).toBe(CRYPTO_ERROR_CODES.KEY_FILE_EXISTS);

    const opened = await openDataDirKeys(dataDir, { passphrase });
    const store = await EncryptedStore.open({
      path: join(dataDir, DATA_DIR_FILES.store),
      cipher: opened.keyRing,
    });
    for (let i = 0; i < 30; i++) await store.set('notes', `n${i}`, `note ${i}`);
    store.close();

    const rotated = await rotate({ dataDir, passphrase, kdf: FAST_KDF });
    expect(rotated.previousKeyId).toBe(created.keyId);
    expect(rotated.keyIds).toEqual([created.keyId, rotated.keyId]);

    const report = await reencrypt({ dataDir, passphrase, batchSize: 7, retireOldKeys: true, kdf: FAST_KDF });
    expect(report).toMatchObject({ complete: true, rotated: 30, failed: 0, retiredKeyIds: [created.keyId] });

    const ring = await readKeyFile(created.keyFile, { passphrase });
    expect(ring.ids).toEqual([rotated.keyId]);
    const reopened = await openDataDirKeys(dataDir, { passphrase });
    const after = await EncryptedStore.open({
      path: join(dataDir, DATA_DIR_FILES.store),
      cipher: reopened.keyRing,
    });
    expect(await after.getString('notes', 'n29')).toBe('note 29');
    after.close();
  });

  it('keygen writes a standalone key file and refuses to overwrite it', async () => {
    const dir = tempDir();
    const keyFile = join(dir, 'master.json');
    const result = await keygen({ keyFile, keyId: 'master-1' });
    expect(result.keyId).toBe('master-1');
    expect((await readKeyFile(keyFile)).primaryId).toBe('master-1');
    expect(await rejectionCode(keygen({ keyFile }))).toBe(CRYPTO_ERROR_CODES.KEY_FILE_EXISTS);
    const r = await rotate({ keyFile, keyId: 'master-2', newPassphrase: 'now protected', kdf: FAST_KDF });
    expect(r.keyIds).toEqual(['master-1', 'master-2']);
    expect(await rejectionCode(readKeyFile(keyFile))).toBe(CRYPTO_ERROR_CODES.PASSPHRASE_REQUIRED);
  });

  it('reencrypt on a directory without a store has nothing to do', async () => {
    const dataDir = tempDir();
    await keygen({ dataDir });
    expect(await reencrypt({ dataDir })).toMatchObject({ complete: true, scanned: 0 });
  });
});
