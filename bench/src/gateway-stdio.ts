// The stdio upstream's cost per call: the same SDK v2 echo server (bench/src/servers/v2-stdio-server.ts) called by the
// same SDK 1.x client (a 2025-11-25 session), once directly over stdio (the client spawns the server, as an MCP host
// does without a gateway) and once through `mcp-warden gateway -- node … v2-stdio-server.ts` over Streamable HTTP (the
// gateway spawns the server, one child per client session). The baseline is the server on its own transport rather
// than the HTTP direct baseline of gateway-http: what an operator pays for putting a stdio server behind the gateway
// is exactly the HTTP hop, the pipeline and the relay, and only this pairing holds the server program, the client
// library and the session model the same. Calls go one at a time (a stdio server has one client); paired rounds.

import { createRequire } from 'node:module';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { BENCH_RATELIMIT, childPids, startGateway } from './gateway-process.ts';
import { cpuTimeUs, median } from './http-load.ts';
import { machine } from './summary.ts';

const stdioScript = new URL('./servers/v2-stdio-server.ts', import.meta.url).pathname;
/** tsx by absolute path: the gateway's child runs with the gateway's working directory and a minimal environment. */
const tsxLoader = createRequire(import.meta.url).resolve('tsx');
const serverArgs = ['--import', tsxLoader, stdioScript];

export interface StdioSide {
  latencyMs: number;
  /** CPU per call (µs) of the stdio server process, of the gateway (0 direct) and of this client process. */
  serverCpuUs: number;
  gatewayCpuUs: number;
  clientCpuUs: number;
}

export interface StdioResult {
  direct: StdioSide;
  through: StdioSide;
  addedMs: number;
  calls: number;
  rounds: number;
}

interface Connected {
  client: Client;
  serverPid: () => number | undefined;
  gatewayPid?: number;
}

async function callMany(c: Connected, count: number): Promise<StdioSide> {
  const pid = c.serverPid();
  const [server, gateway, client] = [cpuTimeUs(pid), cpuTimeUs(c.gatewayPid), process.cpuUsage()];
  const latencies: number[] = [];
  const deadline = Date.now() + 10_000;
  while (latencies.length < count && Date.now() < deadline) {
    const start = process.hrtime.bigint();
    const result = await c.client.callTool({ name: 'echo', arguments: { text: 'hello' } });
    if (result.isError || (result.content as { text?: string }[])[0]?.text !== 'hello')
      throw new Error('stdio: echo did not answer');
    latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  const used = process.cpuUsage(client);
  const n = latencies.length;
  return {
    latencyMs: median(latencies),
    serverCpuUs: (cpuTimeUs(pid) - server) / n,
    gatewayCpuUs: c.gatewayPid === undefined ? 0 : (cpuTimeUs(c.gatewayPid) - gateway) / n,
    clientCpuUs: (used.user + used.system) / n,
  };
}

const medianSide = (sides: StdioSide[]): StdioSide => ({
  latencyMs: median(sides.map((s) => s.latencyMs)),
  serverCpuUs: median(sides.map((s) => s.serverCpuUs)),
  gatewayCpuUs: median(sides.map((s) => s.gatewayCpuUs)),
  clientCpuUs: median(sides.map((s) => s.clientCpuUs)),
});

export async function stdioCost(rounds: number, calls: number): Promise<StdioResult> {
  const gw = await startGateway({
    upstreams: [{ name: 'stdio', command: process.execPath, args: serverArgs }],
    plugins: { ratelimit: BENCH_RATELIMIT },
  });
  const directTransport = new StdioClientTransport({
    command: process.execPath,
    args: serverArgs,
    stderr: 'ignore',
  });
  const direct: Connected = {
    client: new Client({ name: 'bench', version: '1.0.0' }),
    serverPid: () => directTransport.pid ?? undefined,
  };
  const through: Connected = {
    client: new Client({ name: 'bench', version: '1.0.0' }),
    serverPid: () => childPids(gw.child.pid)[0],
    gatewayPid: gw.child.pid,
  };
  try {
    await direct.client.connect(directTransport);
    await through.client.connect(
      new StreamableHTTPClientTransport(new URL(gw.endpoints.stdio!), {
        requestInit: { headers: gw.headers },
      }),
    );
    if (through.serverPid() === undefined) throw new Error('stdio: the gateway has no child process');
    await callMany(direct, 300); // warm-up
    await callMany(through, 300);
    const pairs: { direct: StdioSide; through: StdioSide }[] = [];
    for (let round = 0; round < rounds; round++) {
      const throughFirst = round % 2 === 1;
      const first = await callMany(throughFirst ? through : direct, calls);
      const second = await callMany(throughFirst ? direct : through, calls);
      pairs.push(throughFirst ? { direct: second, through: first } : { direct: first, through: second });
    }
    return {
      direct: medianSide(pairs.map((p) => p.direct)),
      through: medianSide(pairs.map((p) => p.through)),
      addedMs: median(pairs.map((p) => p.through.latencyMs - p.direct.latencyMs)),
      calls,
      rounds,
    };
  } finally {
    await Promise.allSettled([direct.client.close(), through.client.close()]);
    gw.stop();
  }
}

export function stdioMarkdown(r: StdioResult): string {
  const row = (name: string, s: StdioSide) =>
    `| ${name} | ${s.latencyMs.toFixed(3)} | ${Math.round(s.serverCpuUs)} | ${s.gatewayCpuUs ? Math.round(s.gatewayCpuUs) : '—'} | ${Math.round(s.clientCpuUs)} |`;
  return [
    '## gateway-stdio: tools/call to a stdio server through `mcp-warden gateway` vs the same server directly over stdio',
    '',
    `${new Date().toISOString().slice(0, 10)} · ${machine()} · server: SDK v2 McpServer over stdio (bench/src/servers/v2-stdio-server.ts); client: SDK 1.x Client (2025-11-25 session), StdioClientTransport direct, StreamableHTTPClientTransport through the gateway (API key, default plugins on, one child per session); one call at a time, ${r.calls} calls per side per round, ${r.rounds} rounds, back to back, alternating order.`,
    '',
    '| path | median ms per call | stdio server CPU µs/call | gateway CPU µs/call | client CPU µs/call |',
    '| --- | ---: | ---: | ---: | ---: |',
    row('direct (client spawns the server, stdio)', r.direct),
    row('through the gateway (HTTP → gateway → stdio)', r.through),
    '',
    `Added median latency per call (through − direct, paired per round, median of rounds): **${r.addedMs.toFixed(3)} ms**. No target in issue 14: reported.`,
    '',
  ].join('\n');
}
