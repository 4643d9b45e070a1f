// tools/call over HTTP on the SDK v2 path, in both eras: a bare `createMcpHandler` (served by
// @modelcontextprotocol/node's toNodeHandler on node:http) against the same handler behind
// `warden.fetchHandler({ upstream })` with an empty pipeline (core's toNodeHandler on node:http), and every plugin
// on against the empty pipeline. One server process per comparison, paired rounds, 16 connections.
// Targets: empty pipeline ≥ 0.97× of bare by req/s and by server CPU per request (issue 12); all plugins ≥ 0.90×
// of the empty pipeline by CPU per request (issue 17, item 5).
import { loadavg } from 'node:os';
import { ERA_CALLS, type EraCall } from './eras.ts';
import { compare, type Measured, table, writeResult } from './http-load.ts';
import { type Measure, recordMeasures } from './summary.ts';

const server = new URL('./servers/v2-http-server.ts', import.meta.url).pathname;
// Short runs for smoke tests (BENCH_ROUNDS=1 BENCH_SECONDS=1); the defaults are the measurement.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);

const loadAverage = () =>
  loadavg()
    .map((v) => v.toFixed(1))
    .join(' / ');

/** Bare vs Warden (empty pipeline), with the bare server again on its own port as the A/A control. */
async function emptyVsBare(call: EraCall): Promise<Measured[]> {
  const as = { body: call.body, headers: call.headers };
  return compare(
    [
      { name: 'bare SDK v2 createMcpHandler', script: [server, 'bare'], ...as },
      { name: 'behind Warden, empty pipeline', script: [server, 'empty'], ...as },
      { name: 'bare again (A/A control)', script: [server, 'bare'], ...as },
    ],
    ROUNDS,
    SECONDS,
  );
}

async function allVsEmpty(call: EraCall): Promise<Measured[]> {
  const as = { body: call.body, headers: call.headers };
  return compare(
    [
      { name: 'behind Warden, empty pipeline', script: [server, 'empty'], ...as },
      { name: 'behind Warden, every plugin on', script: [server, 'all'], ...as },
    ],
    ROUNDS,
    SECONDS,
  );
}

const before = loadAverage();
const sections: string[] = [];
const measures: Measure[] = [];
const how = `${ROUNDS} rounds of ${SECONDS} s per side, back to back, alternating order; median of ratios`;
for (const call of ERA_CALLS) {
  const rows = await emptyVsBare(call);
  sections.push(
    table(
      `v2-http: tools/call, ${call.label}, bare SDK v2 vs behind Warden (empty pipeline)`,
      rows,
      `node:http, stateless, 16 connections; ${how}`,
    ),
  );
  const warden = rows[1]!;
  measures.push(
    {
      measure: `v2-http ${call.label}: empty pipeline vs bare SDK v2, req/s`,
      ratio: warden.ratio,
      target: 0.97,
      kind: 'atLeast',
    },
    {
      measure: `v2-http ${call.label}: empty pipeline vs bare SDK v2, by CPU per request`,
      ratio: warden.cpuRatio,
      target: 0.97,
      kind: 'atLeast',
    },
  );
}
for (const call of ERA_CALLS) {
  const rows = await allVsEmpty(call);
  sections.push(
    table(
      `v2-http: tools/call, ${call.label}, every plugin on vs the empty pipeline (SDK v2 behind Warden)`,
      rows,
      `node:http, stateless, 16 connections; every plugin = ratelimit, apikey-auth, acl, validation, sanitize (bench/src/servers/plugin-configs.ts); ${how}`,
    ),
  );
  measures.push({
    measure: `v2-http ${call.label}: every plugin on (ratelimit, apikey, acl, validation, sanitize) vs empty pipeline, by CPU per request`,
    ratio: rows[1]!.cpuRatio,
    target: 0.9,
    kind: 'atLeast',
  });
}
const after = loadAverage();
writeResult(
  'v2-http.md',
  [
    '# SDK v2 path: tools/call over HTTP',
    '',
    `Load average (1 / 5 / 15 min) before ${before}, after ${after} on a shared machine. The A/A control row is the bare server on a second port: its distance from 1.000× is this run's noise. Server: bench/src/servers/v2-http-server.ts (one process for all contenders of a table). Requests: bench/src/eras.ts.`,
    '',
    ...sections,
  ].join('\n'),
);
recordMeasures('v2-http', measures);
