/**
 * The web-standard face of Warden: `fetch(Request) → Response` in front of any fetch-shaped MCP handler (SDK v2's
 * `createMcpHandler(...)` first of all), for both eras at one endpoint. Per request, before any plugin decides:
 * plugin routes and Host/Origin; the body, read once and bounded; the era, classified as SDK v2 classifies it; the
 * 2026-07-28 header duties; authentication; then the pipeline around the upstream.
 */
import { newConnectionId } from '../connection-id.js';
import { CORE_ERROR_CODES, JSON_RPC_ERROR_CODES, WardenError } from '../errors.js';
import type { EdgeDeps } from '../http/edge.js';
import type { JsonRpcRequest } from '../mcp/classify.js';
import { requestTraceparent } from '../observe/trace-context.js';
import type { RequestOrigin, ServerMessageOrigin } from '../pipeline.js';
import type { EdgeRequest } from '../plugin.js';
import { type Principal, toSdkAuthInfo } from '../principal.js';
import { callUpstream, type DispatchDeps, dispatchRequest, recordSseFailure } from './dispatch.js';
import { checkEdge, type EdgeVerdict } from './edge-checks.js';
import { checkEra, type EraVerdict } from './era-checks.js';
import { OpenRequests } from './interruption.js';
import { isPlainObject } from './jsonrpc-shape.js';
import { LegacySessionTable, type SessionEnd } from './legacy-sessions.js';
import type { FetchHandlerOptions, ResolvedFetchOptions } from './options.js';
import { resolveFetchOptions } from './options.js';
import { REMOVED_MODERN_REQUESTS } from './removed-methods.js';
import { parseBody, readBodyText } from './request-body.js';
import { edgeError, errorMessage, jsonResponse, refusal } from './responses.js';
import { transformSseStream } from './sse.js';

/** Who is on the other end, as the host knows it (not the client): the adapter or runtime fills it in. */
export interface FetchRequestInfo {
  /** The TCP peer's address (`X-Forwarded-For` counts only through `trustedProxies`). */
  remoteAddress?: string;
  /**
   * Standard MCP headers (`mcp-method`, `mcp-name`, `mcp-protocol-version`) the request carried more than once.
   * A `Request` joins copies with ", " and cannot tell; `toNodeHandler` can, and says so here.
   */
  repeatedHeaders?: readonly string[];
}

export interface WardenFetchHandler {
  fetch(request: Request, info?: FetchRequestInfo): Promise<Response>;
  /** Refuses new requests (503) and cancels the ones in flight. */
  close(): Promise<void>;
  /** True for the paths this handler serves (the endpoint and plugin routes); adapters pass the rest on. */
  serves?(pathname: string): boolean;
  /** Number of bound 2025-era sessions (`Mcp-Session-Id` sessions of the upstream, each bound to its principal). */
  readonly sessionCount: number;
  /**
   * Forgets every 2025-era session binding of a principal at once and ends their open streams (call it when its
   * credential is revoked): later requests naming those sessions get 404 and never reach the upstream.
   * `authenticatedBy` narrows it to one authenticator's principals. Returns how many were closed.
   */
  closeSessionsOf(principalId: string, authenticatedBy?: string): number;
}

/** What an adapter (`toNodeHandler`) needs of a handler: a `WardenFetchHandler`, or any fetch-shaped app. */
export type FetchHandlerLike = Pick<WardenFetchHandler, 'fetch' | 'close' | 'serves'>;

const internalError = () =>
  edgeError(
    500,
    'Internal error.',
    undefined,
    JSON_RPC_ERROR_CODES.INTERNAL_ERROR,
    CORE_ERROR_CODES.PLUGIN_FAILED,
  );

/** A POST body: media types, then read within the limits and parsed (each failure answered like the node edge). */
async function readPostBody(
  dispatchDeps: DispatchDeps,
  request: Request,
  edge: EdgeRequest,
): Promise<Response | { bodyText: string; body: unknown }> {
  const resolved = dispatchDeps.options;
  const contentType = (edge.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (contentType !== 'application/json')
    return refusal(
      dispatchDeps,
      edgeError(415, 'Unsupported Media Type: Content-Type must be application/json.', undefined),
      { edge },
    );
  const accept = edge.headers.accept ?? '';
  if (!accept.includes('application/json') || !accept.includes('text/event-stream'))
    return refusal(
      dispatchDeps,
      edgeError(
        406,
        'Not Acceptable: the Accept header must list both application/json and text/event-stream.',
        undefined,
      ),
      { edge },
    );
  try {
    const bodyText = await readBodyText(request, resolved.maxBodyBytes, resolved.bodyTimeoutMs);
    return { bodyText, body: parseBody(bodyText, resolved.maxJsonDepth) };
  } catch (error) {
    return refusal(dispatchDeps, WardenError.isInstance(error) ? error : internalError(), { edge });
  }
}

/** The MCP endpoint: body, era and header duties, authentication, then the upstream (through the pipeline). */
async function serveMcp(
  deps: EdgeDeps,
  dispatchDeps: DispatchDeps,
  sessions: LegacySessionTable,
  request: Request,
  info: FetchRequestInfo,
  edge: EdgeRequest,
  signal: AbortSignal,
): Promise<Response> {
  let bodyText: string | undefined;
  let body: unknown;
  if (request.method === 'POST') {
    const read = await readPostBody(dispatchDeps, request, edge);
    if (read instanceof Response) return read;
    ({ bodyText, body } = read);
  }
  const params = isPlainObject(body) && isPlainObject(body.params) ? body.params : undefined;
  const traceparent = requestTraceparent(params, edge.headers.traceparent);
  const traced: EdgeRequest = traceparent === undefined ? edge : { ...edge, traceparent };
  const era = checkEra(dispatchDeps, request, info, traced, body, traceparent);
  if (era.kind === 'response') return era.response;

  // Identity is established on every request, in either era.
  let principal: Principal;
  try {
    principal = await deps.pipeline.authenticate(traced);
  } catch (error) {
    return refusal(
      dispatchDeps,
      WardenError.isInstance(error) ? error : internalError(),
      { edge: traced, traceparent },
      false,
    );
  }
  return serveAuthenticated(dispatchDeps, sessions, request, traced, principal, era, {
    body,
    bodyText,
    traceparent,
    signal,
  });
}

/** An authenticated request: removed methods, the caller's session (or a new one), then the upstream. */
async function serveAuthenticated(
  dispatchDeps: DispatchDeps,
  sessions: LegacySessionTable,
  request: Request,
  traced: EdgeRequest,
  principal: Principal,
  era: Extract<EraVerdict, { kind: 'ok' }>,
  read: {
    body: unknown;
    bodyText: string | undefined;
    traceparent: string | undefined;
    /** Ends with the request (the client went away, or the warden closed). */
    signal: AbortSignal;
  },
): Promise<Response> {
  const resolved = dispatchDeps.options;
  const { body, bodyText, traceparent, signal } = read;
  const message = era.message;
  const isRequest = message !== undefined && 'id' in message && typeof message.method === 'string';
  if (isRequest && era.era === 'modern' && REMOVED_MODERN_REQUESTS.has(message.method as string)) {
    const error = edgeError(
      404,
      `Method not found: ${message.method} is not part of protocol revision ${era.protocolVersion}.`,
      `method ${message.method} removed in ${era.protocolVersion}`,
      JSON_RPC_ERROR_CODES.METHOD_NOT_FOUND,
      CORE_ERROR_CODES.METHOD_NOT_FOUND,
    );
    return refusal(dispatchDeps, error, {
      edge: traced,
      id: message.id as string | number,
      principalId: principal.id,
      method: message.method as string,
      traceparent,
    });
  }
  // A 2025-era request naming a session must name the caller's own. A 2026-07-28 request's Mcp-Session-Id is
  // ignored, as that revision says, and not forwarded (see forwardedRequest).
  const gate = sessions.gate(principal, {
    edge: traced,
    httpMethod: request.method,
    sessionId: era.era === 'legacy' ? (request.headers.get('mcp-session-id') ?? undefined) : undefined,
    initialize:
      isRequest && era.era === 'legacy' && message.method === 'initialize'
        ? {
            protocolVersion: era.protocolVersion,
            clientInfo: era.clientInfo,
            clientCapabilities: era.clientCapabilities,
          }
        : undefined,
    requestId: isRequest ? (message.id as string | number) : null,
    traceparent,
  });
  if (gate.kind === 'refused') return gate.response;
  // A session's id, or one for this request alone (stateless 2025, every 2026-07-28 request).
  const connectionId = gate.connectionId ?? newConnectionId();
  let answer: Response | undefined;
  try {
    if (!isRequest) {
      // GET/DELETE (2025 sessions), notifications and posted responses: nothing for the pipeline to decide.
      answer = await callUpstream(resolved, request, {
        bodyText,
        signal,
        modern: era.era === 'modern',
        authInfo: toSdkAuthInfo(principal),
        parsedBody: body,
      });
      // A 2025 session's GET stream carries what the server sends on its own: the plugins see it too.
      if (dispatchDeps.pipeline.hasServerMessageHooks)
        answer = checkServerStream(dispatchDeps, answer, {
          principal,
          transport: 'http',
          sessionId: gate.session?.id,
          connectionId,
          remoteAddress: traced.remoteAddress,
          era: era.era,
          upstream: resolved.upstreamName,
        });
    } else {
      const session = era.era === 'legacy' ? gate.session : undefined;
      const origin: RequestOrigin = {
        principal,
        transport: 'http',
        sessionId: gate.session?.id,
        connectionId,
        remoteAddress: traced.remoteAddress,
        traceparent: traced.headers.traceparent,
        era: era.era,
        // Later 2025-era requests say nothing of the client: what their session's initialize said stands.
        protocolVersion: era.protocolVersion ?? session?.protocolVersion,
        clientInfo: era.clientInfo ?? session?.clientInfo,
        clientCapabilities: era.clientCapabilities ?? session?.clientCapabilities,
        upstream: resolved.upstreamName,
      };
      answer = await dispatchRequest(
        dispatchDeps,
        traced,
        request,
        message as unknown as JsonRpcRequest,
        bodyText!,
        origin,
        signal,
      );
    }
  } finally {
    if (answer === undefined) gate.abandon();
  }
  return gate.settle(answer);
}

/** An SSE answer outside any request (a 2025 GET stream), with each server message through `onServerMessage`. */
function checkServerStream(deps: DispatchDeps, response: Response, origin: ServerMessageOrigin): Response {
  const type = (response.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'text/event-stream' || !response.body) return response;
  const body = transformSseStream(
    response.body,
    (message) =>
      isPlainObject(message) ? deps.pipeline.serverMessage(message, origin) : Promise.resolve(message),
    {
      onFailure: (reason) =>
        recordSseFailure(deps, reason, {
          principalId: origin.principal.id,
          remoteAddress: origin.remoteAddress,
        }),
    },
  );
  return new Response(body, { status: response.status, headers: response.headers });
}

/** Builds the fetch handler of a warden (see {@link Warden.fetchHandler}). */
export function createFetchHandler(deps: EdgeDeps, options: FetchHandlerOptions): WardenFetchHandler {
  const resolved = resolveFetchOptions(options, deps.plugins);
  const dispatchDeps: DispatchDeps = {
    pipeline: deps.pipeline,
    events: deps.events,
    options: resolved,
    sealer: resolved.sealer,
    requestTimeoutMs: deps.requestTimeoutMs,
    openRequests: new OpenRequests(),
  };
  // warden.drain() waits for this handler's requests too, then answers those left with its shutdown error.
  deps.pipeline.transports.add(dispatchDeps.openRequests);
  // Housekeeping DELETEs in flight: close() waits for them, so an in-process upstream can be closed right after.
  const endings = new Set<Promise<void>>();
  const sessions = new LegacySessionTable(deps.events, {
    ...resolved.sessions,
    onEnd: (sessionId, ended) => {
      void deps.pipeline.sessionEnded({
        sessionId,
        principalId: ended.principalId,
        authenticatedBy: ended.authenticatedBy,
        connectionId: ended.connectionId,
        transport: 'http',
        upstream: resolved.upstreamName,
      });
      if (ended.endedBy !== 'warden') return;
      const ending = endUpstreamSession(resolved, sessionId, ended);
      endings.add(ending);
      void ending.finally(() => endings.delete(ending));
    },
  });
  const inFlight = new Set<AbortController>();
  let closed = false;

  /** `signal` ends with the request: the client went away or the warden closed. */
  async function handle(request: Request, info: FetchRequestInfo, signal: AbortSignal): Promise<Response> {
    const verdict: EdgeVerdict = await checkEdge(dispatchDeps, request, info);
    if (verdict.kind === 'response') return verdict.response;
    const { edge, cors } = verdict;
    const answer = await serveMcp(deps, dispatchDeps, sessions, request, info, edge, signal);
    return cors ? withHeaders(answer, cors) : answer;
  }

  return {
    async fetch(request, info = {}) {
      if (closed)
        return jsonResponse(
          503,
          errorMessage(
            null,
            edgeError(
              503,
              'The server is shutting down.',
              undefined,
              JSON_RPC_ERROR_CODES.SHUTTING_DOWN,
              CORE_ERROR_CODES.SHUTTING_DOWN,
            ),
          ),
        );
      // One controller per request follows the client's signal and the warden's close. Not AbortSignal.any and a
      // re-made Request: those cost ~70 us per request on Node 20 (signal and body-stream transfer set-up).
      // The listener stays: a streamed answer outlives this call and must still end when the client goes away.
      const controller = new AbortController();
      inFlight.add(controller);
      const follow = () => controller.abort(request.signal.reason);
      if (request.signal.aborted) follow();
      else request.signal.addEventListener('abort', follow, { once: true });
      try {
        return await handle(request, info, controller.signal);
      } catch (error) {
        deps.events.emit({
          type: 'plugin.error',
          outcome: 'denied',
          severity: 'error',
          reason: `fetch edge failure: ${error instanceof Error ? error.message : String(error)}`.slice(
            0,
            500,
          ),
          remoteAddress: info.remoteAddress,
        });
        return jsonResponse(500, errorMessage(null, internalError()));
      } finally {
        inFlight.delete(controller);
      }
    },
    serves(pathname) {
      if (pathname === resolved.endpoint) return true;
      for (const route of resolved.routes.values()) if (route.path === pathname) return true;
      return false;
    },
    get sessionCount() {
      return sessions.size;
    },
    closeSessionsOf(principalId, authenticatedBy) {
      return sessions.closeSessionsOf(
        principalId,
        authenticatedBy,
        'closed by closeSessionsOf (credential revoked)',
      );
    },
    async close() {
      closed = true;
      deps.pipeline.transports.delete(dispatchDeps.openRequests);
      sessions.close();
      await Promise.all([...endings]);
      for (const controller of inFlight) controller.abort(new Error('warden closed'));
      inFlight.clear();
    },
  };
}

/** How long Warden waits for an upstream to acknowledge the end of a session it dropped. */
const SESSION_END_TIMEOUT_MS = 5000;

/**
 * Tells the upstream that a 2025-era session Warden dropped (revoked, expired, closed) is over, the way a client
 * ends one (Streamable HTTP, 2025-03-26 and later: DELETE with `Mcp-Session-Id`), so it frees what the session
 * holds. Warden's own housekeeping: no plugin sees it, and its failure changes nothing (the binding is gone).
 */
async function endUpstreamSession(
  resolved: ResolvedFetchOptions,
  sessionId: string,
  ended: SessionEnd,
): Promise<void> {
  if (ended.url === undefined) return;
  const headers = new Headers({ 'mcp-session-id': sessionId });
  if (ended.protocolVersion !== undefined) headers.set('mcp-protocol-version', ended.protocolVersion);
  const signal = AbortSignal.timeout(SESSION_END_TIMEOUT_MS);
  try {
    const request = new Request(ended.url, { method: 'DELETE', headers, signal });
    const response = await resolved.callUpstream(request, {
      authInfo: toSdkAuthInfo(ended.principal),
      signal,
      ...(resolved.takesCheckedBody ? { headers, bodyText: '' } : {}),
    });
    await response.body?.cancel().catch(() => undefined);
  } catch {
    // Unreachable or refusing: the session expires there on its own; nothing here depends on it.
  }
}

function withHeaders(response: Response, extra: Record<string, string>): Response {
  const headers = new Headers(response.headers);
  for (const [name, value] of Object.entries(extra)) headers.set(name, value);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
