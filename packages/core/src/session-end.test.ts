import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { demoServer } from './__fixtures__/demo-server.js';
import { tokenAuth } from './__fixtures__/plugins.js';
import { v2SessionfulEndpoint } from './__fixtures__/v2-sessions.js';
import { listen } from './http/listen.js';
import type { SessionEndContext, WardenPlugin } from './plugin.js';
import { createWarden } from './warden.js';
import { toNodeHandler } from './web/node.js';

// onSessionEnd: every 2025 session that ends, on either edge, is told to the plugins once, with its owner.

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

function watcher(ended: SessionEndContext[], crash = false): WardenPlugin {
  return {
    specVersion: 1,
    name: crash ? 'crashing-watcher' : 'watcher',
    onSessionEnd: (ctx) => {
      if (crash) throw new Error('boom');
      ended.push(ctx);
    },
  };
}

async function until(check: () => boolean): Promise<void> {
  const end = Date.now() + 5000;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
}

describe.each(['node edge', 'fetch face'] as const)('onSessionEnd on the %s', (face) => {
  it('is told when the client ends its session, with its owner; a crashing hook is recorded, not thrown', async () => {
    const ended: SessionEndContext[] = [];
    const events: string[] = [];
    const warden = await createWarden({ plugins: [tokenAuth(), watcher([], true), watcher(ended)] });
    warden.events.on((e) => events.push(`${e.type}:${e.plugin ?? ''}`));
    let upstreamClose: () => Promise<void> = async () => undefined;
    let handler: Parameters<typeof listen>[0];
    if (face === 'node edge') {
      handler = warden.httpHandler({ createServer: demoServer, upstreamName: 'demo' });
    } else {
      const upstream = v2SessionfulEndpoint();
      upstreamClose = () => upstream.close();
      handler = toNodeHandler(warden.fetchHandler({ upstream, upstreamName: 'demo' }));
    }
    const server = await listen(handler, { host: '127.0.0.1', port: 0 });
    closers.push(async () => {
      await server.close();
      await warden.close();
      await upstreamClose();
    });
    const transport = new StreamableHTTPClientTransport(new URL('/mcp', server.origin), {
      requestInit: { headers: { authorization: 'Bearer good:alice:read' } },
    });
    const client = new Client({ name: 'c', version: '1' });
    await client.connect(transport);
    const sessionId = transport.sessionId!;
    await client.listTools();
    await transport.terminateSession();
    await client.close();
    await until(() => ended.length > 0);
    expect(ended).toHaveLength(1);
    expect(ended[0]).toMatchObject({ sessionId, principalId: 'alice', transport: 'http', upstream: 'demo' });
    expect(events).toContain('plugin.error:crashing-watcher');
  });
});

describe('the setup context', () => {
  it('emit works after setup too (a watcher, a timer), attributed to the plugin', async () => {
    let later: ((event: { type: string; outcome: 'info' }) => void) | undefined;
    const warden = await createWarden({
      plugins: [{ specVersion: 1, name: 'watcher-later', setup: (ctx) => void (later = ctx.emit) }],
    });
    const seen: string[] = [];
    warden.events.on((e) => seen.push(`${e.type}:${e.plugin}`));
    await new Promise((r) => setTimeout(r, 10));
    later?.({ type: 'policy.loaded', outcome: 'info' });
    expect(seen).toEqual(['policy.loaded:watcher-later']);
    await warden.close();
  });
});
