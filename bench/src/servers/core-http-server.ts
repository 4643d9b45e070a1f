// A tools/call target for the HTTP benchmarks: the same McpServer served bare (the SDK's transport on node:http)
// and/or behind MCP Warden core, one port per mode given on the command line, all in this one process. Prints
// {"servers": [{"url": …}, …]} (in argument order) when listening.
import { createServer } from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';
import {
  createWarden,
  listen,
  type RequestObserver,
  type SecurityEvent,
  type WardenPlugin,
} from '../../../packages/core/src/index.ts';

export function benchServer(): McpServer {
  const server = new McpServer({ name: 'bench', version: '1.0.0' });
  server.registerTool(
    'echo',
    { description: 'echo', inputSchema: { text: z.string() } },
    async ({ text }) => ({ content: [{ type: 'text', text }] }),
  );
  return server;
}

/** Stateless, JSON responses: one server and transport per request, as the SDK's stateless examples do. */
export async function serveBare(): Promise<string> {
  const http = createServer(async (req, res) => {
    const server = benchServer();
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const address = http.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/mcp`;
}

/** What a configuration adds besides plugins: request observers (audit, metrics) and an event listener. */
export interface Observing {
  observers?: RequestObserver[];
  onEvent?: (event: SecurityEvent) => void;
}

export async function serveWarden(
  plugins: WardenPlugin[] = [],
  allowAnonymous = false,
  observing: Observing = {},
): Promise<string> {
  const warden = await createWarden({ plugins, allowAnonymous, observers: observing.observers });
  if (observing.onEvent) warden.events.on(observing.onEvent);
  const handler = warden.httpHandler({
    createServer: benchServer,
    sessions: 'stateless',
    responseMode: 'json',
  });
  const listening = await listen(handler, { host: '127.0.0.1', port: 0 });
  return `${listening.origin}/mcp`;
}

if (process.argv[1]?.endsWith('core-http-server.ts')) {
  const servers = [];
  for (const mode of process.argv.slice(2))
    servers.push({ url: mode === 'bare' ? await serveBare() : await serveWarden() });
  process.stdout.write(`${JSON.stringify({ servers })}\n`);
}
