export {
  INVALID_TOKEN_MESSAGE,
  OAUTH_ERROR_CODES,
  type OAuthErrorCode,
  TokenVerificationError,
} from './errors.js';
export { type ActiveIntrospection, type IntrospectionOptions, Introspector } from './introspection.js';
export {
  PROTECTED_RESOURCE_WELL_KNOWN,
  type ProtectedResourceMetadata,
  protectedResourceMetadataPaths,
  protectedResourceMetadataUrl,
} from './metadata.js';
export {
  DEFAULT_ALGORITHMS,
  introspectionOptionsSchema,
  oauthOptionsSchema,
  SUPPORTED_ALGORITHMS,
  type SupportedAlgorithm,
  tokenVerifierOptionsSchema,
} from './options.js';
export {
  bearerToken,
  createScopePolicy,
  type OAuthOptions,
  oauth,
  type ScopePolicy,
} from './plugin.js';
export { claimAtPath, type PrincipalMapping, principalFromClaims } from './principal-from-claims.js';
export { RemoteKeySet, type RemoteKeySetOptions } from './remote-key-set.js';
export { type ScopeRuleOption, ScopeRules } from './scope-rules.js';
export { isScopeToken, ScopeHierarchy, type ScopeHierarchyOptions, scopesFromClaims } from './scopes.js';
export { tokenHash, VerifiedTokenCache } from './token-cache.js';
export {
  canonicalResource,
  createTokenVerifier,
  looksLikeJwt,
  type TokenVerifier,
  type TokenVerifierOptions,
  type VerifiedToken,
} from './token-verifier.js';
