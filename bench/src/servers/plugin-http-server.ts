// The bench McpServer behind MCP Warden, one port per plugin configuration named on the command line, all in this
// one process (so every configuration runs on the same core placement and memory), stateless, JSON responses.
// Prints {"servers": [{"url", "headers"}, …]} (in argument order) once listening; "headers" carries the credential
// when the configuration needs one.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMetrics } from '../../../apps/server/src/metrics.ts';
import { auditTrail, jsonLinesSink, SqliteAuditStore } from '../../../packages/audit/src/index.ts';
import { type Observing, serveWarden } from './core-http-server.ts';
import { allowsAnonymous, configurations, credentialHeaders } from './plugin-configs.ts';

// Audit and metrics on the empty pipeline, as the reference server wires them: the audit trail into SQLite in the
// data directory (its default), or a JSON-lines file; Prometheus counters and a latency histogram fed by a request
// observer and by every security event.
const dataDir = mkdtempSync(join(tmpdir(), 'mcp-warden-bench-'));
process.on('exit', () => rmSync(dataDir, { recursive: true, force: true }));
// The benchmark stops this process with SIGTERM; exit normally so the audit files go too.
process.once('SIGTERM', () => process.exit(0));
const sqliteAudit = () =>
  auditTrail({
    sinks: [new SqliteAuditStore({ path: join(dataDir, `audit-${randomBytes(4).toString('hex')}.db`) })],
  });
const prometheus = (): Observing => {
  const metrics = createMetrics({ sessions: () => 0 });
  return { observers: [metrics.observer], onEvent: (event) => metrics.onEvent(event) };
};
const observed: Record<string, () => Observing> = {
  // The baseline again on its own port: the A/A control, how far two identical servers differ in this run.
  'empty (A/A control)': () => ({}),
  // Core's observation path alone (trace context, stage timings, the answer followed), with nothing recorded.
  'no-op observer': () => ({ observers: [{ name: 'no-op', start: () => ({ end: () => undefined }) }] }),
  'audit (SQLite)': () => ({ observers: [sqliteAudit()] }),
  'audit (JSON lines)': () => ({
    observers: [
      auditTrail({ sinks: [jsonLinesSink(join(dataDir, `audit-${randomBytes(4).toString('hex')}.jsonl`))] }),
    ],
  }),
  'metrics (Prometheus)': prometheus,
  'audit (SQLite) + metrics': () => {
    const metrics = prometheus();
    return { ...metrics, observers: [sqliteAudit(), ...(metrics.observers ?? [])] };
  },
};

const servers = [];
for (const mode of process.argv.slice(2)) {
  const build = configurations[mode];
  const observe = observed[mode];
  if (!build && !observe) throw new Error(`unknown configuration ${mode}`);
  const url = observe
    ? await serveWarden([], true, observe())
    : await serveWarden(build!(), allowsAnonymous(mode));
  servers.push({ url, headers: credentialHeaders(mode) });
}
process.stdout.write(`${JSON.stringify({ servers })}\n`);
