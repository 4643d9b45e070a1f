/**
 * Era routing for SDK 1.x servers (2025-era traffic): authenticated requests go to the Streamable HTTP transport,
 * in stateful mode the caller's own session (a new one only for `initialize`, within the session caps), in
 * stateless mode a server of their own. Every request passes the pipeline here, before the SDK sees it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CORE_ERROR_CODES, WardenError } from '../errors.js';
import type { JsonRpcRequest } from '../mcp/classify.js';
import { duplicateIdError, errorResponse } from '../mcp/warden-transport.js';
import type { PreparedRequest } from '../pipeline.js';
import type { EdgeRequest } from '../plugin.js';
import { type Principal, toSdkAuthInfo } from '../principal.js';
import { edgeError, toWardenError } from './edge-errors.js';
import { type BodyLimits, checkPostHeaders, type JsonRpcMessage, readJsonRpcMessage } from './json-rpc.js';
import type { HttpHandlerOptions } from './options.js';
import { type Reject, send } from './reply.js';
import { guardSdkResponse } from './response-guard.js';
import { type OpenTransport, openSession, openStateless, type TransportDeps } from './sdk-transports.js';
import { type SessionTable, sessionNotFoundBody } from './sessions.js';

export interface DispatchContext {
  deps: TransportDeps;
  /** `sessions: 'stateful'` (the default). */
  stateful: boolean;
  options: HttpHandlerOptions;
  limits: BodyLimits;
  sessions: SessionTable;
  reject: Reject;
}

/** The SDK 1.x transport reads the principal from `req.auth`. */
function setAuth(req: IncomingMessage, principal: Principal): void {
  (req as IncomingMessage & { auth?: unknown }).auth = toSdkAuthInfo(principal);
}

/** The caller's session transport, a new session for `initialize`, or `undefined` once refused. */
async function sessionTransport(
  ctx: DispatchContext,
  res: ServerResponse,
  edge: EdgeRequest,
  principal: Principal,
  message: JsonRpcMessage,
  isRequest: boolean,
): Promise<OpenTransport | undefined> {
  const session = ctx.sessions.lookup(edge, principal);
  if (session === 'not-found') return void send(res, 404, sessionNotFoundBody());
  if (session) return session;
  if (!(isRequest && message.method === 'initialize')) {
    const error = edgeError(
      400,
      CORE_ERROR_CODES.BAD_REQUEST,
      'Bad Request: the Mcp-Session-Id header is required (initialize first).',
    );
    return void ctx.reject(res, error, edge);
  }
  const full = ctx.sessions.admit(principal, edge.remoteAddress);
  if (full) return void ctx.reject(res, full, edge);
  return openSession(ctx.deps, ctx.options, ctx.sessions, principal, edge);
}

/** Runs the pipeline on a request; `undefined` once it was refused and answered. */
async function check(
  ctx: DispatchContext,
  res: ServerResponse,
  edge: EdgeRequest,
  principal: Principal,
  request: JsonRpcRequest,
  open: OpenTransport,
): Promise<PreparedRequest | undefined> {
  const id = request.id;
  if (!open.wrapped.reserve(id)) {
    const duplicate = duplicateIdError(id);
    ctx.deps.events.emit({
      type: 'request.rejected',
      outcome: 'denied',
      reason: duplicate.message,
      principalId: principal.id,
      remoteAddress: edge.remoteAddress,
      requestId: id,
      method: String(request.method),
    });
    return void send(res, 200, errorResponse(id, duplicate));
  }
  try {
    if (request.method === 'initialize') open.wrapped.noteInitialize(request.params);
    const prepared = await ctx.deps.pipeline.before(
      request,
      Object.assign(
        {
          principal,
          transport: 'http',
          sessionId: open.transport.sessionId,
          remoteAddress: edge.remoteAddress,
          traceparent: edge.headers.traceparent,
          era: 'legacy' as const,
        },
        open.wrapped.originDetails(),
      ),
    );
    open.wrapped.prepared(prepared);
    return prepared;
  } catch (error) {
    // Recorded by the pipeline. Step-up and rate limits need their HTTP status; the rest is a JSON-RPC error.
    const refusal = toWardenError(error);
    if (
      refusal.httpStatus === 401 ||
      refusal.httpStatus === 429 ||
      refusal.code === CORE_ERROR_CODES.INSUFFICIENT_SCOPE
    ) {
      return void ctx.reject(res, refusal, edge, id, false);
    }
    return void send(res, 200, errorResponse(id, refusal));
  } finally {
    open.wrapped.release(id);
  }
}

/** A POST: reads and checks the message, finds its transport, runs the pipeline on requests, hands it to the SDK. */
export async function dispatchPost(
  ctx: DispatchContext,
  req: IncomingMessage,
  res: ServerResponse,
  edge: EdgeRequest,
  principal: Principal,
): Promise<void> {
  const badHeaders = checkPostHeaders(edge);
  if (badHeaders) return ctx.reject(res, badHeaders, edge);
  const message = await readJsonRpcMessage(req, ctx.limits);
  if (WardenError.isInstance(message)) return ctx.reject(res, message, edge);
  const isRequest = typeof message.method === 'string' && 'id' in message;
  const open = ctx.stateful
    ? await sessionTransport(ctx, res, edge, principal, message, isRequest)
    : await openStateless(ctx.deps, ctx.options, res, edge);
  if (!open) return;
  setAuth(req, principal);
  let body: unknown = message;
  let prepared: PreparedRequest | undefined;
  if (isRequest) {
    prepared = await check(ctx, res, edge, principal, message as unknown as JsonRpcRequest, open);
    if (!prepared) return;
    body = prepared.request;
  }
  guardSdkResponse(res, ctx.deps.events, edge, principal);
  try {
    await open.transport.handleRequest(req as IncomingMessage & { auth?: never }, res, body);
  } finally {
    // The SDK delivers synchronously inside handleRequest; anything still prepared was refused by the SDK.
    if (prepared) open.wrapped.unprepared(prepared);
  }
}

/** A GET (the SSE stream) or DELETE on the caller's own session; stateless servers take POST only. */
export async function dispatchStream(
  ctx: DispatchContext,
  req: IncomingMessage,
  res: ServerResponse,
  edge: EdgeRequest,
  principal: Principal,
): Promise<void> {
  if (!ctx.stateful) {
    const error = edgeError(
      405,
      CORE_ERROR_CODES.BAD_REQUEST,
      'This server is stateless: only POST is supported.',
    );
    return send(res, 405, errorResponse(null, error), { Allow: 'POST' });
  }
  const session = ctx.sessions.lookup(edge, principal);
  if (session === 'not-found') return send(res, 404, sessionNotFoundBody());
  if (!session) {
    const error = edgeError(
      400,
      CORE_ERROR_CODES.BAD_REQUEST,
      'Bad Request: the Mcp-Session-Id header is required.',
    );
    return ctx.reject(res, error, edge);
  }
  setAuth(req, principal);
  guardSdkResponse(res, ctx.deps.events, edge, principal);
  await session.transport.handleRequest(req, res);
}
