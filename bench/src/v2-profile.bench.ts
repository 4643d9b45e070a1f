// Where the CPU of one tools/call goes on the SDK v2 path, bare `createMcpHandler` vs the same handler behind
// `warden.fetchHandler` with an empty pipeline, in each era: V8's sampling profiler in the server process
// (servers/v2-http-server.ts) under a fixed load, self time attributed to packages, core files and Node's own code
// (profile/analyse.ts), per request. The difference column is what Warden's edge costs and where; it explains the
// v2-http ratios.

import { loadavg } from 'node:os';
import { ERA_CALLS } from './eras.ts';
import { writeResult } from './http-load.ts';
import { internalsByCallerTable, placesTable, profileOf, topFunctionsTable } from './profile/run.ts';
import { machine } from './summary.ts';

const server = new URL('./servers/v2-http-server.ts', import.meta.url).pathname;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);

const loadAverage = () =>
  loadavg()
    .map((v) => v.toFixed(1))
    .join(' / ');
const before = loadAverage();
const sections: string[] = [];
for (const call of ERA_CALLS) {
  const request = { body: call.body, headers: call.headers };
  const bare = await profileOf(server, 'bare', SECONDS, request);
  const warden = await profileOf(server, 'empty', SECONDS, request);
  sections.push(
    `### ${call.label}`,
    '',
    ...placesTable(['bare SDK v2', 'behind Warden (empty)'], bare, warden),
    '',
    "Node's own code (http, streams, `Request`/`Response`, web streams) by the nearest caller outside it, largest differences first:",
    '',
    ...internalsByCallerTable(['bare SDK v2', 'behind Warden (empty)'], bare, warden),
    '',
    `Top functions by self time behind Warden, ${call.label} (µs per request):`,
    '',
    ...topFunctionsTable(warden, 20),
    '',
  );
}
writeResult(
  'v2-profile.md',
  [
    '## Profile: where one tools/call spends its CPU on the SDK v2 path, bare vs behind Warden (empty pipeline)',
    '',
    `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC · ${machine()} · load average before ${before}, after ${loadAverage()} · V8 sampling profiler (250 µs) in the server process, ${SECONDS} s of load each after 3 s of warm-up; stateless HTTP, 16 connections. Bare: @modelcontextprotocol/node toNodeHandler on node:http; Warden: core's toNodeHandler in front of warden.fetchHandler({ upstream }) (bench/src/servers/v2-http-server.ts). Self time per request by where the code lives, scaled to the server's CPU time per request (from /proc); rows sorted by the difference.`,
    '',
    ...sections,
  ].join('\n'),
);
