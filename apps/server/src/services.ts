import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ApiKeyManager, SqliteApiKeyStore } from '@mcp-warden/apikey-auth';
import type { SecurityEventInput } from '@mcp-warden/core';
import {
  type CryptoService,
  createCryptoService,
  DATA_DIR_FILES,
  EncryptedStore,
  type KeyRing,
  openDataDirKeys,
} from '@mcp-warden/crypto';
import { z } from 'zod';
import { type ServerConfig, ServerConfigError } from './config.js';
import { checkSqliteStores, DataDirIntegrityError, referenceStores } from './integrity.js';
import type { NoteCodec } from './notes-store.js';

/** The files the reference server keeps in its data directory. */
export const DATA_FILES = {
  notes: 'notes.db',
  keys: 'keys.db',
  audit: 'audit.db',
  policy: 'policy.yaml',
  files: 'files',
  bootstrapMarker: '.bootstrap-key-issued',
  /** Written with the default policy: from then on a missing policy file refuses to start. */
  policyMarker: '.policy-installed',
  /** Tool pins (plugins.toolPinning). */
  toolPins: 'tool-pins.db',
  /** Written once the pin store exists: from then on a missing pin store refuses to start. */
  toolPinsMarker: '.tool-pins-created',
} as const;

import { apiKeySectionSchema, cryptoSectionSchema } from './plugin-sections.js';

export { apiKeySectionSchema, cryptoSectionSchema };

export function section<T extends z.ZodType>(schema: T, config: ServerConfig, name: string): z.infer<T> {
  const result = schema.safeParse((config.plugins as Record<string, unknown>)[name] ?? {});
  if (!result.success)
    throw new ServerConfigError(
      `Invalid configuration of plugins.${name}:\n${z.prettifyError(result.error)}`,
    );
  return result.data;
}

/** The long-lived services of a data directory, shared by the server and the CLI. */
export interface DataDirServices {
  keyRing: KeyRing | undefined;
  crypto: CryptoService | undefined;
  /** Encrypted key/value store (API-key pepper, …) when crypto is on. */
  secrets: EncryptedStore | undefined;
  keys: ApiKeyManager | undefined;
  noteCodec: NoteCodec | undefined;
  /** Where the crypto service reports `crypto.failed` (the warden's event bus once it exists). */
  setEventSink(emit: (event: SecurityEventInput) => void): void;
  close(): Promise<void>;
}

/**
 * Opens the key material, the encrypted store, the API-key manager and the note codec of a data directory.
 * A data directory whose key is missing or wrong refuses to open (the crypto package says what and how to fix).
 */
export async function openDataDir(
  config: ServerConfig,
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
): Promise<DataDirServices> {
  const dataDir = config.dataDir;
  const cryptoConfig = section(cryptoSectionSchema, config, 'crypto');
  const apiKeyConfig = section(apiKeySectionSchema, config, 'apikeyAuth');
  checkSqliteStores(dataDir, referenceStores(DATA_FILES));
  if (
    apiKeyConfig.enabled &&
    existsSync(join(dataDir, DATA_FILES.bootstrapMarker)) &&
    !existsSync(join(dataDir, DATA_FILES.keys))
  ) {
    throw new DataDirIntegrityError(
      `${join(dataDir, DATA_FILES.keys)} is missing although keys were issued from this data directory; refusing ` +
        `to start with no keys. Restore it from a backup, or delete ${join(dataDir, DATA_FILES.bootstrapMarker)} ` +
        'to start afresh and print a new admin key.',
    );
  }
  let emit: (event: SecurityEventInput) => void = () => undefined;

  let keyRing: KeyRing | undefined;
  let crypto: CryptoService | undefined;
  let secrets: EncryptedStore | undefined;
  let noteCodec: NoteCodec | undefined;
  if (cryptoConfig.enabled) {
    const opened = await openDataDirKeys(dataDir, {
      passphrase: env[cryptoConfig.passphraseEnv] || undefined,
      encryptedDataFiles: [DATA_FILES.notes],
    });
    if (opened.created) log(`mcp-warden: ${opened.message}`);
    keyRing = opened.keyRing;
    crypto = createCryptoService({ cipher: keyRing, emit: (event) => emit({ ...event, plugin: 'crypto' }) });
    secrets = await EncryptedStore.open({ path: join(dataDir, DATA_DIR_FILES.store), cipher: keyRing });
    const service = crypto;
    // Bound to owner and note name: a sealed body copied to another note or owner does not decrypt.
    noteCodec = {
      encode: (owner, name, body) => service.encrypt(body, { context: { table: 'notes', owner, name } }),
      decode: (owner, name, stored) =>
        service.decryptString(stored, { context: { table: 'notes', owner, name } }),
    };
  }

  let keys: ApiKeyManager | undefined;
  if (apiKeyConfig.enabled) {
    let pepper: string | Uint8Array;
    if (secrets) {
      pepper = await secrets.ensure('apikey-auth', 'pepper', () => randomBytes(32));
    } else {
      const fromEnv = env[apiKeyConfig.pepperEnv];
      if (!fromEnv || Buffer.byteLength(fromEnv) < 32) {
        throw new Error(
          `API keys need a pepper: with plugins.crypto disabled, set ${apiKeyConfig.pepperEnv} to at least 32 random bytes (e.g. \`openssl rand -base64 32\`), or enable plugins.crypto to keep it encrypted in the data directory.`,
        );
      }
      pepper = fromEnv;
    }
    keys = new ApiKeyManager({
      store: new SqliteApiKeyStore({ path: join(dataDir, DATA_FILES.keys) }),
      peppers: [{ id: 'p1', secret: pepper }],
      prefix: apiKeyConfig.prefix,
    });
  }

  return {
    keyRing,
    crypto,
    secrets,
    keys,
    noteCodec,
    setEventSink: (sink) => {
      emit = sink;
    },
    close: async () => {
      await keys?.close();
      secrets?.close();
    },
  };
}
