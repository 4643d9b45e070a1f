// Secure an existing McpServer over stdio: the caller's key comes from MCP_WARDEN_API_KEY.

import { apiKeyAuth, SqliteApiKeyStore } from '@mcp-warden/apikey-auth';
import { createWarden } from '@mcp-warden/core';
import { buildServer } from './my-server.js';

const warden = await createWarden({
  plugins: [
    apiKeyAuth({
      store: new SqliteApiKeyStore({ path: process.env.KEYS_DB ?? 'keys.db' }),
      peppers: [{ id: 'p1', secret: process.env.PEPPER! }],
    }),
  ],
});
await warden.connectStdio(buildServer());
