import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { McpServer } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { loadConfig } from './config.js';
import { ReferenceServer } from './reference-server.js';
import { tempDataDir } from './test-support.js';

/**
 * A server whose `echo` (allowed to every role by the default policy) takes as long as the test says: `ms` of -1
 * never finishes on its own (only the shutdown's cancellation ends it).
 */
function slowServer(started: (text: string) => void) {
  const server = new McpServer({ name: 'slow', version: '1' });
  server.registerTool(
    'echo',
    { inputSchema: z.object({ text: z.string(), ms: z.number() }) },
    async ({ text, ms }, ctx) => {
      started(text);
      await new Promise<void>((resolve) => {
        if (ms >= 0) setTimeout(resolve, ms);
        ctx.mcpReq.signal.addEventListener('abort', () => resolve());
      });
      return { content: [{ type: 'text', text }] };
    },
  );
  return server;
}

async function start(sessions: 'stateful' | 'stateless', shutdownTimeoutMs: number) {
  const config = loadConfig({ dataDir: tempDataDir(), port: 0 }, {});
  config.server.sessions = sessions;
  config.server.shutdownTimeoutMs = shutdownTimeoutMs;
  config.logging.level = 'error';
  config.plugins.ratelimit = { enabled: false };
  const server = await ReferenceServer.create({ config, log: () => undefined });
  const started = new Set<string>();
  const waiters: Array<() => void> = [];
  server.createMcpServer = () =>
    slowServer((text) => {
      started.add(text);
      for (const w of waiters.splice(0)) w();
    });
  const key = (await server.services.keys!.create({ name: 'k', roles: ['reader'] })).key;
  const allStarted = async (count: number) => {
    while (started.size < count) await new Promise<void>((resolve) => waiters.push(resolve));
  };
  return { server, key, allStarted };
}

/** What a call in flight at shutdown gets: its result (finished within the drain time) or the shutdown error. */
async function outcome(call: Promise<unknown>): Promise<string> {
  try {
    const result = (await call) as { content: Array<{ text: string }> };
    return `result:${result.content[0]!.text}`;
  } catch (error) {
    if (error instanceof McpError) return `error:${error.code}:${error.message}`;
    return `transport:${(error as Error).message}`;
  }
}

const CASES = [
  // [label, tool duration ms, drain ms, expected]
  ['finishes within the drain time', 150, 10_000, /^result:/],
  ['outlives the drain time', -1, 200, /^error:-32050:.*shutting down/],
] as const;

describe.each(['stateful', 'stateless'] as const)('SIGTERM mid-call over HTTP (%s)', (sessions) => {
  it.each(CASES)('a call that %s gets an answer', async (_label, ms, drainMs, expected) => {
    const { server, key, allStarted } = await start(sessions, drainMs);
    const url = await server.listen();
    const clients = await Promise.all(
      [0, 1, 2].map(async () => {
        const client = new Client({ name: 't', version: '1' });
        await client.connect(
          new StreamableHTTPClientTransport(url, {
            requestInit: { headers: { authorization: `Bearer ${key}` } },
          }),
        );
        return client;
      }),
    );
    const calls = clients.map((client, i) =>
      outcome(
        client.callTool({ name: 'echo', arguments: { text: `c${i}`, ms } }, undefined, { timeout: 60_000 }),
      ),
    );
    await allStarted(3);
    await server.close(); // what the CLI does on SIGTERM
    const results = await Promise.all(calls);
    for (const result of results) expect(result).toMatch(expected);
    for (const client of clients) await client.close().catch(() => undefined);
  });
});

describe('SIGTERM mid-call over stdio', () => {
  it.each(CASES)('a call that %s gets an answer', async (_label, ms, drainMs, expected) => {
    const { server, key, allStarted } = await start('stateful', drainMs);
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.serveStdio({ MCP_WARDEN_API_KEY: key }, serverSide);
    const client = new Client({ name: 't', version: '1' });
    await client.connect(clientSide);
    const calls = ['a', 'b'].map((text) =>
      outcome(client.callTool({ name: 'echo', arguments: { text, ms } }, undefined, { timeout: 60_000 })),
    );
    await allStarted(2);
    await server.close();
    for (const result of await Promise.all(calls)) expect(result).toMatch(expected);
    await client.close().catch(() => undefined);
  });
});
