import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type EventStore,
  StreamableHTTPServerTransport,
} from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  AuthenticationError,
  CORE_ERROR_CODES,
  ConfigError,
  type InsufficientScopeError,
  JSON_RPC_ERROR_CODES,
  WardenError,
} from '../errors.js';
import type { SecurityEventBus } from '../events.js';
import { isPlainObject, type JsonRpcRequest } from '../mcp/classify.js';
import { duplicateIdError, errorResponse, WardenTransport } from '../mcp/warden-transport.js';
import type { Pipeline, PreparedRequest } from '../pipeline.js';
import type { EdgeRequest, PluginRoute, WardenPlugin } from '../plugin.js';
import { isAnonymous, type Principal, toSdkAuthInfo } from '../principal.js';
import { jsonNestingExceeds, readBody } from './body.js';
import { formatChallenge, withBearerError } from './challenge.js';
import { markConnectionAuthenticated } from './connections.js';
import { createOriginCheck } from './origin.js';
import { createClientAddressResolver, type TrustedProxies } from './proxies.js';
import { guardResponse } from './response-guard.js';

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

interface Session {
  transport: StreamableHTTPServerTransport;
  wrapped: WardenTransport;
  server: McpServerLike;
  owner: Principal;
  ownerId: string;
  ownerAuthenticatedBy: string | undefined;
  /** What the per-principal cap counts this session against (see {@link limitKeyOf}). */
  limitKey: string;
  lastSeen: number;
}

export interface WardenHttpHandler {
  (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): void;
  /** Number of open stateful sessions. */
  readonly sessionCount: number;
  /**
   * Closes every open session of a principal at once, SSE streams included (call it when its credential is
   * revoked). `authenticatedBy` narrows it to one authenticator's principals. Returns how many were closed.
   */
  closeSessionsOf(principalId: string, authenticatedBy?: string): number;
  /** Closes every session (for graceful shutdown). */
  close(): Promise<void>;
}

/** Internals the edge needs from the warden. */
export interface EdgeDeps {
  pipeline: Pipeline;
  events: SecurityEventBus;
  plugins: readonly WardenPlugin[];
  requestTimeoutMs: number;
}

const DEFAULT_HOSTS = ['localhost', '127.0.0.1', '[::1]'];
/** Query parameters that would carry a credential in the URL (where it leaks into logs and history). */
const CREDENTIAL_QUERY_PARAMS = ['access_token', 'token', 'api_key', 'apikey', 'api-key', 'key'];
const CORS_ALLOW_HEADERS =
  'Authorization, Content-Type, Accept, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-ID, Mcp-Method, Mcp-Name, X-API-Key';
const CORS_EXPOSE_HEADERS = 'Mcp-Session-Id, Mcp-Protocol-Version, WWW-Authenticate, Retry-After';

function edgeError(
  status: number,
  code: string,
  message: string,
  reason?: string,
  jsonRpcCode: number = JSON_RPC_ERROR_CODES.INVALID_REQUEST,
): WardenError {
  return new WardenError({
    code,
    message,
    reason,
    httpStatus: status,
    jsonRpcCode,
    eventType: 'request.rejected',
  });
}

function hostnameOf(host: string): string | undefined {
  try {
    return new URL(`http://${host}`).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

/** Validates the shape of one JSON-RPC 2.0 message (request, notification or response). */
function checkJsonRpc(message: unknown): string | undefined {
  if (!isPlainObject(message)) return 'the body must be a JSON-RPC 2.0 message object';
  if (message.jsonrpc !== '2.0') return 'the "jsonrpc" member must be exactly "2.0"';
  const hasId = 'id' in message;
  if (
    hasId &&
    typeof message.id !== 'string' &&
    !(typeof message.id === 'number' && Number.isFinite(message.id))
  ) {
    return '"id" must be a string or a number';
  }
  if ('method' in message) {
    if (typeof message.method !== 'string' || message.method.length === 0 || message.method.length > 256)
      return '"method" must be a non-empty string';
    if ('params' in message && message.params !== undefined && !isPlainObject(message.params))
      return '"params" must be an object';
    return undefined;
  }
  if (hasId && ('result' in message || 'error' in message)) return undefined;
  return 'the message is neither a request, a notification nor a response';
}

/** Builds the node:http request handler of a warden (usable from Express and Hono's node adapter too). */
export function createHttpHandler(deps: EdgeDeps, options: HttpHandlerOptions): WardenHttpHandler {
  const mode = options.sessions ?? 'stateful';
  const endpoint = options.endpoint ?? '/mcp';
  const maxBody = options.maxBodyBytes ?? 1024 * 1024;
  const bodyTimeout = options.bodyTimeoutMs ?? 10_000;
  const maxJsonDepth = positiveInteger('maxJsonDepth', options.maxJsonDepth, 64);
  const idleTimeout = options.sessionIdleTimeoutMs ?? 30 * 60_000;
  const maxSessions = options.maxSessions ?? 10_000;
  const maxPerPrincipal = positiveInteger('maxSessionsPerPrincipal', options.maxSessionsPerPrincipal, 16);
  const recheckMs = positiveInteger('principalRecheckMs', options.principalRecheckMs, 10_000);
  /** Seconds a client refused for want of a session slot should wait: about one idle sweep. */
  const sessionRetryAfter = String(Math.max(1, Math.ceil(Math.min(idleTimeout, 60_000) / 1000)));
  const responseMode = options.responseMode ?? 'sse';
  const clientAddress = createClientAddressResolver(options.trustedProxies);
  if (responseMode === 'json' && mode === 'stateful') {
    throw new ConfigError(
      'responseMode "json" needs sessions: "stateless": in stateful mode the MCP SDK 1.x retains every JSON response until the session ends (typescript-sdk #2559). Use the default "sse" responses.',
    );
  }
  if (!endpoint.startsWith('/')) throw new ConfigError(`endpoint must start with "/" (got "${endpoint}").`);
  const allowedHosts =
    options.allowedHosts === false
      ? undefined
      : new Set((options.allowedHosts ?? DEFAULT_HOSTS).map((h) => h.toLowerCase()));
  const originAllowed = createOriginCheck(options.allowedOrigins, allowedHosts);
  const routes = new Map<string, PluginRoute>();
  for (const plugin of deps.plugins) {
    for (const route of plugin.routes ?? []) {
      const key = `${route.method} ${route.path}`;
      if (routes.has(key))
        throw new ConfigError(`Two plugins serve ${key}: only one route per method and path.`);
      if (route.path === endpoint)
        throw new ConfigError(`Plugin "${plugin.name}" route ${route.path} collides with the MCP endpoint.`);
      routes.set(key, route);
    }
  }
  const sessions = new Map<string, Session>();
  /** Open sessions per {@link limitKeyOf} key. */
  const perPrincipal = new Map<string, number>();
  const ownerKey = (principal: { id: string; authenticatedBy?: string | undefined }) =>
    `${principal.authenticatedBy ?? ''}:${principal.id}`;
  /**
   * The per-principal cap counts an authenticated principal by its identity. The anonymous principal is one id
   * shared by every unauthenticated client, so it is counted per client address instead: otherwise a server
   * without authentication would hold `maxSessionsPerPrincipal` sessions in all.
   */
  const limitKeyOf = (principal: Principal, remoteAddress: string | undefined) =>
    isAnonymous(principal) ? `anonymous@${remoteAddress ?? 'unknown'}` : ownerKey(principal);
  function addSession(sessionId: string, session: Session): void {
    sessions.set(sessionId, session);
    perPrincipal.set(session.limitKey, (perPrincipal.get(session.limitKey) ?? 0) + 1);
  }
  /** The one way a session leaves the table (DELETE, transport close, idle sweep, shutdown). */
  function removeSession(sessionId: string): Session | undefined {
    const session = sessions.get(sessionId);
    if (!session) return undefined;
    sessions.delete(sessionId);
    const key = session.limitKey;
    const left = (perPrincipal.get(key) ?? 1) - 1;
    if (left > 0) perPrincipal.set(key, left);
    else perPrincipal.delete(key);
    return session;
  }
  const sweeper = setInterval(
    () => {
      const cutoff = Date.now() - idleTimeout;
      for (const [id, session] of sessions) {
        if (session.lastSeen < cutoff) {
          removeSession(id);
          void session.server.close().catch(() => undefined);
        }
      }
    },
    Math.min(idleTimeout, 60_000),
  );
  sweeper.unref();

  function closeSession(id: string, session: Session, reason: string): void {
    if (!removeSession(id)) return;
    deps.events.emit({
      type: 'session.closed',
      outcome: 'info',
      reason,
      principalId: session.ownerId,
      sessionId: id,
    });
    void session.server.close().catch(() => undefined);
  }

  function closeSessionsOf(
    principalId: string,
    authenticatedBy?: string,
    reason = 'closed by the server',
  ): number {
    let closed = 0;
    for (const [id, session] of [...sessions]) {
      if (session.ownerId !== principalId) continue;
      if (authenticatedBy !== undefined && session.ownerAuthenticatedBy !== authenticatedBy) continue;
      closeSession(id, session, reason);
      closed++;
    }
    return closed;
  }

  let rechecking = false;
  const rechecker = options.principalStillValid
    ? setInterval(() => {
        if (rechecking || sessions.size === 0) return;
        rechecking = true;
        void recheckPrincipals().finally(() => {
          rechecking = false;
        });
      }, recheckMs)
    : undefined;
  rechecker?.unref();

  async function recheckPrincipals(): Promise<void> {
    const owners = new Map<string, Principal>();
    for (const session of sessions.values()) owners.set(ownerKey(session.owner), session.owner);
    for (const owner of owners.values()) {
      let valid: boolean;
      try {
        valid = await options.principalStillValid!(owner);
      } catch (error) {
        deps.events.emit({
          type: 'plugin.error',
          outcome: 'info',
          severity: 'warn',
          reason:
            `principalStillValid failed, sessions kept: ${error instanceof Error ? error.message : String(error)}`.slice(
              0,
              500,
            ),
          principalId: owner.id,
        });
        continue;
      }
      if (!valid) closeSessionsOf(owner.id, owner.authenticatedBy, 'the credential no longer authenticates');
    }
  }

  function remoteAddressOf(req: IncomingMessage): string | undefined {
    const forwarded = req.headers['x-forwarded-for'];
    return clientAddress(
      req.socket.remoteAddress,
      Array.isArray(forwarded) ? forwarded.join(',') : forwarded,
    );
  }

  /** The SDK writes its own error responses; internal error text in them goes to the event, not the client. */
  function guardSdkResponse(res: ServerResponse, edge: EdgeRequest, principal: Principal): void {
    guardResponse(res, (detail) =>
      deps.events.emit({
        type: 'plugin.error',
        outcome: 'denied',
        severity: 'error',
        reason: `MCP SDK error response, internal detail withheld from the client: ${detail}`.slice(0, 500),
        principalId: principal.id,
        remoteAddress: edge.remoteAddress,
        details: { httpMethod: edge.method, path: edge.url?.pathname },
      }),
    );
  }

  function reject(
    res: ServerResponse,
    error: WardenError,
    edge: EdgeRequest | undefined,
    id: string | number | null = null,
    record = true,
  ): void {
    if (record) {
      deps.events.emit({
        type: error.eventType,
        outcome: 'denied',
        reason: error.reason ?? error.message,
        remoteAddress: edge?.remoteAddress,
        details: { code: error.code, httpMethod: edge?.method, path: edge?.url?.pathname },
      });
    }
    const headers: Record<string, string> = { ...error.headers };
    if (error.httpStatus === 401 && edge) {
      const oauthError = (error as Partial<AuthenticationError>).oauthError;
      const params: Record<string, string> = oauthError ? { error: oauthError } : {};
      headers['WWW-Authenticate'] = withBearerError(deps.pipeline.challenges(edge), params)
        .map(formatChallenge)
        .join(', ');
    } else if (error.code === CORE_ERROR_CODES.INSUFFICIENT_SCOPE && edge) {
      const required = (error as Partial<InsufficientScopeError>).requiredScopes ?? [];
      headers['WWW-Authenticate'] = withBearerError(deps.pipeline.challenges(edge), {
        error: 'insufficient_scope',
        scope: required.join(' '),
        error_description: 'The access token lacks a scope this operation needs.',
      })
        .map(formatChallenge)
        .join(', ');
    }
    if (error.httpStatus === 413 || error.httpStatus === 408) headers.Connection = 'close';
    send(res, error.httpStatus, errorResponse(id, error), headers);
  }

  function send(
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    if (res.headersSent) {
      res.end();
      return;
    }
    const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
    // A response sent before the request body arrived (a refusal before reading it) closes the connection: a
    // keep-alive connection would otherwise stay open while Node drains a body the client may send for ever.
    const req = (res as ServerResponse & { req?: IncomingMessage }).req;
    if (req && !req.complete) headers = { ...headers, Connection: 'close' };
    res.writeHead(status, {
      ...(body === undefined
        ? {}
        : { 'Content-Type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json' }),
      'Cache-Control': 'no-store',
      ...headers,
    });
    res.end(text);
  }

  async function handle(
    req: IncomingMessage,
    res: ServerResponse,
    next?: (error?: unknown) => void,
  ): Promise<void> {
    const remoteAddress = remoteAddressOf(req);
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return reject(res, edgeError(400, CORE_ERROR_CODES.BAD_REQUEST, 'Invalid request URL.'), {
        transport: 'http',
        headers: {},
        remoteAddress,
      });
    }
    const headers = req.headers as Record<string, string | undefined>;
    const edge: EdgeRequest = { transport: 'http', method: req.method, url, headers, remoteAddress };

    // DNS rebinding: a browser tricked into calling us carries a foreign Host and Origin.
    const host = headers.host;
    if (allowedHosts && (!host || !allowedHosts.has(hostnameOf(host) ?? ''))) {
      return reject(
        res,
        edgeError(
          403,
          CORE_ERROR_CODES.FORBIDDEN_ORIGIN,
          'Forbidden: invalid Host header.',
          `Host "${String(host).slice(0, 100)}" is not allowed`,
        ),
        edge,
      );
    }
    const origin = headers.origin;
    if (origin !== undefined) {
      const allowed = originAllowed(origin, host);
      if (!allowed) {
        return reject(
          res,
          edgeError(
            403,
            CORE_ERROR_CODES.FORBIDDEN_ORIGIN,
            'Forbidden: invalid Origin header.',
            `Origin "${origin.slice(0, 100)}" is not allowed`,
          ),
          edge,
        );
      }
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Vary', 'Origin');
      res.setHeader('Access-Control-Expose-Headers', CORS_EXPOSE_HEADERS);
      if (req.method === 'OPTIONS') {
        return send(res, 204, undefined, {
          'Access-Control-Allow-Methods': 'GET, POST, DELETE, OPTIONS',
          'Access-Control-Allow-Headers': CORS_ALLOW_HEADERS,
          'Access-Control-Max-Age': '600',
        });
      }
    }

    const route = routes.get(`${req.method} ${url.pathname}`);
    if (route) {
      const out = await route.handle(edge);
      return send(res, out.status, out.body, out.headers);
    }
    if (url.pathname !== endpoint) {
      if (next) return next();
      return send(res, 404, {
        error: 'not_found',
        error_description: `No MCP endpoint at this path; use ${endpoint}.`,
      });
    }
    if (req.method !== 'POST' && req.method !== 'GET' && req.method !== 'DELETE') {
      return send(
        res,
        405,
        errorResponse(
          null,
          edgeError(
            405,
            CORE_ERROR_CODES.BAD_REQUEST,
            `Method ${String(req.method).slice(0, 20)} not allowed; use POST, GET or DELETE.`,
          ),
        ),
        {
          Allow: 'GET, POST, DELETE',
        },
      );
    }
    for (const queryName of url.searchParams.keys()) {
      const name = queryName.toLowerCase();
      if (CREDENTIAL_QUERY_PARAMS.includes(name)) {
        return reject(
          res,
          new AuthenticationError({
            code: CORE_ERROR_CODES.INVALID_CREDENTIALS,
            message: 'Credentials in the URL are not accepted: send them in the Authorization header.',
            reason: `credential in query parameter "${name}"`,
            oauthError: 'invalid_request',
          }),
          edge,
        );
      }
    }

    // Identity is established on every request; a session never authenticates on its own.
    let principal: Principal;
    try {
      principal = await deps.pipeline.authenticate(edge);
    } catch (error) {
      return reject(res, toWardenError(error), edge, null, false);
    }
    // Exempt from listen()'s cap on unauthenticated connections per address (anonymous ones stay counted).
    if (!isAnonymous(principal)) markConnectionAuthenticated(req.socket);

    if (req.method === 'POST') return handlePost(req, res, edge, principal);
    return handleStream(req, res, edge, principal);
  }

  function sessionFor(
    req: IncomingMessage,
    res: ServerResponse,
    edge: EdgeRequest,
    principal: Principal,
  ): Session | undefined | null {
    const sessionId = edge.headers['mcp-session-id'];
    if (sessionId === undefined) return undefined;
    const session = sessions.get(sessionId);
    // Another principal's session is answered exactly like an unknown one: no oracle for valid session ids.
    if (
      !session ||
      session.ownerId !== principal.id ||
      session.ownerAuthenticatedBy !== principal.authenticatedBy
    ) {
      deps.events.emit({
        type: 'session.rejected',
        outcome: 'denied',
        reason: session ? 'session belongs to another principal' : 'unknown or expired session',
        principalId: principal.id,
        remoteAddress: edge.remoteAddress,
        details: { sessionKnown: Boolean(session) },
      });
      send(
        res,
        404,
        errorResponse(
          null,
          edgeError(
            404,
            CORE_ERROR_CODES.SESSION_NOT_FOUND,
            'Session not found: initialize a new session.',
            undefined,
            -32001,
          ),
        ),
      );
      return null;
    }
    session.lastSeen = Date.now();
    (req as IncomingMessage & { auth?: unknown }).auth = toSdkAuthInfo(principal);
    return session;
  }

  async function handleStream(
    req: IncomingMessage,
    res: ServerResponse,
    edge: EdgeRequest,
    principal: Principal,
  ): Promise<void> {
    if (mode === 'stateless') {
      return send(
        res,
        405,
        errorResponse(
          null,
          edgeError(405, CORE_ERROR_CODES.BAD_REQUEST, 'This server is stateless: only POST is supported.'),
        ),
        { Allow: 'POST' },
      );
    }
    const session = sessionFor(req, res, edge, principal);
    if (session === null) return;
    if (session === undefined) {
      return reject(
        res,
        edgeError(400, CORE_ERROR_CODES.BAD_REQUEST, 'Bad Request: the Mcp-Session-Id header is required.'),
        edge,
      );
    }
    guardSdkResponse(res, edge, principal);
    await session.transport.handleRequest(req, res);
  }

  async function handlePost(
    req: IncomingMessage,
    res: ServerResponse,
    edge: EdgeRequest,
    principal: Principal,
  ): Promise<void> {
    const contentType = (edge.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (contentType !== 'application/json') {
      return reject(
        res,
        edgeError(
          415,
          CORE_ERROR_CODES.BAD_REQUEST,
          'Unsupported Media Type: Content-Type must be application/json.',
        ),
        edge,
      );
    }
    const accept = edge.headers.accept ?? '';
    if (!accept.includes('application/json') || !accept.includes('text/event-stream')) {
      return reject(
        res,
        edgeError(
          406,
          CORE_ERROR_CODES.BAD_REQUEST,
          'Not Acceptable: the Accept header must list both application/json and text/event-stream.',
        ),
        edge,
      );
    }
    let message: unknown;
    try {
      const text = (await readBody(req, maxBody, bodyTimeout)).toString('utf8');
      if (jsonNestingExceeds(text, maxJsonDepth)) {
        return reject(
          res,
          edgeError(
            400,
            CORE_ERROR_CODES.BAD_REQUEST,
            `Invalid Request: the body nests arrays and objects deeper than ${maxJsonDepth} levels.`,
            'JSON nesting over maxJsonDepth',
          ),
          edge,
        );
      }
      message = JSON.parse(text);
    } catch (error) {
      if (WardenError.isInstance(error)) return reject(res, error, edge);
      return reject(
        res,
        edgeError(
          400,
          CORE_ERROR_CODES.BAD_REQUEST,
          'Parse error: the body is not valid JSON.',
          'invalid JSON',
          JSON_RPC_ERROR_CODES.PARSE_ERROR,
        ),
        edge,
      );
    }
    if (Array.isArray(message)) {
      return reject(
        res,
        edgeError(
          400,
          CORE_ERROR_CODES.BAD_REQUEST,
          'Invalid Request: JSON-RPC batches are not supported (removed from MCP in 2025-06-18); send one message per request.',
        ),
        edge,
      );
    }
    const shapeError = checkJsonRpc(message);
    if (shapeError) {
      return reject(
        res,
        edgeError(400, CORE_ERROR_CODES.BAD_REQUEST, `Invalid Request: ${shapeError}.`),
        edge,
      );
    }
    const rpc = message as Record<string, unknown>;
    const isRequest = typeof rpc.method === 'string' && 'id' in rpc;

    let session: Session | undefined | null;
    let transport: StreamableHTTPServerTransport;
    let wrapped: WardenTransport;
    if (mode === 'stateful') {
      session = sessionFor(req, res, edge, principal);
      if (session === null) return;
      if (session === undefined) {
        if (!(isRequest && rpc.method === 'initialize')) {
          return reject(
            res,
            edgeError(
              400,
              CORE_ERROR_CODES.BAD_REQUEST,
              'Bad Request: the Mcp-Session-Id header is required (initialize first).',
            ),
            edge,
          );
        }
        // Per principal first: a principal at its own cap learns that, not that the server is full.
        if ((perPrincipal.get(limitKeyOf(principal, edge.remoteAddress)) ?? 0) >= maxPerPrincipal) {
          return reject(
            res,
            sessionLimitError(
              429,
              `Too many open sessions for this ${isAnonymous(principal) ? 'client' : 'credential'} (${maxPerPrincipal}): close one (DELETE) first.`,
              `per-principal session limit ${maxPerPrincipal} reached by ${principal.id}`,
            ),
            edge,
          );
        }
        if (sessions.size >= maxSessions) {
          return reject(
            res,
            sessionLimitError(
              503,
              'Too many open sessions on this server: try again later.',
              `session limit ${maxSessions} reached`,
            ),
            edge,
          );
        }
        const created = await openSession(principal, edge);
        transport = created.transport;
        wrapped = created.wrapped;
      } else {
        transport = session.transport;
        wrapped = session.wrapped;
      }
    } else {
      const server = await options.createServer();
      transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: undefined,
        enableJsonResponse: responseMode === 'json',
      });
      wrapped = new WardenTransport(transport, deps.pipeline, deps.events, {
        transport: 'http',
        remoteAddress: edge.remoteAddress,
        requestTimeoutMs: deps.requestTimeoutMs,
      });
      await server.connect(wrapped);
      res.on('close', () => {
        void wrapped.close().catch(() => undefined);
        void server.close().catch(() => undefined);
      });
    }

    (req as IncomingMessage & { auth?: unknown }).auth = toSdkAuthInfo(principal);
    let body: unknown = message;
    let prepared: PreparedRequest | undefined;
    if (isRequest) {
      const id = rpc.id as string | number;
      if (!wrapped.reserve(id)) {
        const duplicate = duplicateIdError(id);
        deps.events.emit({
          type: 'request.rejected',
          outcome: 'denied',
          reason: duplicate.message,
          principalId: principal.id,
          remoteAddress: edge.remoteAddress,
          requestId: id,
          method: String(rpc.method),
        });
        return send(res, 200, errorResponse(id, duplicate));
      }
      try {
        prepared = await deps.pipeline.before(message as JsonRpcRequest, {
          principal,
          transport: 'http',
          sessionId: transport.sessionId,
          remoteAddress: edge.remoteAddress,
          traceparent: edge.headers.traceparent,
        });
        wrapped.prepared(prepared);
        body = prepared.request;
      } catch (error) {
        // Recorded by the pipeline. Step-up and rate limits need their HTTP status; the rest is a JSON-RPC error.
        const refusal = toWardenError(error);
        const id = rpc.id as string | number;
        if (
          refusal.httpStatus === 401 ||
          refusal.httpStatus === 429 ||
          refusal.code === CORE_ERROR_CODES.INSUFFICIENT_SCOPE
        ) {
          return reject(res, refusal, edge, id, false);
        }
        return send(res, 200, errorResponse(id, refusal));
      } finally {
        wrapped.release(id);
      }
    }
    guardSdkResponse(res, edge, principal);
    try {
      await transport.handleRequest(req as IncomingMessage & { auth?: never }, res, body);
    } finally {
      // The SDK delivers synchronously inside handleRequest; anything still prepared was refused by the SDK.
      if (prepared) wrapped.unprepared(prepared);
    }
  }

  function sessionLimitError(status: 429 | 503, message: string, reason: string): WardenError {
    return new WardenError({
      code: CORE_ERROR_CODES.SESSION_LIMIT,
      message,
      reason,
      httpStatus: status,
      jsonRpcCode: status === 429 ? JSON_RPC_ERROR_CODES.RATE_LIMITED : JSON_RPC_ERROR_CODES.INVALID_REQUEST,
      data: { retryAfterSeconds: Number(sessionRetryAfter) },
      headers: { 'Retry-After': sessionRetryAfter },
      eventType: 'session.rejected',
    });
  }

  async function openSession(
    principal: Principal,
    edge: EdgeRequest,
  ): Promise<{ transport: StreamableHTTPServerTransport; wrapped: WardenTransport }> {
    const server = await options.createServer();
    let entry: Session | undefined;
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      eventStore: options.eventStore?.(),
      retryInterval: options.retryInterval,
      onsessioninitialized: (sessionId) => {
        if (entry) {
          addSession(sessionId, entry);
          deps.events.emit({
            type: 'session.created',
            outcome: 'allowed',
            severity: 'debug',
            principalId: principal.id,
            sessionId,
            remoteAddress: edge.remoteAddress,
          });
        }
      },
      onsessionclosed: (sessionId) => {
        removeSession(sessionId);
      },
    });
    const wrapped = new WardenTransport(transport, deps.pipeline, deps.events, {
      transport: 'http',
      remoteAddress: edge.remoteAddress,
      requestTimeoutMs: deps.requestTimeoutMs,
    });
    entry = {
      transport,
      wrapped,
      server,
      owner: principal,
      ownerId: principal.id,
      ownerAuthenticatedBy: principal.authenticatedBy,
      limitKey: limitKeyOf(principal, edge.remoteAddress),
      lastSeen: Date.now(),
    };
    await server.connect(wrapped);
    const onclose = wrapped.onclose;
    wrapped.onclose = () => {
      if (transport.sessionId) removeSession(transport.sessionId);
      onclose?.();
    };
    return { transport, wrapped };
  }

  const handler = ((req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => {
    handle(req, res, next).catch((error: unknown) => {
      deps.events.emit({
        type: 'plugin.error',
        outcome: 'denied',
        severity: 'error',
        reason: `edge failure: ${error instanceof Error ? error.message : String(error)}`.slice(0, 500),
      });
      if (!res.headersSent)
        send(
          res,
          500,
          errorResponse(
            null,
            edgeError(
              500,
              CORE_ERROR_CODES.PLUGIN_FAILED,
              'Internal error.',
              undefined,
              JSON_RPC_ERROR_CODES.INTERNAL_ERROR,
            ),
          ),
        );
      else res.end();
    });
  }) as WardenHttpHandler;
  Object.defineProperty(handler, 'sessionCount', { get: () => sessions.size });
  handler.closeSessionsOf = (principalId, authenticatedBy) =>
    closeSessionsOf(principalId, authenticatedBy, 'closed by closeSessionsOf (credential revoked)');
  handler.close = async () => {
    clearInterval(sweeper);
    if (rechecker) clearInterval(rechecker);
    const open = [...sessions.values()];
    for (const id of [...sessions.keys()]) removeSession(id);
    await Promise.allSettled(open.map((s) => s.server.close()));
  };
  return handler;
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1)
    throw new ConfigError(`${name} must be a positive integer (got ${String(value)}).`);
  return value;
}

function toWardenError(error: unknown): WardenError {
  if (WardenError.isInstance(error)) return error;
  return edgeError(
    500,
    CORE_ERROR_CODES.PLUGIN_FAILED,
    'Internal error.',
    undefined,
    JSON_RPC_ERROR_CODES.INTERNAL_ERROR,
  );
}
