import {
  type AuthenticationError,
  CORE_ERROR_CODES,
  type InsufficientScopeError,
  JSON_RPC_ERROR_CODES,
  WardenError,
} from '../errors.js';
import type { SecurityEventBus } from '../events.js';
import { formatChallenge, withBearerError } from '../http/challenge.js';
import type { Pipeline } from '../pipeline.js';
import type { EdgeRequest } from '../plugin.js';

export type RequestId = string | number;

/** A JSON (or empty) response; `Cache-Control: no-store` like every answer of the node edge. */
export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  const out = new Headers({ 'Cache-Control': 'no-store', ...headers });
  if (body === undefined) return new Response(null, { status, headers: out });
  if (!out.has('Content-Type'))
    out.set('Content-Type', typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json');
  return new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: out });
}

/** A JSON-RPC error message for a refusal (anything that is not a WardenError becomes "Internal error."). */
export function errorMessage(id: RequestId | null, error: unknown): Record<string, unknown> {
  const body = WardenError.isInstance(error)
    ? error.toJsonRpcError()
    : { code: JSON_RPC_ERROR_CODES.INTERNAL_ERROR, message: 'Internal error.' };
  return { jsonrpc: '2.0', id, error: body };
}

/** An edge refusal (before or instead of the pipeline). */
export function edgeError(
  status: number,
  message: string,
  reason: string | undefined,
  jsonRpcCode: number = JSON_RPC_ERROR_CODES.INVALID_REQUEST,
  code: string = CORE_ERROR_CODES.BAD_REQUEST,
  data?: Record<string, unknown>,
): WardenError {
  return new WardenError({
    code,
    message,
    reason,
    httpStatus: status,
    jsonRpcCode,
    data,
    eventType: 'request.rejected',
  });
}

/** What an edge refusal's event says of the request beyond the error. */
export interface RefusalContext {
  edge: EdgeRequest;
  id?: RequestId | null;
  principalId?: string;
  method?: string;
  traceparent?: string;
  details?: Record<string, unknown>;
}

/**
 * The HTTP answer to a refusal, shaped like the node edge's: 401 with every authenticator's challenge merged,
 * 403 `insufficient_scope` with the scopes needed, JSON-RPC error body. `record` also emits the security event
 * (false when the pipeline recorded it already).
 */
export function refusal(
  deps: { pipeline: Pipeline; events: SecurityEventBus },
  error: WardenError,
  context: RefusalContext,
  record = true,
): Response {
  const { edge } = context;
  if (record) {
    deps.events.emit({
      type: error.eventType,
      outcome: 'denied',
      reason: error.reason ?? error.message,
      remoteAddress: edge.remoteAddress,
      principalId: context.principalId,
      requestId: context.id ?? undefined,
      method: context.method,
      traceparent: context.traceparent,
      details: { code: error.code, httpMethod: edge.method, path: edge.url?.pathname, ...context.details },
    });
  }
  const headers: Record<string, string> = { ...error.headers };
  if (error.httpStatus === 401) {
    const oauthError = (error as Partial<AuthenticationError>).oauthError;
    headers['WWW-Authenticate'] = withBearerError(
      deps.pipeline.challenges(edge),
      oauthError ? { error: oauthError } : {},
    )
      .map(formatChallenge)
      .join(', ');
  } else if (error.code === CORE_ERROR_CODES.INSUFFICIENT_SCOPE) {
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
  return jsonResponse(error.httpStatus, errorMessage(context.id ?? null, error), headers);
}
