// What each plugin costs on tools/call over Streamable HTTP, next to the empty pipeline in the same run (stateless,
// JSON responses, 16 connections). Targets from the issues: API-key auth ≥ 0.95×, OAuth with its token cache
// ≥ 0.95×, validation ≥ 0.95×, the memory rate limiter ≤ 5% loss — all relative to the empty pipeline.
import { compare, table, writeResult } from './http-load.ts';
import { recordMeasures } from './summary.ts';

const server = new URL('./servers/plugin-http-server.ts', import.meta.url).pathname;
const configurations = [
  'empty',
  'apikey',
  'apikey+acl',
  'oauth',
  'oauth, cache off',
  'validation',
  'sanitize',
  'ratelimit',
  'all',
];
const rows = await compare(
  configurations.map((c) => ({ name: c === 'empty' ? 'empty pipeline' : c, script: [server, c] })),
  4,
  3,
);
writeResult(
  'plugins-http.md',
  table(
    'plugins: tools/call over Streamable HTTP, each plugin vs the empty pipeline',
    rows,
    'node:http, stateless, JSON responses, 16 connections; each plugin paired with the empty pipeline, 4 rounds of 3 s each back to back',
  ),
);
// The issues' targets, by CPU per request (the steadier ratio on a shared machine; see the table's note).
const targets: [configuration: string, target: number][] = [
  ['all', 0.9],
  ['apikey+acl', 0.95],
  ['apikey', 0.95],
  ['oauth', 0.95],
  ['validation', 0.95],
  ['ratelimit', 0.95],
];
recordMeasures(
  'plugins-http',
  targets.map(([configuration, target]) => ({
    measure: `plugins: ${configuration === 'all' ? 'every plugin on (ratelimit, apikey, acl, validation, sanitize)' : configuration} vs empty pipeline, by CPU per request`,
    ratio: rows.find((r) => r.name === configuration)!.cpuRatio,
    target,
    kind: 'atLeast' as const,
  })),
);
