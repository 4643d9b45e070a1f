import {
  createMcpHandler,
  isLegacyRequest,
  WebStandardStreamableHTTPServerTransport,
} from '@modelcontextprotocol/server';
import type { UpstreamRequestOptions } from '../web/options.js';
import { buildV2Server } from './v2-server.js';

/** One request the upstream received: enough to tell whether a refused request ever reached it. */
export interface UpstreamCall {
  method: string;
  sessionId: string | null;
  principalId: string | undefined;
}

/**
 * An SDK v2 upstream that serves 2025-era sessions: a strict modern `createMcpHandler(..., { legacy: 'reject' })`
 * beside a sessionful `WebStandardStreamableHTTPServerTransport` per session, routed by `isLegacyRequest` (the
 * composition the SDK documents for keeping 2025 sessions). It owns its sessions: it trusts any `Mcp-Session-Id`
 * it knows, whoever sends it, which is the gap Warden closes.
 */
export function v2SessionfulEndpoint() {
  const modern = createMcpHandler(() => buildV2Server(), { legacy: 'reject' });
  const sessions = new Map<string, WebStandardStreamableHTTPServerTransport>();
  const calls: UpstreamCall[] = [];

  async function legacy(request: Request, options?: UpstreamRequestOptions): Promise<Response> {
    const sessionId = request.headers.get('mcp-session-id');
    if (sessionId !== null) {
      const transport = sessions.get(sessionId);
      if (transport) return transport.handleRequest(request, options);
      return new Response(
        JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32001, message: 'Session not found' } }),
        { status: 404, headers: { 'content-type': 'application/json' } },
      );
    }
    const transport: WebStandardStreamableHTTPServerTransport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => crypto.randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, transport);
      },
      onsessionclosed: (id) => {
        sessions.delete(id);
      },
    });
    await buildV2Server().connect(transport);
    return transport.handleRequest(request, options);
  }

  return {
    calls,
    /** Sessions the upstream holds. */
    sessions,
    async fetch(request: Request, options?: UpstreamRequestOptions): Promise<Response> {
      const body = options?.parsedBody as { method?: unknown } | undefined;
      calls.push({
        method: typeof body?.method === 'string' ? body.method : request.method,
        sessionId: request.headers.get('mcp-session-id'),
        principalId: options?.authInfo?.clientId,
      });
      if (await isLegacyRequest(request, options?.parsedBody)) return legacy(request, options);
      return modern.fetch(request, options);
    },
    async close(): Promise<void> {
      await Promise.allSettled([...sessions.values()].map((t) => t.close()));
      await modern.close();
    },
  };
}
