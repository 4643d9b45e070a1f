import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ConfigError } from './errors.js';
import {
  createHttpHandler,
  type HttpHandlerOptions,
  type McpServerLike,
  type WardenHttpHandler,
} from './http/edge.js';
import { WardenTransport, type WardenTransportOptions } from './mcp/warden-transport.js';
import type { Principal } from './principal.js';
import { setUpWarden, type WardenOptions, WebWarden } from './warden-core.js';

export type { WardenOptions } from './warden-core.js';

/**
 * A configured set of plugins, ready to secure MCP servers over HTTP, stdio or any SDK transport.
 * Create it with {@link createWarden}. Everything a {@link WebWarden} does (`fetchHandler`, `drain`, `close`),
 * plus the Node faces: SDK 1.x transports, stdio and the node:http edge.
 */
export class Warden extends WebWarden {
  /**
   * Wraps an SDK transport: connect your server to the result instead of the transport itself.
   * @example await server.connect(warden.wrapTransport(new InMemoryTransport(...), { principal }));
   */
  wrapTransport(transport: Transport, options: WardenTransportOptions = {}): WardenTransport {
    return new WardenTransport(transport, this.pipeline, this.events, {
      requestTimeoutMs: this.requestTimeoutMs,
      ...options,
    });
  }

  /**
   * Serves `server` over stdio. Identity comes from the environment (e.g. an API key variable read by the
   * authenticator); a refusal is thrown before anything is served.
   */
  async connectStdio(
    server: McpServerLike,
    options: { env?: NodeJS.ProcessEnv; transport?: Transport } = {},
  ): Promise<WardenTransport> {
    if (!options.transport && this.events.writesToStdout)
      throw new ConfigError(
        'A security event sink writes to stdout, which carries the JSON-RPC stream under stdio. Send events to stderr (pinoSink() does by default) or to a file: pinoSink({ destination: 2 }) or pinoSink({ destination: "/var/log/mcp-warden.jsonl" }).',
      );
    const principal = await this.pipeline.authenticate({
      transport: 'stdio',
      headers: {},
      env: options.env ?? process.env,
    });
    const wrapped = this.wrapTransport(options.transport ?? new StdioServerTransport(), {
      transport: 'stdio',
      principal,
    });
    await server.connect(wrapped);
    return wrapped;
  }

  /** A node:http handler serving the MCP endpoint (Streamable HTTP) and the plugins' routes. */
  httpHandler(options: HttpHandlerOptions): WardenHttpHandler {
    const handler = createHttpHandler(
      {
        pipeline: this.pipeline,
        events: this.events,
        plugins: this.plugins,
        requestTimeoutMs: this.requestTimeoutMs,
      },
      options,
    );
    return this.track(handler);
  }

  /** The principal a stdio process would get (useful for CLIs that check configuration). */
  authenticateEnvironment(env: NodeJS.ProcessEnv = process.env): Promise<Principal> {
    return this.pipeline.authenticate({ transport: 'stdio', headers: {}, env });
  }
}

/**
 * Validates the plugins (contract version, unique names, dependencies), runs their setup in order, and returns
 * a {@link Warden}. Every configuration problem is thrown here as a `ConfigError`, never at request time.
 * @example
 * const warden = await createWarden({ plugins: [apiKeyAuth({ store, peppers })], sinks: [pinoSink()] });
 */
export async function createWarden(options: WardenOptions = {}): Promise<Warden> {
  const { plugins, events, services } = await setUpWarden(options);
  return new Warden(plugins, events, services, options);
}
