// Memory stays flat over 50,000 tools/call in each era: each target runs in its own `node --expose-gc` child
// (servers/memory-driver.ts), which calls it in-process 16 at a time and samples heapUsed after forced GC every
// 5,000 calls. The figure is the least-squares slope of heapUsed over the last 40,000 calls (the first 10,000 are
// warm-up: JIT code, feedback vectors and lazily filled caches), in bytes per call.
//
// Bound: < 50 B/call. Anything a request leaves behind is at least one object: a small object with a few fields is
// 50–100 bytes on a 64-bit V8, a retained closure, promise or Request/Response hundreds to thousands; so one leaked
// object per call shows as ≥ 50 B/call. Sampling noise after a full GC is a few hundred KB between samples, which
// a fit over 40,000 calls turns into a few B/call: the bound sits well above the noise and below the smallest leak.
import { spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import type { Era } from './eras.ts';
import { writeResult } from './http-load.ts';
import { type Measure, recordMeasures } from './summary.ts';

const driver = new URL('./servers/memory-driver.ts', import.meta.url).pathname;
const CALLS = Number(process.env.BENCH_MEMORY_CALLS ?? 50_000);
const CAP_SECONDS = Number(process.env.BENCH_MEMORY_CAP ?? 150);
const BOUND = 50;

interface Target {
  target: string;
  era: Era;
  label: string;
  /** Recorded as a measure with the bound (the others are references: where the SDK itself stands). */
  measured: boolean;
}

const TARGETS: Target[] = [
  {
    target: 'empty',
    era: 'modern',
    label: 'SDK v2 behind warden.fetchHandler, empty pipeline',
    measured: true,
  },
  {
    target: 'empty',
    era: 'legacy',
    label: 'SDK v2 behind warden.fetchHandler, empty pipeline',
    measured: true,
  },
  {
    target: 'all',
    era: 'modern',
    label: 'SDK v2 behind warden.fetchHandler, every plugin on',
    measured: true,
  },
  {
    target: 'all',
    era: 'legacy',
    label: 'SDK v2 behind warden.fetchHandler, every plugin on',
    measured: true,
  },
  {
    target: 'v1-empty',
    era: 'legacy',
    label: 'SDK 1.x behind warden.httpHandler (node:http, loopback)',
    measured: true,
  },
  { target: 'bare', era: 'modern', label: 'bare SDK v2 createMcpHandler (reference)', measured: false },
  {
    target: 'v1-bare',
    era: 'legacy',
    label: 'bare SDK 1.x (node:http, loopback; reference)',
    measured: false,
  },
  { target: 'bare', era: 'legacy', label: 'bare SDK v2 createMcpHandler (reference)', measured: false },
];
const only = process.env.BENCH_MEMORY_TARGETS?.split(',');

interface Run {
  samples: { calls: number; heapUsed: number }[];
  seconds: number;
  capped: boolean;
}

function drive(t: Target): Promise<Run> {
  const child = spawn(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', driver, t.target, t.era, String(CALLS), String(CAP_SECONDS)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (code !== 0 || !line) reject(new Error(`${t.target} ${t.era}: driver exited with ${code}`));
      else resolve(JSON.parse(line) as Run);
    });
  });
}

/** Least-squares slope of heapUsed over calls, for the samples after the first fifth of the calls. */
export function slope(samples: Run['samples'], total: number): number {
  const window = samples.filter((s) => s.calls >= total / 5);
  if (window.length < 3) return Number.NaN;
  const mx = window.reduce((a, s) => a + s.calls, 0) / window.length;
  const my = window.reduce((a, s) => a + s.heapUsed, 0) / window.length;
  let num = 0;
  let den = 0;
  for (const s of window) {
    num += (s.calls - mx) * (s.heapUsed - my);
    den += (s.calls - mx) ** 2;
  }
  return num / den;
}

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(2);
const eraLabel = (era: Era) => (era === 'modern' ? '2026-07-28' : '2025 (stateless)');
const loadAverage = () =>
  loadavg()
    .map((v) => v.toFixed(1))
    .join(' / ');

const before = loadAverage();
const chosen = TARGETS.filter((x) => !only || only.includes(`${x.target}:${x.era}`));
// Each driver is one single-threaded process whose figure is a count, not a time: two run side by side.
const PARALLEL = Number(process.env.BENCH_MEMORY_PARALLEL ?? 2);
const runs: Run[] = new Array(chosen.length);
let nextTarget = 0;
await Promise.all(
  Array.from({ length: PARALLEL }, async () => {
    while (nextTarget < chosen.length) {
      const i = nextTarget++;
      runs[i] = await drive(chosen[i]!);
    }
  }),
);
const rows: string[] = [];
const measures: Measure[] = [];
for (const [i, t] of chosen.entries()) {
  const run = runs[i]!;
  const last = run.samples.at(-1)!;
  const perCall = slope(run.samples, CALLS);
  // A run cut short by the time cap did not show 50,000 calls: it cannot pass.
  const complete = !run.capped && last.calls >= CALLS;
  const ok = complete && perCall < BOUND;
  const atWarm = run.samples.find((s) => s.calls >= CALLS / 5) ?? last;
  rows.push(
    `| ${t.label} | ${eraLabel(t.era)} | ${last.calls}${complete ? '' : ' (time cap)'} | ${Math.round(last.calls / run.seconds)} | ${mb(run.samples[0]!.heapUsed)} | ${mb(atWarm.heapUsed)} | ${mb(last.heapUsed)} | ${perCall.toFixed(1)} | ${t.measured ? (ok ? 'yes' : '**no**') : 'reference'} |`,
  );
  if (t.measured)
    measures.push({
      measure: `memory ${eraLabel(t.era)}: heap growth over the last ${(CALLS * 0.8).toLocaleString('en')} of ${CALLS.toLocaleString('en')} calls, ${t.label}`,
      // NaN (too few samples) or a capped run is recorded as failing.
      ratio: complete && Number.isFinite(perCall) ? perCall : Number.POSITIVE_INFINITY,
      target: BOUND,
      kind: 'atMost',
      unit: 'B/call',
    });
}
const after = loadAverage();
writeResult(
  'v2-memory.md',
  [
    `## Memory: heap over ${CALLS.toLocaleString('en')} tools/call in each era`,
    '',
    `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC · ${cpus()[0]?.model?.trim() ?? 'unknown CPU'} × ${cpus().length} · Node ${process.version} · load average (1 / 5 / 15 min) before ${before}, after ${after}`,
    '',
    `Each target in its own \`node --expose-gc\` process (bench/src/servers/memory-driver.ts): ${CALLS.toLocaleString('en')} tools/call of \`echo\`, 16 in flight, called in-process (handler.fetch; the SDK 1.x edge over loopback), after 200 warm-up calls, ${PARALLEL} targets at a time; heapUsed after two forced GCs every ${(CALLS / 10).toLocaleString('en')} calls. Slope: least squares over the samples from call ${(CALLS / 5).toLocaleString('en')} on. Bound < ${BOUND} B/call: one object left behind per call is ≥ 50 bytes, while the fit's noise is a few B/call (see v2-memory.bench.ts). Time cap ${CAP_SECONDS} s per target; a capped run fails.`,
    '',
    '| target | era | calls | calls/s | heap at start MB | heap after warm-up fifth MB | heap at end MB | slope B/call | < 50 B/call |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...rows,
    '',
  ].join('\n'),
);
recordMeasures('v2-memory', measures);
