import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { SecurityEventBus } from '../events.js';
import { WardenTransport } from '../mcp/warden-transport.js';
import type { Pipeline } from '../pipeline.js';
import type { EdgeRequest } from '../plugin.js';
import type { Principal } from '../principal.js';
import type { HttpHandlerOptions } from './options.js';
import { limitKeyOf, type Session, type SessionTable } from './sessions.js';

/** What opening an SDK 1.x transport needs from the warden. */
export interface TransportDeps {
  pipeline: Pipeline;
  events: SecurityEventBus;
  requestTimeoutMs: number;
}

/** The SDK's Streamable HTTP transport and the warden's wrapper around it, connected to a server. */
export interface OpenTransport {
  transport: StreamableHTTPServerTransport;
  wrapped: WardenTransport;
}

function wrap(
  deps: TransportDeps,
  transport: StreamableHTTPServerTransport,
  edge: EdgeRequest,
  upstream: string | undefined,
) {
  return new WardenTransport(transport, deps.pipeline, deps.events, {
    transport: 'http',
    remoteAddress: edge.remoteAddress,
    requestTimeoutMs: deps.requestTimeoutMs,
    ...(upstream === undefined ? {} : { upstream }),
  });
}

/**
 * Opens a stateful session for `principal`: a new server on a transport that generates the session id. The
 * session enters `table` when the SDK has initialized it, and leaves it when the transport closes.
 */
export async function openSession(
  deps: TransportDeps,
  options: HttpHandlerOptions,
  table: SessionTable,
  principal: Principal,
  edge: EdgeRequest,
): Promise<OpenTransport> {
  const server = await options.createServer();
  let entry: Session | undefined;
  const transport = new StreamableHTTPServerTransport({
    sessionIdGenerator: () => randomUUID(),
    eventStore: options.eventStore?.(),
    retryInterval: options.retryInterval,
    onsessioninitialized: (sessionId) => {
      if (!entry) return;
      table.add(sessionId, entry);
      deps.events.emit({
        type: 'session.created',
        outcome: 'allowed',
        severity: 'debug',
        principalId: principal.id,
        sessionId,
        remoteAddress: edge.remoteAddress,
      });
    },
    onsessionclosed: (sessionId) => {
      table.remove(sessionId);
    },
  });
  const wrapped = wrap(deps, transport, edge, options.upstreamName);
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
    if (transport.sessionId) table.remove(transport.sessionId);
    onclose?.();
  };
  return { transport, wrapped };
}

/** Opens a server and transport for one stateless request; both close with the response. */
export async function openStateless(
  deps: TransportDeps,
  options: HttpHandlerOptions,
  res: ServerResponse,
  edge: EdgeRequest,
): Promise<OpenTransport> {
  const server = await options.createServer();
  const transport = new StreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: (options.responseMode ?? 'sse') === 'json',
  });
  const wrapped = wrap(deps, transport, edge, options.upstreamName);
  await server.connect(wrapped);
  res.on('close', () => {
    void wrapped.close().catch(() => undefined);
    void server.close().catch(() => undefined);
  });
  return { transport, wrapped };
}
