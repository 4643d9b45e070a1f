import { randomUUID } from 'node:crypto';
import type { UpstreamRequestOptions } from '@mcp-warden/core';
import {
  createMcpHandler,
  isLegacyRequest,
  type McpServer,
  WebStandardStreamableHTTPServerTransport,
} from '@modelcontextprotocol/server';

/** The demo server as `warden.fetchHandler`'s upstream: what the handler calls, and how it is closed. */
export interface DemoUpstream {
  fetch(request: Request, options?: UpstreamRequestOptions): Promise<Response>;
  /** 2025-era sessions the upstream holds (Warden holds the binding of each to its principal). */
  readonly sessionCount: number;
  close(): Promise<void>;
}

/**
 * Serves one SDK v2 server definition to both eras. 2026-07-28 requests go to `createMcpHandler` (a fresh server
 * per request). 2025-era traffic is served statelessly by the same handler (`stateless`), or, as the reference
 * server does by default, with sessions (`stateful`): one `WebStandardStreamableHTTPServerTransport` per session,
 * routed by `isLegacyRequest` in front of a `legacy: 'reject'` handler, the composition the SDK documents for
 * keeping 2025 sessions.
 *
 * This layer trusts any session id it knows: Warden binds each id to the principal whose `initialize` opened it
 * and never forwards another principal's, and tells this layer (a DELETE) when it drops a binding.
 */
export function demoUpstream(createServer: () => McpServer, mode: 'stateful' | 'stateless'): DemoUpstream {
  if (mode === 'stateless') {
    const handler = createMcpHandler(createServer, { legacy: 'stateless' });
    return {
      fetch: (request, options) => handler.fetch(request, options),
      sessionCount: 0,
      close: () => handler.close(),
    };
  }
  const modern = createMcpHandler(createServer, { legacy: 'reject' });
  const sessions = new Map<string, WebStandardStreamableHTTPServerTransport>();

  async function openSession(request: Request, options?: UpstreamRequestOptions): Promise<Response> {
    const transport: WebStandardStreamableHTTPServerTransport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      onsessioninitialized: (id) => {
        sessions.set(id, transport);
      },
      onsessionclosed: (id) => {
        sessions.delete(id);
      },
    });
    const server = createServer();
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    const response = await transport.handleRequest(request, options);
    // An initialize that opened no session (refused, malformed) leaves nothing behind.
    if (!transport.sessionId || !sessions.has(transport.sessionId))
      void server.close().catch(() => undefined);
    return response;
  }

  return {
    async fetch(request, options) {
      if (!(await isLegacyRequest(request, options?.parsedBody))) return modern.fetch(request, options);
      const sessionId = request.headers.get('mcp-session-id');
      if (sessionId === null) return openSession(request, options);
      const transport = sessions.get(sessionId);
      if (transport) return transport.handleRequest(request, options);
      return new Response(
        JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32001, message: 'Session not found' } }),
        { status: 404, headers: { 'content-type': 'application/json' } },
      );
    },
    get sessionCount() {
      return sessions.size;
    },
    async close() {
      await Promise.allSettled([...sessions.values()].map((t) => t.close()));
      sessions.clear();
      await modern.close();
    },
  };
}
