import { setTimeout as sleep } from 'node:timers/promises';
import { startTestHttpServer } from '@mcp-warden/core/testing';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RateLimitEngine } from './engine.js';
import { redisStoreSchema } from './options.js';
import { rateLimit } from './plugin.js';
import { RedisLimiterStore, type StoreHealthChange } from './store.js';
import { type DedicatedRedis, dedicatedRedis, uniquePrefix } from './test-support/redis-server.js';

const COMMAND_TIMEOUT_MS = 300;
const servers: DedicatedRedis[] = [];

afterAll(async () => {
  // Whatever happened in a test: never leave a stopped redis-server behind.
  for (const server of servers) {
    server.resume();
    await server.stop();
  }
});

/** Waits until `condition()` holds, at most `maxTries` × `stepMs`. */
async function waitFor(condition: () => boolean, maxTries = 200, stepMs = 25): Promise<void> {
  for (let i = 0; i < maxTries && !condition(); i++) await sleep(stepMs);
}

describe('Redis store under a stalled Redis (SIGSTOP)', () => {
  it.each([
    { name: 'found by the periodic health check', healthCheckIntervalMs: 100, traffic: false },
    { name: 'found through a command timeout under traffic', healthCheckIntervalMs: 60_000, traffic: true },
  ])(
    '$name: switches to memory once, serves without waiting for the command timeout, and recovers after SIGCONT',
    async ({ healthCheckIntervalMs, traffic }) => {
      const redis = await dedicatedRedis();
      servers.push(redis);
      const keyPrefix = uniquePrefix('stall');
      const changes: StoreHealthChange[] = [];
      const store = await RedisLimiterStore.connect(
        redisStoreSchema.parse({
          type: 'redis',
          url: redis.url,
          keyPrefix,
          commandTimeoutMs: COMMAND_TIMEOUT_MS,
          healthCheckIntervalMs,
          healthCheckTimeoutMs: 100,
        }),
        (change) => changes.push(change),
      );
      const probe = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        const engine = new RateLimitEngine(
          [
            { name: 'wide', key: ['principal'], points: 1_000_000, duration: 60 },
            { name: 'tight', key: ['principal'], points: 5, duration: 60, match: { methods: ['tight'] } },
          ],
          store,
        );
        expect((await engine.consume({ principalId: 'before', method: 'x' })).allowed).toBe(true);
        expect(store.degraded).toBe(false);

        redis.pause();
        // Bounded in count and time: with traffic, the first command timeout triggers a health ping.
        const detectBy = Date.now() + 10_000;
        for (let i = 0; i < 100 && !store.degraded && Date.now() < detectBy; i++) {
          if (traffic) await engine.consume({ principalId: 'during', method: 'x' });
          else await sleep(25);
        }
        expect(store.degraded).toBe(true);

        // Still stopped. Sequential requests within a window of three command timeouts: had each waited for
        // Redis, at most three could finish in it.
        const windowEnd = Date.now() + 3 * COMMAND_TIMEOUT_MS;
        let served = 0;
        for (let i = 0; i < 5_000 && Date.now() < windowEnd; i++) {
          if ((await engine.consume({ principalId: 'degraded', method: 'x' })).allowed) served++;
        }
        expect(served).toBeGreaterThan(10);
        // The in-memory limiter limits: five of the tight budget, then refused.
        const tight: boolean[] = [];
        for (let i = 0; i < 7; i++)
          tight.push((await engine.consume({ principalId: 'c', method: 'tight' })).allowed);
        expect(tight).toEqual([true, true, true, true, true, false, false]);
        expect(changes.map((c) => c.type)).toEqual(['store.degraded']);
        expect(changes[0]?.reason).toMatch(/health check|timed out/);

        redis.resume();
        await waitFor(() => !store.degraded);
        expect(store.degraded).toBe(false);
        expect(changes.map((c) => c.type)).toEqual(['store.degraded', 'store.recovered']);

        // Counting is in Redis again.
        expect((await engine.consume({ principalId: 'after', method: 'x' })).allowed).toBe(true);
        await probe.connect();
        expect(await probe.exists(`${keyPrefix}:wide:principal=after`)).toBe(1);
        expect(store.degraded).toBe(false);
      } finally {
        probe.disconnect();
        await store.close();
        redis.resume();
        await redis.stop();
      }
    },
  );

  it('over HTTP: the plugin records store.degraded once, keeps answering while Redis is stopped, and store.recovered after', async () => {
    const redis = await dedicatedRedis();
    servers.push(redis);
    const server = await startTestHttpServer({
      plugins: [
        rateLimit({
          store: {
            type: 'redis',
            url: redis.url,
            keyPrefix: uniquePrefix('stall-http'),
            commandTimeoutMs: COMMAND_TIMEOUT_MS,
            healthCheckIntervalMs: 100,
            healthCheckTimeoutMs: 100,
          },
          rules: [{ name: 'calls', key: ['address'], points: 100_000, duration: 60 }],
          bruteForce: false,
        }),
      ],
      createServer: () => {
        const mcp = new McpServer({ name: 'stall', version: '1.0.0' });
        mcp.registerTool('work', { inputSchema: { n: z.number() } }, async ({ n }) => ({
          content: [{ type: 'text', text: String(n) }],
        }));
        return mcp;
      },
      sessions: 'stateless',
    });
    let id = 1;
    const call = async (): Promise<number> => {
      const response = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: id++,
          method: 'tools/call',
          params: { name: 'work', arguments: { n: 1 } },
        }),
      });
      await response.text();
      return response.status;
    };
    const ofType = (type: string) => server.events.ofType(type).filter((e) => e.plugin === 'ratelimit');
    try {
      expect(await call()).toBe(200);
      redis.pause();
      const detectBy = Date.now() + 10_000;
      for (let i = 0; i < 100 && ofType('store.degraded').length === 0 && Date.now() < detectBy; i++)
        expect(await call()).toBe(200);
      expect(ofType('store.degraded')).toHaveLength(1);
      const windowEnd = Date.now() + 3 * COMMAND_TIMEOUT_MS;
      let served = 0;
      for (let i = 0; i < 500 && Date.now() < windowEnd; i++) if ((await call()) === 200) served++;
      // Each request waiting for the command timeout would let at most three through in this window.
      expect(served).toBeGreaterThan(3);
      redis.resume();
      await waitFor(() => ofType('store.recovered').length > 0);
      expect(await call()).toBe(200);
    } finally {
      await server.close();
      redis.resume();
      await redis.stop();
    }
    expect(ofType('store.degraded')).toHaveLength(1);
    expect(ofType('store.recovered')).toHaveLength(1);
  });
});
