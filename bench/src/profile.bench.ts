// Where the CPU of one tools/call goes, with every plugin on and with the empty pipeline: V8's sampling profiler in
// the server process during a fixed load (stateless HTTP, JSON responses, 16 connections), self time attributed to
// packages and core files (profile/analyse.ts) and divided by the requests served. The table is the reference that
// later changes to the hot path are held against; the numbers are per request, so the difference of the two
// columns is what the plugins and their use of core cost.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuTimeUs, load, startChild, writeResult } from './http-load.ts';
import { type Attribution, attribute, type CpuProfile } from './profile/analyse.ts';

const server = new URL('./servers/plugin-http-server.ts', import.meta.url).pathname;
const preload = new URL('./servers/cpu-profile.ts', import.meta.url).pathname;
const SECONDS = 6;

interface Profiled {
  attribution: Attribution;
  requests: number;
  /** Server CPU time per request from /proc: the sampled shares are scaled to it (see `perRequest`). */
  cpuUsPerRequest: number;
}

async function profileOf(mode: string): Promise<Profiled> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-profile-'));
  const out = join(dir, `${mode}.cpuprofile`);
  const { servers, child } = await startChild([server, mode], { WARDEN_CPU_PROFILE: out }, [
    '--import',
    preload,
  ]);
  try {
    const { url, headers } = servers[0]!;
    await load(url, headers, 3); // warm-up: JIT and caches settle before sampling
    child.kill('SIGUSR2');
    await sleep(100);
    const cpuBefore = cpuTimeUs(child.pid);
    const r = await load(url, headers, SECONDS);
    const cpuUsPerRequest = (cpuTimeUs(child.pid) - cpuBefore) / r.requests;
    if (r.errors > 0) throw new Error(`${mode}: ${r.errors} failed requests`);
    child.kill('SIGUSR2');
    for (let waited = 0; !existsSync(out); waited += 100) {
      if (waited > 30_000) throw new Error(`${mode}: no profile written`);
      await sleep(100);
    }
    const profile = JSON.parse(readFileSync(out, 'utf8')) as CpuProfile;
    return { attribution: attribute(profile), requests: r.requests, cpuUsPerRequest };
  } finally {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

const empty = await profileOf('empty');
const all = await profileOf('all');
// The sampler ticks on wall time, so on a busy machine a slower server collects more samples per request than it
// used CPU; each place's share of the samples is therefore scaled to the CPU time the process really used.
const perRequest = (p: Profiled, place: string) =>
  ((p.attribution.byPlace.get(place) ?? 0) / p.attribution.totalUs) * p.cpuUsPerRequest;
const places = [...new Set([...empty.attribution.byPlace.keys(), ...all.attribution.byPlace.keys()])]
  .map((place) => ({ place, empty: perRequest(empty, place), all: perRequest(all, place) }))
  .filter((row) => row.empty >= 0.5 || row.all >= 0.5)
  .sort((a, b) => b.all - b.empty - (a.all - a.empty));
const fmt = (us: number) => us.toFixed(1);
const totalEmpty = empty.cpuUsPerRequest;
const totalAll = all.cpuUsPerRequest;
const topFunctions = [...all.attribution.byFunction.entries()]
  .filter(([name]) => !name.includes('· V8 and native') && !name.includes('· GC'))
  .sort((a, b) => b[1] - a[1])
  .slice(0, 15);

writeResult(
  'profile.md',
  [
    '## Profile: where one tools/call spends its CPU, all plugins vs the empty pipeline',
    '',
    `${new Date().toISOString().slice(0, 10)} · V8 sampling profiler (250 µs) in the server process, ${SECONDS} s of load each after 3 s of warm-up; stateless HTTP, JSON responses, 16 connections. "all" = ratelimit, apikey-auth, acl, validation, sanitize (bench/src/servers/plugin-http-server.ts). Self time per request by where the code lives: each place's share of the samples times the server's CPU time per request (from /proc); rows sorted by the difference.`,
    '',
    '| where | empty pipeline µs/req | all plugins µs/req | difference µs/req |',
    '| --- | ---: | ---: | ---: |',
    ...places.map((r) => `| ${r.place} | ${fmt(r.empty)} | ${fmt(r.all)} | ${fmt(r.all - r.empty)} |`),
    `| **total (server CPU from /proc)** | **${fmt(totalEmpty)}** | **${fmt(totalAll)}** | **${fmt(totalAll - totalEmpty)}** |`,
    '',
    'Top functions by self time with all plugins on (µs per request):',
    '',
    '| function · where:line | µs/req |',
    '| --- | ---: |',
    ...topFunctions.map(
      ([name, us]) =>
        `| ${name.replaceAll('|', '\\|')} | ${fmt((us / all.attribution.totalUs) * all.cpuUsPerRequest)} |`,
    ),
    '',
  ].join('\n'),
);
