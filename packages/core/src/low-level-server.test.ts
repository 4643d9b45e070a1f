import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { denyTools, tokenAuth } from './__fixtures__/plugins.js';
import { getPrincipal } from './principal.js';
import {
  connectHttpClient,
  connectTestClient,
  fakePrincipal,
  startTestHttpServer,
  type TestClient,
  type TestHttpServer,
} from './testing/index.js';

/** The SDK's low-level Server: no McpServer helpers, handlers registered by schema. */
function lowLevelServer(): Server {
  const server = new Server({ name: 'low-level', version: '1' }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: [
      { name: 'whoami', description: 'who', inputSchema: { type: 'object' } },
      { name: 'secret_tool', description: 'hidden', inputSchema: { type: 'object' } },
    ],
  }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => ({
    content: [{ type: 'text', text: `${request.params.name}:${getPrincipal(extra)?.id ?? 'nobody'}` }],
  }));
  return server;
}

let kit: TestClient | undefined;
let srv: TestHttpServer | undefined;
afterEach(async () => {
  await kit?.close();
  await srv?.close();
  kit = undefined;
  srv = undefined;
});

describe('the low-level SDK Server', () => {
  it('is secured in memory without changing its handlers: principal handed over, lists filtered, calls refused', async () => {
    kit = await connectTestClient({
      plugins: [denyTools(['secret_tool'])],
      createServer: lowLevelServer,
      principal: fakePrincipal({ id: 'dora' }),
    });
    expect((await kit.client.listTools()).tools.map((t) => t.name)).toEqual(['whoami']);
    expect((await kit.client.callTool({ name: 'whoami', arguments: {} })).content).toEqual([
      { type: 'text', text: 'whoami:dora' },
    ]);
    await expect(kit.client.callTool({ name: 'secret_tool', arguments: {} })).rejects.toThrow(
      /Access denied/,
    );
  });

  it('is secured over Streamable HTTP in both session modes', async () => {
    for (const sessions of ['stateful', 'stateless'] as const) {
      srv = await startTestHttpServer({
        plugins: [tokenAuth(), denyTools(['secret_tool'])],
        createServer: lowLevelServer,
        sessions,
      });
      const client = await connectHttpClient(srv.url, { headers: { authorization: 'Bearer good:eve' } });
      expect((await client.callTool({ name: 'whoami', arguments: {} })).content).toEqual([
        { type: 'text', text: 'whoami:eve' },
      ]);
      expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['whoami']);
      await client.close();
      await srv.close();
      srv = undefined;
    }
  });
});
