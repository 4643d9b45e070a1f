import {
  Client as V2Client,
  StreamableHTTPClientTransport as V2Transport,
} from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { demoServer } from './__fixtures__/demo-server.js';
import { tokenAuth } from './__fixtures__/plugins.js';
import { v2Endpoint } from './__fixtures__/v2-server.js';
import { AccessDeniedError, CORE_ERROR_CODES, WardenError } from './errors.js';
import { listen } from './http/listen.js';
import { WARDEN_CONTRACT_VERSION, WARDEN_SPEC_VERSION, type WardenPlugin } from './plugin.js';
import { connectTestClient } from './testing/index.js';
import { createWarden } from './warden.js';
import { toNodeHandler } from './web/node.js';

// Old plugins keep working: a plugin written against contract 1.0 (no 1.1/1.2 hooks or fields, a two-argument
// filterListItem) runs unchanged on every face of a 1.2 core.

/** A plugin as written for 1.0: hides and refuses `admin_stats`, and marks every tools/call result. */
function contract10Plugin(): WardenPlugin {
  return {
    specVersion: 1,
    name: 'written-for-1-0',
    stage: 'authorize',
    beforeRequest(ctx) {
      if (ctx.target?.type === 'tool' && ctx.target.name === 'admin_stats')
        throw new AccessDeniedError({ message: 'Access denied.', reason: 'admin tool' });
    },
    afterResponse(ctx) {
      if (ctx.method !== 'tools/call') return;
      return { result: { ...ctx.result, content: [{ type: 'text', text: 'checked by 1.0' }] } };
    },
    filterListItem(item, ctx) {
      return !(item.type === 'tool' && item.name === 'admin_stats' && ctx.method === 'tools/list');
    },
  } satisfies WardenPlugin;
}

/** What a 1.0 plugin does, seen by a client: the list, the refusal, the replaced result. */
async function exercise(client: Pick<Client, 'listTools' | 'callTool'>): Promise<void> {
  const tools = (await client.listTools()).tools.map((t) => t.name);
  expect(tools).toContain('echo');
  expect(tools).not.toContain('admin_stats');
  await expect(client.callTool({ name: 'admin_stats', arguments: {} })).rejects.toThrow(/Access denied/);
  const echoed = await client.callTool({ name: 'echo', arguments: { text: 'x' } });
  expect(echoed.content).toEqual([{ type: 'text', text: 'checked by 1.0' }]);
}

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const AUTH = { authorization: 'Bearer good:alice:read' };

describe('contract versions', () => {
  it('is 1.2, of the major plugins declare as specVersion', () => {
    expect(WARDEN_CONTRACT_VERSION).toBe('1.2');
    expect(WARDEN_CONTRACT_VERSION.split('.')[0]).toBe(String(WARDEN_SPEC_VERSION));
  });

  it('refuses a plugin of another major at setup', async () => {
    const error = await createWarden({
      plugins: [{ ...contract10Plugin(), specVersion: 2 } as unknown as WardenPlugin],
    }).catch((e: unknown) => e);
    expect(WardenError.isInstance(error) && error.code).toBe(CORE_ERROR_CODES.CONFIG_INVALID);
    expect(String((error as Error).message)).toContain('specVersion must be 1');
  });

  it('runs a 1.0 plugin unchanged in memory', async () => {
    const kit = await connectTestClient({ plugins: [contract10Plugin()], createServer: demoServer });
    closers.push(() => kit.close());
    await exercise(kit.client);
  });

  it('runs a 1.0 plugin unchanged on the node edge', async () => {
    const warden = await createWarden({ plugins: [tokenAuth(), contract10Plugin()] });
    const server = await listen(warden.httpHandler({ createServer: demoServer }), {
      host: '127.0.0.1',
      port: 0,
    });
    closers.push(async () => {
      await server.close();
      await warden.close();
    });
    const client = new Client({ name: 'c', version: '1' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL('/mcp', server.origin), { requestInit: { headers: AUTH } }),
    );
    closers.push(() => client.close());
    await exercise(client);
  });

  it.each(['2025 era', '2026-07-28'] as const)(
    'runs a 1.0 plugin unchanged on the fetch face (%s)',
    async (era) => {
      const warden = await createWarden({ plugins: [tokenAuth(), contract10Plugin()] });
      const handler = toNodeHandler(warden.fetchHandler({ upstream: v2Endpoint() }));
      const server = await listen(handler, { host: '127.0.0.1', port: 0 });
      closers.push(async () => {
        await server.close();
        await warden.close();
      });
      const url = new URL('/mcp', server.origin);
      if (era === '2025 era') {
        const client = new Client({ name: 'c', version: '1' });
        await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: AUTH } }));
        closers.push(() => client.close());
        await exercise(client);
      } else {
        const client = new V2Client({ name: 'c', version: '2' }, { versionNegotiation: { mode: 'auto' } });
        await client.connect(new V2Transport(url, { requestInit: { headers: AUTH } }));
        closers.push(() => client.close());
        await exercise(client as unknown as Pick<Client, 'listTools' | 'callTool'>);
      }
    },
  );
});
