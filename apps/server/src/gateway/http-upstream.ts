import type { UpstreamRequestOptions } from '@mcp-warden/core';
import { type UpstreamFaultKind, type UpstreamFaultSink, upstreamErrorResponse } from './faults.js';
import { guardSseStream, readBounded } from './stream-limits.js';

/**
 * A remote Streamable HTTP MCP server as the upstream of `warden.fetchHandler`. Warden has already authenticated
 * the client and run the pipeline; this forwards the checked request with the gateway's own credentials:
 * - only the MCP headers of the client's request pass (never its Authorization, cookies or API key: the MCP
 *   spec forbids token passthrough), plus the headers configured for this upstream;
 * - 2025-era sessions pass through, so each client session has its own upstream session;
 * - the answer is bounded (message size, messages per second) and an upstream failure becomes a 502 with a
 *   JSON-RPC error that names the upstream and nothing else;
 * - a request the client cancels or that times out is cancelled upstream too.
 */
export interface HttpUpstreamOptions {
  name: string;
  url: URL;
  /** The gateway's headers for this upstream (credentials expanded from its environment). */
  headers: Readonly<Record<string, string>>;
  maxMessageBytes: number;
  maxMessagesPerSecond: number;
  onFault: UpstreamFaultSink;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** The client's request headers an upstream needs to serve it; everything else stays at the gateway. */
const FORWARDED_REQUEST_HEADERS = [
  'accept',
  'content-type',
  'mcp-session-id',
  'mcp-protocol-version',
  'mcp-method',
  'mcp-name',
  'last-event-id',
  'traceparent',
  'tracestate',
  'baggage',
];
/** 2026-07-28 tools may mirror arguments into `Mcp-Param-*` headers, which the upstream checks against the body. */
const PARAM_HEADER_PREFIX = 'mcp-param-';
/** The upstream's response headers the client may see. */
const FORWARDED_RESPONSE_HEADERS = [
  'content-type',
  'mcp-session-id',
  'mcp-protocol-version',
  'cache-control',
  'retry-after',
];

function requestIdOf(body: unknown): string | number | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const { id, method } = body as { id?: unknown; method?: unknown };
  if (typeof method !== 'string') return undefined;
  return typeof id === 'string' || typeof id === 'number' ? id : undefined;
}

function outboundHeaders(request: Request, configured: Readonly<Record<string, string>>): Headers {
  const headers = new Headers();
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = request.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  for (const [name, value] of request.headers)
    if (name.startsWith(PARAM_HEADER_PREFIX)) headers.set(name, value);
  for (const [name, value] of Object.entries(configured)) headers.set(name, value);
  return headers;
}

function inboundHeaders(response: Response): Headers {
  const headers = new Headers();
  for (const name of FORWARDED_RESPONSE_HEADERS) {
    const value = response.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  return headers;
}

function mediaType(response: Response): string {
  return (response.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

export function httpUpstream(options: HttpUpstreamOptions) {
  const doFetch = options.fetch ?? globalThis.fetch;
  const fail = (id: unknown, kind: UpstreamFaultKind, detail: string): Response => {
    options.onFault({ upstream: options.name, kind, detail });
    return upstreamErrorResponse(id, options.name, kind);
  };

  /** 2025 sessions: tell the upstream that the client gave up on a request (2026-07-28: the closed connection says it). */
  const sendCancel = (headers: Headers, id: string | number) => {
    const cancel = new Headers(headers);
    cancel.delete('mcp-method');
    cancel.delete('mcp-name');
    cancel.delete('last-event-id');
    for (const name of [...cancel.keys()]) if (name.startsWith(PARAM_HEADER_PREFIX)) cancel.delete(name);
    void doFetch(options.url, {
      method: 'POST',
      headers: cancel,
      body: JSON.stringify({
        jsonrpc: '2.0',
        method: 'notifications/cancelled',
        params: { requestId: id, reason: 'The client cancelled the request or it timed out at the gateway.' },
      }),
      redirect: 'manual',
      signal: AbortSignal.timeout(5000),
    })
      .then((r) => r.body?.cancel())
      .catch(() => undefined);
  };

  return async (request: Request, upstreamOptions?: UpstreamRequestOptions): Promise<Response> => {
    const id = requestIdOf(upstreamOptions?.parsedBody);
    const headers = outboundHeaders(request, options.headers);
    const body = request.method === 'POST' ? await request.text() : undefined;
    let settled = false;
    const sessionId = headers.get('mcp-session-id');
    const onAbort = () => {
      if (!settled && id !== undefined && sessionId !== null) sendCancel(headers, id);
    };
    request.signal.addEventListener('abort', onAbort, { once: true });
    const settle = () => {
      settled = true;
      request.signal.removeEventListener('abort', onAbort);
    };
    let response: Response;
    try {
      response = await doFetch(options.url, {
        method: request.method,
        headers,
        body,
        // A redirect could carry the gateway's credentials to another host: it is an answer, not a hop.
        redirect: 'manual',
        signal: request.signal,
      });
    } catch (error) {
      settle();
      if (request.signal.aborted) throw error;
      return fail(id, 'unavailable', `request failed: ${(error as Error).cause ?? (error as Error).message}`);
    }
    return answer(response, id, request, fail, settle, options);
  };
}

async function answer(
  response: Response,
  id: string | number | undefined,
  request: Request,
  fail: (id: unknown, kind: UpstreamFaultKind, detail: string) => Response,
  settle: () => void,
  options: HttpUpstreamOptions,
): Promise<Response> {
  const status = response.status;
  if (status === 401 || status === 403) {
    settle();
    await response.body?.cancel();
    return fail(id, 'refused-credentials', `HTTP ${status}: the upstream refused the gateway's credentials`);
  }
  if (status >= 500 || (status >= 300 && status < 400)) {
    settle();
    await response.body?.cancel();
    return fail(id, 'bad-answer', `HTTP ${status}`);
  }
  const headers = inboundHeaders(response);
  const type = mediaType(response);
  if (type === 'text/event-stream' && response.body) {
    const guarded = guardSseStream(response.body, {
      maxEventBytes: options.maxMessageBytes,
      maxEventsPerSecond: options.maxMessagesPerSecond,
      onEnd: settle,
      onViolation: (kind, detail) => options.onFault({ upstream: options.name, kind, detail }),
    });
    return new Response(guarded, { status, headers });
  }
  if (response.body === null || status === 202 || status === 204) {
    settle();
    await response.body?.cancel();
    return new Response(null, { status, headers });
  }
  const read = await readBounded(response.body, options.maxMessageBytes, request.signal);
  settle();
  if (read.kind === 'too-large')
    return fail(id, 'too-large', `a response body over ${options.maxMessageBytes} bytes`);
  if (read.kind === 'failed') return fail(id, 'unavailable', 'the response body broke off');
  if (type !== 'application/json') return fail(id, 'bad-answer', `HTTP ${status} with ${type || 'no type'}`);
  try {
    JSON.parse(read.text);
  } catch {
    return fail(id, 'bad-answer', `HTTP ${status}: a JSON body that does not parse`);
  }
  return new Response(read.text, { status, headers });
}
