import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  Client as V2Client,
  StreamableHTTPClientTransport as V2Transport,
} from '@modelcontextprotocol/client';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1Transport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { denyTools, tokenAuth } from '../__fixtures__/plugins.js';
import { v2Endpoint } from '../__fixtures__/v2-server.js';
import { MemoryEventSink } from '../events.js';
import type { RequestContext, WardenPlugin } from '../plugin.js';
import { createWarden, type Warden } from '../warden.js';
import { toNodeHandler } from './node.js';

/** Records what every hook saw, per method. */
function recorder(seen: RequestContext[], after: string[], filtered: string[]): WardenPlugin {
  return {
    specVersion: 1,
    name: 'recorder',
    beforeRequest(ctx) {
      seen.push(ctx);
    },
    afterResponse(ctx) {
      after.push(`${ctx.era}:${ctx.method}`);
    },
    filterListItem(item, ctx) {
      filtered.push(`${ctx.era}:${item.type}`);
      return true;
    },
  };
}

let warden: Warden;
let server: Server;
let url: URL;
const sink = new MemoryEventSink();
const seen: RequestContext[] = [];
const after: string[] = [];
const filtered: string[] = [];
const AUTH = { Authorization: 'Bearer good:alice:read' };

beforeAll(async () => {
  warden = await createWarden({
    plugins: [tokenAuth(), denyTools(['admin_stats']), recorder(seen, after, filtered)],
    sinks: [sink],
  });
  server = createServer(toNodeHandler(warden.fetchHandler({ upstream: v2Endpoint() })));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
});
afterAll(async () => {
  await warden.close();
  await new Promise((resolve) => server.close(resolve));
});

describe('fetch handler with the SDK v2 client (2026-07-28)', () => {
  it('serves tools, prompts and resources through the pipeline, with the principal in ctx.http.authInfo', async () => {
    const client = new V2Client(
      { name: 'v2-client', version: '2.0.0' },
      { versionNegotiation: { mode: 'auto' } },
    );
    await client.connect(new V2Transport(url, { requestInit: { headers: AUTH } }));
    seen.length = 0;
    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name).sort()).toEqual(['echo', 'slow', 'whoami']);
    const who = await client.callTool({ name: 'whoami', arguments: {} });
    expect(who.content).toEqual([{ type: 'text', text: 'alice' }]);
    await expect(client.callTool({ name: 'admin_stats', arguments: {} })).rejects.toThrow(/Access denied/);
    const prompt = await client.getPrompt({ name: 'greet', arguments: { name: 'Bo' } });
    expect(prompt.messages[0]?.content).toEqual({ type: 'text', text: 'Hello Bo' });
    const read = await client.readResource({ uri: 'file:///public/readme.txt' });
    expect(read.contents[0]).toMatchObject({ text: 'public' });
    const call = seen.find((c) => c.method === 'tools/call');
    expect(call).toMatchObject({
      era: 'modern',
      protocolVersion: '2026-07-28',
      clientInfo: { name: 'v2-client' },
    });
    expect(call?.clientCapabilities).toBeTypeOf('object');
    expect(after).toContain('modern:tools/call');
    expect(filtered).toContain('modern:tool');
    await client.close();
  });
});

describe('fetch handler with the SDK v1 client (2025 era) at the same endpoint', () => {
  it('serves the same server, authenticated and through the same pipeline', async () => {
    const client = new V1Client({ name: 'v1-client', version: '1.0.0' });
    await client.connect(new V1Transport(url, { requestInit: { headers: AUTH } }));
    seen.length = 0;
    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name).sort()).toEqual(['echo', 'slow', 'whoami']);
    const who = await client.callTool({ name: 'whoami', arguments: {} });
    expect(who.content).toEqual([{ type: 'text', text: 'alice' }]);
    await expect(client.callTool({ name: 'admin_stats', arguments: {} })).rejects.toThrow(/Access denied/);
    const call = seen.find((c) => c.method === 'tools/call');
    expect(call).toMatchObject({ era: 'legacy' });
    expect(call?.protocolVersion).toMatch(/^2025-/);
    expect(after).toContain('legacy:tools/call');
    expect(filtered).toContain('legacy:tool');
    await client.close();
  });

  it('refuses both eras without a credential: 401 with the merged challenge', async () => {
    const v2 = new V2Client(
      { name: 'v2-client', version: '2.0.0' },
      { versionNegotiation: { mode: 'auto' } },
    );
    await expect(v2.connect(new V2Transport(url))).rejects.toThrow();
    const v1 = new V1Client({ name: 'v1-client', version: '1.0.0' });
    await expect(v1.connect(new V1Transport(url))).rejects.toThrow();
    const failures = sink.ofType('auth.failed');
    expect(failures.length).toBeGreaterThanOrEqual(2);
  });
});
