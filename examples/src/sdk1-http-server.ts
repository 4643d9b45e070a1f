// An existing SDK 1.x McpServer over Streamable HTTP (2025 era) with API keys. Run: PEPPER=… tsx src/sdk1-http-server.ts
// New servers: SDK v2 behind warden.fetchHandler (http-server.ts), which also serves 2025-era clients.

import { apiKeyAuth, SqliteApiKeyStore } from '@mcp-warden/apikey-auth';
import { createWarden, listen } from '@mcp-warden/core';
import { buildServer } from './sdk1-my-server.js';

const warden = await createWarden({
  plugins: [
    apiKeyAuth({
      store: new SqliteApiKeyStore({ path: process.env.KEYS_DB ?? 'keys.db' }),
      peppers: [{ id: 'p1', secret: process.env.PEPPER! }],
    }),
  ],
});
const { origin } = await listen(warden.httpHandler({ createServer: buildServer }), {
  host: '127.0.0.1',
  port: Number(process.env.PORT ?? 3000),
});
console.log(JSON.stringify({ url: `${origin}/mcp` }));
