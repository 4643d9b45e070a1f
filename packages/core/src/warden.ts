import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { z } from 'zod';
import { CORE_ERROR_CODES, ConfigError, JSON_RPC_ERROR_CODES, WardenError } from './errors.js';
import { SecurityEventBus, type SecurityEventSink } from './events.js';
import {
  createHttpHandler,
  type HttpHandlerOptions,
  type McpServerLike,
  type WardenHttpHandler,
} from './http/edge.js';
import { WardenTransport, type WardenTransportOptions } from './mcp/warden-transport.js';
import type { RequestObserver } from './observe/observer.js';
import { Pipeline } from './pipeline.js';
import {
  AUTHENTICATION_CAPABILITY,
  PLUGIN_STAGES,
  WARDEN_SPEC_VERSION,
  type WardenPlugin,
} from './plugin.js';
import type { Principal } from './principal.js';
import { WardenServices } from './services.js';
import { createFetchHandler, type WardenFetchHandler } from './web/handler.js';
import type { FetchHandlerOptions } from './web/options.js';

export interface WardenOptions {
  /** Plugins, in the order they run within a stage. */
  plugins?: WardenPlugin[];
  /** Where security events go (add more later with `warden.events.addSink`). */
  sinks?: SecurityEventSink[];
  /** Let requests that carry no credential through as the anonymous principal. @default false */
  allowAnonymous?: boolean;
  /** A request the server has not answered in this time gets a timeout error and is cancelled; 0 disables. @default 120000 */
  requestTimeoutMs?: number;
  /** The public URL of the MCP endpoint (e.g. `https://mcp.example.com/mcp`), given to plugins at setup. */
  resourceUrl?: string | URL;
  /**
   * Request observers (audit trail, metrics, traces): each sees every MCP request from its arrival to its answer,
   * with its trace id, stages and outcome. Closed with the warden. @default []
   */
  observers?: RequestObserver[];
}

const pluginShape = z.object({
  specVersion: z.literal(WARDEN_SPEC_VERSION, { error: `plugin specVersion must be ${WARDEN_SPEC_VERSION}` }),
  name: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,63}$/, 'plugin name must be kebab-case (a-z, 0-9, -), at most 64 characters'),
  stage: z.enum(PLUGIN_STAGES).optional(),
  mode: z.enum(['enforce', 'audit']).optional(),
  provides: z.array(z.string()).optional(),
  requires: z.array(z.string()).optional(),
});

const optionsShape = z.object({
  allowAnonymous: z.boolean().optional(),
  requestTimeoutMs: z
    .number()
    .int()
    .min(0)
    .max(24 * 3_600_000)
    .optional(),
  resourceUrl: z.union([z.string().url(), z.instanceof(URL)]).optional(),
  observers: z
    .array(
      z.object(
        {
          name: z.string().min(1),
          start: z.custom<RequestObserver['start']>((value) => typeof value === 'function', {
            error: 'an observer is an object with a name and a start(request) function',
          }),
        },
        { error: 'an observer is an object with a name and a start(request) function' },
      ),
    )
    .optional(),
});

function capabilitiesOf(plugin: WardenPlugin): string[] {
  return [
    plugin.name,
    ...(plugin.provides ?? []),
    ...(plugin.authenticate ? [AUTHENTICATION_CAPABILITY] : []),
  ];
}

/**
 * A configured set of plugins, ready to secure MCP servers over HTTP, stdio or any SDK transport.
 * Create it with {@link createWarden}.
 */
export class Warden {
  readonly events: SecurityEventBus;
  readonly services: WardenServices;
  readonly pipeline: Pipeline;
  readonly plugins: readonly WardenPlugin[];
  readonly requestTimeoutMs: number;
  readonly #handlers = new Set<WardenHttpHandler | WardenFetchHandler>();
  readonly #observers: readonly RequestObserver[];
  #closed = false;

  /** @internal use {@link createWarden} */
  constructor(
    plugins: readonly WardenPlugin[],
    events: SecurityEventBus,
    services: WardenServices,
    options: WardenOptions,
  ) {
    this.plugins = plugins;
    this.events = events;
    this.services = services;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 120_000;
    this.pipeline = new Pipeline({
      plugins,
      events,
      services,
      allowAnonymous: options.allowAnonymous ?? false,
      observers: options.observers ?? [],
    });
    this.#observers = options.observers ?? [];
  }

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
    this.#handlers.add(handler);
    return handler;
  }

  /**
   * A web-standard handler (`fetch(Request) → Response`) in front of an MCP fetch handler, for both MCP eras at one
   * endpoint: SDK v2's `createMcpHandler(...)` first of all. Runs on Node, Bun, Deno, Workers and Hono; carry it to
   * node:http, Express or Fastify with `toNodeHandler`.
   * @example
   * const handler = warden.fetchHandler({ upstream: createMcpHandler(() => buildServer()) });
   * export default { fetch: (request: Request) => handler.fetch(request) };
   */
  fetchHandler(options: FetchHandlerOptions): WardenFetchHandler {
    const handler = createFetchHandler(
      {
        pipeline: this.pipeline,
        events: this.events,
        plugins: this.plugins,
        requestTimeoutMs: this.requestTimeoutMs,
      },
      options,
    );
    this.#handlers.add(handler);
    return handler;
  }

  /** The principal a stdio process would get (useful for CLIs that check configuration). */
  authenticateEnvironment(env: NodeJS.ProcessEnv = process.env): Promise<Principal> {
    return this.pipeline.authenticate({ transport: 'stdio', headers: {}, env });
  }

  /**
   * Graceful shutdown, step one: waits up to `timeoutMs` for the requests in flight (HTTP and stdio) to be
   * answered, then answers each one still open with a `SHUTTING_DOWN` error (JSON-RPC -32050) and cancels it on the
   * server. Returns how many were answered that way (a `request.aborted` event each). Call `close()` after it.
   * @example
   * process.once('SIGTERM', async () => { await warden.drain({ timeoutMs: 10_000 }); await warden.close(); });
   */
  async drain(options: { timeoutMs?: number } = {}): Promise<number> {
    const timeoutMs = Math.max(0, options.timeoutMs ?? 10_000);
    const deadline = Date.now() + timeoutMs;
    const busy = () => [...this.pipeline.transports].some((t) => t.inFlight > 0);
    while (busy() && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, Math.min(25, Math.max(1, deadline - Date.now()))));
    const error = new WardenError({
      code: CORE_ERROR_CODES.SHUTTING_DOWN,
      message: 'The server is shutting down and could not finish this request; retry it.',
      jsonRpcCode: JSON_RPC_ERROR_CODES.SHUTTING_DOWN,
      httpStatus: 503,
    });
    let answered = 0;
    const answering: Promise<void>[] = [];
    for (const transport of [...this.pipeline.transports]) {
      const open = transport.inFlight;
      if (open === 0) continue;
      answered += open;
      answering.push(transport.shutdown(error).catch(() => undefined));
    }
    await Promise.all(answering);
    if (answered > 0)
      this.events.emit({
        type: 'request.timeout',
        outcome: 'denied',
        severity: 'warn',
        reason: `shutdown: ${answered} request(s) still in flight after ${timeoutMs} ms were answered with an error`,
        details: { shutdown: true, answered, drainMs: timeoutMs },
      });
    return answered;
  }

  /** Closes HTTP sessions and every plugin (reverse order). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([...this.#handlers].map((h) => h.close()));
    for (const plugin of [...this.plugins].reverse()) {
      try {
        await plugin.close?.();
      } catch {
        // Closing goes on for the others.
      }
    }
    for (const observer of this.#observers) {
      try {
        await observer.close?.();
      } catch {
        // As for plugins.
      }
    }
  }
}

/**
 * Validates the plugins (contract version, unique names, dependencies), runs their setup in order, and returns
 * a {@link Warden}. Every configuration problem is thrown here as a `ConfigError`, never at request time.
 * @example
 * const warden = await createWarden({ plugins: [apiKeyAuth({ store, peppers })], sinks: [pinoSink()] });
 */
export async function createWarden(options: WardenOptions = {}): Promise<Warden> {
  const parsed = optionsShape.safeParse(options);
  if (!parsed.success) throw new ConfigError(`Invalid warden options: ${z.prettifyError(parsed.error)}`);
  const plugins = options.plugins ?? [];
  const names = new Set<string>();
  for (const [index, plugin] of plugins.entries()) {
    const check = pluginShape.safeParse(plugin);
    if (!check.success) {
      const name =
        typeof (plugin as { name?: unknown })?.name === 'string'
          ? `"${(plugin as { name: string }).name}"`
          : `#${index}`;
      throw new ConfigError(
        `Plugin ${name} does not satisfy the MCP Warden plugin contract v${WARDEN_SPEC_VERSION}: ${z.prettifyError(check.error)}`,
      );
    }
    if (names.has(plugin.name))
      throw new ConfigError(`Plugin "${plugin.name}" is registered twice: register each plugin once.`);
    names.add(plugin.name);
  }
  const available = new Set(plugins.flatMap(capabilitiesOf));
  for (const plugin of plugins) {
    for (const need of plugin.requires ?? []) {
      if (!available.has(need)) {
        const hint =
          need === AUTHENTICATION_CAPABILITY ? ' (e.g. @mcp-warden/apikey-auth or @mcp-warden/oauth)' : '';
        throw new ConfigError(
          `Plugin "${plugin.name}" requires "${need}", which no registered plugin provides: register one${hint}.`,
        );
      }
    }
  }
  const events = new SecurityEventBus(options.sinks);
  for (const plugin of plugins) {
    if (plugin.onEvent) {
      const onEvent = plugin.onEvent.bind(plugin);
      events.on(onEvent);
    }
  }
  const services = new WardenServices();
  const resourceUrl = options.resourceUrl === undefined ? undefined : new URL(options.resourceUrl);
  const setUp: WardenPlugin[] = [];
  const pluginList = plugins.map((p) => ({ name: p.name, provides: capabilitiesOf(p).slice(1) }));
  for (const plugin of plugins) {
    try {
      await plugin.setup?.({
        services,
        plugins: pluginList,
        resourceUrl,
        emit: (event) => events.emit(Object.assign({}, event, { plugin: plugin.name })),
      });
      setUp.push(plugin);
    } catch (error) {
      for (const done of setUp.reverse()) await Promise.resolve(done.close?.()).catch(() => undefined);
      if (WardenError.isInstance(error)) throw error;
      throw new ConfigError(
        `Plugin "${plugin.name}" failed to set up: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
  }
  return new Warden(plugins, events, services, options);
}
