/**
 * The same web-standard MCP handler on Bun and Deno: runtimes/smoke-server.ts runs on each runtime (installed from
 * npm by runtimes/provision.ts) and this test drives it from Node with the real SDK v2 client and raw requests.
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  provisionRuntimes,
  RUNTIME_VERSIONS,
  type Runtime,
  type SmokeServer,
  startSmokeServer,
} from '../runtimes/provision.js';

const REVISION = '2026-07-28';
const INSTALL_TIMEOUT_MS = 300_000;

/** A 2026-07-28 tools/call for `echo`, with the standard headers; `headers` overrides or removes (undefined) some. */
function echoCall(
  url: string,
  headers: Record<string, string | undefined> = {},
  name = 'echo',
): Promise<Response> {
  const base: Record<string, string | undefined> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': REVISION,
    'mcp-method': 'tools/call',
    'mcp-name': 'echo',
    ...headers,
  };
  const body = {
    jsonrpc: '2.0',
    id: 7,
    method: 'tools/call',
    params: {
      name,
      arguments: { text: 'hi' },
      _meta: {
        'io.modelcontextprotocol/protocolVersion': REVISION,
        'io.modelcontextprotocol/clientCapabilities': {},
      },
    },
  };
  const sent = Object.fromEntries(
    Object.entries(base).filter((e): e is [string, string] => e[1] !== undefined),
  );
  return fetch(url, { method: 'POST', headers: sent, body: JSON.stringify(body) });
}

async function callEcho(url: string, headers: Record<string, string> = {}): Promise<unknown> {
  const client = new Client(
    { name: 'runtime-test', version: '1.0.0' },
    { versionNegotiation: { mode: { pin: REVISION } } },
  );
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  try {
    return await client.callTool({ name: 'echo', arguments: { text: 'hello' } });
  } finally {
    await client.close();
  }
}

/** Header/body disagreements a server must answer with 400 and -32020, whatever runs it. */
const MISMATCHES: ReadonlyArray<{
  label: string;
  headers: Record<string, string | undefined>;
  name?: string;
}> = [
  { label: 'Mcp-Method names another method', headers: { 'mcp-method': 'tools/list' } },
  { label: 'Mcp-Name names another tool', headers: { 'mcp-name': 'other' } },
  { label: 'Mcp-Name is missing', headers: { 'mcp-name': undefined } },
  { label: 'the body names another tool', headers: {}, name: 'echo2' },
];

let binaries: Record<Runtime, string>;
beforeAll(() => {
  binaries = provisionRuntimes();
}, INSTALL_TIMEOUT_MS);

const ALICE = { authorization: 'Bearer good:alice' };

describe.each(Object.keys(RUNTIME_VERSIONS) as Runtime[])('%s', (runtime) => {
  describe('an SDK v2 createMcpHandler served by the runtime, bare', () => {
    let server: SmokeServer;
    beforeAll(async () => {
      server = await startSmokeServer(runtime, binaries[runtime], 'plain');
    });
    afterAll(() => server?.stop());

    it('runs on the pinned runtime version', () => {
      expect(server.runtime).toBe(`${runtime} ${RUNTIME_VERSIONS[runtime]}`);
    });

    it('answers a tools/call from the SDK v2 client at 2026-07-28', async () => {
      expect(await callEcho(server.url)).toMatchObject({ content: [{ type: 'text', text: 'echo: hello' }] });
    });
  });

  describe('the same server behind warden.fetchHandler with tokenAuth', () => {
    let server: SmokeServer;
    beforeAll(async () => {
      server = await startSmokeServer(runtime, binaries[runtime], 'warden');
    });
    afterAll(() => server?.stop());

    it('answers an authenticated tools/call from the SDK v2 client', async () => {
      expect(await callEcho(server.url, ALICE)).toMatchObject({
        content: [{ type: 'text', text: 'echo: hello' }],
      });
    });

    it.each([
      { label: 'no credential', headers: {} },
      { label: 'an unknown token', headers: { authorization: 'Bearer forged' } },
    ])('refuses a tools/call with $label: 401 with a Bearer challenge', async ({ headers }) => {
      const response = await echoCall(server.url, headers);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer /);
      await response.body?.cancel();
    });

    it('refuses the SDK v2 client without a credential', async () => {
      await expect(callEcho(server.url)).rejects.toThrow(/401/);
    });

    it.each(MISMATCHES)(
      'refuses a header/body mismatch with 400 -32020: $label',
      async ({ headers, name }) => {
        const response = await echoCall(server.url, { ...ALICE, ...headers }, name);
        expect(response.status).toBe(400);
        expect(await response.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32020 } });
      },
    );
  });
});
