// Shared helpers for the HTTP benchmarks: start a server in a child process (so load generator and server each
// get a core), drive it with autocannon, and alternate contenders over several rounds.
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import autocannon from 'autocannon';

export interface Contender {
  name: string;
  /** argv for `tsx` (script and arguments); the script prints {"url": …} once listening. */
  script: string[];
  headers?: Record<string, string>;
}

export interface Measured {
  name: string;
  rps: number;
  p50: number;
  p99: number;
}

export async function startChild(
  script: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...script], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  const started = await new Promise<{ url: string; headers?: Record<string, string> }>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line));
    });
    child.once('exit', (code) => reject(new Error(`${script.join(' ')} exited with ${code}`)));
  });
  return { url: started.url, headers: started.headers ?? {}, child };
}

const CALL = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/call',
  params: { name: 'echo', arguments: { text: 'hello' } },
});

export async function load(
  url: string,
  headers: Record<string, string> = {},
  seconds = 5,
): Promise<{ rps: number; p50: number; p99: number; errors: number }> {
  const result = await autocannon({
    url,
    method: 'POST',
    connections: 16,
    duration: seconds,
    body: CALL,
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Runs every contender `rounds` times, interleaved, and returns medians. The first contender is the baseline. */
export async function compare(contenders: Contender[], rounds = 3, seconds = 5): Promise<Measured[]> {
  const started = await Promise.all(contenders.map((c) => startChild(c.script)));
  try {
    const headersOf = (i: number) => ({ ...started[i]!.headers, ...contenders[i]!.headers });
    for (const [i] of contenders.entries()) await load(started[i]!.url, headersOf(i), 1); // warm-up
    const samples = contenders.map(() => ({ rps: [] as number[], p50: [] as number[], p99: [] as number[] }));
    for (let round = 0; round < rounds; round++) {
      for (const [i, c] of contenders.entries()) {
        const r = await load(started[i]!.url, headersOf(i), seconds);
        if (r.errors > 0) throw new Error(`${c.name}: ${r.errors} failed requests`);
        samples[i]!.rps.push(r.rps);
        samples[i]!.p50.push(r.p50);
        samples[i]!.p99.push(r.p99);
      }
    }
    return contenders.map((c, i) => ({
      name: c.name,
      rps: median(samples[i]!.rps),
      p50: median(samples[i]!.p50),
      p99: median(samples[i]!.p99),
    }));
  } finally {
    for (const s of started) s.child.kill();
  }
}

export function table(title: string, rows: Measured[], note: string): string {
  const base = rows[0]!.rps;
  const lines = [
    `## ${title}`,
    '',
    `${new Date().toISOString().slice(0, 10)} · ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length} · Node ${process.version} · ${note}`,
    '',
    '| Server | req/s (median) | p50 ms | p99 ms | vs baseline |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) => `| ${r.name} | ${Math.round(r.rps)} | ${r.p50} | ${r.p99} | ${(r.rps / base).toFixed(3)}× |`,
    ),
    '',
  ];
  return lines.join('\n');
}

export function writeResult(file: string, markdown: string): void {
  writeFileSync(new URL(`../results/${file}`, import.meta.url), markdown);
  process.stdout.write(`${markdown}\n`);
}
