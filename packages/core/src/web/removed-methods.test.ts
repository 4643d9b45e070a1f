import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenAuth } from '../__fixtures__/plugins.js';
import { v2Endpoint } from '../__fixtures__/v2-server.js';
import { MemoryEventSink } from '../events.js';
import type { WardenPlugin } from '../plugin.js';
import { createWarden, type Warden } from '../warden.js';
import type { WardenFetchHandler } from './handler.js';
import type { UpstreamRequestOptions } from './options.js';
import { REMOVED_MODERN_REQUESTS } from './removed-methods.js';

const META = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': {},
};
const AUTH = 'Bearer good:alice:read';

let warden: Warden;
let handler: WardenFetchHandler;
const sink = new MemoryEventSink();
const seenByPlugins: string[] = [];
let upstreamCalls = 0;

beforeAll(async () => {
  const watcher: WardenPlugin = {
    specVersion: 1,
    name: 'watcher',
    beforeRequest: (ctx) => {
      seenByPlugins.push(ctx.method);
    },
  };
  warden = await createWarden({ plugins: [tokenAuth(), watcher], sinks: [sink] });
  const endpoint = v2Endpoint();
  handler = warden.fetchHandler({
    upstream: (request: Request, options?: UpstreamRequestOptions) => {
      upstreamCalls++;
      return endpoint.fetch(request, options as never);
    },
  });
});
afterAll(() => warden.close());

function modern(method: string, params: Record<string, unknown>, authorization: string | null = AUTH) {
  const headers = new Headers({
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': '2026-07-28',
    'mcp-method': method,
  });
  if (authorization) headers.set('authorization', authorization);
  return handler.fetch(
    new Request('http://localhost/mcp', {
      method: 'POST',
      headers,
      body: JSON.stringify({ jsonrpc: '2.0', id: 3, method, params: { ...params, _meta: META } }),
    }),
  );
}

describe('methods the 2026-07-28 revision removed', () => {
  // With and without the params each method had in 2025: a malformed one must get the same answer.
  const paramSets: Record<string, unknown>[] = [{}, { uri: 'file:///public/readme.txt' }, { level: 'debug' }];
  for (const method of REMOVED_MODERN_REQUESTS)
    for (const params of paramSets)
      it(`${method} ${JSON.stringify(params)}: 404 -32601 at the edge, recorded, never forwarded`, async () => {
        const before = { upstream: upstreamCalls, plugins: seenByPlugins.length, events: sink.events.length };
        const response = await modern(method, params);
        expect(response.status).toBe(404);
        const body = (await response.json()) as {
          id: unknown;
          error: { code: number; data?: { code?: string } };
        };
        expect(body.id).toBe(3);
        expect(body.error.code).toBe(-32601);
        expect(body.error.data?.code).toBe('METHOD_NOT_FOUND');
        expect(upstreamCalls).toBe(before.upstream);
        expect(seenByPlugins.length).toBe(before.plugins);
        expect(sink.events.slice(before.events).map((e) => e.type)).toContain('request.rejected');
      });

  it('authentication still comes first: without a credential the answer is 401', async () => {
    const response = await modern('resources/subscribe', {}, null);
    expect(response.status).toBe(401);
  });

  it('methods of the revision are not affected', async () => {
    const response = await modern('tools/list', {});
    expect(response.status).toBe(200);
  });
});
