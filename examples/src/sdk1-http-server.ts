// Secure an existing McpServer over Streamable HTTP with API keys. Run: PEPPER=… tsx src/http-server.ts

import { apiKeyAuth, SqliteApiKeyStore } from '@mcp-warden/apikey-auth';
import { createWarden, listen } from '@mcp-warden/core';
import { buildServer } from './my-server.js';

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
