// Secure an SDK v2 server (MCP 2026-07-28, and 2025-era clients at the same endpoint) on node:http.
// Run: PEPPER=… tsx src/http-server.ts

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createWarden, toNodeHandler } from '@mcp-warden/core';
import { createMcpHandler } from '@modelcontextprotocol/server';
import { buildServer } from './my-server.js';
import { plugins } from './plugins.js';

const warden = await createWarden({ plugins: plugins() });
// createMcpHandler builds a server per request; Warden checks each request before it gets there.
const handler = warden.fetchHandler({ upstream: createMcpHandler(buildServer) });
const server = createServer(toNodeHandler(handler));
server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  console.log(JSON.stringify({ url: `http://127.0.0.1:${port}/mcp` }));
});
