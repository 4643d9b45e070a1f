// `mcp-warden gateway` in front of an HTTP MCP server, against the same server called directly (issue 14).
//
// Shape: the upstream (SDK v2 `createMcpHandler`, stateless 2026-07-28 `tools/call` of `echo`, served by
// @modelcontextprotocol/node on node:http) runs in one child process; the gateway runs in its own process, started
// from the built CLI (apps/server/dist/cli.js) the way an operator starts it. A separate process is the deployment
// shape (a gateway fronts servers it did not start), and it keeps the comparison fair: the upstream process, its
// port and its load are the same both ways, and the gateway's cost shows up as its own CPU time instead of slowing
// the upstream's event loop. The load generator (autocannon, 16 connections) is this process both ways.
//
// The gateway authenticates with an API key (its bootstrap admin key, Authorization: Bearer) and runs its default
// plugins: rate limits (one rule with a budget the bench never spends, so the limiter does its work but never
// refuses), API keys, the gateway ACL policy, validation, sanitize and crypto. Auth is not switched off: that is
// what an operator runs.
//
// Measures: req/s (paired rounds, alternating order, median of paired ratios); added median latency, one request at
// a time on one keep-alive connection (under 16 connections the median is mostly queueing: 16 ÷ req/s), through
// minus direct in each round; CPU per request of each process from /proc. And the stdio cost per call, see stdio below.
import { Agent, request as httpRequest } from 'node:http';
import { loadavg } from 'node:os';
import { MODERN_CALL } from './eras.ts';
import { BENCH_RATELIMIT, type GatewayProcess, startGateway } from './gateway-process.ts';
import { type StdioResult, stdioCost, stdioMarkdown } from './gateway-stdio.ts';
import { cpuTimeUs, load, median, startChild, writeResult } from './http-load.ts';
import { type Measure, machine, recordMeasures } from './summary.ts';

// Short runs for smoke tests (BENCH_ROUNDS=1 BENCH_SECONDS=1 BENCH_CALLS=200); the defaults are the measurement.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
/** Calls per side per round of the sequential latency runs (each also stops after 10 s). */
const CALLS = Number(process.env.BENCH_CALLS ?? 2000);

const upstreamScript = new URL('./servers/v2-http-server.ts', import.meta.url).pathname;
const proxyScript = new URL('./servers/plain-proxy.ts', import.meta.url).pathname;
const call = MODERN_CALL;

interface Side {
  url: string;
  headers: Record<string, string>;
}

interface LoadSample {
  rps: number;
  p50: number;
  upstreamCpuUs: number;
  gatewayCpuUs: number;
}

async function loadOnce(side: Side, seconds: number, upstreamPid?: number, gatewayPid?: number) {
  const [up, gw] = [cpuTimeUs(upstreamPid), cpuTimeUs(gatewayPid)];
  const r = await load(side.url, { ...call.headers, ...side.headers }, seconds, call.body);
  if (r.errors > 0) throw new Error(`${side.url}: ${r.errors} failed requests`);
  return {
    rps: r.rps,
    p50: r.p50,
    upstreamCpuUs: (cpuTimeUs(upstreamPid) - up) / r.requests,
    gatewayCpuUs: gatewayPid === undefined ? 0 : (cpuTimeUs(gatewayPid) - gw) / r.requests,
  } satisfies LoadSample;
}

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function post(side: Side): Promise<number> {
  const start = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      side.url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...call.headers,
          ...side.headers,
        },
        timeout: 5000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => {
          text += d;
        });
        res.on('end', () => {
          if (res.statusCode !== 200 || !text.includes('"result"') || text.includes('"error"'))
            reject(new Error(`${side.url}: not answered with a result (${res.statusCode})`));
          else resolve(Number(process.hrtime.bigint() - start) / 1e6);
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(call.body);
  });
}

/** Median latency (ms) of `count` calls one at a time on one keep-alive connection, at most 10 s. */
async function sequential(side: Side, count: number): Promise<number> {
  const latencies: number[] = [];
  const deadline = Date.now() + 10_000;
  while (latencies.length < count && Date.now() < deadline) latencies.push(await post(side));
  return median(latencies);
}

interface HttpResult {
  direct: LoadSample;
  through: LoadSample;
  rpsRatio: number;
  /** Direct CPU per request ÷ (upstream + gateway CPU per request through): the share a CPU-bound host keeps. */
  cpuRatio: number;
  directLatency: number;
  throughLatency: number;
  addedMs: number;
}

/** Paired rounds: direct and through back to back, alternating which goes first; medians over rounds. */
async function pairs<T>(
  rounds: number,
  run: (through: boolean) => Promise<T>,
): Promise<{ direct: T; through: T }[]> {
  const out: { direct: T; through: T }[] = [];
  for (let round = 0; round < rounds; round++) {
    const throughFirst = round % 2 === 1;
    const first = await run(throughFirst);
    const second = await run(!throughFirst);
    out.push(throughFirst ? { direct: second, through: first } : { direct: first, through: second });
  }
  return out;
}

const medianOf = <T>(rows: T[], pick: (row: T) => number) => median(rows.map(pick));

async function measureHttp(
  direct: Side,
  through: Side,
  upstreamPid: number,
  forwarderPid: number,
  rounds: number,
): Promise<HttpResult> {
  await sequential(direct, 300); // warm-up (JIT, connections, the gateway's key cache)
  await sequential(through, 300);
  await loadOnce(direct, 2);
  await loadOnce(through, 2);
  const loads = await pairs(rounds, (t) =>
    t ? loadOnce(through, SECONDS, upstreamPid, forwarderPid) : loadOnce(direct, SECONDS, upstreamPid),
  );
  const latencies = await pairs(rounds, (t) => sequential(t ? through : direct, CALLS));
  const sample = (pick: (p: { direct: LoadSample; through: LoadSample }) => LoadSample): LoadSample => ({
    rps: medianOf(loads, (p) => pick(p).rps),
    p50: medianOf(loads, (p) => pick(p).p50),
    upstreamCpuUs: medianOf(loads, (p) => pick(p).upstreamCpuUs),
    gatewayCpuUs: medianOf(loads, (p) => pick(p).gatewayCpuUs),
  });
  return {
    direct: sample((p) => p.direct),
    through: sample((p) => p.through),
    rpsRatio: medianOf(loads, (p) => p.through.rps / p.direct.rps),
    cpuRatio: medianOf(
      loads,
      (p) => p.direct.upstreamCpuUs / (p.through.upstreamCpuUs + p.through.gatewayCpuUs),
    ),
    directLatency: medianOf(latencies, (p) => p.direct),
    throughLatency: medianOf(latencies, (p) => p.through),
    addedMs: medianOf(latencies, (p) => p.through - p.direct),
  } satisfies HttpResult;
}

interface Controls {
  node: HttpResult;
  fetch: HttpResult;
  rounds: number;
}

function httpMarkdown(r: HttpResult, controls: Controls): string {
  const f = (n: number, d = 3) => n.toFixed(d);
  const row = (name: string, x: HttpResult | undefined, s: LoadSample, lat: number) =>
    `| ${name} | ${Math.round(s.rps)} | ${x ? `${f(x.rpsRatio)}×` : '1.000×'} | ${s.p50} | ${f(lat)} | ${x ? f(x.addedMs) : '—'} | ${Math.round(s.upstreamCpuUs)} | ${s.gatewayCpuUs ? Math.round(s.gatewayCpuUs) : '—'} | ${x ? `${f(x.cpuRatio)}×` : '1.000×'} |`;
  return [
    '## gateway-http: tools/call (2026-07-28, stateless) through `mcp-warden gateway` vs the same HTTP upstream directly',
    '',
    `${new Date().toISOString().slice(0, 10)} · ${machine()} · upstream: SDK v2 createMcpHandler on node:http (bench/src/servers/v2-http-server.ts \`bare\`), one process; gateway: \`node apps/server/dist/cli.js gateway\`, its own process, API key (bootstrap admin key), default plugins on (rate limit with a budget never spent); load: autocannon, 16 connections, ${SECONDS} s per side, back to back, alternating order (gateway: ${ROUNDS} rounds; control proxies: ${controls.rounds}); latency: one request at a time on one keep-alive connection, ${CALLS} calls per side per round.`,
    '',
    '| path | req/s (median) | req/s vs direct | p50 ms under load | median ms, one at a time | added ms (paired) | upstream CPU µs/request | forwarder CPU µs/request | by CPU cost vs direct |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    row('direct (client → upstream)', undefined, r.direct, r.directLatency),
    row('**through mcp-warden gateway**', r, r.through, r.throughLatency),
    row(
      'control: plain node:http proxy (piped, no parsing)',
      controls.node,
      controls.node.through,
      controls.node.throughLatency,
    ),
    row(
      'control: fetch-shaped proxy (core toNodeHandler + undici fetch, no pipeline)',
      controls.fetch,
      controls.fetch.through,
      controls.fetch.throughLatency,
    ),
    '',
    'Each forwarder row is paired with its own direct runs (the direct row shows the gateway pairing). "Added ms": through − direct per round, median of rounds, one request at a time. "By CPU cost": direct upstream CPU per request ÷ (upstream + forwarder CPU per request through), the share of a CPU-bound host\'s throughput left; the load generator\'s own CPU is not in it. "p50 under load" is autocannon\'s (whole ms; mostly queueing at 16 connections). The control proxies run in their own process like the gateway: they are the floor any separate-process forwarder pays on this machine.',
    '',
  ].join('\n');
}

const loads = () =>
  loadavg()
    .map((v) => v.toFixed(1))
    .join(' / ');

async function main() {
  const before = loads();
  const upstream = await startChild([upstreamScript, 'bare']);
  const forwarders: { stop(): void }[] = [];
  let http: HttpResult;
  let controls: Controls;
  try {
    const direct: Side = { url: upstream.servers[0]!.url, headers: {} };
    const upPid = upstream.child.pid!;
    const gw: GatewayProcess = await startGateway({
      upstreams: [{ name: 'http', url: direct.url }],
      plugins: { ratelimit: BENCH_RATELIMIT },
    });
    forwarders.push(gw);
    http = await measureHttp(
      direct,
      { url: gw.endpoints.http!, headers: gw.headers },
      upPid,
      gw.child.pid!,
      ROUNDS,
    );
    gw.stop();
    const control = async (mode: 'node' | 'fetch', rounds: number) => {
      const proxy = await startChild([proxyScript, mode, direct.url]);
      forwarders.push({ stop: () => proxy.child.kill() });
      const url = proxy.servers[0]!.url;
      const result = await measureHttp(direct, { url, headers: {} }, upPid, proxy.child.pid!, rounds);
      proxy.child.kill();
      return result;
    };
    const rounds = Math.max(1, ROUNDS - 2);
    controls = { node: await control('node', rounds), fetch: await control('fetch', rounds), rounds };
  } finally {
    for (const f of forwarders) f.stop();
    upstream.child.kill();
  }
  const stdio: StdioResult = await stdioCost(ROUNDS, Math.min(CALLS, 1000));
  const after = loads();
  writeResult(
    'gateway-http.md',
    [
      '# Gateway: tools/call through `mcp-warden gateway`',
      '',
      `Load average (1 / 5 / 15 min) before ${before}, after ${after} on a shared 2-core machine (the load generator, the upstream and the gateway share it). Bench: bench/src/gateway-http.bench.ts.`,
      '',
      httpMarkdown(http, controls),
      stdioMarkdown(stdio),
    ].join('\n'),
  );
  const measures: Measure[] = [
    {
      measure:
        'gateway 2026-07-28: tools/call through mcp-warden gateway (API key, default plugins) vs the HTTP upstream directly, req/s',
      ratio: http.rpsRatio,
      target: 0.85,
      kind: 'atLeast',
    },
    {
      measure: 'gateway 2026-07-28: added median latency through the gateway (one request at a time)',
      ratio: http.addedMs,
      target: 0.5,
      kind: 'atMost',
      unit: 'ms',
    },
    {
      measure:
        'gateway stdio: added median latency per call, SDK client through the gateway vs the same stdio server directly',
      ratio: stdio.addedMs,
      target: 0,
      kind: 'report',
      unit: 'ms',
    },
  ];
  recordMeasures('gateway-http', measures);
}

await main();
