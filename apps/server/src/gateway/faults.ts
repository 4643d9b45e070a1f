import { JSON_RPC_ERROR_CODES } from '@mcp-warden/core';

/** What went wrong with an upstream: every kind is recorded as an `upstream.failed` security event. */
export type UpstreamFaultKind =
  /** Not reachable, or the connection broke. */
  | 'unavailable'
  /** It refused the gateway's own credentials (401/403): the client is not told to authenticate upstream. */
  | 'refused-credentials'
  /** A 5xx, a redirect, or an answer that is not MCP. */
  | 'bad-answer'
  /** A message over `maxMessageBytes`. */
  | 'too-large'
  /** More than `maxMessagesPerSecond` on one stream. */
  | 'flood'
  /** A stdio child exited or was stopped. */
  | 'exited';

export interface UpstreamFault {
  upstream: string;
  kind: UpstreamFaultKind;
  /** For the operator's log: never a credential, never upstream content. */
  detail: string;
}

export type UpstreamFaultSink = (fault: UpstreamFault) => void;

/** What the client is told: the upstream's name and that it failed, never how (no stack, no upstream text). */
export function upstreamErrorBody(id: unknown, upstream: string, kind: UpstreamFaultKind): string {
  const message =
    kind === 'unavailable' || kind === 'exited'
      ? `The upstream MCP server "${upstream}" is unavailable; retry later.`
      : `The upstream MCP server "${upstream}" sent an answer the gateway refused.`;
  return JSON.stringify({
    jsonrpc: '2.0',
    id: typeof id === 'string' || typeof id === 'number' ? id : null,
    error: { code: JSON_RPC_ERROR_CODES.UPSTREAM_UNAVAILABLE, message },
  });
}

/**
 * The client's answer: a request gets its JSON-RPC error with HTTP 200, like every other refusal of a request
 * (SDK clients hand the application the error and its message, where a 502 is an opaque transport failure);
 * anything else (a notification, a GET stream) gets 502.
 */
export function upstreamErrorResponse(id: unknown, upstream: string, kind: UpstreamFaultKind): Response {
  const request = typeof id === 'string' || typeof id === 'number';
  return new Response(upstreamErrorBody(id, upstream, kind), {
    status: request ? 200 : 502,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  });
}
