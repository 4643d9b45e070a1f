import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { tokenAuth } from '../__fixtures__/plugins.js';
import type { WardenPlugin } from '../plugin.js';
import { fakePrincipal, startTestHttpServer, type TestHttpServer } from '../testing/index.js';
import { createWarden } from '../warden.js';

const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

/** A server whose `slow` tool answers after 300 ms, and whose `secret` result a plugin redacts. */
function slowServer(): McpServer {
  const server = new McpServer({ name: 'slow', version: '1' });
  server.registerTool(
    'slow',
    { description: 'slow', inputSchema: { text: z.string() } },
    async ({ text }) => {
      await new Promise((r) => setTimeout(r, 300));
      return { content: [{ type: 'text', text }] };
    },
  );
  return server;
}

const redactor: WardenPlugin = {
  specVersion: 1,
  name: 'redactor',
  afterResponse: (ctx) =>
    ctx.method === 'tools/call'
      ? {
          result: {
            content: [{ type: 'text', text: JSON.stringify(ctx.result).replaceAll('SECRET', '[REDACTED]') }],
          },
        }
      : undefined,
};

let srv: TestHttpServer | undefined;
afterEach(async () => {
  await srv?.close();
  srv = undefined;
});

async function post(
  body: unknown,
  headers: Record<string, string>,
): Promise<{ status: number; text: string }> {
  const response = await fetch(srv!.url, {
    method: 'POST',
    headers: { ...HEADERS, ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
}

async function session(token: string): Promise<Record<string, string>> {
  const response = await fetch(srv!.url, {
    method: 'POST',
    headers: { ...HEADERS, authorization: `Bearer ${token}` },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'r', version: '1' } },
    }),
  });
  await response.text();
  if (response.status !== 200) throw new Error(`initialize: HTTP ${response.status}`);
  return {
    authorization: `Bearer ${token}`,
    'mcp-session-id': response.headers.get('mcp-session-id')!,
    'mcp-protocol-version': '2025-06-18',
  };
}

describe('request ids', () => {
  it('refuses a second request with the id of one in flight, so every response passes the output checks (stdio, memory)', async () => {
    const warden = await createWarden({ plugins: [redactor] });
    const server = slowServer();
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(warden.wrapTransport(serverSide, { principal: fakePrincipal() }));
    const received: JSONRPCMessage[] = [];
    clientSide.onmessage = (message) => void received.push(message);
    await clientSide.start();
    const call = {
      jsonrpc: '2.0' as const,
      id: 7,
      method: 'tools/call',
      params: { name: 'slow', arguments: { text: 'SECRET' } },
    };
    await clientSide.send(call);
    await clientSide.send(call);
    await expect.poll(() => received.length, { timeout: 5000 }).toBe(2);
    const texts = received.map((m) => JSON.stringify(m));
    expect(texts.filter((t) => t.includes('already used by a request in flight'))).toHaveLength(1);
    expect(texts.join()).not.toContain('SECRET');
    expect(texts.join()).toContain('[REDACTED]');
    await server.close();
    await warden.close();
  });

  it('refuses a duplicate in-flight id over HTTP, and frees the id again when the SDK refuses a checked request', async () => {
    srv = await startTestHttpServer({ plugins: [tokenAuth(), redactor], createServer: slowServer });
    const headers = await session('good:alice');
    const call = (id: number) => ({
      jsonrpc: '2.0',
      id,
      method: 'tools/call',
      params: { name: 'slow', arguments: { text: 'SECRET' } },
    });
    const [first, second] = await Promise.all([post(call(5), headers), post(call(5), headers)]);
    const both = first.text + second.text;
    expect(both).toContain('already used by a request in flight');
    expect(both).toContain('[REDACTED]');
    expect(both).not.toContain('"text":"SECRET"');
    // The SDK refuses this one after the edge checked it (bad protocol version); its id must not stay reserved.
    const refused = await post(call(9), { ...headers, 'mcp-protocol-version': '1999-01-01' });
    expect(refused.status).toBe(400);
    const again = await post(call(9), headers);
    expect(again.status).toBe(200);
    expect(again.text).toContain('[REDACTED]');
  });
});

describe('sessions per principal', () => {
  it('caps the sessions one principal may hold, without affecting others', async () => {
    srv = await startTestHttpServer({
      plugins: [tokenAuth()],
      createServer: slowServer,
      handlerOptions: { maxSessionsPerPrincipal: 2 },
    });
    const a1 = await session('good:alice');
    await session('good:alice');
    await expect(session('good:alice')).rejects.toThrow(/HTTP 429/);
    await session('good:bob');
    const closed = await fetch(srv.url, { method: 'DELETE', headers: a1 });
    expect(closed.status).toBe(200);
    await session('good:alice');
  });
});

describe('credentials in the URL', () => {
  it('are refused whatever the case of the parameter name', async () => {
    srv = await startTestHttpServer({ plugins: [tokenAuth()], createServer: slowServer });
    for (const name of ['Token', 'ACCESS_TOKEN', 'Api_Key']) {
      const response = await fetch(`${srv.url}?${name}=abc`, {
        method: 'POST',
        headers: HEADERS,
        body: '{}',
      });
      expect(response.status, name).toBe(401);
    }
  });
});
