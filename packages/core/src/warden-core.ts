/**
 * The runtime-neutral part of a warden: options and plugin checks, plugin setup, the event bus, the services,
 * the pipeline, the fetch handler, drain and close. No Node-only module is imported here (nor below), so the
 * `@mcp-warden/core/web` entry runs on Workers; {@link import('./warden.js').Warden} adds the Node faces.
 */
import { z } from 'zod';
import { CORE_ERROR_CODES, ConfigError, JSON_RPC_ERROR_CODES, WardenError } from './errors.js';
import { SecurityEventBus, type SecurityEventSink } from './events.js';
import type { RequestObserver } from './observe/observer.js';
import { describeOptionIssues, parseOptions } from './options.js';
import { Pipeline } from './pipeline.js';
import {
  AUTHENTICATION_CAPABILITY,
  PLUGIN_STAGES,
  WARDEN_SPEC_VERSION,
  type WardenPlugin,
} from './plugin.js';
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
 * A configured set of plugins in front of fetch-shaped MCP servers (`fetchHandler`), on any runtime. Create it
 * with `createWarden` from `@mcp-warden/core/web`; `@mcp-warden/core`'s `Warden` is one with the Node faces too.
 */
export class WebWarden {
  readonly events: SecurityEventBus;
  readonly services: WardenServices;
  readonly pipeline: Pipeline;
  readonly plugins: readonly WardenPlugin[];
  readonly requestTimeoutMs: number;
  readonly #handlers = new Set<{ close(): Promise<void> }>();
  readonly #observers: readonly RequestObserver[];
  #closed = false;

  /** @internal use `createWarden` */
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

  /** Closes `handler` with the warden. */
  protected track<T extends { close(): Promise<void> }>(handler: T): T {
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
    return this.track(handler);
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

/** The checked plugins, set up in order, with their event bus and services (see `createWarden`). */
export async function setUpWarden(
  options: WardenOptions,
): Promise<{ plugins: WardenPlugin[]; events: SecurityEventBus; services: WardenServices }> {
  parseOptions(optionsShape, options, { plugin: 'createWarden' });
  const plugins = options.plugins ?? [];
  const names = new Set<string>();
  for (const [index, plugin] of plugins.entries()) {
    const check = pluginShape.safeParse(plugin);
    if (!check.success) {
      const name =
        typeof (plugin as { name?: unknown })?.name === 'string'
          ? `"${(plugin as { name: string }).name}"`
          : `#${index}`;
      const problems = describeOptionIssues(pluginShape, plugin, check.error.issues);
      throw new ConfigError(
        `Plugin ${name} does not satisfy the MCP Warden plugin contract v${WARDEN_SPEC_VERSION}:\n${problems.map((p) => `  ✖ ${p}`).join('\n')}`,
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
  return { plugins, events, services };
}

/**
 * Validates the plugins (contract version, unique names, dependencies), runs their setup in order, and returns
 * a {@link WebWarden}. Every configuration problem is thrown here as a `ConfigError`, never at request time.
 * @example
 * const warden = await createWebWarden({ plugins: [apiKeyAuth({ store, peppers })] });
 * export default { fetch: warden.fetchHandler({ upstream }).fetch };
 */
export async function createWebWarden(options: WardenOptions = {}): Promise<WebWarden> {
  const { plugins, events, services } = await setUpWarden(options);
  return new WebWarden(plugins, events, services, options);
}
