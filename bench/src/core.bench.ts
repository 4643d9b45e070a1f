// tools/call throughput over Streamable HTTP: the bare SDK server vs the same server behind MCP Warden core with an
// empty pipeline. Both: node:http, stateless, JSON responses, 16 connections, autocannon in this process and the
// server in a child process. Target: the empty pipeline keeps ≥ 97% of bare throughput.
import { compare, table, writeResult } from './http-load.ts';
import { recordMeasures } from './summary.ts';

const server = new URL('./servers/core-http-server.ts', import.meta.url).pathname;
const rows = await compare([
  { name: 'bare SDK (node:http)', script: [server, 'bare'] },
  { name: 'MCP Warden core, empty pipeline', script: [server, 'warden'] },
]);
writeResult(
  'core.md',
  table(
    'core: tools/call over Streamable HTTP',
    rows,
    'node:http, stateless, JSON responses, 16 connections; paired rounds (3 × 5 s each, back to back), median of ratios',
  ),
);
recordMeasures('core', [
  {
    measure: 'core: empty pipeline vs bare SDK 1.x, req/s',
    ratio: rows[1]!.ratio,
    target: 0.97,
    kind: 'atLeast',
  },
  {
    measure: 'core: empty pipeline vs bare SDK 1.x, by CPU per request',
    ratio: rows[1]!.cpuRatio,
    target: 1.0,
    kind: 'atLeast',
  },
]);
