// Drives a fixed number of tools/call through one target in this process and samples the heap after forced
// garbage collection (run with `node --expose-gc`): `memory-driver.ts <target> <era> <calls> <capSeconds>`.
// Targets: `bare` (SDK v2 createMcpHandler().fetch), `empty` / `all` (the same behind warden.fetchHandler, called
// as handler.fetch, no sockets), `v1-bare` / `v1-empty` (SDK 1.x, bare or behind warden.httpHandler on node:http,
// driven over loopback with fetch; 2025 era only). Calls run 16 at a time in blocks of calls/10; after each block
// the heap is sampled. Prints {"samples": [{calls, heapUsed}], "seconds", "capped"} as one line of JSON.
import { setTimeout as sleep, setImmediate as tick } from 'node:timers/promises';
import { ERA_CALLS, type EraCall } from '../eras.ts';
import { serveBare, serveWarden } from './core-http-server.ts';
import { v2Endpoint, wardenV2 } from './v2-http-server.ts';

const CONCURRENCY = 16;
const URL_ = 'http://localhost/mcp';

type Call = () => Promise<Response>;

function requestFor(call: EraCall, url: string, extra: Record<string, string>): Request {
  return new Request(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...call.headers,
      ...extra,
    },
    body: call.body,
  });
}

async function callerFor(target: string, call: EraCall): Promise<Call> {
  if (target === 'bare') {
    const endpoint = v2Endpoint();
    return () => endpoint.fetch(requestFor(call, URL_, {}));
  }
  if (target === 'empty' || target === 'all') {
    const { allowsAnonymous, configurations, credentialHeaders } = await import('./plugin-configs.ts');
    const { handler } = await wardenV2(configurations[target]!(), allowsAnonymous(target));
    const credential = credentialHeaders(target);
    const info = { remoteAddress: '127.0.0.1' };
    return () => handler.fetch(requestFor(call, URL_, credential), info);
  }
  if (target === 'v1-bare' || target === 'v1-empty') {
    if (call.era !== 'legacy') throw new Error('SDK 1.x serves the 2025 era only');
    const url = target === 'v1-bare' ? await serveBare() : await serveWarden([], true);
    return () => fetch(requestFor(call, url, {}));
  }
  throw new Error(`unknown target ${target}`);
}

async function heapAfterGc(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  // Cleanups deferred to a later turn run first (the 2025-era path behind Warden holds about 3 KB per finished call
  // until a timer turn, gone within 50 ms: not growth), then two collections with a turn between, so finalizers and
  // weak references let go of what the first one found.
  await sleep(100);
  gc();
  await tick();
  gc();
  return process.memoryUsage().heapUsed;
}

async function main(): Promise<void> {
  const [target = 'empty', eraName = 'modern', callsArg = '50000', capArg = '150'] = process.argv.slice(2);
  const call = ERA_CALLS.find((c) => c.era === eraName);
  if (!call) throw new Error(`unknown era ${eraName}`);
  const total = Number(callsArg);
  const block = Math.max(1, Math.floor(total / 10));
  const deadline = Date.now() + Number(capArg) * 1000;
  const send = await callerFor(target, call);
  const one = async () => {
    const response = await send();
    const text = await response.text();
    if (response.status !== 200 || !text.includes('"result"'))
      throw new Error(`${target} ${eraName}: answered ${response.status}, not a result`);
  };
  // Warm-up (JIT, lazily built caches), then the baseline sample.
  for (let i = 0; i < 200; i++) await one();
  const started = Date.now();
  const samples = [{ calls: 0, heapUsed: await heapAfterGc() }];
  let done = 0;
  let capped = false;
  while (done < total && !capped) {
    const end = Math.min(total, done + block);
    let next = done;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < end && !capped) {
          next++;
          await one();
          if (Date.now() > deadline) capped = true;
        }
      }),
    );
    done = next;
    samples.push({ calls: done, heapUsed: await heapAfterGc() });
  }
  const seconds = (Date.now() - started) / 1000;
  process.stdout.write(`${JSON.stringify({ samples, seconds, capped })}\n`);
  process.exit(0);
}

await main();
