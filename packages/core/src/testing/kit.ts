import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { MemoryEventSink } from '../events.js';
import type { HttpHandlerOptions, McpServerLike, WardenHttpHandler } from '../http/edge.js';
import { listen } from '../http/listen.js';
import type { WardenPlugin } from '../plugin.js';
import { createPrincipal, type Principal } from '../principal.js';
import { createWarden, type Warden, type WardenOptions } from '../warden.js';

/** A principal for tests: `test-user` with no scopes or roles unless given. */
export function fakePrincipal(overrides: Partial<Principal> = {}): Principal {
  return createPrincipal({ id: 'test-user', kind: 'test', authenticatedBy: 'test', ...overrides });
}

export interface TestClient {
  client: Client;
  warden: Warden;
  /** Every security event the warden recorded. */
  events: MemoryEventSink;
  /** Warden's id for this connection: the `connectionId` every plugin context on it carries. */
  connectionId: string;
  close(): Promise<void>;
}

/**
 * Connects a real SDK `Client` to a server behind a warden over an in-memory transport pair.
 * @example
 * const { client, events, close } = await connectTestClient({ plugins: [acl(...)], createServer: buildServer, principal: fakePrincipal({ roles: ['reader'] }) });
 */
export async function connectTestClient(options: {
  plugins?: WardenPlugin[];
  warden?: Warden;
  wardenOptions?: Omit<WardenOptions, 'plugins'>;
  createServer: () => McpServerLike | Promise<McpServerLike>;
  /** @default fakePrincipal() */
  principal?: Principal;
}): Promise<TestClient> {
  const events = new MemoryEventSink();
  // The sink goes in at creation so that events plugins record during setup are seen too.
  const warden =
    options.warden ??
    (await createWarden({
      ...options.wardenOptions,
      sinks: [...(options.wardenOptions?.sinks ?? []), events],
      plugins: options.plugins ?? [],
    }));
  if (options.warden) warden.events.addSink(events);
  const server = await options.createServer();
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const wrapped = warden.wrapTransport(serverSide, {
    transport: 'memory',
    principal: options.principal ?? fakePrincipal(),
  });
  await server.connect(wrapped);
  const client = new Client({ name: 'mcp-warden-test-client', version: '1.0.0' });
  await client.connect(clientSide);
  return {
    client,
    warden,
    events,
    connectionId: wrapped.connectionId,
    close: async () => {
      await client.close();
      await server.close();
      if (!options.warden) await warden.close();
    },
  };
}

export interface TestHttpServer {
  /** The MCP endpoint URL, e.g. `http://127.0.0.1:41234/mcp`. */
  url: URL;
  origin: string;
  warden: Warden;
  handler: WardenHttpHandler;
  events: MemoryEventSink;
  close(): Promise<void>;
}

/**
 * Serves a warden-protected MCP server on 127.0.0.1 with a free port. `plugins` may be a function of the
 * endpoint URL, for plugins that must know it when they are built (an OAuth audience).
 */
export async function startTestHttpServer(options: {
  plugins?: WardenPlugin[] | ((url: URL) => WardenPlugin[] | Promise<WardenPlugin[]>);
  warden?: Warden;
  wardenOptions?: Omit<WardenOptions, 'plugins'>;
  createServer: () => McpServerLike | Promise<McpServerLike>;
  sessions?: 'stateful' | 'stateless';
  handlerOptions?: Omit<HttpHandlerOptions, 'createServer' | 'sessions'>;
}): Promise<TestHttpServer> {
  const events = new MemoryEventSink();
  // Listen first (the port decides the URL), then build the warden and route requests to it.
  let handler: WardenHttpHandler | undefined;
  const listening = await listen((req, res) => handler!(req, res), { host: '127.0.0.1', port: 0 });
  const url = new URL(options.handlerOptions?.endpoint ?? '/mcp', listening.origin);
  let warden: Warden;
  try {
    const plugins =
      typeof options.plugins === 'function' ? await options.plugins(url) : (options.plugins ?? []);
    warden =
      options.warden ??
      (await createWarden({
        resourceUrl: url,
        ...options.wardenOptions,
        sinks: [...(options.wardenOptions?.sinks ?? []), events],
        plugins,
      }));
  } catch (error) {
    await listening.close();
    throw error;
  }
  if (options.warden) warden.events.addSink(events);
  handler = warden.httpHandler({
    ...options.handlerOptions,
    createServer: options.createServer,
    sessions: options.sessions ?? 'stateful',
  });
  return {
    url,
    origin: listening.origin,
    warden,
    handler,
    events,
    close: async () => {
      await handler.close();
      await listening.close();
      if (!options.warden) await warden.close();
    },
  };
}

/** Connects a real SDK `Client` over Streamable HTTP, optionally with extra request headers (e.g. Authorization). */
export async function connectHttpClient(
  url: URL,
  options: { headers?: Record<string, string> } = {},
): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(url, {
    requestInit: { headers: options.headers ?? {} },
  });
  const client = new Client({ name: 'mcp-warden-http-test-client', version: '1.0.0' });
  await client.connect(transport);
  return client;
}
