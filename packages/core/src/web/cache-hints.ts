/**
 * Cache hints of MCP 2026-07-28 (server/utilities/caching) on responses that depend on the principal.
 *
 * Cacheable results (`server/discover`, `tools/list`, `prompts/list`, `resources/list`,
 * `resources/templates/list`, `resources/read`) carry `ttlMs` and `cacheScope` in the result body. `"public"`
 * lets shared gateways and caching proxies serve the result to any user, so a result Warden filtered,
 * transformed or authorized for one principal must say `"private"` (reusable only in the same authorization
 * context). Interim `input_required` results carry no hints, and results of a multi round-trip retry (a
 * request with `requestState` or `inputResponses`) MUST NOT be cached. The same holds at the HTTP level:
 * `Cache-Control: public` or a CDN-targeted cache field would let an intermediary share the response.
 */

export interface CacheHintOptions {
  /** The request carried `requestState` or `inputResponses`: its result must not be cached at all. */
  retried?: boolean;
}

/** Whether request params make a multi round-trip retry (`requestState` or `inputResponses`): see `retried`. */
export function isMultiRoundTripRetry(params: unknown): boolean {
  if (typeof params !== 'object' || params === null) return false;
  return Object.hasOwn(params, 'requestState') || Object.hasOwn(params, 'inputResponses');
}

/** The result with no shared cache hint: `cacheScope` becomes `"private"` (see the module comment). */
export function stripSharedCacheHints<T>(result: T, options: CacheHintOptions = {}): T {
  if (typeof result !== 'object' || result === null || Array.isArray(result)) return result;
  const record = result as Record<string, unknown>;
  const hasHints = Object.hasOwn(record, 'cacheScope') || Object.hasOwn(record, 'ttlMs');
  if (record.resultType === 'input_required') {
    if (!hasHints) return result;
    const { cacheScope: _scope, ttlMs: _ttl, ...rest } = record;
    return rest as T;
  }
  if (!hasHints && !options.retried) return result;
  const ttl = record.ttlMs;
  const ttlMs = options.retried || typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 0 ? 0 : ttl;
  return { ...record, ttlMs, cacheScope: 'private' } as T;
}

/** Applies {@link stripSharedCacheHints} to a JSON-RPC response's `result`; other messages pass unchanged. */
export function stripSharedCacheHintsFromMessage<T>(message: T, options: CacheHintOptions = {}): T {
  if (typeof message !== 'object' || message === null || !Object.hasOwn(message, 'result')) return message;
  const record = message as Record<string, unknown>;
  const result = stripSharedCacheHints(record.result, options);
  return result === record.result ? message : ({ ...record, result } as T);
}

/** Directives kept from an upstream `Cache-Control`: they only restrict what caches and proxies may do. */
const KEPT_DIRECTIVES = new Set(['no-transform']);

/**
 * A copy of the response headers that no shared cache may use: `Cache-Control: private, no-store` (keeping
 * `no-transform`, which stops proxies from buffering an event stream), and no CDN-targeted cache field
 * (`CDN-Cache-Control`, `Surrogate-Control`, `*-CDN-Cache-Control`, RFC 9213) or `Expires`.
 */
export function privateCacheHeaders(headers: Headers): Headers {
  const out = new Headers(headers);
  const kept = new Set<string>();
  for (const part of (headers.get('cache-control') ?? '').split(',')) {
    const directive = part.trim().toLowerCase();
    if (KEPT_DIRECTIVES.has(directive)) kept.add(directive);
  }
  const names = [...out.keys()];
  for (const name of names) {
    if (name === 'surrogate-control' || name === 'expires' || name.endsWith('cdn-cache-control'))
      out.delete(name);
  }
  out.set('cache-control', ['private', 'no-store', ...kept].join(', '));
  return out;
}
