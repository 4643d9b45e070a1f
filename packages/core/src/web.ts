/**
 * `@mcp-warden/core/web`: the Workers-clean entry. A warden with the fetch handler only, and the plugin contract,
 * errors, events and 2026-07-28 building blocks, with no `node:` module (nor pino, nor SDK 1.x) in its import
 * graph (a test bundles it for a worker and checks). The Node faces (`httpHandler`, stdio, SDK 1.x transports,
 * `toNodeHandler`, `pinoSink`, `listen`) are in `@mcp-warden/core`.
 */
export { advertisableScopes, isRefreshTokenScope } from './advertised-scopes.js';
export * from './errors.js';
export * from './events.js';
export { actionOf, classifyRequest, type JsonRpcRequest, targetName } from './mcp/classify.js';
export { isListMethod, LIST_METHODS, type ListMethod, listItemsOf } from './mcp/list-methods.js';
export type {
  ObservedRequest,
  RequestEnd,
  RequestObservation,
  RequestObserver,
  RequestOutcome,
  StageObservation,
} from './observe/observer.js';
export { parseTraceparent, requestTraceparent, type TraceContext } from './observe/trace-context.js';
export { describeOptionIssues, formatOptionPath, knownKeysAt, parseOptions } from './options.js';
export {
  type CompiledPattern,
  compilePattern,
  expandPattern,
  isLiteralAlternative,
  isPattern,
  MAX_PATTERN_EXPANSIONS,
  MAX_PATTERN_LENGTH,
  matchSegment,
  matchWildSegment,
  type PatternContext,
  type PatternSegment,
  PatternSyntaxError,
  parsePatternSegments,
} from './pattern.js';
export { PatternIndex } from './pattern-index.js';
export {
  checkLegacyPattern,
  type LegacyPatternOptions,
  MCP_METHOD_NAMES,
} from './pattern-legacy.js';
export { HiddenItems, Pipeline, type PreparedRequest, type RequestOrigin } from './pipeline.js';
export * from './plugin.js';
export * from './principal.js';
export { ScopeHierarchy, type ScopeHierarchyOptions } from './scope-hierarchy.js';
export { WardenServices } from './services.js';
export { suggestKey } from './suggest.js';
export { createWebWarden as createWarden, type WardenOptions, WebWarden } from './warden-core.js';
export {
  type CacheHintOptions,
  isMultiRoundTripRetry,
  privateCacheHeaders,
  stripSharedCacheHints,
  stripSharedCacheHintsFromMessage,
} from './web/cache-hints.js';
export { createWebClientAddressResolver } from './web/client-address.js';
export { type FilterDiscoverOptions, filterDiscoverResult } from './web/discover.js';
export { classifyEra, type EraInput, type EraOutcome } from './web/era.js';
export {
  createFetchHandler,
  type FetchHandlerLike,
  type FetchRequestInfo,
  type WardenFetchHandler,
} from './web/handler.js';
export {
  createListenFilter,
  filterListenMessage,
  type ListenFilterOptions,
  type ListenMessageFilter,
} from './web/listen-filter.js';
export type { FetchHandlerOptions, FetchUpstream, UpstreamRequestOptions } from './web/options.js';
export {
  createRequestStateSealer,
  openRequestState,
  principalBinding,
  type RequestStateBinding,
  RequestStateError,
  type RequestStateSealer,
  type RequestStateSealerOptions,
  requestStateBinding,
  sealMessageRequestState,
  sealResultRequestState,
} from './web/request-state.js';
export { type TransformSseOptions, transformSseStream } from './web/sse.js';
