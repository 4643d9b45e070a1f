import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { BruteForceGuard } from './brute-force.js';
import { RateLimitEngine, type RateLimitSubject } from './engine.js';
import { type RateLimitRuleInput, redisStoreSchema, ruleSchema } from './options.js';
import { RedisLimiterStore, type StoreHealthChange } from './store.js';
import { dedicatedRedis, deleteKeys, REDIS_URL, uniquePrefix } from './test-support/redis-server.js';

const prefix = uniquePrefix('redis-store');
const stores: RedisLimiterStore[] = [];

async function redisStore(
  url: string,
  changes: StoreHealthChange[] = [],
  extra: Record<string, unknown> = {},
): Promise<RedisLimiterStore> {
  const store = await RedisLimiterStore.connect(
    redisStoreSchema.parse({ type: 'redis', url, keyPrefix: prefix, ...extra }),
    (c) => changes.push(c),
  );
  stores.push(store);
  return store;
}

function rules(...input: RateLimitRuleInput[]) {
  return input.map((r) => ruleSchema.parse(r));
}

const subject: RateLimitSubject = {
  principalId: 'alice',
  authenticated: true,
  method: 'tools/call',
  target: 'tool:search',
};

async function allowed(engines: RateLimitEngine[], s: RateLimitSubject, n: number): Promise<number> {
  const decisions = await Promise.all(
    Array.from({ length: n }, (_, i) => engines[i % engines.length]!.consume(s)),
  );
  return decisions.filter((d) => d.allowed).length;
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await deleteKeys(REDIS_URL, prefix);
});

describe('Redis store', () => {
  it('two instances sharing one Redis share one budget, exactly, under concurrency', async () => {
    const ruleSet = rules({ name: 'shared', key: ['principal'], points: 25, duration: 60 });
    const a = new RateLimitEngine(ruleSet, await redisStore(REDIS_URL));
    const b = new RateLimitEngine(ruleSet, await redisStore(REDIS_URL));
    expect(await allowed([a, b], subject, 120)).toBe(25);
    expect(await allowed([b], subject, 5)).toBe(0);
    expect(await allowed([a, b], { ...subject, principalId: 'bob' }, 60)).toBe(25);
  });

  it('shares burst allowance, costs and role budgets across instances', async () => {
    const ruleSet = rules({
      name: 'shared-burst',
      key: ['principal'],
      points: 6,
      duration: 60,
      burst: { points: 4, duration: 600 },
      costs: { 'tool:expensive': 3 },
      roles: { pro: { points: 12, duration: 60 } },
    });
    const a = new RateLimitEngine(ruleSet, await redisStore(REDIS_URL));
    const b = new RateLimitEngine(ruleSet, await redisStore(REDIS_URL));
    expect(await allowed([a, b], { ...subject, principalId: 'carol' }, 40)).toBe(10);
    expect(await allowed([a, b], { ...subject, principalId: 'dave', target: 'tool:expensive' }, 20)).toBe(3); // 2 × 3 steady + 1 × 3 of the 4 burst points
    expect(await allowed([a, b], { ...subject, principalId: 'erin', roles: ['pro'] }, 40)).toBe(12);
  });

  it('shares brute-force failures and blocks across instances', async () => {
    const options = { slowAfter: 4, maxFailures: 4, blockSeconds: 30 };
    const a = new BruteForceGuard(await redisStore(REDIS_URL), options);
    const b = new BruteForceGuard(await redisStore(REDIS_URL), options);
    await Promise.all([
      a.recordFailure('198.51.100.77'),
      b.recordFailure('198.51.100.77'),
      a.recordFailure('198.51.100.77'),
    ]);
    expect((await b.check('198.51.100.77')).action).toBe('allow');
    await b.recordFailure('198.51.100.77');
    expect((await a.check('198.51.100.77')).action).toBe('block');
    expect((await b.check('198.51.100.77')).action).toBe('block');
  });

  it('keeps serving and limiting in memory while Redis is down, then resumes shared limiting', async () => {
    const redis = await dedicatedRedis();
    try {
      const changesA: StoreHealthChange[] = [];
      const changesB: StoreHealthChange[] = [];
      const storeA = await redisStore(redis.url, changesA, { fallbackInstances: 2 });
      const storeB = await redisStore(redis.url, changesB, { fallbackInstances: 2 });
      const ruleSet = rules({ name: 'outage', key: ['principal'], points: 10, duration: 60 });
      const a = new RateLimitEngine(ruleSet, storeA);
      const b = new RateLimitEngine(ruleSet, storeB);
      expect(storeA.degraded).toBe(false);
      expect(await allowed([a, b], { ...subject, principalId: 'before' }, 30)).toBe(10);

      await redis.stop();
      await waitFor(() => storeA.degraded && storeB.degraded, 'both stores to notice the outage');
      expect(changesA.map((c) => c.type)).toEqual(['store.degraded']);
      expect(changesA[0]?.reason).not.toMatch(/@/);

      // Nothing fails; each instance limits on its own with its share (10 / 2) of the budget.
      const during = await Promise.all(
        Array.from({ length: 30 }, () => a.consume({ ...subject, principalId: 'during' })),
      );
      expect(during.filter((d) => d.allowed)).toHaveLength(5);
      expect(during.find((d) => !d.allowed)?.refusal?.msBeforeNext).toBeGreaterThan(0);
      expect(await allowed([b], { ...subject, principalId: 'during' }, 30)).toBe(5);

      await redis.start();
      await waitFor(() => !storeA.degraded && !storeB.degraded, 'both stores to reconnect');
      expect(changesA.map((c) => c.type)).toEqual(['store.degraded', 'store.recovered']);
      expect(changesB.map((c) => c.type)).toEqual(['store.degraded', 'store.recovered']);

      // Shared again: one budget across both instances.
      expect(await allowed([a, b], { ...subject, principalId: 'after' }, 40)).toBe(10);
    } finally {
      await redis.stop();
    }
  });

  it('starts degraded (not failed) when Redis is unreachable at setup', async () => {
    const redis = await dedicatedRedis();
    await redis.stop();
    const changes: StoreHealthChange[] = [];
    const store = await redisStore(redis.url, changes, { connectTimeoutMs: 300 });
    expect(store.degraded).toBe(true);
    expect(changes[0]?.type).toBe('store.degraded');
    const engine = new RateLimitEngine(
      rules({ name: 'offline', key: ['principal'], points: 3, duration: 60 }),
      store,
    );
    expect(await allowed([engine], subject, 10)).toBe(3);
    await store.close();
  });
});
