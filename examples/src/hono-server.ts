// Secure an SDK v2 server inside a Hono app: the /mcp route hands the web Request to Warden.
// Run: PEPPER=… tsx src/hono-server.ts

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createWarden, type FetchRequestInfo, toNodeHandler } from '@mcp-warden/core';
import { createMcpHandler } from '@modelcontextprotocol/server';
import { Hono } from 'hono';
import { buildServer } from './my-server.js';
import { plugins } from './plugins.js';

const warden = await createWarden({ plugins: plugins() });
const handler = warden.fetchHandler({ upstream: createMcpHandler(buildServer) });

// The host passes what a Request cannot carry (the peer address, repeated MCP headers) as Hono's env.
const app = new Hono<{ Bindings: FetchRequestInfo }>();
app.get('/healthz', (c) => c.text('ok'));
app.all('/mcp', (c) => handler.fetch(c.req.raw, c.env));
// With OAuth, also route the plugins' metadata: app.all('/.well-known/*', (c) => handler.fetch(c.req.raw, c.env)).

// On Node, core's adapter carries the app to node:http. Bun: Bun.serve({ fetch: (req, srv) =>
// app.fetch(req, { remoteAddress: srv.requestIP(req)?.address }) }); Deno and Workers: app.fetch likewise.
const server = createServer(
  toNodeHandler({ fetch: async (request, info) => app.fetch(request, info), close: () => warden.close() }),
);
server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  console.log(JSON.stringify({ url: `http://127.0.0.1:${port}/mcp` }));
});
