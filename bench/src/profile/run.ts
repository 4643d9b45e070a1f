// Profiles one bench server configuration under load: the server script runs with the cpu-profile preload, is
// warmed up, then sampled by V8's profiler while autocannon drives it, and the profile is attributed to places
// (analyse.ts). Server CPU per request comes from /proc, so the sampled shares can be scaled to it.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuTimeUs, LEGACY_CALL, load, startChild } from '../http-load.ts';
import { type Attribution, attribute, type CpuProfile } from './analyse.ts';

const preload = new URL('../servers/cpu-profile.ts', import.meta.url).pathname;

export interface Profiled {
  attribution: Attribution;
  requests: number;
  /** Server CPU time per request from /proc: the sampled shares are scaled to it (see `perRequest`). */
  cpuUsPerRequest: number;
}

export interface ProfileRequest {
  body?: string;
  headers?: Record<string, string>;
}

export async function profileOf(
  server: string,
  mode: string,
  seconds: number,
  request: ProfileRequest = {},
): Promise<Profiled> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-profile-'));
  const out = join(dir, 'server.cpuprofile');
  const { servers, child } = await startChild([server, mode], { WARDEN_CPU_PROFILE: out }, [
    '--import',
    preload,
  ]);
  try {
    const url = servers[0]!.url;
    const headers = { ...servers[0]!.headers, ...request.headers };
    const body = request.body ?? LEGACY_CALL;
    await load(url, headers, 3, body); // warm-up: JIT and caches settle before sampling
    child.kill('SIGUSR2');
    await sleep(100);
    const cpuBefore = cpuTimeUs(child.pid);
    const r = await load(url, headers, seconds, body);
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

/**
 * A place's self time per request: its share of the samples times the server's CPU per request. The sampler ticks on
 * wall time, so on a busy machine a slower server collects more samples per request than it used CPU; scaling each
 * share to the CPU time the process really used corrects for that.
 */
export function perRequest(p: Profiled, place: string): number {
  return ((p.attribution.byPlace.get(place) ?? 0) / p.attribution.totalUs) * p.cpuUsPerRequest;
}

const fmt = (us: number) => us.toFixed(1);

/** Rows `| place | a | b | b − a |` for every place above 0.5 µs/req in either, sorted by the difference. */
export function placesTable(labels: [string, string], a: Profiled, b: Profiled): string[] {
  const places = [...new Set([...a.attribution.byPlace.keys(), ...b.attribution.byPlace.keys()])]
    .map((place) => ({ place, a: perRequest(a, place), b: perRequest(b, place) }))
    .filter((row) => row.a >= 0.5 || row.b >= 0.5)
    .sort((x, y) => y.b - y.a - (x.b - x.a));
  return [
    `| where | ${labels[0]} µs/req | ${labels[1]} µs/req | difference µs/req |`,
    '| --- | ---: | ---: | ---: |',
    ...places.map((r) => `| ${r.place} | ${fmt(r.a)} | ${fmt(r.b)} | ${fmt(r.b - r.a)} |`),
    `| **total (server CPU from /proc)** | **${fmt(a.cpuUsPerRequest)}** | **${fmt(b.cpuUsPerRequest)}** | **${fmt(b.cpuUsPerRequest - a.cpuUsPerRequest)}** |`,
  ];
}

/** The functions with the most self time (V8 and GC left out), in µs per request. */
export function topFunctionsTable(
  p: Profiled,
  count = 15,
  where: (name: string) => boolean = () => true,
): string[] {
  const top = [...p.attribution.byFunction.entries()]
    .filter(([name]) => !name.includes('· V8 and native') && !name.includes('· GC') && where(name))
    .sort((x, y) => y[1] - x[1])
    .slice(0, count);
  return [
    '| function · where:line | µs/req |',
    '| --- | ---: |',
    ...top.map(
      ([name, us]) =>
        `| ${name.replaceAll('|', '\\|')} | ${fmt((us / p.attribution.totalUs) * p.cpuUsPerRequest)} |`,
    ),
  ];
}

/** Node's own code charged to the caller outside it, `| caller | a | b | b − a |`, the largest differences first. */
export function internalsByCallerTable(
  labels: [string, string],
  a: Profiled,
  b: Profiled,
  count = 15,
): string[] {
  const us = (p: Profiled, caller: string) =>
    ((p.attribution.internalsByCaller.get(caller) ?? 0) / p.attribution.totalUs) * p.cpuUsPerRequest;
  const callers = [
    ...new Set([...a.attribution.internalsByCaller.keys(), ...b.attribution.internalsByCaller.keys()]),
  ]
    .map((caller) => ({ caller, a: us(a, caller), b: us(b, caller) }))
    .sort((x, y) => Math.abs(y.b - y.a) - Math.abs(x.b - x.a))
    .slice(0, count);
  return [
    `| Node's code on behalf of · where:line | ${labels[0]} µs/req | ${labels[1]} µs/req | difference µs/req |`,
    '| --- | ---: | ---: | ---: |',
    ...callers.map(
      (r) => `| ${r.caller.replaceAll('|', '\\|')} | ${fmt(r.a)} | ${fmt(r.b)} | ${fmt(r.b - r.a)} |`,
    ),
  ];
}
