import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { APIKEY_AUTH_ERROR_CODES } from './errors.js';
import { BASE62_ALPHABET, generateApiKey } from './key-format.js';
import { ApiKeyManager } from './manager.js';
import { MemoryApiKeyStore } from './stores/memory.js';
import { fakeClock, PEPPER_1, PEPPER_2 } from './test-helpers.js';
import type { ApiKeyLifecycleEvent, ApiKeyStore } from './types.js';

function setup(options: Partial<ConstructorParameters<typeof ApiKeyManager>[0]> = {}) {
  const clock = fakeClock();
  const events: ApiKeyLifecycleEvent[] = [];
  const store = new MemoryApiKeyStore();
  const manager = new ApiKeyManager({
    store,
    peppers: [PEPPER_1],
    now: clock.now,
    onEvent: (e) => events.push(e),
    ...options,
  });
  return { manager, store, clock, events };
}

describe('ApiKeyManager', () => {
  it('issues a key once and verifies it to a principal with id, owner, scopes and roles', async () => {
    const { manager, events } = setup();
    const { key, info } = await manager.create(
      { name: 'ci', owner: 'alice', scopes: ['tools:call'], roles: ['reader'] },
      { actor: 'admin' },
    );
    expect(key.startsWith('mcpw_')).toBe(true);
    expect(info).toMatchObject({
      name: 'ci',
      owner: 'alice',
      state: 'active',
      scopes: ['tools:call'],
      roles: ['reader'],
      displayPrefix: key.slice(0, 9),
    });
    const result = await manager.verify(key);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.principal).toMatchObject({
      id: info.id,
      kind: 'apikey',
      scopes: ['tools:call'],
      roles: ['reader'],
      authenticatedBy: 'apikey-auth',
    });
    expect(result.principal.claims.owner).toBe('alice');
    expect(events).toEqual([
      expect.objectContaining({
        type: 'key.created',
        principalId: 'admin',
        details: expect.objectContaining({ keyId: info.id }),
      }),
    ]);
    expect(JSON.stringify(events)).not.toContain(key.slice(9));
  });

  it('a key issued without an owner acts for itself, never for the actor that issued it', async () => {
    const { manager } = setup();
    await fc.assert(
      fc.asyncProperty(
        fc.option(fc.string({ minLength: 1, maxLength: 40 }), { nil: undefined }),
        async (actor) => {
          const options = actor === undefined ? {} : { actor };
          const a = await manager.create({ name: 'a' }, options);
          const b = await manager.create({ name: 'b' }, options);
          expect(a.info.owner).toBe(a.info.id);
          expect(b.info.owner).toBe(b.info.id);
          const verified = await manager.verify(a.key);
          expect(verified.ok && verified.principal.claims.owner).toBe(a.info.id);
          // Rotation keeps the owner: the successor acts for the same principal as the key it replaces.
          const rotated = await manager.rotate(a.info.id, { graceSeconds: 60, ...options });
          expect(rotated.info.owner).toBe(a.info.id);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('never stores or lists the key, only its HMAC', async () => {
    const { manager, store } = setup();
    const { key, info } = await manager.create({ name: 'x' });
    const listed = await manager.list();
    expect(JSON.stringify(listed)).not.toContain(key.slice(9));
    expect(JSON.parse(JSON.stringify(listed))).toEqual(listed);
    const record = await store.getById(info.id);
    expect(JSON.stringify(record)).not.toContain(key.slice(9));
    expect(record?.keyHash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(record?.pepperId).toBe('p1');
  });

  it.each([
    ['the verified-key cache in front (the default)', undefined],
    ['no cache', false as const],
  ])(
    'refuses malformed, unknown, revoked and expired keys with the real reason and the key id: %s',
    async (_, cache) => {
      const { manager, clock } = setup(cache === undefined ? {} : { cache });
      expect(await manager.verify('mcpw_nope')).toEqual({ ok: false, failure: 'malformed' });
      expect(await manager.verify(generateApiKey())).toEqual({ ok: false, failure: 'unknown' });
      const a = await manager.create({ name: 'a', expiresIn: '1h' });
      expect((await manager.verify(a.key)).ok).toBe(true);
      clock.advance(3600_000);
      expect(await manager.verify(a.key)).toEqual({ ok: false, failure: 'expired', keyId: a.info.id });
      const b = await manager.create({ name: 'b' });
      expect((await manager.verify(b.key)).ok).toBe(true); // cached, when there is a cache
      await manager.revoke(b.info.id);
      expect(await manager.verify(b.key)).toEqual({ ok: false, failure: 'revoked', keyId: b.info.id });
      expect((await manager.get(b.info.id))?.state).toBe('revoked');
    },
  );

  it('answers repeated verifications from the cache, for every kind of store, unless told not to', async () => {
    let lookups = 0;
    /** A memory store that counts lookups, seen through its async interface only (as SQLite and Redis are). */
    const countingAsyncStore = (): ApiKeyStore => {
      const memory = new MemoryApiKeyStore();
      return {
        kind: 'async-only',
        insert: (r) => memory.insert(r),
        getById: (id) => memory.getById(id),
        getByHash: (h) => {
          lookups++;
          return memory.getByHash(h);
        },
        list: (f) => memory.list(f),
        update: (id, p) => memory.update(id, p),
        consumeUse: (id, at) => memory.consumeUse(id, at),
        touch: (id, at) => memory.touch(id, at),
        delete: (id) => memory.delete(id),
        close: () => memory.close(),
      };
    };
    class CountingMemoryStore extends MemoryApiKeyStore {
      override getByHashSync(keyHash: string) {
        lookups++;
        return super.getByHashSync(keyHash);
      }
    }
    const lookupsFor = async (store: ApiKeyStore, cache?: false) => {
      const manager = new ApiKeyManager({
        store,
        peppers: [PEPPER_1],
        ...(cache === false ? { cache } : {}),
      });
      const { key } = await manager.create({ name: 'k' });
      lookups = 0;
      for (let i = 0; i < 3; i++) expect((await manager.verify(key)).ok).toBe(true);
      return lookups;
    };
    expect(await lookupsFor(countingAsyncStore())).toBe(1);
    expect(await lookupsFor(countingAsyncStore(), false)).toBe(3);
    expect(await lookupsFor(new CountingMemoryStore())).toBe(1);
    expect(await lookupsFor(new CountingMemoryStore(), false)).toBe(3);
  });

  it('has no cache bound in front of the memory store, and sees changes made behind its back at once', async () => {
    class CountingMemoryStore extends MemoryApiKeyStore {
      lookups = 0;
      override getByHashSync(keyHash: string) {
        this.lookups++;
        return super.getByHashSync(keyHash);
      }
    }
    const store = new CountingMemoryStore();
    const manager = new ApiKeyManager({ store, peppers: [PEPPER_1] });
    const keys = await Promise.all(
      Array.from({ length: 10_050 }, (_, i) => manager.create({ name: `k${i}` })),
    );
    for (const { key } of keys) expect((await manager.verify(key)).ok).toBe(true);
    store.lookups = 0;
    for (const { key } of keys) expect((await manager.verify(key)).ok).toBe(true);
    expect(store.lookups).toBe(0); // more keys than the 10,000 bound of other stores, all still cached

    // A second manager on the same store object revokes; the first one's cache hears of it.
    const other = new ApiKeyManager({ store, peppers: [PEPPER_1] });
    const [first, second] = keys;
    await other.revoke(first!.info.id);
    expect(await manager.verify(first!.key)).toMatchObject({ ok: false, failure: 'revoked' });
    // So does a change made on the store itself.
    await store.update(second!.info.id, { revokedAt: Date.now() });
    expect(await manager.verify(second!.key)).toMatchObject({ ok: false, failure: 'revoked' });
  });

  it('turns a failing store into a rejected promise, sync and async stores alike', async () => {
    class BrokenMemoryStore extends MemoryApiKeyStore {
      override getByHashSync(): never {
        throw new Error('disk on fire');
      }
      override async getByHash(): Promise<never> {
        throw new Error('disk on fire');
      }
    }
    for (const cache of [false as const, undefined]) {
      const manager = new ApiKeyManager({
        store: new BrokenMemoryStore(),
        peppers: [PEPPER_1],
        ...(cache === false ? { cache } : {}),
      });
      const { key } = await manager.create({ name: 'k' });
      const pending = manager.verify(key); // must not throw here
      await expect(pending).rejects.toThrow('disk on fire');
    }
  });

  it('counts down limited-use keys and refuses when exhausted', async () => {
    const { manager } = setup();
    const { key, info } = await manager.create({ name: 'once', remainingUses: 2 });
    expect((await manager.verify(key)).ok).toBe(true);
    expect((await manager.verify(key)).ok).toBe(true);
    expect(await manager.verify(key)).toEqual({ ok: false, failure: 'exhausted', keyId: info.id });
    expect((await manager.get(info.id))?.state).toBe('exhausted');
  });

  it('restricts keys to address ranges (IPv4, IPv6, IPv4-mapped) and refuses unknown addresses', async () => {
    const { manager } = setup();
    const { key, info } = await manager.create({
      name: 'net',
      allowedCidrs: ['10.0.0.0/8', '2001:db8::/32'],
    });
    expect((await manager.verify(key, { remoteAddress: '10.1.2.3' })).ok).toBe(true);
    expect((await manager.verify(key, { remoteAddress: '::ffff:10.9.9.9' })).ok).toBe(true);
    expect((await manager.verify(key, { remoteAddress: '2001:db8::1' })).ok).toBe(true);
    expect(await manager.verify(key, { remoteAddress: '192.168.1.1' })).toEqual({
      ok: false,
      failure: 'address_not_allowed',
      keyId: info.id,
    });
    expect(await manager.verify(key)).toEqual({ ok: false, failure: 'address_not_allowed', keyId: info.id });
  });

  it('validates create input and names the field', async () => {
    const { manager } = setup();
    await expect(manager.create({ name: '' })).rejects.toMatchObject({
      code: APIKEY_AUTH_ERROR_CODES.INVALID_INPUT,
    });
    await expect(manager.create({ name: 'x', scopes: ['has space'] })).rejects.toThrow(/scopes/);
    await expect(manager.create({ name: 'x', allowedCidrs: ['10.0.0.0/33'] })).rejects.toThrow(
      /allowedCidrs/,
    );
    await expect(manager.create({ name: 'x', expiresIn: 'soon' })).rejects.toThrow(/expiresIn/);
    await expect(manager.create({ name: 'x', expiresAt: 1 })).rejects.toThrow(/future/);
    await expect(manager.revoke('key_missing')).rejects.toMatchObject({
      code: APIKEY_AUTH_ERROR_CODES.NOT_FOUND,
    });
  });

  it('rotates: the new key works, the old one until the grace period ends', async () => {
    const { manager, clock, events } = setup();
    const old = await manager.create({
      name: 'svc',
      owner: 'bob',
      scopes: ['a'],
      roles: ['r'],
      expiresIn: '30d',
    });
    const rotated = await manager.rotate(old.info.id, { graceSeconds: 3600, actor: 'cli' });
    expect(rotated.info).toMatchObject({
      name: 'svc',
      owner: 'bob',
      scopes: ['a'],
      roles: ['r'],
      rotatedFrom: old.info.id,
      state: 'active',
    });
    expect(rotated.previous.replacedBy).toBe(rotated.info.id);
    expect(rotated.key).not.toBe(old.key);
    expect((await manager.verify(old.key)).ok).toBe(true);
    expect((await manager.verify(rotated.key)).ok).toBe(true);
    clock.advance(3600_000);
    expect(await manager.verify(old.key)).toMatchObject({ ok: false, failure: 'expired' });
    expect((await manager.verify(rotated.key)).ok).toBe(true);
    expect(events.map((e) => e.type)).toEqual(['key.created', 'key.created', 'key.rotated']);
    expect(events[2]).toMatchObject({
      principalId: 'cli',
      details: { keyId: old.info.id, newKeyId: rotated.info.id, graceSeconds: 3600 },
    });
  });

  it('rotating without grace revokes the old key at once; revoked keys cannot be rotated', async () => {
    const { manager } = setup();
    const old = await manager.create({ name: 'svc' });
    const rotated = await manager.rotate(old.info.id);
    expect(await manager.verify(old.key)).toMatchObject({ ok: false, failure: 'revoked' });
    expect((await manager.verify(rotated.key)).ok).toBe(true);
    await expect(manager.rotate(old.info.id)).rejects.toMatchObject({
      code: APIKEY_AUTH_ERROR_CODES.NOT_ACTIVE,
    });
  });

  it('revoking twice is a no-op that emits one event', async () => {
    const { manager, events } = setup();
    const { info } = await manager.create({ name: 'x' });
    await manager.revoke(info.id, { actor: 'admin' });
    await manager.revoke(info.id, { actor: 'admin' });
    expect(events.filter((e) => e.type === 'key.revoked')).toHaveLength(1);
  });

  it('lists by owner and state', async () => {
    const { manager } = setup();
    const a = await manager.create({ name: 'a', owner: 'alice' });
    await manager.create({ name: 'b', owner: 'bob' });
    await manager.revoke(a.info.id);
    expect((await manager.list({ owner: 'alice' })).map((i) => i.name)).toEqual(['a']);
    expect((await manager.list({ state: 'active' })).map((i) => i.name)).toEqual(['b']);
  });

  it('rotates peppers: old hashes still verify and move to the current pepper', async () => {
    const store = new MemoryApiKeyStore();
    const before = new ApiKeyManager({ store, peppers: [PEPPER_1] });
    const { key, info } = await before.create({ name: 'x' });
    const after = new ApiKeyManager({ store, peppers: [PEPPER_2, PEPPER_1] });
    expect((await after.verify(key)).ok).toBe(true);
    await new Promise((r) => setImmediate(r));
    expect((await store.getById(info.id))?.pepperId).toBe('p2');
    const onlyNew = new ApiKeyManager({ store, peppers: [PEPPER_2] });
    expect((await onlyNew.verify(key)).ok).toBe(true);
  });

  it('refuses weak or duplicate peppers without echoing them', () => {
    const secret = 'short-secret-value';
    expect(
      () => new ApiKeyManager({ store: new MemoryApiKeyStore(), peppers: [{ id: 'p1', secret }] }),
    ).toThrow(/at least 32/);
    try {
      new ApiKeyManager({ store: new MemoryApiKeyStore(), peppers: [{ id: 'p1', secret }] });
    } catch (error) {
      expect(String(error)).not.toContain(secret);
    }
    expect(
      () => new ApiKeyManager({ store: new MemoryApiKeyStore(), peppers: [PEPPER_1, PEPPER_1] }),
    ).toThrow(/twice/);
  });

  it('property: no generated string other than an issued key verifies', async () => {
    const { manager } = setup();
    const issued = await Promise.all([1, 2, 3].map((i) => manager.create({ name: `k${i}` })));
    const issuedKeys = new Set(issued.map((i) => i.key));
    const base62 = fc.constantFrom(...BASE62_ALPHABET);
    const candidates = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.string({ unit: base62, minLength: 38, maxLength: 38 }).map((s) => `mcpw_${s}`),
      // Well-formed (checksum-valid) keys that were never issued.
      fc.constant(null).map(() => generateApiKey()),
      // Issued keys with one character changed.
      fc.tuple(fc.constantFrom(...issuedKeys), fc.nat(), base62).map(([k, i, c]) => {
        const p = 5 + (i % 38);
        return k.slice(0, p) + c + k.slice(p + 1);
      }),
    );
    await fc.assert(
      fc.asyncProperty(candidates, async (candidate) => {
        fc.pre(!issuedKeys.has(candidate));
        expect((await manager.verify(candidate)).ok).toBe(false);
      }),
      { numRuns: 1500 },
    );
    for (const key of issuedKeys) expect((await manager.verify(key)).ok).toBe(true);
  });
});
