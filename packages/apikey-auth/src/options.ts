import { parseOptions } from '@mcp-warden/core';
import { z } from 'zod';
import { API_KEY_PREFIX_PATTERN, DEFAULT_API_KEY_PREFIX } from './key-format.js';
import type { ApiKeyManager } from './manager.js';
import { MIN_PEPPER_BYTES, PEPPER_ID_PATTERN } from './pepper.js';
import type { ApiKeyLifecycleEvent, ApiKeyStore } from './types.js';

/** Environment variable the key is read from under stdio. */
export const DEFAULT_API_KEY_ENV_VAR = 'MCP_WARDEN_API_KEY';
/** Environment variable a single pepper is read from when `peppers` is not given (pepper id `env`). */
export const DEFAULT_PEPPER_ENV_VAR = 'MCP_WARDEN_APIKEY_PEPPER';

const isStore = (value: unknown): value is ApiKeyStore =>
  typeof value === 'object' &&
  value !== null &&
  ['insert', 'getById', 'getByHash', 'list', 'update', 'consumeUse', 'touch', 'delete', 'close'].every(
    (method) => typeof (value as Record<string, unknown>)[method] === 'function',
  );

const isManager = (value: unknown): value is ApiKeyManager =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as { verify?: unknown }).verify === 'function' &&
  typeof (value as { create?: unknown }).create === 'function';

const byteLength = (secret: string | Uint8Array): number =>
  typeof secret === 'string' ? Buffer.byteLength(secret, 'utf8') : secret.byteLength;

/** One pepper in the options (the secret is never echoed in errors). */
export const pepperSchema = z.object({
  id: z.string().regex(PEPPER_ID_PATTERN, 'must be 1-32 characters of A-Z, a-z, 0-9, ".", "_" or "-"'),
  secret: z
    .union([
      z.string(),
      z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'must be a string or a Uint8Array'),
    ])
    .refine((s) => byteLength(s) >= MIN_PEPPER_BYTES, {
      message: `must be at least ${MIN_PEPPER_BYTES} bytes`,
      params: { fix: 'generate one with `openssl rand -base64 32` and pass it from an environment variable' },
    }),
});

/**
 * Options of {@link apiKeyAuth}, validated when it is called. Plain-data fields (everything but `manager`, `store` and
 * `onEvent`) can come from a config file.
 */
export const apiKeyAuthOptionsSchema = z.strictObject({
  /** A ready {@link ApiKeyManager} (share it with the CLI / admin code). Replaces store, peppers, prefix, cache. */
  manager: z.custom<ApiKeyManager>(isManager, 'must be an ApiKeyManager').optional(),
  /** Record store. @default a new MemoryApiKeyStore */
  store: z
    .custom<ApiKeyStore>(
      isStore,
      'must implement ApiKeyStore (insert, getById, getByHash, list, update, consumeUse, touch, delete, close)',
    )
    .optional(),
  /** HMAC peppers. @default one pepper read from MCP_WARDEN_APIKEY_PEPPER */
  peppers: z.array(pepperSchema).min(1, 'needs at least one pepper').optional(),
  /** Pepper id for new hashes. @default the first pepper's id */
  currentPepperId: z.string().optional(),
  /** Key prefix. @default 'mcpw' */
  prefix: z
    .string()
    .regex(API_KEY_PREFIX_PATTERN, 'must be 2-16 lower-case letters or digits, starting with a letter')
    .default(DEFAULT_API_KEY_PREFIX),
  /** Extra header carrying a bare key (lower-case name), or `false`. @default 'x-api-key' */
  header: z
    .union([
      z.string().regex(/^[a-z0-9-]{1,64}$/, 'must be a lower-case header name such as x-api-key'),
      z.literal(false),
    ])
    .default('x-api-key'),
  /** Environment variable holding the key under stdio. @default 'MCP_WARDEN_API_KEY' */
  envVar: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be an environment variable name')
    .default(DEFAULT_API_KEY_ENV_VAR),
  /** Longest credential accepted before refusing without a lookup. @default 256 */
  maxCredentialLength: z.number().int().min(64).max(8192).default(256),
  /** `realm` of the `WWW-Authenticate: Bearer` challenge. @default 'mcp-warden' */
  realm: z
    .string()
    .regex(/^[\x20\x21\x23-\x5B\x5D-\x7E]{1,100}$/, 'must be printable ASCII without quotes or backslashes')
    .default('mcp-warden'),
  /**
   * Verified-key cache (see ApiKeyManagerOptions.cache).
   * @default { maxEntries: 10000 (memory store: no limit), ttlMs: 60000 }
   */
  cache: z
    .union([
      z.literal(false),
      z.strictObject({
        maxEntries: z.number().int().min(0).optional(),
        ttlMs: z.number().int().min(0).optional(),
      }),
    ])
    .optional(),
  /** How often (ms) a key's lastUsedAt is written at most. @default 60000 */
  lastUsedResolutionMs: z.number().int().min(0).optional(),
  /** Extra listener for key lifecycle events (they also go to the warden's security events). */
  onEvent: z
    .custom<(event: ApiKeyLifecycleEvent) => void>((v) => typeof v === 'function', 'must be a function')
    .optional(),
  /** @default 'enforce' */
  mode: z.enum(['enforce', 'audit']).optional(),
});

/** Options as written by the user. */
export type ApiKeyAuthOptions = z.input<typeof apiKeyAuthOptionsSchema>;
/** Options after validation and defaults. */
export type ResolvedApiKeyAuthOptions = z.output<typeof apiKeyAuthOptionsSchema>;

const MANAGER_EXAMPLE =
  "new ApiKeyManager({ store: new SqliteApiKeyStore({ path: 'keys.db' }), peppers: [{ id: 'p1', secret: process.env.MCP_WARDEN_APIKEY_PEPPER }] })";
const PEPPERS_EXAMPLE = `[{ id: 'p1', secret: <${MIN_PEPPER_BYTES}+ random bytes from \`openssl rand -base64 32\`> }]`;

/** Options of `new ApiKeyManager(...)`, checked in its constructor (the interface is `ApiKeyManagerOptions`). */
export const apiKeyManagerOptionsSchema = z
  .strictObject(
    {
      store: z.custom<ApiKeyStore>(isStore, {
        message: 'must be an ApiKeyStore',
        params: {
          fix: 'give new SqliteApiKeyStore({ path: "keys.db" }) or new MemoryApiKeyStore() (methods insert, getById, getByHash, list, update, consumeUse, touch, delete, close)',
        },
      }),
      peppers: z
        .array(pepperSchema, `must be a list of peppers such as ${PEPPERS_EXAMPLE}`)
        .min(1, `needs at least one pepper: ${PEPPERS_EXAMPLE}`)
        .refine((list) => new Set(list.map((p) => p.id)).size === list.length, {
          message: 'uses a pepper id twice',
          params: { fix: 'give each pepper its own id' },
        }),
      currentPepperId: z.string().optional(),
      prefix: z
        .string()
        .regex(API_KEY_PREFIX_PATTERN, 'must be 2-16 lower-case letters or digits, starting with a letter')
        .optional(),
      cache: z
        .union([
          z.literal(false),
          z.strictObject({
            maxEntries: z.number().positive().optional(),
            ttlMs: z.number().int().min(0).optional(),
          }),
        ])
        .optional(),
      lastUsedResolutionMs: z.number().int().min(0).optional(),
      onEvent: z
        .custom<(event: ApiKeyLifecycleEvent) => void>((v) => typeof v === 'function', 'must be a function')
        .optional(),
      onBackgroundError: z
        .custom<(error: unknown) => void>((v) => typeof v === 'function', 'must be a function')
        .optional(),
      now: z.custom<() => number>((v) => typeof v === 'function', 'must be a function').optional(),
    },
    {
      error: (issue) =>
        issue.code === 'invalid_type'
          ? `options { store, peppers } are required, e.g. ${MANAGER_EXAMPLE}`
          : undefined,
    },
  )
  .superRefine((options, ctx) => {
    const { peppers, currentPepperId } = options;
    if (currentPepperId !== undefined && !peppers.some((p) => p.id === currentPepperId))
      ctx.addIssue({
        code: 'custom',
        path: ['currentPepperId'],
        message: `must be the id of one of the peppers (${peppers.map((p) => `"${p.id}"`).join(', ')})`,
        params: { fix: 'name a pepper of the list, or leave it out to use the first one' },
      });
  });

/**
 * Throws core's `ConfigError` naming every bad option of `new ApiKeyManager(options)` with its fix (never a
 * secret), in the one format of every plugin's options (`parseOptions`).
 * @example
 * new ApiKeyManager({ store: new SqliteApiKeyStore({ path: 'keys.db' }), peppers: [{ id: 'p1', secret }] });
 */
export function assertApiKeyManagerOptions(options: unknown): void {
  parseOptions(apiKeyManagerOptionsSchema, options, { plugin: 'ApiKeyManager' });
}
