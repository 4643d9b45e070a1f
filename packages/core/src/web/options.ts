import { ConfigError } from '../errors.js';
import { createOriginCheck } from '../origin-check.js';
import type { PluginRoute, WardenPlugin } from '../plugin.js';
import { collectPluginRoutes } from '../plugin-routes.js';
import type { Principal, SdkAuthInfo } from '../principal.js';
import type { TrustedProxies } from './client-address.js';
import { createWebClientAddressResolver } from './client-address.js';
import type { LegacySessionOptions } from './legacy-sessions.js';
import {
  createRequestStateSealer,
  type RequestStateSealer,
  type RequestStateSealerOptions,
} from './request-state.js';

/** What the fetch face hands the MCP server behind it, beside the request: SDK v2's `fetch` options. */
export interface UpstreamRequestOptions {
  /** The authenticated principal in SDK v2's `AuthInfo` shape (`ctx.authInfo` in tools); `token` is always empty. */
  authInfo?: SdkAuthInfo;
  /** The JSON body Warden checked, parsed: the upstream need not (and must not) read another copy. */
  parsedBody?: unknown;
  /**
   * The same body as text, exactly what the forwarded `Request` carries: an upstream that forwards it (a gateway)
   * sends this instead of reading the request's body stream again.
   */
  bodyText?: string;
  /** Ends when the request does: the client went away, its deadline passed, or the warden closed. */
  signal?: AbortSignal;
  /**
   * Only with `takesCheckedBody`: the headers to forward, the client's as received minus what Warden keeps back
   * (a 2026-07-28 request's `Mcp-Session-Id`). The `Request` itself is then the client's, its body already read.
   */
  headers?: Headers;
}

/** The MCP server behind Warden: SDK v2's `createMcpHandler(...)` result, or any fetch-shaped MCP handler. */
export type FetchUpstream =
  | { fetch(request: Request, options?: UpstreamRequestOptions): Promise<Response> }
  | ((request: Request, options?: UpstreamRequestOptions) => Promise<Response>);

export interface FetchHandlerOptions {
  /** The MCP server behind Warden (e.g. `createMcpHandler(factory)` of `@modelcontextprotocol/server`). */
  upstream: FetchUpstream;
  /** Names the upstream for plugins (`ctx.upstream`), when it is a server this process fronts (a gateway). */
  upstreamName?: string;
  /**
   * The upstream reads the body from `options.bodyText`, the headers from `options.headers` and its cancellation
   * from `options.signal` (a forwarder such as the gateway): Warden then hands it the client's `Request` as it
   * came, body already read, instead of re-making one per request (~60 us on Node 20). @default false
   */
  takesCheckedBody?: boolean;
  /** Path of the MCP endpoint. @default '/mcp' */
  endpoint?: string;
  /**
   * Host names (without port) accepted in the `Host` header, against DNS rebinding. `false` turns the check off
   * (only behind a proxy that checks Host itself). @default ['localhost', '127.0.0.1', '[::1]']
   */
  allowedHosts?: readonly string[] | false;
  /** Exact origins browsers may call from; `http://localhost:*` allows any port. @default same host and port */
  allowedOrigins?: readonly string[];
  /** @default 1048576 (1 MiB) */
  maxBodyBytes?: number;
  /** Time allowed to receive a request body. @default 10000 */
  bodyTimeoutMs?: number;
  /** Deepest nesting of arrays and objects accepted in a request body. @default 64 */
  maxJsonDepth?: number;
  /**
   * Reverse proxies whose `X-Forwarded-For` entries are trusted for the client address (addresses or CIDRs, or
   * `{ hops: n }`); the direct peer is `info.remoteAddress` of `fetch(request, info)`. @default []
   */
  trustedProxies?: TrustedProxies;
  /**
   * How the `requestState` of 2026-07-28 multi round-trip results is sealed (AES-256-GCM, bound to the principal,
   * a digest of the request and a TTL) and opened on the retry: sealer options with a `key` of at least 32 bytes
   * (e.g. from the data directory; the same key on every instance), or a ready sealer. @default a random key per
   * handler: states then die with the process and do not cross instances
   */
  requestState?: RequestStateSealerOptions | RequestStateSealer;
  /**
   * A 2025-era session (the `Mcp-Session-Id` an upstream answered `initialize` with) is bound to the principal
   * that opened it; a binding unused this long is dropped, and the session is then answered as unknown (404).
   * A response still streaming keeps its session's binding. @default 1800000 (30 min)
   */
  sessionIdleTimeoutMs?: number;
  /**
   * Bound 2025-era sessions in all (and so the most the table holds); an `initialize` beyond it is refused with
   * 503 `SESSION_LIMIT` and `Retry-After` before the upstream sees it. @default 10000
   */
  maxSessions?: number;
  /**
   * Bound 2025-era sessions of one principal; an `initialize` beyond it is refused with 429 `SESSION_LIMIT` and
   * `Retry-After` before the upstream sees it. Unauthenticated (anonymous) callers are counted per client
   * address. @default 16
   */
  maxSessionsPerPrincipal?: number;
  /**
   * Asked every `principalRecheckMs` about each principal that holds bound 2025-era sessions; `false` drops all of
   * its bindings and ends their open streams (e.g. an API key revoked by another process), and the upstream is
   * told (see the session notes in the README). An error keeps the sessions and is recorded. Without it, only
   * {@link WardenFetchHandler.closeSessionsOf}, the idle sweep and each request's own authentication end them.
   */
  principalStillValid?: (principal: Principal) => boolean | Promise<boolean>;
  /** @default 10000 */
  principalRecheckMs?: number;
}

/** Options checked and turned into what each request needs. */
export interface ResolvedFetchOptions {
  callUpstream: (request: Request, options: UpstreamRequestOptions) => Promise<Response>;
  takesCheckedBody: boolean;
  upstreamName: string | undefined;
  endpoint: string;
  allowedHosts: ReadonlySet<string> | undefined;
  originAllowed: (origin: string, host: string | undefined) => boolean;
  maxBodyBytes: number;
  bodyTimeoutMs: number;
  maxJsonDepth: number;
  clientAddress: (peer: string | undefined, forwardedFor: string | undefined) => string | undefined;
  routes: ReadonlyMap<string, PluginRoute>;
  sealer: RequestStateSealer;
  sessions: LegacySessionOptions;
}

const DEFAULT_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1)
    throw new ConfigError(`${name} must be a positive integer (got ${String(value)}).`);
  return value;
}

function upstreamCaller(upstream: FetchUpstream | undefined): ResolvedFetchOptions['callUpstream'] {
  if (typeof upstream === 'function') return upstream;
  if (upstream && typeof upstream.fetch === 'function')
    return (request, options) => upstream.fetch(request, options);
  throw new ConfigError(
    'fetchHandler needs `upstream`: the MCP server behind Warden, e.g. createMcpHandler(factory) from @modelcontextprotocol/server, or any (request, options) => Promise<Response>.',
  );
}

function stillValidOf(
  option: FetchHandlerOptions['principalStillValid'],
): LegacySessionOptions['principalStillValid'] {
  if (option === undefined || typeof option === 'function') return option;
  throw new ConfigError('principalStillValid must be a function (principal) => boolean | Promise<boolean>.');
}

function sealerOf(option: FetchHandlerOptions['requestState']): RequestStateSealer {
  if (
    option &&
    typeof (option as RequestStateSealer).seal === 'function' &&
    typeof (option as RequestStateSealer).open === 'function'
  )
    return option as RequestStateSealer;
  if (option) return createRequestStateSealer(option as RequestStateSealerOptions);
  return createRequestStateSealer({ key: globalThis.crypto.getRandomValues(new Uint8Array(32)) });
}

/** Validates the options at setup (a `ConfigError` now, never a refusal later). */
export function resolveFetchOptions(
  options: FetchHandlerOptions,
  plugins: readonly WardenPlugin[],
): ResolvedFetchOptions {
  const endpoint = options.endpoint ?? '/mcp';
  if (!endpoint.startsWith('/')) throw new ConfigError(`endpoint must start with "/" (got "${endpoint}").`);
  const allowedHosts =
    options.allowedHosts === false
      ? undefined
      : new Set((options.allowedHosts ?? DEFAULT_HOSTS).map((h) => h.toLowerCase()));
  return {
    callUpstream: upstreamCaller(options.upstream),
    takesCheckedBody: options.takesCheckedBody === true,
    upstreamName: options.upstreamName,
    endpoint,
    allowedHosts,
    originAllowed: createOriginCheck(options.allowedOrigins, allowedHosts),
    maxBodyBytes: positiveInteger('maxBodyBytes', options.maxBodyBytes, 1024 * 1024),
    bodyTimeoutMs: positiveInteger('bodyTimeoutMs', options.bodyTimeoutMs, 10_000),
    maxJsonDepth: positiveInteger('maxJsonDepth', options.maxJsonDepth, 64),
    clientAddress: createWebClientAddressResolver(options.trustedProxies),
    routes: collectPluginRoutes(plugins, endpoint),
    sealer: sealerOf(options.requestState),
    sessions: {
      idleTimeoutMs: positiveInteger('sessionIdleTimeoutMs', options.sessionIdleTimeoutMs, 30 * 60_000),
      maxSessions: positiveInteger('maxSessions', options.maxSessions, 10_000),
      maxPerPrincipal: positiveInteger('maxSessionsPerPrincipal', options.maxSessionsPerPrincipal, 16),
      recheckMs: positiveInteger('principalRecheckMs', options.principalRecheckMs, 10_000),
      principalStillValid: stillValidOf(options.principalStillValid),
    },
  };
}
