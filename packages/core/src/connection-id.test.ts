import {
  Client as V2Client,
  StreamableHTTPClientTransport as V2Transport,
} from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { afterEach, describe, expect, it } from 'vitest';
import { demoServer } from './__fixtures__/demo-server.js';
import { tokenAuth } from './__fixtures__/plugins.js';
import { v2Endpoint } from './__fixtures__/v2-server.js';
import { v2SessionfulEndpoint } from './__fixtures__/v2-sessions.js';
import { type HttpHandlerOptions, listen } from './index.js';
import type { WardenPlugin } from './plugin.js';
import { createWarden, type Warden } from './warden.js';
import { toNodeHandler } from './web/node.js';

// RequestContext.connectionId on every edge: one per 2025 session (its initialize included) and per stdio
// connection, a fresh one per stateless 2025 request and per 2026-07-28 request, and never the Mcp-Session-Id.

interface Seen {
  hook: string;
  method: string;
  connectionId: string;
  sessionId: string | undefined;
}

const AUTH = { authorization: 'Bearer good:alice:read' };
const ID_SHAPE = /^conn-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function recorder(seen: Seen[]): WardenPlugin {
  const note = (hook: string, ctx: { method?: string; connectionId: string; sessionId?: string }) =>
    void seen.push({
      hook,
      method: ctx.method ?? '',
      connectionId: ctx.connectionId,
      sessionId: ctx.sessionId,
    });
  return {
    specVersion: 1,
    name: 'connection-recorder',
    beforeRequest: (ctx) => note('before', ctx),
    afterResponse: (ctx) => note('after', ctx),
    filterListItem: (_item, ctx) => {
      note('filter', ctx);
      return true;
    },
    onServerMessage: (ctx) => note('server', ctx),
    onSessionEnd: (ctx) => note('end', { ...ctx, method: 'session-end' }),
  };
}

/** The one connection id of a session's records; checks that it is Warden's, not the client's session id. */
function oneConnection(seen: Seen[], sessionId: string | undefined): string {
  const ids = new Set(seen.map((s) => s.connectionId));
  expect(ids.size, JSON.stringify(seen.map((s) => `${s.hook}:${s.method}`))).toBe(1);
  const [id] = ids as unknown as [string];
  expect(id).toMatch(ID_SHAPE);
  if (sessionId !== undefined) {
    expect(id).not.toBe(sessionId);
    expect(id).not.toContain(sessionId);
  }
  return id;
}

async function until(check: () => boolean): Promise<void> {
  const end = Date.now() + 5000;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
}

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** demoServer plus a tool that notifies before it answers: a server message on the call's stream. */
function notifyingServer() {
  const server = demoServer();
  server.registerTool('notify', { description: 'Notifies, then answers' }, async (extra) => {
    await extra.sendNotification({ method: 'notifications/tools/list_changed' });
    return { content: [{ type: 'text', text: 'ok' }] };
  });
  return server;
}

async function serve(
  warden: Warden,
  handler: Parameters<typeof listen>[0],
  upstreamClose?: () => Promise<void>,
) {
  const server = await listen(handler, { host: '127.0.0.1', port: 0 });
  closers.push(async () => {
    await server.close();
    await warden.close();
    await upstreamClose?.();
  });
  return new URL('/mcp', server.origin);
}

/** One 2025-era session with the SDK 1.x client: list, a call with a server message, then DELETE. */
async function legacySession(url: URL, seen: Seen[], tool: string) {
  const transport = new StreamableHTTPClientTransport(url, { requestInit: { headers: AUTH } });
  const client = new Client({ name: 'c', version: '1' });
  await client.connect(transport);
  const sessionId = transport.sessionId;
  await client.listTools();
  await client.callTool({ name: tool, arguments: {} });
  await transport.terminateSession();
  await client.close();
  await until(() => seen.some((s) => s.hook === 'end'));
  return sessionId;
}

const EDGES = {
  'node edge': async (seen: Seen[], sessions: HttpHandlerOptions['sessions'] = 'stateful') => {
    const warden = await createWarden({ plugins: [tokenAuth(), recorder(seen)] });
    return serve(warden, warden.httpHandler({ createServer: notifyingServer, sessions }));
  },
  'fetch face': async (seen: Seen[]) => {
    const warden = await createWarden({ plugins: [tokenAuth(), recorder(seen)] });
    const upstream = v2SessionfulEndpoint();
    return serve(warden, toNodeHandler(warden.fetchHandler({ upstream })), () => upstream.close());
  },
};

describe.each(Object.keys(EDGES) as Array<keyof typeof EDGES>)('connectionId on the %s', (edge) => {
  it('is one for every request and message of a 2025 session, initialize and session end included; another session has another', async () => {
    const first: Seen[] = [];
    const second: Seen[] = [];
    const seen: Seen[] = [];
    const url = await EDGES[edge](seen);
    const tool = edge === 'node edge' ? 'notify' : 'slow';
    const firstSession = await legacySession(url, seen, tool);
    first.push(...seen.splice(0));
    const secondSession = await legacySession(url, seen, tool);
    second.push(...seen.splice(0));
    for (const records of [first, second]) {
      const hooks = new Set(records.map((s) => `${s.hook}:${s.method}`));
      for (const wanted of [
        'before:initialize',
        'after:initialize',
        'filter:tools/list',
        'server:',
        'end:session-end',
      ])
        expect(
          [...hooks].some((h) => h.startsWith(wanted)),
          wanted,
        ).toBe(true);
    }
    const a = oneConnection(first, firstSession);
    const b = oneConnection(second, secondSession);
    expect(a).not.toBe(b);
  });
});

describe('connectionId per request', () => {
  it('is fresh for every stateless 2025 request on the node edge', async () => {
    const seen: Seen[] = [];
    const url = await EDGES['node edge'](seen, 'stateless');
    const client = new Client({ name: 'c', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: AUTH } }));
    await client.listTools();
    await client.listTools();
    await client.close();
    const perRequest = new Map<string, Set<string>>();
    for (const s of seen.filter((s) => s.hook === 'before'))
      perRequest.set(s.connectionId, (perRequest.get(s.connectionId) ?? new Set()).add(s.method));
    // initialize, tools/list, tools/list: three requests, three ids, each one request's alone.
    expect(perRequest.size).toBe(3);
    for (const id of perRequest.keys()) expect(id).toMatch(ID_SHAPE);
  });

  it.each([
    ['2026-07-28 requests', 'modern'],
    ['stateless 2025 requests', 'legacy'],
  ] as const)(
    'is fresh for every one of the fetch face’s %s, and the same for all hooks of one',
    async (_name, era) => {
      const seen: Seen[] = [];
      const warden = await createWarden({ plugins: [tokenAuth(), recorder(seen)] });
      const url = await serve(warden, toNodeHandler(warden.fetchHandler({ upstream: v2Endpoint() })));
      const client =
        era === 'modern'
          ? new V2Client({ name: 'v2', version: '2' }, { versionNegotiation: { mode: 'auto' } })
          : new Client({ name: 'v1', version: '1' });
      const Transport = era === 'modern' ? V2Transport : StreamableHTTPClientTransport;
      await client.connect(new Transport(url, { requestInit: { headers: AUTH } }));
      seen.length = 0;
      await client.listTools();
      await client.listTools();
      await client.callTool({ name: 'slow', arguments: {} });
      await client.close();
      const lists = seen.filter((s) => s.method === 'tools/list');
      const byRequest = new Set(lists.filter((s) => s.hook === 'before').map((s) => s.connectionId));
      expect(byRequest.size).toBe(2);
      // Every hook of one request (before, after, each filtered entry) carries that request's id.
      for (const s of lists) expect(byRequest.has(s.connectionId)).toBe(true);
      const call = seen.filter((s) => s.method === 'tools/call' || s.hook === 'server');
      expect(call.some((s) => s.hook === 'server')).toBe(true);
      const callId = oneConnection(call, undefined);
      expect(byRequest.has(callId)).toBe(false);
    },
  );
});

describe('connectionId over stdio', () => {
  it('is one per stdio connection, another for the next', async () => {
    const seen: Seen[] = [];
    const warden = await createWarden({ plugins: [recorder(seen)] });
    closers.push(() => warden.close());
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
      const server = notifyingServer();
      const wrapped = await warden.connectStdio(server, { env: {}, transport: serverSide });
      const client = new Client({ name: 'stdio-client', version: '1' });
      await client.connect(clientSide);
      await client.listTools();
      await client.callTool({ name: 'notify', arguments: {} });
      await client.close();
      await server.close();
      ids.push(oneConnection(seen.splice(0), undefined));
      expect(ids[i]).toBe(wrapped.connectionId);
    }
    expect(ids[0]).not.toBe(ids[1]);
  });
});
