export { advertisableScopes, isRefreshTokenScope } from './advertised-scopes.js';
export * from './errors.js';
export * from './events.js';
export { formatChallenge, mergeChallenges, refusalChallenge } from './http/challenge.js';
export {
  createHttpHandler,
  type HttpHandlerOptions,
  type McpServerLike,
  type WardenHttpHandler,
} from './http/edge.js';
export { isLoopbackHost, type ListeningServer, type ListenOptions, listen } from './http/listen.js';
export { normalizeAddress, type TrustedProxies } from './http/proxies.js';
export { actionOf, classifyRequest, type JsonRpcRequest, targetName } from './mcp/classify.js';
export { isListMethod, LIST_METHODS, type ListMethod, listItemsOf } from './mcp/list-methods.js';
export { errorResponse, WardenTransport, type WardenTransportOptions } from './mcp/warden-transport.js';
export type {
  ObservedRequest,
  RequestEnd,
  RequestObservation,
  RequestObserver,
  RequestOutcome,
  StageObservation,
} from './observe/observer.js';
export {
  formatTraceparent,
  generateSpanId,
  generateTraceId,
  parseTraceparent,
  requestTraceparent,
  resolveTraceContext,
  type TraceContext,
} from './observe/trace-context.js';
export {
  describeOptionIssues,
  formatOptionPath,
  knownKeysAt,
  parseOptions,
} from './options.js';
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
export * from './pino-sink.js';
export { HiddenItems, Pipeline, type PreparedRequest, type RequestOrigin } from './pipeline.js';
export * from './plugin.js';
export * from './principal.js';
export { ScopeHierarchy, type ScopeHierarchyOptions } from './scope-hierarchy.js';
export { WardenServices } from './services.js';
export { suggestKey } from './suggest.js';
export { createWarden, Warden, type WardenOptions } from './warden.js';
export { WebWarden } from './warden-core.js';
export {
  type CacheHintOptions,
  isMultiRoundTripRetry,
  privateCacheHeaders,
  stripSharedCacheHints,
  stripSharedCacheHintsFromMessage,
} from './web/cache-hints.js';
export { canonicalJson } from './web/canonical-json.js';
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
export { type NodeHandler, toNodeHandler } from './web/node.js';
export type { FetchHandlerOptions, FetchUpstream, UpstreamRequestOptions } from './web/options.js';
export {
  createRequestStateSealer,
  DEFAULT_MAX_REQUEST_STATE_BYTES,
  DEFAULT_REQUEST_STATE_TTL_MS,
  openRequestState,
  principalBinding,
  type RequestStateBinding,
  RequestStateError,
  type RequestStateSealer,
  type RequestStateSealerOptions,
  requestDigest,
  requestStateBinding,
  sealMessageRequestState,
  sealResultRequestState,
} from './web/request-state.js';
export {
  DEFAULT_MAX_SSE_EVENT_SIZE,
  type SseMessageTransform,
  type TransformSseOptions,
  transformSseStream,
} from './web/sse.js';
export { decodeNameHeader, MCP_NAME_SOURCE } from './web/standard-headers.js';
