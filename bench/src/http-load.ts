// Shared helpers for the HTTP benchmarks: start the servers in one child process (so load generator and servers each
// get a core, and every contender runs on the same core placement and memory), drive them with autocannon, and
// measure each contender against the baseline in back-to-back pairs.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import autocannon from 'autocannon';

export interface Contender {
  name: string;
  /** Server script and the configuration (mode) it serves; every contender of one comparison uses one script. */
  script: [file: string, mode: string];
  headers?: Record<string, string>;
  /** The JSON-RPC body to post; a 2025-era `tools/call` of `echo` when left out. */
  body?: string;
}

export interface Measured {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  /** Median over rounds of this contender's req/s divided by the baseline's in the same pair (1 for the baseline). */
  ratio: number;
  /** Server CPU time per request (µs, median over runs), or NaN where /proc is not available. */
  cpuUs: number;
  /**
   * Median over rounds of the baseline's CPU time per request divided by this contender's in the same pair: the
   * throughput ratio a CPU-bound server would reach, and much less sensitive to other jobs on the machine than
   * req/s (1 for the baseline).
   */
  cpuRatio: number;
}

/** USER_HZ: 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

/** User + system CPU time of a process in µs, from /proc (Linux); NaN elsewhere. */
export function cpuTimeUs(pid: number | undefined): number {
  try {
    // Fields 14 and 15 of /proc/<pid>/stat (counted from 1; after the parenthesised name) are utime and stime.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

/** Starts a server script with the given arguments; it prints {"servers": [{url, headers?}, …]} once listening. */
export async function startChild(
  script: string[],
  env: NodeJS.ProcessEnv = {},
  nodeArgs: string[] = [],
): Promise<{ servers: { url: string; headers: Record<string, string> }[]; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...nodeArgs, ...script], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  const started = await new Promise<{ servers: { url: string; headers?: Record<string, string> }[] }>(
    (resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d) => {
        out += d;
        const line = out.split('\n').find((l) => l.startsWith('{'));
        if (line) resolve(JSON.parse(line));
      });
      child.once('exit', (code) => reject(new Error(`${script.join(' ')} exited with ${code}`)));
    },
  );
  return { servers: started.servers.map((s) => ({ url: s.url, headers: s.headers ?? {} })), child };
}

/** A 2025-era `tools/call` of the bench servers' `echo` tool: what every HTTP bench posts unless told otherwise. */
export const LEGACY_CALL = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/call',
  params: { name: 'echo', arguments: { text: 'hello' } },
});

const POST_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

export async function load(
  url: string,
  headers: Record<string, string> = {},
  seconds = 5,
  body: string = LEGACY_CALL,
): Promise<{ rps: number; p50: number; p99: number; errors: number; requests: number }> {
  const result = await autocannon({
    url,
    method: 'POST',
    connections: 16,
    duration: seconds,
    body,
    headers: { ...POST_HEADERS, ...headers },
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
    requests: result.requests.total,
  };
}

/**
 * One request before any load: autocannon counts only transport errors and non-2xx answers, so a JSON-RPC error
 * in a 200 (a request the server misread) would otherwise be measured as a fast success.
 */
async function checkAnswers(url: string, headers: Record<string, string>, body: string, name: string) {
  const response = await fetch(url, { method: 'POST', headers: { ...POST_HEADERS, ...headers }, body });
  const text = await response.text();
  if (response.status !== 200 || !text.includes('"result"') || text.includes('"error"'))
    throw new Error(`${name}: the request is not answered with a result (${response.status})`);
}

/** The middle value (the upper one of an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/**
 * Measures every contender against the first one (the baseline) in pairs: in each round the baseline and the
 * contender are loaded back to back (in alternating order), and the ratio of the two is that round's figure. On a
 * shared machine whose speed drifts over seconds, the two halves of a pair see nearly the same machine, so the
 * median of paired ratios is much steadier than a ratio of medians measured a minute apart.
 */
export async function compare(contenders: Contender[], rounds = 3, seconds = 5): Promise<Measured[]> {
  const file = contenders[0]!.script[0];
  if (contenders.some((c) => c.script[0] !== file))
    throw new Error('compare: one server script for all contenders');
  const { servers, child } = await startChild([file, ...contenders.map((c) => c.script[1])]);
  try {
    const headersOf = (i: number) => ({ ...servers[i]!.headers, ...contenders[i]!.headers });
    const bodyOf = (i: number) => contenders[i]!.body ?? LEGACY_CALL;
    for (const [i, c] of contenders.entries())
      await checkAnswers(servers[i]!.url, headersOf(i), bodyOf(i), c.name);
    for (const [i] of contenders.entries()) await load(servers[i]!.url, headersOf(i), 2, bodyOf(i)); // warm-up
    const samples = contenders.map(() => ({
      rps: [] as number[],
      p50: [] as number[],
      p99: [] as number[],
      cpuUs: [] as number[],
      ratio: [] as number[],
      cpuRatio: [] as number[],
    }));
    const measure = async (i: number) => {
      const cpuBefore = cpuTimeUs(child.pid);
      const r = await load(servers[i]!.url, headersOf(i), seconds, bodyOf(i));
      const cpuUs = (cpuTimeUs(child.pid) - cpuBefore) / r.requests;
      if (r.errors > 0) throw new Error(`${contenders[i]!.name}: ${r.errors} failed requests`);
      samples[i]!.rps.push(r.rps);
      samples[i]!.p50.push(r.p50);
      samples[i]!.p99.push(r.p99);
      samples[i]!.cpuUs.push(cpuUs);
      return { rps: r.rps, cpuUs };
    };
    const others = contenders.length - 1;
    for (let round = 0; round < rounds; round++) {
      // Each round starts at a different contender, so none is always the first pair after the warm-up.
      for (let step = 0; step < others; step++) {
        const i = 1 + ((round + step) % others);
        const baselineFirst = round % 2 === 0; // each contender alternates its order over rounds
        const first = await measure(baselineFirst ? 0 : i);
        const second = await measure(baselineFirst ? i : 0);
        const [base, contender] = baselineFirst ? [first, second] : [second, first];
        samples[i]!.ratio.push(contender.rps / base.rps);
        samples[i]!.cpuRatio.push(base.cpuUs / contender.cpuUs);
      }
    }
    return contenders.map((c, i) => ({
      name: c.name,
      rps: median(samples[i]!.rps),
      p50: median(samples[i]!.p50),
      p99: median(samples[i]!.p99),
      cpuUs: median(samples[i]!.cpuUs),
      ratio: i === 0 ? 1 : median(samples[i]!.ratio),
      cpuRatio: i === 0 ? 1 : median(samples[i]!.cpuRatio),
    }));
  } finally {
    child.kill();
  }
}

export function table(title: string, rows: Measured[], note: string): string {
  const lines = [
    `## ${title}`,
    '',
    `${new Date().toISOString().slice(0, 10)} · ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length} · Node ${process.version} · ${note}`,
    '',
    '| Server | req/s (median) | p50 ms | p99 ms | req/s vs baseline | server CPU µs per request | throughput vs baseline by CPU cost |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${Math.round(r.rps)} | ${r.p50} | ${r.p99} | ${r.ratio.toFixed(3)}× | ${Math.round(r.cpuUs)} | ${r.cpuRatio.toFixed(3)}× |`,
    ),
    '',
    'Both ratios are medians over rounds of pairs measured back to back (baseline and contender, alternating order).',
    '"By CPU cost" is the baseline server\'s CPU time per request divided by the contender\'s: the share of its',
    'throughput a CPU-bound server keeps. On this shared machine it is the steadier of the two; req/s ratios swing',
    'by 5–8 % between identical servers.',
    '',
  ];
  return lines.join('\n');
}

export function writeResult(file: string, markdown: string): void {
  writeFileSync(new URL(`../results/${file}`, import.meta.url), markdown);
  process.stdout.write(`${markdown}\n`);
}
