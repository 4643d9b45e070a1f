import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { createWarden, listen, pinoSink, type ListeningServer, type Warden, type WardenHttpHandler } from '@mcp-warden/core';
import type { ServerConfig } from './config.js';
import { createDemoServer, type DemoServerDeps } from './demo-server.js';
import { NotesStore } from './notes-store.js';
import { wirePlugins, type PluginWiring } from './plugins.js';
import { resolveInside } from './sandbox.js';

export interface ReferenceServerOptions {
  config: ServerConfig;
  /** Serve over stdio instead of HTTP (logs then go to stderr). */
  stdio?: boolean;
  /** Operator-facing output. @default stderr */
  log?: (line: string) => void;
}

const DEMO_FILES: Record<string, string> = {
  'sandbox/hello.txt': 'Hello from the MCP Warden sandbox.\n',
  'public/welcome.txt': 'Welcome! This document is public.\n',
  'private/plans.txt': 'Private plans: only writers and admins may read this.\n',
};

/** Creates the data directory layout; returns true when it was empty (first start). */
function prepareDataDir(dataDir: string): boolean {
  const firstStart = !existsSync(dataDir) || readdirSync(dataDir).length === 0;
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  for (const sub of ['sandbox', 'public', 'private']) mkdirSync(join(dataDir, sub), { recursive: true, mode: 0o700 });
  if (firstStart) for (const [file, text] of Object.entries(DEMO_FILES)) writeFileSync(join(dataDir, file), text, { mode: 0o600 });
  return firstStart;
}

/** The reference secured MCP server: demo tools behind every configured plugin. */
export class ReferenceServer {
  readonly warden: Warden;
  readonly notes: NotesStore;
  readonly config: ServerConfig;
  readonly resourceUrl: URL;
  #wiring: PluginWiring;
  #deps: DemoServerDeps;
  #handler: WardenHttpHandler | undefined;
  #listening: ListeningServer | undefined;
  #closing = false;

  private constructor(config: ServerConfig, warden: Warden, notes: NotesStore, wiring: PluginWiring, deps: DemoServerDeps, resourceUrl: URL) {
    this.config = config;
    this.warden = warden;
    this.notes = notes;
    this.#wiring = wiring;
    this.#deps = deps;
    this.resourceUrl = resourceUrl;
  }

  static async create(options: ReferenceServerOptions): Promise<ReferenceServer> {
    const { config } = options;
    const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
    const dataDir = config.dataDir;
    const firstStart = prepareDataDir(dataDir);
    const s = config.server;
    const resourceUrl = new URL(s.publicUrl ?? `${s.tls ? 'https' : 'http'}://${s.host.includes(':') ? `[${s.host}]` : s.host}:${s.port}${s.endpoint}`);
    const wiring = await wirePlugins({ config, dataDir, resourceUrl, log, firstStart });
    const notes = new NotesStore(join(dataDir, 'notes.db'), wiring.noteCodec);
    const sink = pinoSink({ destination: config.logging.securityLogFile ?? (options.stdio ? 2 : 1), level: config.logging.level });
    const warden = await createWarden({ plugins: wiring.plugins, sinks: [sink], requestTimeoutMs: s.requestTimeoutMs, resourceUrl });
    let server: ReferenceServer | undefined;
    const deps: DemoServerDeps = {
      notes,
      sandboxDir: join(dataDir, 'sandbox'),
      publicDir: join(dataDir, 'public'),
      privateDir: join(dataDir, 'private'),
      resolveInSandbox: wiring.resolveInSandbox ?? resolveInside,
      startedAt: Date.now(),
      stats: () => ({ sessions: server?.sessionCount ?? 0 }),
    };
    server = new ReferenceServer(config, warden, notes, wiring, deps, resourceUrl);
    await wiring.afterStart?.(warden.events);
    return server;
  }

  get sessionCount(): number {
    return this.#handler?.sessionCount ?? 0;
  }

  /** A fresh demo MCP server (one per session or stateless request). */
  createMcpServer = () => createDemoServer(this.#deps);

  /** Starts listening on the configured host and port; returns the MCP endpoint URL. */
  async listen(): Promise<URL> {
    const s = this.config.server;
    this.#handler = this.warden.httpHandler({
      createServer: this.createMcpServer,
      sessions: s.sessions,
      endpoint: s.endpoint,
      allowedHosts: s.allowedHosts,
      allowedOrigins: s.allowedOrigins,
      maxBodyBytes: s.maxBodyBytes,
      trustedProxies: s.trustedProxies,
    });
    const handler = this.#handler;
    const route = (req: IncomingMessage, res: ServerResponse) => {
      const path = (req.url ?? '').split('?')[0];
      if (req.method === 'GET' && path === '/healthz') return json(res, 200, { status: 'ok' });
      if (req.method === 'GET' && path === '/readyz') return json(res, this.#closing ? 503 : 200, { status: this.#closing ? 'shutting-down' : 'ready' });
      handler(req, res);
    };
    const tls = s.tls ? { key: readFileSync(s.tls.keyFile), cert: readFileSync(s.tls.certFile) } : undefined;
    this.#listening = await listen(route, { host: s.host, port: s.port, tls, allowInsecureHttp: s.allowInsecureHttp });
    return new URL(s.endpoint, this.#listening.origin);
  }

  /** Serves one client over stdio; identity comes from the environment. */
  async serveStdio(env: NodeJS.ProcessEnv = process.env): Promise<void> {
    await this.warden.connectStdio(this.createMcpServer(), { env });
  }

  /** Graceful shutdown: refuse new work, close sessions, plugins and the database. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    await this.#handler?.close();
    await this.#listening?.close();
    await this.warden.close();
    await this.#wiring.close?.();
    this.notes.close();
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body));
}
