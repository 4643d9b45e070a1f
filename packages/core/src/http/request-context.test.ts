import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoServer } from '../__fixtures__/demo-server.js';
import type { RequestContext, WardenPlugin } from '../plugin.js';
import { connectHttpClient, startTestHttpServer, type TestHttpServer } from '../testing/index.js';

// The node edge runs the pipeline itself (one correlation path): its requests must tell plugins the same as a
// wrapped transport does — the era, what the session's initialize said of the client, and the upstream it fronts.
describe('RequestContext on the node edge', () => {
  const seen: RequestContext[] = [];
  let server: TestHttpServer;
  beforeAll(async () => {
    const watcher: WardenPlugin = {
      specVersion: 1,
      name: 'watcher',
      beforeRequest: (ctx) => {
        seen.push(ctx);
      },
    };
    server = await startTestHttpServer({
      plugins: [watcher],
      createServer: demoServer,
      handlerOptions: { upstreamName: 'files-upstream' },
    });
  });
  afterAll(() => server.close());

  it('carries the client of the session initialize and the upstream name on every later request', async () => {
    const client = await connectHttpClient(server.url);
    await client.listTools();
    await client.close();
    const list = seen.find((ctx) => ctx.method === 'tools/list');
    expect(list).toBeDefined();
    expect(list!.era).toBe('legacy');
    expect(list!.upstream).toBe('files-upstream');
    expect(list!.clientInfo?.name).toBe('mcp-warden-http-test-client');
    expect(typeof list!.protocolVersion).toBe('string');
    expect(list!.clientCapabilities).toBeDefined();
  });
});
