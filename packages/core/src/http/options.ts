import type { EventStore } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ConfigError } from '../errors.js';
import type { Principal } from '../principal.js';
import type { TrustedProxies } from './proxies.js';

/** Anything with `connect(transport)`: the SDK's `McpServer` and low-level `Server` both qualify. */
export interface McpServerLike {
  connect(transport: Transport): Promise<void>;
  close(): Promise<void>;
}

export interface HttpHandlerOptions {
  /**
   * Creates the MCP server for a new session (stateful) or a request (stateless). The SDK connects one server to
   * one transport, so the edge needs a factory rather than one instance.
   */
  createServer: () => McpServerLike | Promise<McpServerLike>;
  /** Names the server behind the edge for plugins (`ctx.upstream`) when it fronts one it did not write (a gateway). */
  upstreamName?: string;
  /** `stateful`: `Mcp-Session-Id` sessions bound to their principal; `stateless`: a server per request. @default 'stateful' */
  sessions?: 'stateful' | 'stateless';
  /** Path of the MCP endpoint. @default '/mcp' */
  endpoint?: string;
  /**
   * Host names (without port) accepted in the `Host` header, against DNS rebinding. `false` turns the check off
   * (only behind a proxy that checks Host itself). @default ['localhost', '127.0.0.1', '[::1]']
   */
  allowedHosts?: readonly string[] | false;
  /**
   * Exact origins (`https://app.example.com`) browsers may call from; `http://localhost:*` allows any port of
   * that scheme and host. @default an allowed host on the port the request was sent to (see Security notes)
   */
  allowedOrigins?: readonly string[];
  /** @default 1048576 (1 MiB) */
  maxBodyBytes?: number;
  /** Time allowed to receive a request body. @default 10000 */
  bodyTimeoutMs?: number;
  /**
   * Deepest nesting of arrays and objects accepted in a request body; deeper bodies are refused with 400 before
   * anything walks them (a recursive walker would overflow the stack). @default 64
   */
  maxJsonDepth?: number;
  /** Stateful sessions idle this long are closed. @default 1800000 (30 min) */
  sessionIdleTimeoutMs?: number;
  /** New sessions beyond this are refused with 503 `SESSION_LIMIT` and `Retry-After`. @default 10000 */
  maxSessions?: number;
  /**
   * New sessions of one principal beyond this are refused with 429 `SESSION_LIMIT` and `Retry-After`. Kept well
   * below `maxSessions` so that many principals are needed to fill the server, and one credential (or a few
   * readers) cannot shut out the others. Unauthenticated (anonymous) sessions are counted per client address.
   * @default 16
   */
  maxSessionsPerPrincipal?: number;
  /**
   * Asked every `principalRecheckMs` about each principal that holds open sessions; `false` closes all of its
   * sessions and their SSE streams (e.g. an API key revoked by another process). An error keeps the sessions
   * and is recorded. Without it, only {@link WardenHttpHandler.closeSessionsOf}, the idle sweep and each request's
   * own authentication end a principal's sessions.
   */
  principalStillValid?: (principal: Principal) => boolean | Promise<boolean>;
  /** @default 10000 */
  principalRecheckMs?: number;
  /**
   * `sse` (default) or `json` responses. `json` is allowed in stateless mode only: the SDK 1.x keeps ~5 KB per
   * request for the life of a session in JSON mode (typescript-sdk #2559), and drops in-request notifications.
   */
  responseMode?: 'sse' | 'json';
  /**
   * Reverse proxies whose `X-Forwarded-For` entries are trusted for the client address: their addresses or CIDR
   * ranges (`['10.0.0.5', '10.1.0.0/16', 'fd00::/8']`). The header counts only when the direct peer is listed,
   * and is walked from the right up to the first hop that is not. `{ hops: n }` trusts the last `n` entries
   * from anyone (only when every path passes exactly `n` proxies). A bare number is refused. @default []
   */
  trustedProxies?: TrustedProxies;
  /**
   * Makes stateful SSE streams resumable (`Last-Event-ID`): called once per session for that session's store. A
   * factory, not one shared store, because the SDK replays by event id alone: a shared store would let one
   * principal replay another's events.
   */
  eventStore?: () => EventStore;
  /** `retry` (ms) announced to clients in resumable streams; needs `eventStore`. */
  retryInterval?: number;
}

/** The numeric options with their defaults applied. */
export interface EdgeLimits {
  maxBodyBytes: number;
  bodyTimeoutMs: number;
  maxJsonDepth: number;
  sessionIdleTimeoutMs: number;
  maxSessions: number;
  maxSessionsPerPrincipal: number;
  principalRecheckMs: number;
}

/** Applies the defaults and checks the numeric limits; a bad value is a `ConfigError` now, not a failure later. */
export function resolveLimits(options: HttpHandlerOptions): EdgeLimits {
  return {
    maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
    bodyTimeoutMs: options.bodyTimeoutMs ?? 10_000,
    maxJsonDepth: positiveInteger('maxJsonDepth', options.maxJsonDepth, 64),
    sessionIdleTimeoutMs: options.sessionIdleTimeoutMs ?? 30 * 60_000,
    maxSessions: options.maxSessions ?? 10_000,
    maxSessionsPerPrincipal: positiveInteger('maxSessionsPerPrincipal', options.maxSessionsPerPrincipal, 16),
    principalRecheckMs: positiveInteger('principalRecheckMs', options.principalRecheckMs, 10_000),
  };
}

/** Checks the options that combine (response mode with session mode, the endpoint path). */
export function checkModes(options: HttpHandlerOptions): void {
  if ((options.responseMode ?? 'sse') === 'json' && (options.sessions ?? 'stateful') === 'stateful') {
    throw new ConfigError(
      'responseMode "json" needs sessions: "stateless": in stateful mode the MCP SDK 1.x retains every JSON response until the session ends (typescript-sdk #2559). Use the default "sse" responses.',
    );
  }
  const endpoint = options.endpoint ?? '/mcp';
  if (!endpoint.startsWith('/')) throw new ConfigError(`endpoint must start with "/" (got "${endpoint}").`);
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1)
    throw new ConfigError(`${name} must be a positive integer (got ${String(value)}).`);
  return value;
}
