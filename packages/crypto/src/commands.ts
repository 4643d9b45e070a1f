/**
 * The operations behind `mcp-warden crypto keygen | rotate | reencrypt`, as plain functions. They print nothing;
 * the CLI reports what they return.
 */
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Cipher } from './cipher.js';
import { DATA_DIR_FILES, openDataDirKeys } from './data-dir.js';
import { EncryptedStore } from './encrypted-store.js';
import { CRYPTO_ERROR_CODES, CryptoError } from './errors.js';
import { type KdfParams, readKeyFile, writeKeyFile } from './key-file.js';
import { KeyRing } from './key-ring.js';
import { type ReencryptOptions, type ReencryptReport, reencryptStore } from './reencrypt-job.js';

/** Where the keys are: a data directory (key file inside it) or an explicit key file. */
export interface KeyLocation {
  /** Data directory; the key file is `<dataDir>/warden-keys.json` unless `keyFile` is given. */
  dataDir?: string | undefined;
  /** Key file path (relative to `dataDir` when both are given). */
  keyFile?: string | undefined;
  /** Passphrase of the key file. */
  passphrase?: string | undefined;
}

function keyFilePath(location: KeyLocation): string {
  if (location.dataDir !== undefined)
    return resolve(location.dataDir, location.keyFile ?? DATA_DIR_FILES.keyFile);
  if (location.keyFile !== undefined) return resolve(location.keyFile);
  throw new CryptoError(
    CRYPTO_ERROR_CODES.KEY_FILE_MISSING,
    'Say where the keys are: give a data directory or a key file path.',
  );
}

async function openRing(location: KeyLocation): Promise<KeyRing> {
  if (location.dataDir !== undefined) {
    return (
      await openDataDirKeys(location.dataDir, { passphrase: location.passphrase, keyFile: location.keyFile })
    ).keyRing;
  }
  return readKeyFile(keyFilePath(location), { passphrase: location.passphrase });
}

export interface KeygenOptions extends KeyLocation {
  /** Id of the new key. @default generated (`kYYYYMMDD-xxxxxxxx`) */
  keyId?: string;
  /** Argon2id cost for a passphrase-protected file. */
  kdf?: KdfParams;
}

export interface KeygenResult {
  keyFile: string;
  keyId: string;
  /** Operator-facing summary (no secrets). */
  message: string;
}

/**
 * Creates a new key file holding one fresh key (mode 0600; Argon2id-protected when a passphrase is given).
 * Refuses when the key file exists, and — for a data directory — when encrypted data exists without it.
 * @example
 * const { keyFile, keyId } = await keygen({ dataDir: './data', passphrase: process.env.MCP_WARDEN_KEY_PASSPHRASE });
 */
export async function keygen(options: KeygenOptions): Promise<KeygenResult> {
  const keyFile = keyFilePath(options);
  if (await exists(keyFile)) {
    throw new CryptoError(
      CRYPTO_ERROR_CODES.KEY_FILE_EXISTS,
      `Key file ${keyFile} already exists; refusing to replace it. Use "crypto rotate" to add a new key.`,
    );
  }
  if (options.dataDir !== undefined && options.keyId === undefined) {
    const opened = await openDataDirKeys(options.dataDir, {
      passphrase: options.passphrase,
      keyFile: options.keyFile,
      kdf: options.kdf,
    });
    const keyId = opened.keyRing.primaryId;
    opened.keyRing.destroy();
    return { keyFile: opened.keyFile, keyId, message: opened.message };
  }
  const ring = await KeyRing.generate(options.keyId);
  try {
    await writeKeyFile(keyFile, ring, { passphrase: options.passphrase, kdf: options.kdf });
    return {
      keyFile,
      keyId: ring.primaryId,
      message: `Generated key ${ring.primaryId} in ${keyFile} (mode 0600). Back it up.`,
    };
  } finally {
    ring.destroy();
  }
}

export interface RotateOptions extends KeyLocation {
  /** Id of the new primary key. @default generated */
  keyId?: string;
  /** Re-protect the file with this passphrase instead of the current one. */
  newPassphrase?: string;
  /** Argon2id cost for the rewritten file. */
  kdf?: KdfParams;
}

export interface RotateResult {
  keyFile: string;
  /** The new primary key. */
  keyId: string;
  previousKeyId: string;
  /** Every key now in the file (old keys stay, so existing data stays readable). */
  keyIds: string[];
  message: string;
}

/**
 * Adds a new primary key to the key file. Old keys stay so existing values keep decrypting; run
 * {@link reencrypt} afterwards to move stored values to the new key.
 */
export async function rotate(options: RotateOptions): Promise<RotateResult> {
  const keyFile = keyFilePath(options);
  const ring = await openRing(options);
  try {
    const previousKeyId = ring.primaryId;
    const keyId = ring.generateKey({ id: options.keyId });
    await writeKeyFile(keyFile, ring, {
      passphrase: options.newPassphrase ?? options.passphrase,
      kdf: options.kdf,
      overwrite: true,
    });
    return {
      keyFile,
      keyId,
      previousKeyId,
      keyIds: ring.ids,
      message: `Key ${keyId} is now primary in ${keyFile}; ${previousKeyId} is kept for decryption. Run "crypto reencrypt" next.`,
    };
  } finally {
    ring.destroy();
  }
}

export interface ReencryptCommandOptions extends KeyLocation, ReencryptOptions {
  /** SQLite store to re-encrypt. @default `<dataDir>/warden-store.db` */
  storePath?: string;
  /** Store table. @default 'warden_kv' */
  table?: string;
  /** Use this cipher (e.g. an `EnvelopeCipher` over a KMS provider) instead of the key file. */
  cipher?: Cipher;
  /**
   * After a complete run without failures, remove every non-primary key from the key file. Only do this when no
   * other place holds values encrypted under the old keys. @default false
   */
  retireOldKeys?: boolean;
  /** Argon2id cost when the key file is rewritten (`retireOldKeys`). */
  kdf?: KdfParams;
}

export interface ReencryptCommandResult extends ReencryptReport {
  storePath: string;
  /** Keys removed from the key file (`retireOldKeys`). */
  retiredKeyIds: string[];
}

/**
 * Re-encrypts the store under the current primary key (resumable: an interrupted run continues where it
 * stopped), optionally retiring the old keys afterwards.
 */
export async function reencrypt(options: ReencryptCommandOptions): Promise<ReencryptCommandResult> {
  const storePath =
    options.storePath !== undefined
      ? resolve(options.storePath)
      : options.dataDir !== undefined
        ? join(resolve(options.dataDir), DATA_DIR_FILES.store)
        : undefined;
  if (storePath === undefined) {
    throw new CryptoError(
      CRYPTO_ERROR_CODES.KEY_FILE_MISSING,
      'Say which store to re-encrypt: give a data directory or a store path.',
    );
  }
  const ring = options.cipher ? undefined : await openRing(options);
  const cipher: Cipher = options.cipher ?? ring!;
  try {
    if (!(await exists(storePath))) {
      const targetKeyId = await cipher.currentKeyId();
      const empty = {
        targetKeyId,
        scanned: 0,
        rotated: 0,
        current: 0,
        failed: 0,
        complete: true,
        resumed: false,
        failures: [],
      };
      return { ...empty, storePath, retiredKeyIds: [] };
    }
    const store = await EncryptedStore.open({ path: storePath, cipher, table: options.table });
    let report: ReencryptReport;
    try {
      report = await reencryptStore(store, options);
    } finally {
      store.close();
    }
    const retiredKeyIds: string[] = [];
    if (ring && options.retireOldKeys && report.complete && report.failed === 0) {
      for (const id of ring.ids) if (id !== ring.primaryId && ring.remove(id)) retiredKeyIds.push(id);
      if (retiredKeyIds.length > 0) {
        await writeKeyFile(keyFilePath(options), ring, {
          passphrase: options.passphrase,
          kdf: options.kdf,
          overwrite: true,
        });
      }
    }
    return { ...report, storePath, retiredKeyIds };
  } finally {
    ring?.destroy();
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
