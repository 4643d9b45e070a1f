import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isLoopbackHost, MCP_METHOD_NAMES, type RequestObserver, type SecurityEvent } from '@mcp-warden/core';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ServerConfigError } from './config.js';
import type { MetricsConfig } from './observability-config.js';

/** The MCP methods core knows (both eras); any other (client-chosen) method is counted as `other`, so labels stay bounded. */
const KNOWN_METHODS: ReadonlySet<string> = new Set(MCP_METHOD_NAMES);
const LABEL_MAX = 64;

function bounded(value: string | undefined, fallback: string): string {
  if (!value) return fallback;
  return /^[A-Za-z0-9_.:/-]{1,64}$/.test(value)
    ? value
    : value.slice(0, LABEL_MAX).replace(/[^\w.:/-]/g, '_');
}

export interface WardenMetrics {
  readonly registry: Registry;
  readonly observer: RequestObserver;
  /** Give every security event (refusals, rate-limit hits). */
  onEvent(event: SecurityEvent): void;
  /** Serves `GET <path>` on a loopback address; returns the URL. */
  listen(config: MetricsConfig): Promise<URL>;
  close(): Promise<void>;
}

/** Prometheus metrics of the reference server, with their own registry. */
export function createMetrics(options: { sessions: () => number }): WardenMetrics {
  const registry = new Registry();
  const requests = new Counter({
    name: 'mcp_warden_requests_total',
    help: 'MCP requests by method and outcome (ok, error, refused, timeout, cancelled)',
    labelNames: ['method', 'outcome'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'mcp_warden_request_duration_seconds',
    help: 'Time from arrival to answer of MCP requests, by method',
    labelNames: ['method'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const refusals = new Counter({
    name: 'mcp_warden_refusals_total',
    help: 'Refusals (denied security events) by plugin and error code',
    labelNames: ['plugin', 'code'] as const,
    registers: [registry],
  });
  const rateLimited = new Counter({
    name: 'mcp_warden_rate_limit_hits_total',
    help: 'Requests refused by a rate limit, by plugin',
    labelNames: ['plugin'] as const,
    registers: [registry],
  });
  // Gateway upstream health: names come from the config (at most 64), kinds from a fixed set.
  const upstreamFailures = new Counter({
    name: 'mcp_warden_upstream_failures_total',
    help: 'Gateway upstream faults (unavailable, refused-credentials, bad-answer, too-large, flood, exited), by upstream',
    labelNames: ['upstream', 'kind'] as const,
    registers: [registry],
  });
  const upstreamRestarts = new Counter({
    name: 'mcp_warden_upstream_restarts_total',
    help: 'Restarts of gateway stdio upstream processes, by upstream',
    labelNames: ['upstream'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'mcp_warden_active_sessions',
    help: 'Open stateful MCP sessions',
    registers: [registry],
    collect() {
      this.set(options.sessions());
    },
  });
  let server: Server | undefined;

  return {
    registry,
    observer: {
      name: 'metrics',
      start: () => ({
        end(end, request) {
          const method = KNOWN_METHODS.has(request.method) ? request.method : 'other';
          requests.inc({ method, outcome: end.outcome });
          duration.observe({ method }, end.durationMs / 1000);
        },
      }),
    },
    onEvent(event) {
      const upstream =
        typeof event.details?.upstream === 'string' ? bounded(event.details.upstream, 'upstream') : undefined;
      if (event.type === 'upstream.restarted' && upstream) upstreamRestarts.inc({ upstream });
      if (event.type === 'upstream.failed' && upstream) {
        upstreamFailures.inc({ upstream, kind: bounded(String(event.details?.kind ?? ''), 'unknown') });
        return; // a fault of the upstream, not a refusal of the client
      }
      if (event.outcome !== 'denied') return;
      const plugin = bounded(event.plugin, 'core');
      const code = bounded(
        typeof event.details?.code === 'string' ? event.details.code : undefined,
        event.type,
      );
      refusals.inc({ plugin, code });
      if (event.type === 'rate.limited') rateLimited.inc({ plugin });
    },
    async listen(config) {
      if (!isLoopbackHost(config.host))
        throw new ServerConfigError(
          `metrics.host must be a loopback address (got "${config.host}"): the metrics endpoint has no authentication; scrape it through a local agent or proxy.`,
        );
      server = createServer((req, res) => {
        const path = (req.url ?? '').split('?')[0];
        if (req.method !== 'GET' || path !== config.path) {
          res.writeHead(404).end();
          return;
        }
        registry.metrics().then(
          (text) => {
            res.writeHead(200, { 'Content-Type': registry.contentType, 'Cache-Control': 'no-store' });
            res.end(text);
          },
          () => res.writeHead(500).end(),
        );
      });
      const listening = server;
      await new Promise<void>((resolve, reject) => {
        listening.once('error', reject);
        listening.listen(config.port, config.host, () => resolve());
      });
      const { port } = listening.address() as AddressInfo;
      const host = config.host.includes(':') ? `[${config.host}]` : config.host;
      return new URL(`http://${host}:${port}${config.path}`);
    },
    async close() {
      const s = server;
      server = undefined;
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
}
