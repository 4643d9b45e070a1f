// Where the CPU of one tools/call goes, with every plugin on and with the empty pipeline: V8's sampling profiler in
// the server process during a fixed load (stateless HTTP, JSON responses, 16 connections), self time attributed to
// packages and core files (profile/analyse.ts) and divided by the requests served. The table is the reference that
// later changes to the hot path are held against; the numbers are per request, so the difference of the two
// columns is what the plugins and their use of core cost.
import { writeResult } from './http-load.ts';
import { placesTable, profileOf, topFunctionsTable } from './profile/run.ts';

const server = new URL('./servers/plugin-http-server.ts', import.meta.url).pathname;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);

const empty = await profileOf(server, 'empty', SECONDS);
const all = await profileOf(server, 'all', SECONDS);
writeResult(
  'profile.md',
  [
    '## Profile: where one tools/call spends its CPU, all plugins vs the empty pipeline',
    '',
    `${new Date().toISOString().slice(0, 10)} · V8 sampling profiler (250 µs) in the server process, ${SECONDS} s of load each after 3 s of warm-up; stateless HTTP, JSON responses, 16 connections. "all" = ratelimit, apikey-auth, acl, validation, sanitize (bench/src/servers/plugin-http-server.ts). Self time per request by where the code lives: each place's share of the samples times the server's CPU time per request (from /proc); rows sorted by the difference.`,
    '',
    ...placesTable(['empty pipeline', 'all plugins'], empty, all),
    '',
    'Top functions by self time with all plugins on (µs per request):',
    '',
    ...topFunctionsTable(all),
    '',
  ].join('\n'),
);
