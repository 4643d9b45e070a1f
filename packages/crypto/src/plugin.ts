import { join, resolve } from 'node:path';
import {
  ConfigError,
  parseOptions,
  type ResponseContext,
  serviceKey,
  WARDEN_SPEC_VERSION,
  type WardenPlugin,
} from '@mcp-warden/core';
import { z } from 'zod';
import type { Cipher } from './cipher.js';
import { DATA_DIR_FILES, openDataDirKeys } from './data-dir.js';
import { EncryptedStore } from './encrypted-store.js';
import { EnvelopeCipher, type KeyProvider } from './envelope.js';
import { CryptoError } from './errors.js';
import { resolvePointer } from './json-pointer.js';
import { readKeyFile } from './key-file.js';
import { KeyRing } from './key-ring.js';
import { type CryptoService, createCryptoService, cryptoFailedEvent } from './service.js';

/** The service key under which the plugin provides its {@link CryptoService}. */
export const CRYPTO_SERVICE = serviceKey<CryptoService>('crypto');

/** Capability the plugin provides (`requires: ['crypto']` in plugins that need it). */
export const CRYPTO_CAPABILITY = 'crypto';

/** Default environment variable holding the key-file passphrase. */
export const DEFAULT_PASSPHRASE_ENV = 'MCP_WARDEN_KEY_PASSPHRASE';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const JSON_POINTER = /^(\/[^/]*)+$/;

function isKeyProvider(value: unknown): value is KeyProvider {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.name === 'string' &&
    typeof v.currentKeyId === 'function' &&
    typeof v.wrapKey === 'function' &&
    typeof v.unwrapKey === 'function'
  );
}

/** Options of {@link cryptoPlugin}, validated when it is called. Embed it in a config schema as is. */
export const cryptoOptionsSchema = z
  .object({
    mode: z.enum(['enforce', 'audit']).optional(),
    dataDir: z.string().min(1).optional(),
    keyFile: z.string().min(1).optional(),
    passphrase: z.string().min(1).optional(),
    passphraseEnv: z
      .string()
      .regex(ENV_NAME, 'must be an environment variable name')
      .default(DEFAULT_PASSPHRASE_ENV),
    kdf: z
      .object({
        opsLimit: z.number().int().min(1).max(20).optional(),
        memLimitBytes: z
          .number()
          .int()
          .min(8192)
          .max(1024 ** 3)
          .optional(),
      })
      .strict()
      .optional(),
    keyRing: z.custom<KeyRing>((v) => v instanceof KeyRing, 'must be a KeyRing instance').optional(),
    keyProvider: z
      .custom<KeyProvider>(
        isKeyProvider,
        'must implement KeyProvider (name, currentKeyId, wrapKey, unwrapKey)',
      )
      .optional(),
    store: z
      .union([
        z.literal(false),
        z
          .object({
            path: z.string().min(1).optional(),
            table: z.string().regex(TABLE_NAME, 'must be a SQL identifier').optional(),
          })
          .strict(),
      ])
      .optional(),
    sealToolResults: z
      .record(
        z.string().min(1),
        z.array(z.string().regex(JSON_POINTER, 'must be a JSON pointer such as "/token"')).min(1),
      )
      .optional(),
    timestamps: z.boolean().default(true),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.keyRing && o.keyProvider)
      ctx.addIssue({
        code: 'custom',
        path: ['keyProvider'],
        message: 'keyRing and keyProvider are both set',
        params: { fix: 'give either keyRing or keyProvider, not both' },
      });
    if ((o.keyRing || o.keyProvider) && o.keyFile) {
      ctx.addIssue({
        code: 'custom',
        path: ['keyFile'],
        message: 'keyFile cannot be combined with keyRing or keyProvider',
        params: { fix: 'remove keyFile, or remove keyRing and keyProvider' },
      });
    }
    if (!o.keyRing && !o.keyProvider && !o.keyFile && !o.dataDir) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: 'no key source is set',
        params: { fix: 'set dataDir (keys are created on first start), keyFile, keyRing or keyProvider' },
      });
    }
    if (o.store && !o.store.path && !o.dataDir) {
      ctx.addIssue({
        code: 'custom',
        path: ['store', 'path'],
        message: 'the encrypted store has no path',
        params: { fix: 'set store.path or dataDir, or store: false to go without the store' },
      });
    }
  });

/** Options of {@link cryptoPlugin}. */
export interface CryptoPluginOptions {
  /** `audit` records what would have been sealed without changing results. @default 'enforce' */
  mode?: 'enforce' | 'audit';
  /**
   * Data directory: holds `warden-keys.json` (generated, mode 0600, on first start when the directory holds no
   * encrypted data), its check value and the default store `warden-store.db`.
   */
  dataDir?: string;
  /** Key file path (relative to `dataDir` when both are set). @default `<dataDir>/warden-keys.json` */
  keyFile?: string;
  /** Key-file passphrase. Prefer the environment variable named by `passphraseEnv`. */
  passphrase?: string;
  /** Environment variable read for the passphrase when `passphrase` is not set. @default 'MCP_WARDEN_KEY_PASSPHRASE' */
  passphraseEnv?: string;
  /** Argon2id cost for a key file generated on first start. @default { opsLimit: 3, memLimitBytes: 67108864 } */
  kdf?: { opsLimit?: number; memLimitBytes?: number };
  /** Use this key ring directly (the plugin does not own it and does not destroy it on close). */
  keyRing?: KeyRing;
  /** Envelope encryption: per-value data keys wrapped by this provider's master key (env, file, cloud KMS). */
  keyProvider?: KeyProvider;
  /** The encrypted key/value store; `false` disables it. @default `{ path: '<dataDir>/warden-store.db' }` when `dataDir` is set */
  store?: false | { path?: string; table?: string };
  /**
   * Tool results to seal: tool name → JSON pointers into `structuredContent` (e.g. `{ issue_token: ['/token'] }`).
   * Each value becomes `mcpw1.…` ciphertext bound to `{ purpose: 'tool-result', tool, field }`; a text content
   * item that mirrors the structured content is rewritten to match, and free text repeating a sealed value
   * (4+ characters) gets the ciphertext in its place. Declare sealed fields as strings in `outputSchema`. @default {}
   */
  sealToolResults?: Record<string, string[]>;
  /** Record creation times in ciphertexts. @default true */
  timestamps?: boolean;
}

/**
 * The crypto plugin: opens (or initialises) the keys at setup, provides the {@link CryptoService} under
 * {@link CRYPTO_SERVICE}, and seals declared sensitive fields of tool results.
 *
 * @example
 * const warden = await createWarden({
 *   plugins: [cryptoPlugin({ dataDir: './data', sealToolResults: { issue_token: ['/token'] } })],
 * });
 * // in another plugin's setup or a tool: const crypto = services.require(CRYPTO_SERVICE);
 */
export function cryptoPlugin(options: CryptoPluginOptions) {
  // Eagerly, in the factory: bad options fail where they are written. Keys are opened at setup.
  const o = parseOptions(cryptoOptionsSchema, options, { plugin: 'crypto' });
  const sealFields: Record<string, string[]> = o.sealToolResults ?? {};
  let service: CryptoService | undefined;
  let ownedRing: KeyRing | undefined;

  return {
    specVersion: WARDEN_SPEC_VERSION,
    name: 'crypto',
    stage: 'default',
    mode: o.mode ?? 'enforce',
    provides: [CRYPTO_CAPABILITY],

    async setup(ctx) {
      const passphrase = o.passphrase ?? (process.env[o.passphraseEnv] || undefined);
      let cipher: Cipher;
      try {
        if (o.keyProvider) {
          cipher = await EnvelopeCipher.create(o.keyProvider);
        } else if (o.keyRing) {
          cipher = o.keyRing;
        } else if (o.keyFile && !o.dataDir) {
          ownedRing = await readKeyFile(resolve(o.keyFile), { passphrase });
          cipher = ownedRing;
        } else {
          const opened = await openDataDirKeys(o.dataDir!, { passphrase, keyFile: o.keyFile, kdf: o.kdf });
          ownedRing = opened.keyRing;
          cipher = ownedRing;
          ctx.emit({
            type: opened.created ? 'key.created' : 'key.loaded',
            outcome: 'info',
            severity: opened.protection === 'none' && passphrase !== undefined ? 'warn' : 'info',
            reason: opened.message,
            details: { keyId: opened.keyRing.primaryId, keyFile: opened.keyFile },
          });
        }
      } catch (error) {
        if (CryptoError.isCryptoError(error))
          throw new ConfigError(error.message, { code: error.code, cause: error });
        throw error;
      }
      let store: EncryptedStore | undefined;
      if (o.store !== false && (o.store?.path || o.dataDir)) {
        const path = o.store?.path ? resolve(o.store.path) : join(resolve(o.dataDir!), DATA_DIR_FILES.store);
        store = await EncryptedStore.open({
          path,
          cipher,
          table: o.store?.table,
          timestamps: o.timestamps,
          onFailure: (error, where) =>
            ctx.emit(cryptoFailedEvent(error, 'store.get', { namespace: where.namespace })),
        });
      }
      service = createCryptoService({ cipher, store, emit: (event) => ctx.emit(event) });
      ctx.services.provide(CRYPTO_SERVICE, service);
    },

    async close() {
      service?.store?.close();
      ownedRing?.destroy();
      service = undefined;
      ownedRing = undefined;
    },

    async afterResponse(ctx: ResponseContext) {
      if (!service || ctx.method !== 'tools/call' || ctx.target?.type !== 'tool') return;
      const pointers = sealFields[ctx.target.name];
      if (!pointers || ctx.result.isError === true) return;
      const structured = ctx.result.structuredContent;
      if (typeof structured !== 'object' || structured === null) return;
      const sealed = structuredClone(structured) as Record<string, unknown>;
      let count = 0;
      const replaced: [plain: string, sealed: string][] = [];
      for (const pointer of pointers) {
        const slot = resolvePointer(sealed, pointer);
        if (!slot || slot.value === undefined) continue;
        const text = typeof slot.value === 'string' ? slot.value : JSON.stringify(slot.value);
        const ciphertext = await service.encrypt(text, {
          context: { purpose: 'tool-result', tool: ctx.target.name, field: pointer },
        });
        slot.set(ciphertext);
        replaced.push([text, ciphertext]);
        count++;
      }
      if (count === 0) return;
      const mirror = JSON.stringify(structured);
      const content = Array.isArray(ctx.result.content)
        ? ctx.result.content.map((item: unknown) => {
            const c = item as { type?: unknown; text?: unknown };
            if (c.type !== 'text' || typeof c.text !== 'string') return item;
            if (sameJson(c.text, mirror)) return { ...c, text: JSON.stringify(sealed, null, 2) };
            // Free text that repeats a sealed value gets the same ciphertext in its place (values of 4+ characters;
            // shorter ones would match too much ordinary text).
            let text = c.text;
            for (const [plain, ciphertext] of replaced)
              if (plain.length >= 4) text = text.replaceAll(plain, ciphertext);
            return text === c.text ? item : { ...c, text };
          })
        : ctx.result.content;
      ctx.emit({
        type: 'content.sealed',
        outcome: ctx.mode === 'audit' ? 'audited' : 'modified',
        details: { tool: ctx.target.name, fields: count },
      });
      return { result: { ...ctx.result, structuredContent: sealed, content } };
    },
  } satisfies WardenPlugin;
}

function sameJson(text: string, canonical: string): boolean {
  try {
    return JSON.stringify(JSON.parse(text)) === canonical;
  } catch {
    return false;
  }
}
