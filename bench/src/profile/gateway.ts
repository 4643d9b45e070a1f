// Where the gateway's CPU goes on the gateway-http bench's path: the gateway (built CLI, own process) is sampled by
// V8's profiler (servers/cpu-profile.ts preload) while autocannon sends 2026-07-28 tools/call through it to the SDK v2
// upstream; prints self time by place and the functions with the most inclusive time, per request.
// Run: cd bench && pnpm exec tsx src/profile/gateway.ts [seconds]
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MODERN_CALL } from '../eras.ts';
import { BENCH_RATELIMIT, startGateway } from '../gateway-process.ts';
import { cpuTimeUs, load, startChild } from '../http-load.ts';
import type { CpuProfile } from './analyse.ts';

const SECONDS = Math.min(Number(process.argv[2] ?? 6), 30);
const preload = new URL('../servers/cpu-profile.ts', import.meta.url).pathname;
const upstreamScript = new URL('../servers/v2-http-server.ts', import.meta.url).pathname;

/** A frame's place: a workspace package (its dist), a dependency, Node itself, or V8. */
function place(url: string, fn: string): string {
  if (fn === '(garbage collector)') return 'GC';
  if (fn === '(program)' || fn === '(root)') return 'V8 and native code';
  const ws = /\/(packages|apps)\/([^/]+)\/dist\//.exec(url);
  if (ws) return ws[1] === 'apps' ? `apps/${ws[2]}` : `@mcp-warden/${ws[2]}`;
  const dep = /\/node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (dep) return dep[1]!;
  return url.startsWith('node:') || url === '' ? 'node internals' : url;
}

function report(profile: CpuProfile, requests: number) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const selfFn = new Map<string, number>();
  const byCaller = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const node = nodes.get(profile.samples[i]!)!;
    const dt = profile.timeDeltas[i] ?? 0;
    const { functionName: fn, url, lineNumber } = node.callFrame;
    if (fn === '(idle)' || url.includes('cpu-profile.ts')) continue;
    const at = place(url, fn);
    self.set(at, (self.get(at) ?? 0) + dt);
    const own = `${fn || '(anonymous)'} · ${at}:${lineNumber + 1}`;
    selfFn.set(own, (selfFn.get(own) ?? 0) + dt);
    if (at === 'node internals') {
      // Node's own time, charged to the nearest frame of ours or of a dependency: whose use of it this is.
      let id = parent.get(node.id);
      while (
        id !== undefined &&
        place(nodes.get(id)!.callFrame.url, nodes.get(id)!.callFrame.functionName) === 'node internals'
      )
        id = parent.get(id);
      const c = id === undefined ? undefined : nodes.get(id)!.callFrame;
      const key = c
        ? `${c.functionName || '(anonymous)'} · ${place(c.url, c.functionName)}:${c.lineNumber + 1}`
        : '(event loop)';
      byCaller.set(key, (byCaller.get(key) ?? 0) + dt);
    }
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const f = nodes.get(id)!.callFrame;
      const key = `${f.functionName || '(anonymous)'} · ${place(f.url, f.functionName)}:${f.lineNumber + 1}`;
      if (seen.has(key) || f.functionName === '(root)') continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + dt);
    }
  }
  const per = (us: number) => (us / requests).toFixed(1).padStart(7);
  const print = (title: string, m: Map<string, number>, n: number) => {
    process.stdout.write(`\n${title} (µs per request)\n`);
    for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, n))
      process.stdout.write(`${per(v)}  ${k}\n`);
  };
  print('self time by place', self, 20);
  print('self time by function', selfFn, 30);
  print("node internals' self time by nearest caller outside Node", byCaller, 25);
  print('inclusive time by function', inclusive, 40);
}

const upstream = await startChild([upstreamScript, 'bare']);
const dir = mkdtempSync(join(tmpdir(), 'gwprofile-'));
const out = join(dir, 'gateway.cpuprofile');
const gw = await startGateway(
  { upstreams: [{ name: 'http', url: upstream.servers[0]!.url }], plugins: { ratelimit: BENCH_RATELIMIT } },
  { nodeArgs: ['--import', 'tsx', '--import', preload], env: { WARDEN_CPU_PROFILE: out } },
);
try {
  const url = gw.endpoints.http!;
  const headers = { ...MODERN_CALL.headers, ...gw.headers };
  await load(url, headers, 3, MODERN_CALL.body);
  gw.child.kill('SIGUSR2');
  await sleep(100);
  const before = cpuTimeUs(gw.child.pid);
  const r = await load(url, headers, SECONDS, MODERN_CALL.body);
  const cpu = (cpuTimeUs(gw.child.pid) - before) / r.requests;
  gw.child.kill('SIGUSR2');
  for (let waited = 0; !existsSync(out); waited += 100) {
    if (waited > 30_000) throw new Error('no profile written');
    await sleep(100);
  }
  process.stdout.write(
    `${r.requests} requests, ${Math.round(r.rps)} req/s, gateway CPU ${Math.round(cpu)} µs/request\n`,
  );
  report(JSON.parse(readFileSync(out, 'utf8')) as CpuProfile, r.requests);
} finally {
  gw.stop();
  upstream.child.kill();
  rmSync(dir, { recursive: true, force: true });
}
