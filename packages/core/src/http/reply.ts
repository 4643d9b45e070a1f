import type { IncomingMessage, ServerResponse } from 'node:http';
import { CORE_ERROR_CODES, type WardenError } from '../errors.js';
import type { SecurityEventBus } from '../events.js';
import { errorResponse } from '../mcp/warden-transport.js';
import type { Pipeline } from '../pipeline.js';
import type { EdgeRequest } from '../plugin.js';
import { refusalChallenge } from './challenge.js';

/** Writes a complete response (JSON for objects, text for strings, none for `undefined`), never cached. */
export function send(
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

/**
 * Answers a refusal with its status, headers and a JSON-RPC error body. `record: false` when the refusal was
 * recorded already (by the pipeline, which records its own).
 */
export type Reject = (
  res: ServerResponse,
  error: WardenError,
  edge: EdgeRequest | undefined,
  id?: string | number | null,
  record?: boolean,
) => void;

export function createReject(events: SecurityEventBus, pipeline: Pipeline): Reject {
  return (res, error, edge, id = null, record = true) => {
    if (record) {
      events.emit({
        type: error.eventType,
        outcome: 'denied',
        reason: error.reason ?? error.message,
        remoteAddress: edge?.remoteAddress,
        details: { code: error.code, httpMethod: edge?.method, path: edge?.url?.pathname },
      });
    }
    const headers: Record<string, string> = { ...error.headers };
    // Only a 401 or a step-up 403 carries a challenge; the authenticators are asked only then.
    const challenges =
      edge && (error.httpStatus === 401 || error.code === CORE_ERROR_CODES.INSUFFICIENT_SCOPE)
        ? pipeline.challenges(edge)
        : undefined;
    const challenge = challenges ? refusalChallenge(error, challenges) : undefined;
    if (challenge !== undefined) headers['WWW-Authenticate'] = challenge;
    if (error.httpStatus === 413 || error.httpStatus === 408) headers.Connection = 'close';
    send(res, error.httpStatus, errorResponse(id, error), headers);
  };
}
