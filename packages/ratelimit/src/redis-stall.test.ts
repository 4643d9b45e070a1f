import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { RateLimitEngine } from './engine.js';
import { redisStoreSchema } from './options.js';
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
});
