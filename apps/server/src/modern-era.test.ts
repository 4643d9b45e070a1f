import type { SecurityEvent } from '@mcp-warden/core';
import { MODERN_REQUEST_META, postJsonRpc } from '@mcp-warden/core/testing';
import {
  Client as V2Client,
  StreamableHTTPClientTransport as V2Transport,
} from '@modelcontextprotocol/client';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1Transport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { ReferenceServer } from './reference-server.js';
import { tempDataDir } from './test-support.js';

// The reference server serves its SDK v2 demo server to both eras at one endpoint: 2026-07-28 clients statelessly,
// with the revision's edge duties (Mcp-Method / Mcp-Name against the body), 2025 clients with sessions; one
// principal is the same owner in either era.

let server: ReferenceServer;
let url: URL;
let readerKey: string;
let writerKey: string;
const events: SecurityEvent[] = [];

beforeAll(async () => {
  const config = loadConfig({ dataDir: tempDataDir(), port: 0 }, {});
  config.logging.level = 'error';
  server = await ReferenceServer.create({ config, log: () => undefined });
  url = await server.listen();
  server.warden.events.on((event) => events.push(event));
  const keys = server.services.keys!;
  readerKey = (await keys.create({ name: 'reader', owner: 'rita', roles: ['reader'] })).key;
  writerKey = (await keys.create({ name: 'writer', owner: 'will', roles: ['writer'] })).key;
});
afterAll(async () => {
  await server?.close();
});

async function modernClient(key: string): Promise<V2Client> {
  const client = new V2Client({ name: 'v2', version: '1' }, { versionNegotiation: { mode: 'auto' } });
  await client.connect(
    new V2Transport(url, { requestInit: { headers: { authorization: `Bearer ${key}` } } }),
  );
  return client;
}

function text(result: { content?: unknown }): string {
  return (result.content as Array<{ text?: string }> | undefined)?.[0]?.text ?? '';
}

/** A raw 2026-07-28 tools/call whose headers the test chooses (only the protocol version is given). */
function rawCall(key: string, headers: Record<string, string>, name = 'echo'): Promise<Response> {
  return postJsonRpc(
    url,
    {
      jsonrpc: '2.0',
      id: 9,
      method: 'tools/call',
      params: { name, arguments: { text: 'x' }, _meta: MODERN_REQUEST_META },
    },
    { authorization: `Bearer ${key}`, 'mcp-protocol-version': '2026-07-28', ...headers },
  );
}

describe('the reference server in the 2026-07-28 era', () => {
  it('the SDK v2 client gets the modern era, sees only what its role allows and is refused the rest', async () => {
    const reader = await modernClient(readerKey);
    expect(reader.getProtocolEra()).toBe('modern');
    expect((await reader.listTools()).tools.map((t) => t.name).sort()).toEqual([
      'echo',
      'list_notes',
      'read_file',
      'read_note',
    ]);
    expect(text(await reader.callTool({ name: 'echo', arguments: { text: 'modern' } }))).toBe('modern');
    await expect(reader.callTool({ name: 'admin_stats', arguments: {} })).rejects.toThrow(/Access denied/);
    await expect(reader.readResource({ uri: 'file:///private/plans.txt' })).rejects.toThrow(/Access denied/);
    expect(server.sessionCount).toBe(0); // stateless: nothing held for a modern client
    await reader.close();
  });

  it('a note written in one era is the same owner’s note in the other, and nobody else’s', async () => {
    const legacy = new V1Client({ name: 'v1', version: '1' });
    await legacy.connect(
      new V1Transport(url, { requestInit: { headers: { authorization: `Bearer ${writerKey}` } } }),
    );
    await legacy.callTool({ name: 'write_note', arguments: { name: 'plan', body: 'written in 2025' } });
    const modern = await modernClient(writerKey);
    expect(text(await modern.callTool({ name: 'read_note', arguments: { name: 'plan' } }))).toBe(
      'written in 2025',
    );
    const other = await modernClient(readerKey);
    expect(text(await other.callTool({ name: 'list_notes', arguments: {} }))).toBe('(no notes)');
    await Promise.all([legacy.close(), modern.close(), other.close()]);
  });

  it.each([
    ['a method header that differs from the body', { 'mcp-method': 'tools/list', 'mcp-name': 'echo' }],
    ['a name header that differs from the body', { 'mcp-method': 'tools/call', 'mcp-name': 'admin_stats' }],
    ['a missing name header', { 'mcp-method': 'tools/call' }],
    ['a percent-encoded name header', { 'mcp-method': 'tools/call', 'mcp-name': '%65cho' }],
  ])('refuses %s with 400 and -32020 before any plugin decides, and records it', async (_label, headers) => {
    const before = events.length;
    const response = await rawCall(readerKey, headers);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: number } }).error.code).toBe(-32020);
    expect(events.slice(before).some((e) => e.outcome === 'denied')).toBe(true);
  });

  it('answers matching headers', async () => {
    const response = await rawCall(readerKey, { 'mcp-method': 'tools/call', 'mcp-name': 'echo' });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('"text":"x"');
  });
});
