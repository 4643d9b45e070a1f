import type { IncomingMessage, ServerResponse } from 'node:http';
import { CORE_ERROR_CODES } from '../errors.js';
import type { SecurityEventBus } from '../events.js';
import { errorResponse } from '../mcp/warden-transport.js';
import type { Pipeline } from '../pipeline.js';
import type { EdgeRequest, WardenPlugin } from '../plugin.js';
import { collectPluginRoutes } from '../plugin-routes.js';
import { authenticateRequest, isAuthRefusal } from './authenticate.js';
import { type DispatchContext, dispatchPost, dispatchStream } from './dispatch.js';
import { edgeError, internalError } from './edge-errors.js';
import { checkModes, type HttpHandlerOptions, resolveLimits } from './options.js';
import { createBrowserGuard } from './origin.js';
import { createClientAddressResolver } from './proxies.js';
import { createReject, send } from './reply.js';
import { SessionTable } from './sessions.js';

export type { HttpHandlerOptions, McpServerLike } from './options.js';

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

function methodNotAllowed(res: ServerResponse, method: string | undefined): void {
  const error = edgeError(
    405,
    CORE_ERROR_CODES.BAD_REQUEST,
    `Method ${String(method).slice(0, 20)} not allowed; use POST, GET or DELETE.`,
  );
  send(res, 405, errorResponse(null, error), { Allow: 'GET, POST, DELETE' });
}

/**
 * Builds the node:http request handler of a warden (usable from Express and Hono's node adapter too). In order,
 * a request meets: the Host/Origin check (`origin.ts`), the plugins' routes, the endpoint and method, the
 * authentication (`authenticate.ts`), then the dispatch to a session or a stateless server (`dispatch.ts`),
 * which reads and checks the body (`json-rpc.ts`) and runs the pipeline.
 */
export function createHttpHandler(deps: EdgeDeps, options: HttpHandlerOptions): WardenHttpHandler {
  const endpoint = options.endpoint ?? '/mcp';
  const limits = resolveLimits(options);
  const clientAddress = createClientAddressResolver(options.trustedProxies);
  checkModes(options);
  const browserGuard = createBrowserGuard(options.allowedHosts, options.allowedOrigins);
  const routes = collectPluginRoutes(deps.plugins, endpoint);
  const sessions = new SessionTable(deps.events, {
    idleTimeoutMs: limits.sessionIdleTimeoutMs,
    maxSessions: limits.maxSessions,
    maxPerPrincipal: limits.maxSessionsPerPrincipal,
    recheckMs: limits.principalRecheckMs,
    principalStillValid: options.principalStillValid,
    onEnd: (sessionId, owner) =>
      void deps.pipeline.sessionEnded({
        sessionId,
        ...owner,
        transport: 'http',
        upstream: options.upstreamName,
      }),
  });
  const reject = createReject(deps.events, deps.pipeline);
  const stateful = (options.sessions ?? 'stateful') === 'stateful';
  const dispatch: DispatchContext = { deps, stateful, options, limits, sessions, reject };

  async function handle(req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) {
    const forwarded = req.headers['x-forwarded-for'];
    const remoteAddress = clientAddress(
      req.socket.remoteAddress,
      Array.isArray(forwarded) ? forwarded.join(',') : forwarded,
    );
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      const error = edgeError(400, CORE_ERROR_CODES.BAD_REQUEST, 'Invalid request URL.');
      return reject(res, error, { transport: 'http', headers: {}, remoteAddress });
    }
    const headers = req.headers as Record<string, string | undefined>;
    const edge = { transport: 'http', method: req.method, url, headers, remoteAddress } satisfies EdgeRequest;

    const browser = browserGuard(req, res, edge);
    if (browser === 'answered') return;
    if (browser) return reject(res, browser, edge);
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
    if (req.method !== 'POST' && req.method !== 'GET' && req.method !== 'DELETE')
      return methodNotAllowed(res, req.method);

    const principal = await authenticateRequest(deps.pipeline, req, edge);
    if (isAuthRefusal(principal)) return reject(res, principal.refused, edge, null, principal.record);
    if (req.method === 'POST') return dispatchPost(dispatch, req, res, edge, principal);
    return dispatchStream(dispatch, req, res, edge, principal);
  }

  const handler = ((req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => {
    handle(req, res, next).catch((error: unknown) => {
      deps.events.emit({
        type: 'plugin.error',
        outcome: 'denied',
        severity: 'error',
        reason: `edge failure: ${error instanceof Error ? error.message : String(error)}`.slice(0, 500),
      });
      if (!res.headersSent) send(res, 500, errorResponse(null, internalError()));
      else res.end();
    });
  }) as WardenHttpHandler;
  Object.defineProperty(handler, 'sessionCount', { get: () => sessions.size });
  handler.closeSessionsOf = (principalId, authenticatedBy) =>
    sessions.closeSessionsOf(principalId, authenticatedBy, 'closed by closeSessionsOf (credential revoked)');
  handler.close = () => sessions.close();
  return handler;
}
