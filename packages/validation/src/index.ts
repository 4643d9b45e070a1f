export {
  escapePointerToken,
  PathValidationError,
  type TypedValidationErrorOptions,
  toPointer,
  UrlValidationError,
  VALIDATION_ERROR_CODES,
  type ValidationErrorCode,
} from './errors.js';
export {
  type ArgumentLimits,
  argumentLimitsSchema,
  assertWithinLimits,
  checkLimits,
  DEFAULT_LIMITS,
  type LimitCheckOptions,
} from './limits.js';
export {
  type OpenSafeFlags,
  type OpenSafeOptions,
  openSafe,
  openWithin,
  type SafeFileHandle,
} from './path/open-safe.js';
export {
  createSafePath,
  type SafePathChecker,
  type SafePathOptions,
  safePath,
  safePathOptionsSchema,
} from './path/safe-path.js';
export {
  type ArgumentSchema,
  type TargetRule,
  targetRuleSchema,
  type ValidationOptions,
  validation,
  validationOptionsSchema,
  type ZodLike,
} from './plugin.js';
export { compileJsonSchema, type JsonSchema, type JsonSchemaCheck } from './schema/json-schema.js';
export { compileUriTemplate, type UriTemplateMatcher } from './schema/uri-template.js';
export { safePathSchema, safeUrlSchema, zodIssuesToValidationIssues } from './schema/zod-schemas.js';
export { ADDRESS_CATEGORIES, type AddressCategory, classifyAddress } from './url/ip-classify.js';
export {
  createSafeUrl,
  type HostResolver,
  pinnedLookup,
  type ResolvedAddress,
  type SafeUrlChecker,
  type SafeUrlOptions,
  type SafeUrlResult,
  safeUrl,
  safeUrlOptionsSchema,
  systemResolver,
} from './url/safe-url.js';
