import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Principal, toNodeHandler, type Warden, type WardenHttpHandler } from '@mcp-warden/core';
import { edgeOptionsOf, type ServerConfig } from '../config.js';
import type { UpstreamFaultSink } from './faults.js';
import { httpUpstream } from './http-upstream.js';
import { StdioRelay } from './stdio-relay.js';
import {
  checkRunnable,
  type UpstreamConfig,
  upstreamEnvironment,
  upstreamHeaders,
} from './upstream-config.js';

/**
 * The MCP endpoints of a gateway: one per upstream. With a single upstream it is the configured endpoint
 * (`/mcp`); with several, `/mcp/<name>` each. One endpoint per upstream rather than one aggregated endpoint:
 * tool names, resource URIs and prompts stay exactly the upstream's (so policies, pins and clients see what the
 * upstream wrote, and two upstreams cannot collide), and a client connects only to what it needs.
 *
 * HTTP upstreams go through the warden's web-standard face, so both eras pass (2026-07-28 stateless requests, and
 * 2025 sessions, which the upstream keeps: one upstream session per client session). stdio upstreams speak the 2025
 * revision; they are served through the warden's Node edge with sessions, one process per client session.
 */
export interface GatewayHandlerDeps {
  warden: Warden;
  config: ServerConfig;
  upstreams: readonly UpstreamConfig[];
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
  onFault: UpstreamFaultSink;
  onRestart: (upstream: string, attempt: number) => void;
  /** The 32-byte key `requestState` is sealed with (the same for every instance on one data directory). */
  requestStateKey: Uint8Array | undefined;
  principalStillValid: (principal: Principal) => Promise<boolean>;
}

interface Endpoint {
  path: string;
  upstream: string;
  handle: (req: IncomingMessage, res: ServerResponse) => void;
  sessions: Pick<WardenHttpHandler, 'sessionCount' | 'closeSessionsOf'>;
  close: () => Promise<void>;
}

export interface GatewayHandlers {
  /** The endpoints, by path (for the startup message). */
  readonly endpoints: ReadonlyArray<{ path: string; upstream: string }>;
  handle(req: IncomingMessage, res: ServerResponse): void;
  readonly sessionCount: number;
  closeSessionsOf(principalId: string, authenticatedBy?: string): number;
  close(): Promise<void>;
}

export function endpointOf(config: ServerConfig, upstreams: readonly UpstreamConfig[], name: string): string {
  const base = config.server.endpoint;
  return upstreams.length === 1 ? base : `${base.replace(/\/$/, '')}/${name}`;
}

function httpEndpoint(deps: GatewayHandlerDeps, upstream: UpstreamConfig, path: string): Endpoint {
  const upstreamFetch = httpUpstream({
    name: upstream.name,
    url: new URL(upstream.url!),
    headers: upstreamHeaders(upstream, deps.env),
    maxMessageBytes: upstream.maxMessageBytes,
    maxMessagesPerSecond: upstream.maxMessagesPerSecond,
    onFault: deps.onFault,
  });
  const handler = deps.warden.fetchHandler({
    upstream: upstreamFetch,
    takesCheckedBody: true,
    upstreamName: upstream.name,
    endpoint: path,
    ...edgeOptionsOf(deps.config),
    ...(deps.requestStateKey ? { requestState: { key: deps.requestStateKey } } : {}),
    principalStillValid: deps.principalStillValid,
  });
  return {
    path,
    upstream: upstream.name,
    handle: toNodeHandler(handler),
    sessions: handler,
    close: async () => {
      await handler.close();
      upstreamFetch.close();
    },
  };
}

function stdioEndpoint(deps: GatewayHandlerDeps, upstream: UpstreamConfig, path: string): Endpoint {
  const env = upstreamEnvironment(upstream, deps.env);
  checkRunnable(upstream, env);
  const sessions = deps.warden.httpHandler({
    createServer: () =>
      new StdioRelay({
        name: upstream.name,
        command: upstream.command!,
        args: upstream.args,
        cwd: upstream.cwd,
        env,
        maxMessageBytes: upstream.maxMessageBytes,
        maxMessagesPerSecond: upstream.maxMessagesPerSecond,
        log: deps.log,
        onFault: deps.onFault,
        onRestart: (attempt) => deps.onRestart(upstream.name, attempt),
      }),
    upstreamName: upstream.name,
    // One process per client session: a stdio server has one client by design.
    sessions: 'stateful',
    endpoint: path,
    ...edgeOptionsOf(deps.config),
    maxSessions: Math.min(deps.config.server.maxSessions, upstream.maxProcesses),
    principalStillValid: deps.principalStillValid,
  });
  return { path, upstream: upstream.name, handle: sessions, sessions, close: () => sessions.close() };
}

export function createGatewayHandlers(deps: GatewayHandlerDeps): GatewayHandlers {
  const endpoints: Endpoint[] = deps.upstreams.map((upstream) => {
    const path = endpointOf(deps.config, deps.upstreams, upstream.name);
    return upstream.url ? httpEndpoint(deps, upstream, path) : stdioEndpoint(deps, upstream, path);
  });
  const byPath = new Map(endpoints.map((e) => [e.path, e]));
  return {
    endpoints: endpoints.map(({ path, upstream }) => ({ path, upstream })),
    handle(req, res) {
      const path = (req.url ?? '/').split('?')[0]!;
      // Plugin routes (OAuth metadata) carry the endpoint as their suffix: the endpoint's handler serves them.
      const endpoint =
        byPath.get(path) ?? endpoints.find((e) => path.endsWith(e.path)) ?? (endpoints[0] as Endpoint);
      endpoint.handle(req, res);
    },
    get sessionCount() {
      return endpoints.reduce((n, e) => n + e.sessions.sessionCount, 0);
    },
    closeSessionsOf(principalId, authenticatedBy) {
      return endpoints.reduce((n, e) => n + e.sessions.closeSessionsOf(principalId, authenticatedBy), 0);
    },
    async close() {
      await Promise.all(endpoints.map((e) => e.close()));
    },
  };
}
