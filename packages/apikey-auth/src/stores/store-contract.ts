/**
 * The contract every ApiKeyStore must satisfy, as one vitest suite run against each implementation
 * (memory.test.ts, sqlite.test.ts, redis.test.ts). Not part of the published entry point.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApiKeyInvalidation, ApiKeyRecord, ApiKeyStore } from '../types.js';

export interface StoreFixture {
  store: ApiKeyStore;
  /** A second instance over the same data (another process / server), when the store can be shared. */
  openSibling?: () => Promise<ApiKeyStore>;
  cleanup: () => Promise<void>;
}

let counter = 0;
export function makeRecord(overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  counter++;
  return {
    id: `key_test${counter}_${randomBytes(4).toString('hex')}`,
    keyHash: randomBytes(32).toString('base64url'),
    pepperId: 'p1',
    displayPrefix: 'mcpw_AbCd',
    name: `key ${counter}`,
    owner: 'alice',
    scopes: ['tools:call', 'tools:list'],
    roles: ['reader'],
    createdAt: 1_700_000_000_000 + counter,
    expiresAt: null,
    lastUsedAt: null,
    revokedAt: null,
    remainingUses: null,
    allowedCidrs: [],
    metadata: { team: 'qa', nested: { level: 1 } },
    rotatedFrom: null,
    replacedBy: null,
    ...overrides,
  };
}

/** `shared`: the store can be shared between instances, and the fixture provides `openSibling`. */
export function describeApiKeyStoreContract(
  name: string,
  open: () => Promise<StoreFixture>,
  { shared }: { shared: boolean },
): void {
  describe(`ApiKeyStore contract: ${name}`, () => {
    let fixture: StoreFixture;
    let store: ApiKeyStore;
    beforeEach(async () => {
      fixture = await open();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    it('stores a record and finds it by id and by hash, unchanged', async () => {
      const record = makeRecord({
        expiresAt: 1_800_000_000_000,
        remainingUses: 3,
        allowedCidrs: ['10.0.0.0/8'],
      });
      await store.insert(record);
      expect(await store.getById(record.id)).toEqual(record);
      expect(await store.getByHash(record.keyHash)).toEqual(record);
      expect(await store.getById('key_missing')).toBeUndefined();
      expect(await store.getByHash(randomBytes(32).toString('base64url'))).toBeUndefined();
    });

    it('refuses a second record with the same id or the same hash', async () => {
      const record = makeRecord();
      await store.insert(record);
      await expect(store.insert(makeRecord({ id: record.id }))).rejects.toThrow();
      await expect(store.insert(makeRecord({ keyHash: record.keyHash }))).rejects.toThrow();
      expect(await store.list()).toHaveLength(1);
    });

    it('lists oldest first and filters by owner', async () => {
      const b = makeRecord({ owner: 'bob', createdAt: 2000 });
      const a = makeRecord({ owner: 'alice', createdAt: 1000 });
      const c = makeRecord({ owner: 'alice', createdAt: 3000 });
      for (const r of [b, a, c]) await store.insert(r);
      expect((await store.list()).map((r) => r.id)).toEqual([a.id, b.id, c.id]);
      expect((await store.list({ owner: 'alice' })).map((r) => r.id)).toEqual([a.id, c.id]);
      expect(await store.list({ owner: 'nobody' })).toEqual([]);
    });

    it('updates fields and returns the new record; unknown ids give undefined', async () => {
      const record = makeRecord();
      await store.insert(record);
      const updated = await store.update(record.id, {
        revokedAt: 5,
        scopes: ['a'],
        metadata: { x: 1 },
        replacedBy: 'key_next',
      });
      expect(updated).toEqual({
        ...record,
        revokedAt: 5,
        scopes: ['a'],
        metadata: { x: 1 },
        replacedBy: 'key_next',
      });
      expect(await store.getById(record.id)).toEqual(updated);
      expect(await store.update('key_missing', { revokedAt: 1 })).toBeUndefined();
    });

    it('moves the hash index when the hash changes (pepper rotation) and refuses a taken hash', async () => {
      const record = makeRecord();
      const other = makeRecord();
      await store.insert(record);
      await store.insert(other);
      const newHash = randomBytes(32).toString('base64url');
      await store.update(record.id, { keyHash: newHash, pepperId: 'p2' });
      expect(await store.getByHash(record.keyHash)).toBeUndefined();
      expect((await store.getByHash(newHash))?.pepperId).toBe('p2');
      await expect(store.update(record.id, { keyHash: other.keyHash })).rejects.toThrow();
      expect((await store.getByHash(other.keyHash))?.id).toBe(other.id);
    });

    it('consumes uses atomically down to zero, never below', async () => {
      const limited = makeRecord({ remainingUses: 5 });
      const unlimited = makeRecord();
      await store.insert(limited);
      await store.insert(unlimited);
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) => store.consumeUse(limited.id, 100 + i)),
      );
      expect(results.filter((r) => r !== undefined).sort()).toEqual([0, 1, 2, 3, 4]);
      expect((await store.getById(limited.id))?.remainingUses).toBe(0);
      expect((await store.getById(limited.id))?.lastUsedAt).toBeGreaterThanOrEqual(100);
      expect(await store.consumeUse(limited.id, 200)).toBeUndefined();
      expect(await store.consumeUse(unlimited.id, 200)).toBeUndefined();
      expect(await store.consumeUse('key_missing', 200)).toBeUndefined();
    });

    it('records the last use', async () => {
      const record = makeRecord();
      await store.insert(record);
      await store.touch(record.id, 42_000);
      expect((await store.getById(record.id))?.lastUsedAt).toBe(42_000);
      expect((await store.list())[0]?.lastUsedAt).toBe(42_000);
      await store.touch('key_missing', 1);
    });

    it('deletes a record from both indexes', async () => {
      const record = makeRecord();
      await store.insert(record);
      expect(await store.delete(record.id)).toBe(true);
      expect(await store.delete(record.id)).toBe(false);
      expect(await store.getById(record.id)).toBeUndefined();
      expect(await store.getByHash(record.keyHash)).toBeUndefined();
      expect(await store.list()).toEqual([]);
    });

    it('hands out records that cannot be changed behind its back', async () => {
      const record = makeRecord();
      await store.insert(record);
      const got = (await store.getByHash(record.keyHash)) as ApiKeyRecord;
      expect(() => {
        (got.scopes as string[]).push('admin');
      }).toThrow();
      expect((await store.getById(record.id))?.scopes).toEqual(record.scopes);
    });

    // Registered only for shareable stores (a skipped test would say nothing).
    if (shared)
      it('tells other instances sharing the data about changes', async () => {
        const openSibling = fixture.openSibling;
        if (!openSibling) throw new Error('a shared store fixture must provide openSibling');
        const sibling = await openSibling();
        try {
          const record = makeRecord();
          await store.insert(record);
          const received: ApiKeyInvalidation[] = [];
          let resolve: () => void = () => undefined;
          const arrived = new Promise<void>((r) => {
            resolve = r;
          });
          const stop = sibling.onInvalidate?.((invalidation) => {
            received.push(invalidation);
            if (invalidation === null || invalidation === record.id) resolve();
          });
          await (sibling as { ready?: () => Promise<void> }).ready?.();
          await store.update(record.id, { revokedAt: Date.now() });
          await arrived;
          expect(received.some((i) => i === null || i === record.id)).toBe(true);
          expect((await sibling.getByHash(record.keyHash))?.revokedAt).not.toBeNull();
          stop?.();
        } finally {
          await sibling.close();
        }
      });
  });
}
