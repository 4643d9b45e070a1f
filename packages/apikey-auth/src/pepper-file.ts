import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { MIN_PEPPER_BYTES, type Pepper } from './pepper.js';

/**
 * Reads a pepper from a file, creating the file with 32 random bytes (base64, mode 0600) when it does not exist:
 * the embedded default for servers that keep their state in a data directory. Keep the file out of backups that
 * also hold the key database, or the pepper protects nothing.
 * @example
 * const pepper = loadOrCreatePepperFile(join(dataDir, 'apikey-pepper'));
 * const manager = new ApiKeyManager({ store, peppers: [pepper] });
 */
export function loadOrCreatePepperFile(path: string, options: { id?: string } = {}): Pepper {
  const id = options.id ?? 'file';
  try {
    writeFileSync(path, `${randomBytes(32).toString('base64')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      return loadOrCreatePepperFile(path, options);
    }
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const secret = readFileSync(path, 'utf8').trim();
  if (Buffer.byteLength(secret, 'utf8') < MIN_PEPPER_BYTES) {
    throw new TypeError(
      `The pepper file ${path} holds fewer than ${MIN_PEPPER_BYTES} bytes; put at least 32 random bytes in it (e.g. \`openssl rand -base64 32\`).`,
    );
  }
  return { id, secret };
}
