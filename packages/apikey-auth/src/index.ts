/**
 * `@mcp-warden/apikey-auth`: API keys for MCP servers — prefixed, checksummed keys; HMAC-peppered hashes;
 * scopes, roles, expiry, use limits, address ranges; revocation and rotation; memory, SQLite and Redis stores.
 */
export { VerifiedKeyCache } from './cache.js';
export { CidrMatcher, parseCidr } from './cidr.js';
export { parseDuration } from './duration.js';
export { APIKEY_AUTH_ERROR_CODES, type ApiKeyAuthErrorCode, ApiKeyManagerError } from './errors.js';
export {
  API_KEY_BODY_LENGTH,
  API_KEY_CHECKSUM_LENGTH,
  API_KEY_DISPLAY_BODY_LENGTH,
  API_KEY_PATTERN,
  API_KEY_PREFIX_PATTERN,
  type ApiKeyFormatProblem,
  apiKeyLength,
  apiKeyPattern,
  BASE62_ALPHABET,
  checksumOf,
  DEFAULT_API_KEY_PREFIX,
  displayPrefixOf,
  formatProblem,
  generateApiKey,
  isWellFormedApiKey,
  type ParsedApiKey,
  parseApiKey,
} from './key-format.js';
export {
  APIKEY_AUTH_PLUGIN_NAME,
  type ApiKeyFailure,
  ApiKeyManager,
  type ApiKeyManagerOptions,
  type ApiKeyVerification,
  type CreateApiKeyInput,
  type IssuedApiKey,
  type LifecycleOptions,
  type RotateOptions,
  type VerifyOptions,
} from './manager.js';
export {
  type ApiKeyAuthOptions,
  apiKeyAuthOptionsSchema,
  DEFAULT_API_KEY_ENV_VAR,
  DEFAULT_PEPPER_ENV_VAR,
  pepperSchema,
  type ResolvedApiKeyAuthOptions,
} from './options.js';
export { digestsEqual, MIN_PEPPER_BYTES, type Pepper, PepperRing } from './pepper.js';
export { loadOrCreatePepperFile } from './pepper-file.js';
export { type ApiKeyAuthPlugin, apiKeyAuth, INVALID_API_KEY_MESSAGE } from './plugin.js';
export { keyState, toApiKeyInfo } from './record.js';
export { MemoryApiKeyStore } from './stores/memory.js';
export { RedisApiKeyStore, type RedisApiKeyStoreOptions } from './stores/redis.js';
export { SqliteApiKeyStore, type SqliteApiKeyStoreOptions } from './stores/sqlite.js';
export type {
  ApiKeyInfo,
  ApiKeyInvalidation,
  ApiKeyLifecycleEvent,
  ApiKeyRecord,
  ApiKeyRecordPatch,
  ApiKeyState,
  ApiKeyStore,
} from './types.js';
