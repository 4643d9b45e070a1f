/**
 * What @mcp-warden/ratelimit adds per request, with the memory and the Redis store, next to no limiter, in one run.
 *
 * 1. Engine: one `consume` (two rules, as the defaults) against a bare async step, with tinybench.
 * 2. HTTP: stateless Streamable HTTP `tools/call` through a warden without and with the plugin, with autocannon;
 *    configurations alternate over rounds and each reports its median. A no-op plugin with the same hooks is the
 *    fair baseline: core does per-request pipeline work as soon as any plugin has a request hook.
 *
 * Run: cd bench && pnpm tsx src/ratelimit.bench.ts   (Redis from REDIS_URL, default redis://127.0.0.1:6379)
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import {
  createMemoryStore,
  RateLimitEngine,
  type RateLimitRuleInput,
  RedisLimiterStore,
  redisStoreSchema,
  ruleSchema,
} from '../../packages/ratelimit/src/index.ts';

const _ROUNDS = 5;
const _SECONDS = 2;
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const keyPrefix = `mcp-warden-bench:${process.pid}:${Date.now().toString(36)}`;
/** The default rule shapes, with budgets no benchmark reaches: we measure the cost of counting, not refusals. */
const RULES: RateLimitRuleInput[] = [
  {
    name: 'per-identity',
    key: ['identity'],
    points: 1_000_000_000,
    duration: 3600,
    burst: { points: 1000, duration: 3600 },
  },
  { name: 'per-address', key: ['address'], points: 1_000_000_000, duration: 3600 },
];

const _median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function engineBench(redisStore: RedisLimiterStore): Promise<string> {
  const rules = RULES.map((r) => ruleSchema.parse(r));
  const memory = new RateLimitEngine(rules, createMemoryStore());
  const redis = new RateLimitEngine(rules, redisStore);
  const subject = {
    principalId: 'bench-user',
    authenticated: true,
    remoteAddress: '127.0.0.1',
    method: 'tools/call',
    target: 'tool:echo',
  };
  const bench = new Bench({ time: 1500, warmupTime: 300 });
  bench
    .add('no limiter', async () => {
      await Promise.resolve(subject);
    })
    .add('memory store', async () => {
      await memory.consume(subject);
    })
    .add('redis store', async () => {
      await redis.consume(subject);
    });
  await bench.run();
  const rows = bench.tasks.map((task) => {
    const result = task.result;
    if (result.state !== 'completed') throw new Error(`${task.name}: ${result.state}`);
    return { name: task.name, ops: result.throughput.p50, latencyUs: result.latency.p50 * 1000 };
  });
  const base = rows[0]!;
  return [
    '| Engine: one request, two rules | ops/s (median) | ratio to no limiter | latency median (µs) | added per request (µs) |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${fmt(r.ops)} | ${fmt(r.ops / base.ops, 3)} | ${fmt(r.latencyUs, 2)} | ${r === base ? '–' : fmt(r.latencyUs - base.latencyUs, 2)} |`,
    ),
  ].join('\n');
}

async function main(): Promise<void> {
  const redisStore = await RedisLimiterStore.connect(
    redisStoreSchema.parse({ type: 'redis', url: REDIS_URL, keyPrefix }),
    (change) => {
      console.error(`redis: ${change.type} (${change.reason})`);
    },
  );
  if (redisStore.degraded)
    throw new Error(`Redis is not reachable at ${REDIS_URL.replace(/\/\/[^@/]*@/, '//***@')}`);
  try {
    const engine = await engineBench(redisStore);
    const report = [
      '# @mcp-warden/ratelimit benchmark',
      '',
      `Date: ${new Date().toISOString()} · CPU: ${os.cpus()[0]?.model ?? 'unknown'} (${os.cpus().length} cores, shared with other jobs; load average ${os.loadavg()[0]?.toFixed(1)} at the end) · Node ${process.version} · Redis on loopback`,
      '',
      engine,
      '',
      'The engine table isolates the limiter (its baseline does nothing, so its ratios only show the cost of one consume);',
      'Budgets are set so that nothing is refused: this measures counting, not refusing. HTTP throughput with the plugin is',
      'in plugins-http.bench.ts (server in its own process, against the empty pipeline).',
      '',
    ].join('\n');
    console.log(report);
    const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'results', 'ratelimit.md');
    writeFileSync(out, report);
    console.log(`written to ${out}`);
  } finally {
    // Remove this run's keys (they would expire within the hour anyway).
    let cursor = '0';
    do {
      const [next, keys] = await redisStore.client.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redisStore.client.del(...keys);
    } while (cursor !== '0');
    await redisStore.close();
  }
}

await main();
