export { addressKey } from './address.js';
export {
  BruteForceGuard,
  type BruteForceScope,
  type BruteForceVerdict,
  type FailureRecord,
} from './brute-force.js';
export {
  type RateLimitDecision,
  RateLimitEngine,
  type RateLimitSubject,
  type RuleOutcome,
} from './engine.js';
export { RATELIMIT_ERROR_CODES, type RateLimitErrorCode } from './errors.js';
export {
  CredentialFingerprinter,
  type CredentialFingerprinterOptions,
  DEFAULT_CREDENTIAL_HEADERS,
} from './fingerprint.js';
export { type RateLimitHeaderInput, rateLimitHeaders } from './headers.js';
export {
  type BruteForceOptions,
  bruteForceSchema,
  DEFAULT_RULES,
  defaultRateLimitOptions,
  KEY_DIMENSIONS,
  type KeyDimension,
  type LimitSpec,
  limitSchema,
  memoryStoreSchema,
  type RateLimitOptions,
  type RateLimitRule,
  type RateLimitRuleInput,
  type RedisStoreOptions,
  type ResolvedRateLimitOptions,
  rateLimitOptionsSchema,
  redisStoreSchema,
  ruleSchema,
  type StoreOptions,
  storeSchema,
} from './options.js';
export { type PatternKind, PatternSet, PatternTable } from './pattern.js';
export {
  BRUTE_FORCE_CAPABILITY,
  formatTarget,
  RATE_LIMIT_PLUGIN_NAME,
  RATE_LIMIT_SERVICE,
  type RateLimitService,
  rateLimit,
} from './plugin.js';
export {
  createMemoryStore,
  type LimiterSpec,
  type LimiterStore,
  RedisLimiterStore,
  type StoreHealthChange,
} from './store.js';
export { RefusalAggregator, type RefusalAggregatorOptions, type RefusalSummary } from './summary.js';
