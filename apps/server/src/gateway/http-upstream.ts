import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { UpstreamRequestOptions } from '@mcp-warden/core';
import { type UpstreamFaultKind, type UpstreamFaultSink, upstreamErrorResponse } from './faults.js';
import { guardSseStream } from './stream-limits.js';
import { readMessage, upstreamClient } from './upstream-client.js';

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

function outboundHeaders(
  received: Headers,
  configured: Readonly<Record<string, string>>,
): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = received.get(name);
    if (value !== null) headers[name] = value;
  }
  for (const [name, value] of received) if (name.startsWith(PARAM_HEADER_PREFIX)) headers[name] = value;
  for (const [name, value] of Object.entries(configured)) headers[name.toLowerCase()] = value;
  return headers;
}

function inboundHeaders(message: IncomingMessage): Headers {
  const headers = new Headers();
  for (const name of FORWARDED_RESPONSE_HEADERS) {
    const value = message.headers[name];
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  return headers;
}

function mediaType(message: IncomingMessage): string {
  return (message.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/** The upstream as `warden.fetchHandler`'s `upstream`; `close` ends its kept-alive connections. */
export interface HttpUpstream {
  fetch(request: Request, options?: UpstreamRequestOptions): Promise<Response>;
  close(): void;
}

export function httpUpstream(options: HttpUpstreamOptions): HttpUpstream {
  const client = upstreamClient(options.url);
  const fail = (id: unknown, kind: UpstreamFaultKind, detail: string): Response => {
    options.onFault({ upstream: options.name, kind, detail });
    return upstreamErrorResponse(id, options.name, kind);
  };

  /** 2025 sessions: tell the upstream that the client gave up on a request (2026-07-28: the closed connection says it). */
  const sendCancel = (headers: Record<string, string>, id: string | number) => {
    const cancel: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers))
      if (!CANCEL_DROPS.has(name) && !name.startsWith(PARAM_HEADER_PREFIX)) cancel[name] = value;
    client
      .send({
        method: 'POST',
        headers: cancel,
        body: JSON.stringify({
          jsonrpc: '2.0',
          method: 'notifications/cancelled',
          params: {
            requestId: id,
            reason: 'The client cancelled the request or it timed out at the gateway.',
          },
        }),
        signal: AbortSignal.timeout(5000),
      })
      .then((message) => message.resume())
      .catch(() => undefined);
  };

  return {
    close: () => client.close(),
    async fetch(request, upstreamOptions) {
      const id = requestIdOf(upstreamOptions?.parsedBody);
      // With `takesCheckedBody`, Warden hands over the headers to forward and the signal that ends the request.
      const headers = outboundHeaders(upstreamOptions?.headers ?? request.headers, options.headers);
      const signal = upstreamOptions?.signal ?? request.signal;
      // Warden hands over the body it checked; reading the request's stream again would cost a second copy.
      const body =
        request.method === 'POST' ? (upstreamOptions?.bodyText ?? (await request.text())) : undefined;
      let settled = false;
      const sessionId = headers['mcp-session-id'];
      const onAbort = () => {
        if (!settled && id !== undefined && sessionId !== undefined) sendCancel(headers, id);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const settle = () => {
        settled = true;
        signal.removeEventListener('abort', onAbort);
      };
      let message: IncomingMessage;
      try {
        message = await client.send({ method: request.method, headers, body, signal });
      } catch (error) {
        settle();
        if (signal.aborted) throw error;
        const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
        return fail(id, 'unavailable', `request failed: ${reason}`);
      }
      return answer(message, id, fail, settle, options);
    },
  };
}

/** Headers of a request that a cancellation notification must not repeat. */
const CANCEL_DROPS = new Set(['mcp-method', 'mcp-name', 'last-event-id']);

async function answer(
  message: IncomingMessage,
  id: string | number | undefined,
  fail: (id: unknown, kind: UpstreamFaultKind, detail: string) => Response,
  settle: () => void,
  options: HttpUpstreamOptions,
): Promise<Response> {
  const status = message.statusCode ?? 0;
  if (status === 401 || status === 403) {
    settle();
    message.destroy();
    return fail(id, 'refused-credentials', `HTTP ${status}: the upstream refused the gateway's credentials`);
  }
  if (status >= 500 || (status >= 300 && status < 400) || status < 200) {
    settle();
    message.destroy();
    return fail(id, 'bad-answer', `HTTP ${status}`);
  }
  const headers = inboundHeaders(message);
  const type = mediaType(message);
  if (type === 'text/event-stream') {
    const guarded = guardSseStream(Readable.toWeb(message) as ReadableStream<Uint8Array>, {
      maxEventBytes: options.maxMessageBytes,
      maxEventsPerSecond: options.maxMessagesPerSecond,
      onEnd: settle,
      onViolation: (kind, detail) => options.onFault({ upstream: options.name, kind, detail }),
    });
    return new Response(guarded, { status, headers });
  }
  if (status === 202 || status === 204) {
    settle();
    message.resume();
    return new Response(null, { status, headers });
  }
  const read = await readMessage(message, options.maxMessageBytes);
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
