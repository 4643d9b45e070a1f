// Secure an SDK v2 server over stdio: the caller's key comes from MCP_WARDEN_API_KEY, checked once at start.
// Clients of either SDK get the 2025-era protocol here: connectStdio drives the server's own connect(), and SDK v2
// serves 2026-07-28 over stdio only through its serveStdio() (an SDK v2 client falls back to 2025 by itself).

import { createWarden } from '@mcp-warden/core';
import { buildServer } from './my-server.js';
import { plugins } from './plugins.js';

const warden = await createWarden({ plugins: plugins() });
await warden.connectStdio(buildServer());
