// What the audit trail and the Prometheus metrics cost on tools/call over Streamable HTTP: each paired with the
// empty pipeline without them (audit off, metrics off) in the same run, same server script as the plugins
// comparison (stateless, JSON responses, 16 connections). Target (issue 15): ≥ 0.95× each.
import { loadavg } from 'node:os';
import { compare, table, writeResult } from './http-load.ts';
import { recordMeasures } from './summary.ts';

const server = new URL('./servers/plugin-http-server.ts', import.meta.url).pathname;
const configurations = [
  'empty',
  'empty (A/A control)',
  'no-op observer',
  'audit (SQLite)',
  'audit (JSON lines)',
  'metrics (Prometheus)',
];
const before = loadavg();
const rows = await compare(
  configurations.map((c) => ({
    name: c === 'empty' ? 'empty pipeline (audit off, metrics off)' : c,
    script: [server, c],
  })),
  5,
  3,
);
const after = loadavg();
const load = (l: number[]) => l.map((v) => v.toFixed(1)).join(' / ');
writeResult(
  'plugins-observers-http.md',
  [
    table(
      'plugins: audit and metrics on vs off, tools/call over Streamable HTTP',
      rows,
      'node:http, stateless, JSON responses, 16 connections; each row paired with the empty pipeline (audit and metrics off), 5 rounds of 3 s each back to back',
    ),
    `Target (issue 15): ≥ 0.95× for audit on and for metrics on. Audit (SQLite) is the reference server's default sink (records buffered, written every 200 ms in one transaction, on the local disk); JSON lines buffers lines and appends them every 200 ms (or 64 KiB) with one write. Metrics: the reference server's prom-client registry (requests by method and outcome, latency histogram, refusals), fed by a request observer and the event bus; nothing scrapes it during the run. The A/A control is the baseline itself on a second port: its distance from 1.000× is this run's noise. The no-op observer row is core's observation path alone (an observer that records nothing): the part of each row's cost that is core's, not the sink's. Load average (1/5/15 min) before the run ${load(before)}, after ${load(after)} on a shared 2-core machine: the ratios are the figures to read, and at this load they move by several per cent between runs.`,
    '',
  ].join('\n'),
);
recordMeasures(
  'plugins-observers-http',
  ['audit (SQLite)', 'audit (JSON lines)', 'metrics (Prometheus)'].map((name) => ({
    measure: `observers: ${name} vs off, by CPU per request`,
    ratio: rows.find((r) => r.name === name)!.cpuRatio,
    target: 0.95,
    kind: 'atLeast' as const,
  })),
);
