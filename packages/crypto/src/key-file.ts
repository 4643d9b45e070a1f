import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { decodeUtf8, encodeContext, encodeUtf8, fromBase64Url, toBase64Url } from './encoding.js';
import { CRYPTO_ERROR_CODES, CryptoError } from './errors.js';
import { isValidKeyId, KEY_BYTES, NONCE_BYTES } from './format.js';
import { exportKeyMaterial, KeyRing } from './key-ring.js';
import { loadSodium, type Sodium, wipe } from './sodium.js';

/** Argon2id cost parameters; they are recorded in the key file so it opens with the parameters it was made with. */
export interface KdfParams {
  /** Passes over memory (`crypto_pwhash` opslimit). @default 3 */
  opsLimit?: number;
  /** Memory in bytes (`crypto_pwhash` memlimit). @default 67108864 (64 MiB) */
  memLimitBytes?: number;
}

/** Defaults: 3 passes over 64 MiB (≈ 0.5 s here); above OWASP's Argon2id minimum (19 MiB, 2 passes). */
export const DEFAULT_KDF_PARAMS: Required<KdfParams> = Object.freeze({
  opsLimit: 3,
  memLimitBytes: 64 * 1024 * 1024,
});
// Bounds on what a key file may ask for, so a damaged or hostile file cannot make opening it eat the machine.
const MAX_OPS = 20;
const MAX_MEM = 1024 * 1024 * 1024;
const FILE_FORMAT = 'mcp-warden-keys';

const keyEntrySchema = z.object({ id: z.string(), key: z.string(), createdAt: z.string() });
const payloadSchema = z.object({ primary: z.string(), keys: z.array(keyEntrySchema).min(1) });
const kdfSchema = z.object({
  algorithm: z.literal('argon2id13'),
  opsLimit: z.number().int().min(1).max(MAX_OPS),
  memLimitBytes: z.number().int().min(8192).max(MAX_MEM),
  salt: z.string(),
});
const fileSchema = z.discriminatedUnion('protection', [
  z.object({
    format: z.literal(FILE_FORMAT),
    version: z.literal(1),
    protection: z.literal('none'),
    ...payloadSchema.shape,
  }),
  z.object({
    format: z.literal(FILE_FORMAT),
    version: z.literal(1),
    protection: z.literal('passphrase'),
    kdf: kdfSchema,
    cipher: z.literal('xchacha20poly1305-ietf'),
    nonce: z.string(),
    ciphertext: z.string(),
  }),
]);

export interface WriteKeyFileOptions {
  /** Protect the keys with this passphrase (Argon2id + XChaCha20-Poly1305). Without one the file holds raw keys. */
  passphrase?: string | undefined;
  kdf?: KdfParams | undefined;
  /** Replace an existing file. @default false */
  overwrite?: boolean;
}

function fileError(
  code: (typeof CRYPTO_ERROR_CODES)[keyof typeof CRYPTO_ERROR_CODES],
  message: string,
  path: string,
  cause?: unknown,
) {
  return new CryptoError(code, message, { details: { path }, cause });
}

function kdfAd(kdf: z.infer<typeof kdfSchema>): Uint8Array {
  // Binds the header (format, version, KDF parameters, salt) to the encrypted payload: altering any of it fails.
  return encodeContext({
    format: FILE_FORMAT,
    version: '1',
    algorithm: kdf.algorithm,
    opsLimit: String(kdf.opsLimit),
    memLimitBytes: String(kdf.memLimitBytes),
    salt: kdf.salt,
    cipher: 'xchacha20poly1305-ietf',
  });
}

function deriveKey(
  sodium: Sodium,
  passphrase: string,
  salt: Uint8Array,
  kdf: { opsLimit: number; memLimitBytes: number },
): Uint8Array {
  return sodium.crypto_pwhash(
    KEY_BYTES,
    passphrase,
    salt,
    kdf.opsLimit,
    kdf.memLimitBytes,
    sodium.crypto_pwhash_ALG_ARGON2ID13,
  );
}

/**
 * Writes `ring` to a key file (mode 0600, parent directory created 0700), atomically (temp file + rename).
 * @example
 * await writeKeyFile('/var/lib/warden/warden-keys.json', ring, { passphrase: process.env.MCP_WARDEN_KEY_PASSPHRASE });
 */
export async function writeKeyFile(
  path: string,
  ring: KeyRing,
  options: WriteKeyFileOptions = {},
): Promise<void> {
  const sodium = await loadSodium();
  if (!options.overwrite && (await exists(path))) {
    throw fileError(
      CRYPTO_ERROR_CODES.KEY_FILE_EXISTS,
      `Key file ${path} already exists; refusing to overwrite it.`,
      path,
    );
  }
  const keys = exportKeyMaterial(ring);
  const payload = {
    primary: ring.primaryId,
    keys: keys.map((k) => ({ id: k.id, key: toBase64Url(k.key), createdAt: k.createdAt.toISOString() })),
  };
  for (const k of keys) wipe(k.key);
  let file: z.infer<typeof fileSchema>;
  if (options.passphrase === undefined) {
    file = { format: FILE_FORMAT, version: 1, protection: 'none', ...payload };
  } else {
    if (options.passphrase.length === 0)
      throw fileError(CRYPTO_ERROR_CODES.PASSPHRASE_REQUIRED, 'The passphrase must not be empty.', path);
    const params = { ...DEFAULT_KDF_PARAMS, ...options.kdf };
    const salt = randomBytes(sodium.crypto_pwhash_SALTBYTES);
    const kdf = { algorithm: 'argon2id13' as const, ...params, salt: toBase64Url(salt) };
    const checked = kdfSchema.safeParse(kdf);
    if (!checked.success) {
      throw fileError(
        CRYPTO_ERROR_CODES.INVALID_KEY,
        `Argon2id parameters out of range (opsLimit 1-${MAX_OPS}, memLimitBytes 8192-${MAX_MEM}).`,
        path,
      );
    }
    const derived = deriveKey(sodium, options.passphrase, salt, params);
    const plain = encodeUtf8(JSON.stringify(payload));
    try {
      const nonce = randomBytes(NONCE_BYTES);
      const ct = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plain, kdfAd(kdf), null, nonce, derived);
      file = {
        format: FILE_FORMAT,
        version: 1,
        protection: 'passphrase',
        kdf,
        cipher: 'xchacha20poly1305-ietf',
        nonce: toBase64Url(nonce),
        ciphertext: toBase64Url(ct),
      };
    } finally {
      wipe(derived);
      wipe(plain);
    }
  }
  await writeFileAtomic0600(path, `${JSON.stringify(file, null, 2)}\n`);
}

/** Writes `data` to `path` with mode 0600 through a temp file in the same directory, then renames it into place. */
export async function writeFileAtomic0600(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(tmp, 'wx', 0o600);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
  await handle.close();
  await chmod(tmp, 0o600); // in case a restrictive-umask-less platform widened it
  await rename(tmp, path);
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

export interface ReadKeyFileOptions {
  passphrase?: string | undefined;
  /** Accept a key file readable by group or others (not recommended). @default false */
  allowInsecurePermissions?: boolean;
}

/** Facts about a key file that need no passphrase. */
export async function keyFileInfo(path: string): Promise<{ protection: 'none' | 'passphrase' }> {
  const file = await loadFile(path, { allowInsecurePermissions: true });
  return { protection: file.protection };
}

async function loadFile(path: string, options: ReadKeyFileOptions): Promise<z.infer<typeof fileSchema>> {
  let text: string;
  try {
    const info = await stat(path);
    if (!info.isFile())
      throw fileError(CRYPTO_ERROR_CODES.KEY_FILE_INVALID, `Key file ${path} is not a regular file.`, path);
    if (process.platform !== 'win32' && (info.mode & 0o077) !== 0 && !options.allowInsecurePermissions) {
      throw fileError(
        CRYPTO_ERROR_CODES.KEY_FILE_PERMISSIONS,
        `Key file ${path} is accessible by other users (mode ${(info.mode & 0o777).toString(8)}). Fix it with: chmod 600 ${path}`,
        path,
      );
    }
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (CryptoError.isCryptoError(error)) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw fileError(CRYPTO_ERROR_CODES.KEY_FILE_MISSING, `Key file ${path} does not exist.`, path, error);
    if (code === 'EACCES' || code === 'EPERM') {
      throw fileError(
        CRYPTO_ERROR_CODES.KEY_FILE_UNREADABLE,
        `Key file ${path} cannot be read by this process (${code}). Make it owned by the server's user with mode 600.`,
        path,
        error,
      );
    }
    throw fileError(
      CRYPTO_ERROR_CODES.KEY_FILE_UNREADABLE,
      `Key file ${path} cannot be read (${code ?? 'error'}).`,
      path,
      error,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw fileError(
      CRYPTO_ERROR_CODES.KEY_FILE_INVALID,
      `Key file ${path} is not valid JSON; restore it from your backup.`,
      path,
    );
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    throw fileError(
      CRYPTO_ERROR_CODES.KEY_FILE_INVALID,
      `Key file ${path} is not an MCP Warden key file (format "${FILE_FORMAT}", version 1); restore it from your backup.`,
      path,
    );
  }
  return parsed.data;
}

/**
 * Reads a key file into a {@link KeyRing}. Errors say what is wrong: missing, unreadable, too-open permissions,
 * not a key file, passphrase needed, wrong passphrase.
 */
export async function readKeyFile(path: string, options: ReadKeyFileOptions = {}): Promise<KeyRing> {
  const sodium = await loadSodium();
  const file = await loadFile(path, options);
  let payloadJson: unknown;
  if (file.protection === 'none') {
    payloadJson = { primary: file.primary, keys: file.keys };
  } else {
    if (options.passphrase === undefined || options.passphrase === '') {
      throw fileError(
        CRYPTO_ERROR_CODES.PASSPHRASE_REQUIRED,
        `Key file ${path} is protected by a passphrase; provide it (e.g. the MCP_WARDEN_KEY_PASSPHRASE environment variable).`,
        path,
      );
    }
    const salt = fromBase64Url(file.kdf.salt);
    const nonce = fromBase64Url(file.nonce);
    const ct = fromBase64Url(file.ciphertext);
    if (
      !salt ||
      salt.length !== sodium.crypto_pwhash_SALTBYTES ||
      !nonce ||
      nonce.length !== NONCE_BYTES ||
      !ct
    ) {
      throw fileError(
        CRYPTO_ERROR_CODES.KEY_FILE_INVALID,
        `Key file ${path} is damaged (bad salt, nonce or ciphertext).`,
        path,
      );
    }
    const derived = deriveKey(sodium, options.passphrase, salt, file.kdf);
    let plain: Uint8Array;
    try {
      plain = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, ct, kdfAd(file.kdf), nonce, derived);
    } catch {
      throw fileError(
        CRYPTO_ERROR_CODES.WRONG_PASSPHRASE,
        `The passphrase does not open key file ${path} (wrong passphrase, or the file was altered).`,
        path,
      );
    } finally {
      wipe(derived);
    }
    try {
      payloadJson = JSON.parse(decodeUtf8(plain));
    } catch {
      throw fileError(
        CRYPTO_ERROR_CODES.KEY_FILE_INVALID,
        `Key file ${path} holds an invalid payload.`,
        path,
      );
    } finally {
      wipe(plain);
    }
  }
  const payload = payloadSchema.safeParse(payloadJson);
  if (!payload.success)
    throw fileError(CRYPTO_ERROR_CODES.KEY_FILE_INVALID, `Key file ${path} holds an invalid key list.`, path);
  const ring = await KeyRing.create();
  try {
    for (const entry of payload.data.keys) {
      const key = fromBase64Url(entry.key);
      if (!isValidKeyId(entry.id) || !key || key.length !== KEY_BYTES) {
        throw fileError(CRYPTO_ERROR_CODES.KEY_FILE_INVALID, `Key file ${path} holds a malformed key.`, path);
      }
      const createdAt = new Date(entry.createdAt);
      ring.add(entry.id, key, { createdAt: Number.isNaN(createdAt.getTime()) ? undefined : createdAt });
      wipe(key);
    }
    if (!ring.has(payload.data.primary)) {
      throw fileError(
        CRYPTO_ERROR_CODES.KEY_FILE_INVALID,
        `Key file ${path} names a primary key it does not hold.`,
        path,
      );
    }
    ring.setPrimary(payload.data.primary);
  } catch (error) {
    ring.destroy();
    throw error;
  }
  return ring;
}
