import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { DEFAULT_API_KEY_ENV_VAR } from '@mcp-warden/apikey-auth';
import type { SqliteAuditStore } from '@mcp-warden/audit';
import {
  createWarden,
  isLoopbackHost,
  JSON_RPC_ERROR_CODES,
  type ListeningServer,
  listen,
  type Principal,
  pinoSink,
  toNodeHandler,
  type Warden,
  WardenError,
  type WardenHttpHandler,
} from '@mcp-warden/core';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { edgeOptionsOf, type ServerConfig, ServerConfigError } from './config.js';
import { createDemoServer, type DemoServerDeps } from './demo-server.js';
import { demoUpstream } from './demo-upstream.js';
import { createGatewayHandlers } from './gateway/gateway-handlers.js';
import { createMetrics, type WardenMetrics } from './metrics.js';
import { NotesStore } from './notes-store.js';
import { buildAudit, type Observability } from './observability.js';
import { type PluginWiring, wirePlugins } from './plugins.js';
import { DATA_FILES, type DataDirServices, openDataDir } from './services.js';

export interface ReferenceServerOptions {
  config: ServerConfig;
  /** Serve over stdio instead of HTTP (logs then go to stderr). */
  stdio?: boolean;
  /** Operator-facing output. @default stderr */
  log?: (line: string) => void;
  /** Environment for secrets (key passphrase, pepper) and upstream credentials. @default process.env */
  env?: NodeJS.ProcessEnv;
  /**
   * `demo`: the demo tools (`mcp-warden serve`). `gateway`: the configured `upstreams`, MCP servers this
   * process fronts (`mcp-warden gateway`). @default 'demo'
   */
  mode?: 'demo' | 'gateway';
}

const DEMO_FILES: Record<string, string> = {
  'files/public/welcome.txt': 'Welcome! This document is public.\n',
  'files/public/hello.txt': 'Hello from the MCP Warden file root.\n',
  'files/private/plans.txt': 'Private plans: only administrators may read this.\n',
};

/**
 * Creates the data directory layout, with demo files the first time the file root is made (also when
 * `mcp-warden keys create` ran first and left keys in the directory).
 */
function prepareDataDir(dataDir: string, demoFiles: boolean): void {
  const firstStart = demoFiles && !existsSync(join(dataDir, DATA_FILES.files));
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // mkdir's mode does not apply to a directory that already exists: keys, hashes and notes are for this user only.
  chmodSync(dataDir, 0o700);
  if (demoFiles)
    for (const sub of ['files/public', 'files/private'])
      mkdirSync(join(dataDir, sub), { recursive: true, mode: 0o700 });
  if (firstStart)
    for (const [file, text] of Object.entries(DEMO_FILES))
      writeFileSync(join(dataDir, file), text, { mode: 0o600 });
}

/** The reference secured MCP server: demo tools behind every configured plugin. */
export class ReferenceServer {
  readonly warden: Warden;
  readonly notes: NotesStore;
  readonly config: ServerConfig;
  readonly resourceUrl: URL;
  readonly services: DataDirServices;
  /** The SQLite audit trail (`<dataDir>/audit.db`), when enabled. Closed with the warden. */
  audit: SqliteAuditStore | undefined;
  #deps: DemoServerDeps;
  #handler: Pick<WardenHttpHandler, 'sessionCount' | 'closeSessionsOf' | 'close'> | undefined;
  #gateway: GatewayPlan | undefined;
  /** The key 2026-07-28 `requestState` is sealed with: one per data directory, so states cross instances. */
  #requestStateKey: Uint8Array | undefined;
  #listening: ListeningServer | undefined;
  #closing = false;
  #unsubscribe: (() => void) | undefined;
  #metrics: WardenMetrics | undefined;
  /** Where Prometheus metrics are served, once listening (with `metrics.enabled`). */
  metricsUrl: URL | undefined;

  private constructor(
    config: ServerConfig,
    warden: Warden,
    notes: NotesStore,
    services: DataDirServices,
    deps: DemoServerDeps,
    resourceUrl: URL,
  ) {
    this.config = config;
    this.warden = warden;
    this.notes = notes;
    this.services = services;
    this.#deps = deps;
    this.resourceUrl = resourceUrl;
  }

  static async create(options: ReferenceServerOptions): Promise<ReferenceServer> {
    const { config } = options;
    const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
    const dataDir = config.dataDir;
    const gateway = options.mode === 'gateway';
    checkGatewayConfig(config, gateway);
    prepareDataDir(dataDir, !gateway);
    const s = config.server;
    const resourceUrl = new URL(
      s.publicUrl ??
        `${s.tls ? 'https' : 'http'}://${s.host.includes(':') ? `[${s.host}]` : s.host}:${s.port}${s.endpoint}`,
    );
    const services = await openDataDir(config, options.env ?? process.env, log);
    let warden: Warden;
    let wiring: PluginWiring;
    let observability: Observability | undefined;
    let metrics: WardenMetrics | undefined;
    let server: ReferenceServer | undefined;
    try {
      observability = buildAudit(config, options.stdio ?? false);
      if (config.metrics.enabled) {
        metrics = createMetrics({ sessions: () => server?.sessionCount ?? 0 });
        observability.observers.push(metrics.observer);
      }
      if (config.tracing.enabled) {
        const { openTelemetry } = await import('@mcp-warden/core/otel').catch((error: unknown) => {
          throw new ServerConfigError(
            `tracing.enabled needs the package @opentelemetry/api (and an SDK): ${(error as Error).message}`,
          );
        });
        observability.observers.unshift(openTelemetry());
      }
      wiring = await wirePlugins({
        config,
        services,
        resourceUrl,
        log,
        stdio: options.stdio ?? false,
        gateway,
      });
      if (gateway && config.auth !== 'none' && !wiring.plugins.some((p) => p.authenticate))
        throw new ServerConfigError(
          'the gateway has no authenticator: enable plugins.apikeyAuth or plugins.oauth, or run with --allow-anonymous (auth: none, loopback only) for local testing.',
        );
      const sink = pinoSink({
        destination: config.logging.securityLogFile ?? (options.stdio ? 2 : 1),
        level: config.logging.level,
      });
      if (options.stdio && sink.writesToStdout)
        throw new ServerConfigError(
          `logging.securityLogFile (${config.logging.securityLogFile}) is stdout, which carries the JSON-RPC stream under --stdio: leave it unset (stderr) or name a file.`,
        );
      warden = await createWarden({
        plugins: wiring.plugins,
        sinks: [sink],
        observers: observability.observers,
        requestTimeoutMs: s.requestTimeoutMs,
        resourceUrl,
        ...(config.auth === 'none' ? { allowAnonymous: true } : {}),
      });
    } catch (error) {
      for (const observer of observability?.observers ?? []) await observer.close?.();
      await services.close();
      throw error;
    }
    services.setEventSink((event) => warden.events.emit(event));
    const notes = new NotesStore(join(dataDir, DATA_FILES.notes), services.noteCodec);
    for (const file of readdirSync(dataDir))
      if (/\.db(-wal|-shm)?$/.test(file)) chmodSync(join(dataDir, file), 0o600);
    const deps: DemoServerDeps = {
      notes,
      filesDir: join(dataDir, DATA_FILES.files),
      resolveInSandbox: wiring.resolveInSandbox,
      startedAt: Date.now(),
      stats: () => ({ sessions: server?.sessionCount ?? 0 }),
    };
    server = new ReferenceServer(config, warden, notes, services, deps, resourceUrl);
    server.audit = observability.audit;
    server.#requestStateKey = await services.secrets?.ensure('gateway', 'request-state-key', () =>
      globalThis.crypto.getRandomValues(new Uint8Array(32)),
    );
    if (gateway)
      server.#gateway = { env: options.env ?? process.env, log, requestStateKey: server.#requestStateKey };
    server.#metrics = metrics;
    if (metrics) {
      const m = metrics;
      warden.events.on((event) => m.onEvent(event));
    }
    await wiring.afterStart();
    return server;
  }

  /** Closes every open session (and SSE stream) of an API key at once; call it after revoking the key. */
  closeSessionsOf(keyId: string): number {
    return this.#handler?.closeSessionsOf(keyId, 'apikey-auth') ?? 0;
  }

  get sessionCount(): number {
    return this.#handler?.sessionCount ?? 0;
  }

  /** A fresh demo MCP server (one per session or stateless request). */
  createMcpServer = () => createDemoServer(this.#deps);

  /** The endpoints of a gateway (path and upstream), once listening. */
  gatewayEndpoints: ReadonlyArray<{ path: string; upstream: string }> = [];

  /** A key revoked or expired elsewhere (the CLI, another instance) loses its sessions on the next check. */
  #principalStillValid = async (principal: Principal): Promise<boolean> => {
    const keys = this.services.keys;
    if (!keys || principal.authenticatedBy !== 'apikey-auth') return true;
    return (await keys.get(principal.id))?.state === 'active';
  };

  /** The handler of the MCP endpoint(s): the demo server's, or one per upstream. */
  #mcpHandler(): (req: IncomingMessage, res: ServerResponse) => void {
    const s = this.config.server;
    if (this.#gateway) {
      const plan = this.#gateway;
      const warden = this.warden;
      const gateway = createGatewayHandlers({
        warden,
        config: this.config,
        upstreams: this.config.upstreams,
        env: plan.env,
        log: plan.log,
        requestStateKey: plan.requestStateKey,
        principalStillValid: this.#principalStillValid,
        onFault: (fault) =>
          warden.events.emit({
            type: 'upstream.failed',
            outcome: 'denied',
            severity: 'warn',
            reason: `upstream "${fault.upstream}": ${fault.kind}: ${fault.detail}`.slice(0, 500),
            details: { upstream: fault.upstream, kind: fault.kind },
          }),
        onRestart: (upstream, attempt) =>
          warden.events.emit({
            type: 'upstream.restarted',
            outcome: 'info',
            severity: 'info',
            reason: `upstream "${upstream}" restarted (attempt ${attempt})`,
            details: { upstream, attempt },
          }),
      });
      this.#handler = gateway;
      this.gatewayEndpoints = gateway.endpoints;
      return (req, res) => gateway.handle(req, res);
    }
    // The demo server is an SDK v2 server behind the web-standard face: 2026-07-28 requests stateless, 2025-era
    // clients with sessions (or statelessly, with `server.sessions: stateless`).
    const upstream = demoUpstream(this.createMcpServer, s.sessions);
    const handler = this.warden.fetchHandler({
      upstream,
      endpoint: s.endpoint,
      ...edgeOptionsOf(this.config),
      ...(this.#requestStateKey ? { requestState: { key: this.#requestStateKey } } : {}),
      principalStillValid: this.#principalStillValid,
    });
    this.#handler = {
      get sessionCount() {
        return handler.sessionCount;
      },
      closeSessionsOf: (principalId, authenticatedBy) =>
        handler.closeSessionsOf(principalId, authenticatedBy),
      close: async () => {
        // Warden ends its bindings first (telling the upstream), then the upstream closes what is left.
        await handler.close();
        await upstream.close();
      },
    };
    return toNodeHandler(handler);
  }

  /** Starts listening on the configured host and port; returns the MCP endpoint URL (the first, for a gateway). */
  async listen(): Promise<URL> {
    const s = this.config.server;
    const handler = this.#mcpHandler();
    // Revoked in this process (the API, a rotation without grace): its sessions and SSE streams end at once.
    this.#unsubscribe = this.warden.events.on((event) => {
      const keyId = event.details?.keyId;
      const revokedNow =
        event.type === 'key.revoked' || (event.type === 'key.rotated' && event.details?.graceSeconds === 0);
      if (revokedNow && typeof keyId === 'string') this.closeSessionsOf(keyId);
    });
    const route = (req: IncomingMessage, res: ServerResponse) => {
      const path = (req.url ?? '').split('?')[0];
      if (req.method === 'GET' && path === '/healthz') return json(res, 200, { status: 'ok' });
      if (req.method === 'GET' && path === '/readyz')
        return json(res, this.#closing ? 503 : 200, { status: this.#closing ? 'shutting-down' : 'ready' });
      if (this.#closing) {
        res.setHeader('Connection', 'close');
        return json(res, 503, {
          jsonrpc: '2.0',
          id: null,
          error: {
            code: JSON_RPC_ERROR_CODES.SHUTTING_DOWN,
            message: 'The server is shutting down; retry later.',
          },
        });
      }
      handler(req, res);
    };
    const tls = s.tls ? { key: readFileSync(s.tls.keyFile), cert: readFileSync(s.tls.certFile) } : undefined;
    this.#listening = await listen(route, {
      host: s.host,
      port: s.port,
      tls,
      allowInsecureHttp: s.allowInsecureHttp,
      headersTimeoutMs: s.headersTimeoutMs,
      requestReceiveTimeoutMs: s.requestReceiveTimeoutMs,
      maxUnauthenticatedConnectionsPerAddress: s.maxUnauthenticatedConnectionsPerAddress,
      events: this.warden.events,
    });
    if (this.#metrics) this.metricsUrl = await this.#metrics.listen(this.config.metrics);
    return new URL(this.gatewayEndpoints[0]?.path ?? s.endpoint, this.#listening.origin);
  }

  /** Serves one client over stdio; identity comes from the environment. */
  async serveStdio(env: NodeJS.ProcessEnv = process.env, transport?: Transport): Promise<void> {
    if (this.#metrics) this.metricsUrl = await this.#metrics.listen(this.config.metrics);
    try {
      await this.warden.connectStdio(this.createMcpServer(), { env, ...(transport ? { transport } : {}) });
    } catch (error) {
      if (WardenError.isInstance(error) && error.httpStatus === 401)
        throw new ServerConfigError(
          `${error.message} Under --stdio the client's identity comes from the environment: set ${DEFAULT_API_KEY_ENV_VAR} to an API key in the MCP client's server entry (create one with "mcp-warden keys create --name <name> --roles reader").`,
        );
      throw error;
    }
  }

  /**
   * Graceful shutdown: refuse new work (503), give requests in flight `server.shutdownTimeoutMs` to finish and
   * answer the rest with an error (HTTP and stdio), then close sessions, plugins and the database.
   */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    this.#unsubscribe?.();
    await this.warden.drain({ timeoutMs: this.config.server.shutdownTimeoutMs });
    await this.#handler?.close();
    await this.#listening?.close();
    await this.#metrics?.close();
    await this.warden.close();
    await this.services.close();
    this.notes.close();
  }
}

/** What a gateway needs at listen time. */
interface GatewayPlan {
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
  requestStateKey: Uint8Array | undefined;
}

/** The gateway's own rules, checked before anything is opened. */
function checkGatewayConfig(config: ServerConfig, gateway: boolean): void {
  if (!gateway) {
    if (config.auth === 'none')
      throw new ServerConfigError(
        'auth: none is for mcp-warden gateway (local testing); serve always authenticates.',
      );
    return;
  }
  if (config.upstreams.length === 0)
    throw new ServerConfigError(
      'the gateway has no upstream: give --upstream-url URL, or -- COMMAND [ARGS...], or list upstreams in the config file.',
    );
  if (config.auth === 'none' && !isLoopbackHost(config.server.host))
    throw new ServerConfigError(
      `--allow-anonymous (auth: none) serves without authentication and is for local testing only: refused on the non-loopback address ${config.server.host}.`,
    );
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body));
}
