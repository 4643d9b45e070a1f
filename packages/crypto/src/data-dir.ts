import { randomBytes } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CRYPTO_ERROR_CODES, CryptoError } from './errors.js';
import { encodeCiphertextText } from './format.js';
import { type KdfParams, keyFileInfo, readKeyFile, writeFileAtomic0600, writeKeyFile } from './key-file.js';
import { KeyRing } from './key-ring.js';
import { loadSodium, wipe } from './sodium.js';

/** File names inside a data directory. */
export const DATA_DIR_FILES = Object.freeze({
  /** The key ring. */
  keyFile: 'warden-keys.json',
  /** A small ciphertext that proves the key file belongs to this directory's data. */
  canary: 'warden-keys.check',
  /** The default encrypted key/value store. */
  store: 'warden-store.db',
});

const CANARY_CONTEXT = Object.freeze({ purpose: 'mcp-warden-data-dir-check' });

export interface OpenDataDirKeysOptions {
  /** Passphrase for the key file (required to open a protected file; protects a newly generated one). */
  passphrase?: string | undefined;
  /** Argon2id parameters for a newly generated, passphrase-protected key file. */
  kdf?: KdfParams | undefined;
  /** Key file path. @default `<dataDir>/warden-keys.json` */
  keyFile?: string | undefined;
  /**
   * Files (relative to the data directory, or absolute) whose presence means encrypted data exists, in addition
   * to the check file and the default store. @default []
   */
  encryptedDataFiles?: readonly string[];
}

export interface DataDirKeys {
  keyRing: KeyRing;
  keyFile: string;
  /** True when this call generated the key material. */
  created: boolean;
  /** Whether the key file is protected by a passphrase. */
  protection: 'none' | 'passphrase';
  /** What happened, for the operator's log ("Generated a new encryption key at …"). Contains no secret. */
  message: string;
}

async function present(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw error;
  }
}

/**
 * Opens (or, on an empty data directory, initialises) the key material of a data directory.
 *
 * - Empty directory (no key file, no encrypted data): generates a key ring, writes it with mode 0600 (protected by
 *   `passphrase` when given) and a check value, and reports where.
 * - Key file present: reads it and proves it opens this directory's check value.
 * - Key file missing, unreadable or wrong while encrypted data exists: throws a {@link CryptoError} whose message
 *   says what is wrong and how to fix it. It never generates a new key over existing data.
 *
 * @example
 * const { keyRing, message } = await openDataDirKeys('/var/lib/mcp-warden', { passphrase: process.env.MCP_WARDEN_KEY_PASSPHRASE });
 * console.error(message);
 */
export async function openDataDirKeys(
  dataDir: string,
  options: OpenDataDirKeysOptions = {},
): Promise<DataDirKeys> {
  await loadSodium();
  const dir = resolve(dataDir);
  const keyFile = options.keyFile ? resolve(dir, options.keyFile) : join(dir, DATA_DIR_FILES.keyFile);
  const canaryFile = join(dir, DATA_DIR_FILES.canary);
  const dataFiles = [
    canaryFile,
    join(dir, DATA_DIR_FILES.store),
    ...(options.encryptedDataFiles ?? []).map((f) => resolve(dir, f)),
  ];

  if (!(await present(keyFile))) {
    const existing: string[] = [];
    for (const f of dataFiles) if (await present(f)) existing.push(f);
    if (existing.length > 0) {
      throw new CryptoError(
        CRYPTO_ERROR_CODES.KEY_MISSING,
        `Encrypted data exists in ${dir} (${existing.join(', ')}) but its key file ${keyFile} is missing. ` +
          'Restore the key file from your backup (or point the keyFile option at it). ' +
          'A new key is never generated over existing data, because it could not decrypt it.',
        { details: { dataDir: dir, keyFile } },
      );
    }
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const keyRing = await KeyRing.generate();
    await writeKeyFile(keyFile, keyRing, { passphrase: options.passphrase, kdf: options.kdf });
    await writeCanary(canaryFile, keyRing);
    const protection =
      options.passphrase === undefined ? 'not passphrase-protected' : 'protected by your passphrase';
    return {
      keyRing,
      keyFile,
      created: true,
      protection: options.passphrase === undefined ? 'none' : 'passphrase',
      message:
        `Generated a new encryption key ${keyRing.primaryId} at ${keyFile} (mode 0600, ${protection}). ` +
        'Back it up: without it the encrypted data in this directory cannot be read.',
    };
  }

  const keyRing = await readKeyFile(keyFile, { passphrase: options.passphrase });
  try {
    if (await present(canaryFile)) {
      const canary = (await readFile(canaryFile, 'utf8')).trim();
      try {
        wipe(keyRing.decrypt(canary, { context: CANARY_CONTEXT }));
      } catch (cause) {
        throw new CryptoError(
          CRYPTO_ERROR_CODES.KEY_MISMATCH,
          `Key file ${keyFile} does not match the encrypted data in ${dir}: it cannot open ${canaryFile}. ` +
            'Restore the key file that belongs to this data directory (keys are never replaced automatically).',
          { details: { dataDir: dir, keyFile }, cause },
        );
      }
      if (keyRing.needsRotation(canary)) await writeCanary(canaryFile, keyRing);
    } else {
      await writeCanary(canaryFile, keyRing);
    }
  } catch (error) {
    keyRing.destroy();
    throw error;
  }
  const { protection } = await keyFileInfo(keyFile);
  const warning =
    protection === 'none' && options.passphrase !== undefined
      ? ' Warning: the key file is NOT passphrase-protected although a passphrase was given; protect it with "crypto rotate" and a new passphrase.'
      : '';
  return {
    keyRing,
    keyFile,
    created: false,
    protection,
    message: `Opened encryption keys ${keyRing.ids.join(', ')} from ${keyFile}.${warning}`,
  };
}

/** (Re)writes the check value under the ring's primary key. */
export async function writeCanary(path: string, keyRing: KeyRing): Promise<void> {
  const check = randomBytes(16);
  const ct = keyRing.encrypt(check, { context: CANARY_CONTEXT });
  check.fill(0);
  await writeFileAtomic0600(path, `${encodeCiphertextText(ct)}\n`);
}
