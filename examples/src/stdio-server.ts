// An existing McpServer over stdio: the caller's key comes from MCP_WARDEN_API_KEY. warden.connectStdio wraps an
// SDK 1.x stdio transport, so this example serves the SDK 1.x server (sdk1-my-server.ts).

import { apiKeyAuth, SqliteApiKeyStore } from '@mcp-warden/apikey-auth';
import { createWarden } from '@mcp-warden/core';
import { buildServer } from './sdk1-my-server.js';

const warden = await createWarden({
  plugins: [
    apiKeyAuth({
      store: new SqliteApiKeyStore({ path: process.env.KEYS_DB ?? 'keys.db' }),
      peppers: [{ id: 'p1', secret: process.env.PEPPER! }],
    }),
  ],
});
await warden.connectStdio(buildServer());
