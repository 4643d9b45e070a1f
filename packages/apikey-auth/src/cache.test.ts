import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPrincipal } from '@mcp-warden/core';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { VerifiedKeyCache } from './cache.js';
import { ApiKeyManager } from './manager.js';
import { RedisApiKeyStore } from './stores/redis.js';
import { SqliteApiKeyStore } from './stores/sqlite.js';
import { makeRecord } from './stores/store-contract.js';
import { fakeClock, PEPPER_1 } from './test-helpers.js';
import type { ApiKeyRecord, ApiKeyStore } from './types.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const runPrefix = `mcp-warden-test:apikey-cache:${randomBytes(6).toString('hex')}:`;

/** Resolves when `store` reports an invalidation (of `id` or of everything). */
function nextInvalidation(store: ApiKeyStore, id: string): Promise<void> {
  return new Promise((resolve) => {
    const stop = store.onInvalidate?.((invalidation) => {
      if (invalidation === null || invalidation === id) {
        stop?.();
        resolve();
      }
    });
  });
}

const P = createPrincipal({ id: 'p', kind: 'apikey' });
const verified = (record: ApiKeyRecord) => ({
  record,
  result: { ok: true as const, record, principal: P },
  cidrs: null,
  touchedAt: 0,
});

describe('VerifiedKeyCache', () => {
  it('keeps frequently used keys when full instead of churning', () => {
    const cache = new VerifiedKeyCache(1, 1000, Number.POSITIVE_INFINITY);
    const [a, b] = [makeRecord(), makeRecord()];
    cache.set('ha', verified(a), 0, cache.generation);
    cache.set('hb', verified(b), 0, cache.generation);
    expect(cache.get('ha', 1)?.record).toBe(a);
    expect(cache.get('hb', 1)).toBeUndefined();
  });

  it('is bounded, expires entries and refuses a write that raced an invalidation', () => {
    const cache = new VerifiedKeyCache(2, 1000, 1);
    const [a, b, c] = [makeRecord(), makeRecord(), makeRecord()];
    cache.set('ha', verified(a), 0, cache.generation);
    cache.set('hb', verified(b), 0, cache.generation);
    cache.set('hc', verified(c), 0, cache.generation);
    expect(cache.size).toBe(2);
    expect(cache.get('ha', 1)).toBeUndefined();
    expect(cache.get('hb', 1)?.record).toBe(b);
    expect(cache.get('hb', 1000)).toBeUndefined();
    const generation = cache.generation;
    cache.invalidate(c.id);
    expect(cache.get('hc', 1)).toBeUndefined();
    cache.set('hc', verified(c), 1, generation);
    expect(cache.get('hc', 2)).toBeUndefined();
    cache.set('hc', verified(c), 1, cache.generation);
    cache.invalidate(null);
    expect(cache.size).toBe(0);
  });
  it('evicts in insertion order, skipping what was invalidated, whatever the mix of operations', () => {
    // Model: the cache (admitting every newcomer) holds the last `max` keys set, minus invalidated ones.
    const max = 4;
    const records = Array.from({ length: 8 }, () => makeRecord());
    const op = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), index: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ kind: fc.constant('invalidate' as const), index: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ kind: fc.constant('clear' as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const cache = new VerifiedKeyCache(max, 1000, 1);
        let model: number[] = []; // record indexes, oldest first
        for (const o of ops) {
          if (o.kind === 'set') {
            cache.set(`h${o.index}`, verified(records[o.index]!), 0, cache.generation);
            model = model.filter((i) => i !== o.index);
            if (model.length >= max) model.shift();
            model.push(o.index);
          } else if (o.kind === 'invalidate') {
            cache.invalidate(records[o.index]!.id);
            model = model.filter((i) => i !== o.index);
          } else {
            cache.invalidate(null);
            model = [];
          }
          expect(cache.size).toBe(model.length);
          for (let i = 0; i < records.length; i++)
            expect(cache.get(`h${i}`, 1)?.record).toBe(model.includes(i) ? records[i] : undefined);
        }
      }),
    );
  });

  it('has no bound with maxEntries Infinity', () => {
    const cache = new VerifiedKeyCache(Number.POSITIVE_INFINITY, 1000);
    for (let i = 0; i < 20_000; i++) cache.set(`h${i}`, verified(makeRecord()), 0, cache.generation);
    expect(cache.size).toBe(20_000);
  });
});

describe('verified-key cache never outlives revocation or expiry', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('drops a revoked key at once on the revoking instance (SQLite, cached)', async () => {
    const store = new SqliteApiKeyStore({ path: ':memory:' });
    const manager = new ApiKeyManager({ store, peppers: [PEPPER_1] });
    cleanups.push(() => manager.close());
    const { key, info } = await manager.create({ name: 'x' });
    expect((await manager.verify(key)).ok).toBe(true);
    expect((await manager.verify(key)).ok).toBe(true);
    await manager.revoke(info.id);
    expect(await manager.verify(key)).toMatchObject({ ok: false, failure: 'revoked' });
  });

  it('checks expiry of cached records on every use', async () => {
    const clock = fakeClock();
    const manager = new ApiKeyManager({
      store: new SqliteApiKeyStore({ path: ':memory:' }),
      peppers: [PEPPER_1],
      now: clock.now,
    });
    cleanups.push(() => manager.close());
    const { key } = await manager.create({ name: 'x', expiresIn: 10 });
    expect((await manager.verify(key)).ok).toBe(true);
    clock.advance(10_000);
    expect(await manager.verify(key)).toMatchObject({ ok: false, failure: 'expired' });
  });

  it('reaches another process sharing the SQLite file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'apikey-cache-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'keys.db');
    const a = new ApiKeyManager({
      store: new SqliteApiKeyStore({ path, watchIntervalMs: 20 }),
      peppers: [PEPPER_1],
    });
    const bStore = new SqliteApiKeyStore({ path, watchIntervalMs: 20 });
    const b = new ApiKeyManager({ store: bStore, peppers: [PEPPER_1] });
    cleanups.push(
      () => a.close(),
      () => b.close(),
    );
    const { key, info } = await a.create({ name: 'shared' });
    expect((await b.verify(key)).ok).toBe(true);
    const invalidated = nextInvalidation(bStore, info.id);
    await a.revoke(info.id);
    await invalidated;
    expect(await b.verify(key)).toMatchObject({ ok: false, failure: 'revoked' });
  });

  it('reaches other instances through Redis pub/sub (revocation and rotation)', async () => {
    const keyPrefix = `${runPrefix}shared:`;
    const aStore = new RedisApiKeyStore({ redis: REDIS_URL, keyPrefix });
    const bStore = new RedisApiKeyStore({ redis: REDIS_URL, keyPrefix });
    const a = new ApiKeyManager({ store: aStore, peppers: [PEPPER_1] });
    const b = new ApiKeyManager({ store: bStore, peppers: [PEPPER_1] });
    cleanups.push(async () => {
      await a.close();
      await b.close();
      const admin = new Redis(REDIS_URL);
      const keys = await admin.keys(`${runPrefix}*`);
      if (keys.length > 0) await admin.del(...keys);
      await admin.quit();
    });
    await bStore.ready();
    const one = await a.create({ name: 'one' });
    const two = await a.create({ name: 'two' });
    expect((await b.verify(one.key)).ok).toBe(true);
    expect((await b.verify(two.key)).ok).toBe(true);

    let invalidated = nextInvalidation(bStore, one.info.id);
    await a.revoke(one.info.id);
    await invalidated;
    expect(await b.verify(one.key)).toMatchObject({ ok: false, failure: 'revoked' });

    invalidated = nextInvalidation(bStore, two.info.id);
    const rotated = await a.rotate(two.info.id);
    await invalidated;
    expect(await b.verify(two.key)).toMatchObject({ ok: false, failure: 'revoked' });
    expect((await b.verify(rotated.key)).ok).toBe(true);
  });
});
