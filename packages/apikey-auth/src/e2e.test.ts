import { createWarden, getPrincipal } from '@mcp-warden/core';
import {
  connectHttpClient,
  runPluginContractTests,
  startTestHttpServer,
  type TestHttpServer,
} from '@mcp-warden/core/testing';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from './key-format.js';
import { ApiKeyManager } from './manager.js';
import { apiKeyAuth } from './plugin.js';
import { MemoryApiKeyStore } from './stores/memory.js';
import { SqliteApiKeyStore } from './stores/sqlite.js';
import { PEPPER_1 } from './test-helpers.js';

function whoamiServer(): McpServer {
  const server = new McpServer({ name: 'apikey-e2e', version: '1.0.0' });
  server.registerTool('whoami', { description: 'Who is calling' }, async (extra) => {
    const principal = getPrincipal(extra);
    return {
      content: [
        {
          type: 'text',
          text: JSON.stringify({ id: principal?.id, kind: principal?.kind, scopes: principal?.scopes }),
        },
      ],
    };
  });
  return server;
}

const unknownKey = generateApiKey();
runPluginContractTests({
  name: 'apikey-auth',
  create: (mode) => apiKeyAuth({ peppers: [PEPPER_1], mode }),
  invalidOptions: [
    () => apiKeyAuth({ peppers: [{ id: 'p1', secret: 'short' }] }),
    () => apiKeyAuth({ peppers: [PEPPER_1], prefix: 'Not_Valid' }),
    () => apiKeyAuth({ peppers: [PEPPER_1], header: 'X API' }),
  ],
  refusal: {
    kind: 'authenticate',
    request: {
      transport: 'http',
      headers: { authorization: `Bearer ${unknownKey}` },
      remoteAddress: '127.0.0.1',
    },
  },
  secrets: [unknownKey],
});

describe('end to end over Streamable HTTP with the real SDK client', () => {
  let server: TestHttpServer;
  let manager: ApiKeyManager;
  let key: string;
  let keyId: string;

  beforeAll(async () => {
    manager = new ApiKeyManager({ store: new SqliteApiKeyStore({ path: ':memory:' }), peppers: [PEPPER_1] });
    server = await startTestHttpServer({ plugins: [apiKeyAuth({ manager })], createServer: whoamiServer });
    const issued = await manager.create({ name: 'e2e', scopes: ['tools:call'] });
    key = issued.key;
    keyId = issued.info.id;
  });
  afterAll(async () => {
    await server.close();
    await manager.close();
  });

  const post = (headers: Record<string, string>, url: URL = server.url) =>
    fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...headers,
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 'raw', version: '1' },
        },
      }),
    });

  it('a client with a key calls a tool as the key principal', async () => {
    const client = await connectHttpClient(server.url, { headers: { authorization: `Bearer ${key}` } });
    try {
      const result = await client.callTool({ name: 'whoami', arguments: {} });
      const text = (result.content as { type: string; text: string }[])[0]?.text ?? '';
      expect(JSON.parse(text)).toEqual({ id: keyId, kind: 'apikey', scopes: ['tools:call'] });
    } finally {
      await client.close();
    }
  });

  it('answers a missing or bad key with 401 and a Bearer challenge, recording the real reason', async () => {
    const missing = await post({});
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/Bearer realm="mcp-warden"/);
    const unknown = await post({ authorization: `Bearer ${generateApiKey()}` });
    const malformed = await post({ authorization: `Bearer mcpw_${'z'.repeat(38)}` });
    expect([unknown.status, malformed.status]).toEqual([401, 401]);
    expect(unknown.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    expect(await unknown.text()).toBe(await malformed.text());
    const failed = server.events.ofType('auth.failed').filter((e) => e.plugin === 'apikey-auth');
    expect(failed.map((e) => e.details?.failure)).toEqual(expect.arrayContaining(['unknown', 'malformed']));
  });

  it('refuses a revoked key on the next request', async () => {
    const issued = await manager.create({ name: 'short-lived' });
    expect((await post({ 'x-api-key': issued.key })).status).toBe(200);
    await manager.revoke(issued.info.id, { actor: 'test' });
    expect((await post({ 'x-api-key': issued.key })).status).toBe(401);
    const event = server.events.ofType('auth.failed').at(-1);
    expect(event?.details).toMatchObject({ failure: 'revoked', keyId: issued.info.id });
    expect(JSON.stringify(server.events.events)).not.toContain(issued.key);
  });

  it("refuses a key in the query string with a clear message (core's edge or this plugin, whichever sees it first)", async () => {
    const url = new URL(server.url);
    url.searchParams.set('api_key', key);
    const response = await post({}, url);
    expect(response.status).toBe(401);
    expect(await response.text()).toMatch(/query string|in the URL/);
  });
});

describe('end to end over stdio', () => {
  it('takes the key from the environment', async () => {
    const manager = new ApiKeyManager({ store: new MemoryApiKeyStore(), peppers: [PEPPER_1] });
    const { key, info } = await manager.create({ name: 'stdio', roles: ['local'] });
    const warden = await createWarden({ plugins: [apiKeyAuth({ manager })] });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    const server = whoamiServer();
    await warden.connectStdio(server, { env: { MCP_WARDEN_API_KEY: key }, transport: serverSide });
    const client = new Client({ name: 'stdio-test', version: '1.0.0' });
    await client.connect(clientSide);
    try {
      const result = await client.callTool({ name: 'whoami', arguments: {} });
      expect((result.content as { text: string }[])[0]?.text).toContain(info.id);
      await expect(
        warden.connectStdio(whoamiServer(), {
          env: { MCP_WARDEN_API_KEY: generateApiKey() },
          transport: InMemoryTransport.createLinkedPair()[1],
        }),
      ).rejects.toThrow();
    } finally {
      await client.close();
      await server.close();
      await warden.close();
      await manager.close();
    }
  });
});
