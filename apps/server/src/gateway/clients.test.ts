import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspect } from '../test-support.js';
import { PYTHON_NOTES_SERVER } from './fixtures/paths.js';
import { type RecordingUpstream, startRecordingUpstream } from './fixtures/recording-upstream.js';
import { readerPolicy, startTestGateway, type TestGateway } from './test-gateway.js';

// The clients people use, against the gateway: the MCP Inspector CLI and the SDK v2 client (which negotiates the
// era: 2026-07-28 with an HTTP upstream that speaks it, 2025 with a stdio upstream). The SDK v1 client is used
// throughout the other gateway tests.

const policy = readerPolicy(['echo']);

let upstream: RecordingUpstream;
let gateway: TestGateway;
let key: string;

beforeAll(async () => {
  upstream = await startRecordingUpstream();
  gateway = await startTestGateway({
    upstreams: [
      { name: 'notes', command: 'python3', args: [PYTHON_NOTES_SERVER] },
      { name: 'remote', url: upstream.url.href },
    ],
    plugins: { acl: { policy } },
  });
  key = await gateway.key(['reader']);
}, 60_000);
afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
});

describe.each(['notes', 'remote'])('upstream %s', (name) => {
  it('the MCP Inspector CLI lists only what the policy allows and calls it', async () => {
    const url = gateway.endpoint(name).href;
    const auth = ['--transport', 'http', '--header', `Authorization: Bearer ${key}`];
    const listed = await inspect([url, ...auth, '--method', 'tools/list']);
    expect((listed.tools as Array<{ name: string }>).map((t) => t.name)).toEqual(['echo']);
    const called = await inspect([
      url,
      ...auth,
      '--method',
      'tools/call',
      '--tool-name',
      'echo',
      '--tool-arg',
      'text=inspected',
    ]);
    expect(JSON.stringify(called.content)).toContain('inspected');
  });

  it('the SDK v2 client negotiates its era through the gateway and is refused what the policy denies', async () => {
    const client = new Client(
      { name: 'v2-client', version: '1.0.0' },
      { versionNegotiation: { mode: 'auto' } },
    );
    await client.connect(
      new StreamableHTTPClientTransport(gateway.endpoint(name), {
        requestInit: { headers: { authorization: `Bearer ${key}` } },
      }),
    );
    expect(client.getProtocolEra()).toBe(name === 'remote' ? 'modern' : 'legacy');
    const echoed = await client.callTool({ name: 'echo', arguments: { text: 'v2' } });
    expect(JSON.stringify(echoed)).toContain('v2');
    await expect(client.callTool({ name: 'add', arguments: { a: 1, b: 2 } })).rejects.toThrow();
    await client.close();
  });
});
