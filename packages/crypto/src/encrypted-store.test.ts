import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EncryptedStore } from './encrypted-store.js';
import { EnvelopeCipher, keyRingKeyProvider } from './envelope.js';
import { CRYPTO_ERROR_CODES, type CryptoError } from './errors.js';
import { inspectCiphertext } from './format.js';
import { KeyRing } from './key-ring.js';
import { reencryptStore } from './reencrypt-job.js';
import { rejectionCode, tempDir } from './test-helpers.js';

/** Every byte SQLite wrote for the store (database, WAL, shared memory), as latin1 text for grepping. */
function allBytes(dir: string): string {
  return readdirSync(dir)
    .filter((f) => f.startsWith('store.db'))
    .map((f) => readFileSync(join(dir, f)).toString('latin1'))
    .join('\n');
}

describe('EncryptedStore', () => {
  it('never writes plaintext to the SQLite files', async () => {
    const dir = tempDir();
    const path = join(dir, 'store.db');
    const store = await EncryptedStore.open({ path, cipher: await KeyRing.generate() });
    const secrets = Array.from({ length: 20 }, (_, i) => `PLAINTEXT-NOTE-${i}-the-launch-code-is-0000`);
    for (const [i, s] of secrets.entries()) await store.set('notes', `n${i}`, s);
    await store.set('notes', 'n0', 'PLAINTEXT-OVERWRITTEN-VALUE');
    expect(await store.getString('notes', 'n0')).toBe('PLAINTEXT-OVERWRITTEN-VALUE');
    expect(await store.getString('notes', 'n5')).toBe(secrets[5]);
    store.close();
    const bytes = allBytes(dir);
    expect(bytes.length).toBeGreaterThan(0);
    expect(bytes).not.toContain('PLAINTEXT');
    expect(bytes).not.toContain('launch-code');
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('round-trips random values in random rows', async () => {
    const store = await EncryptedStore.open({ path: ':memory:', cipher: await KeyRing.generate() });
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 20 }),
        fc.string({ maxLength: 20 }),
        fc.uint8Array({ maxLength: 300 }),
        async (ns, key, value) => {
          await store.set(ns, key, value);
          expect(Buffer.from((await store.get(ns, key))!).equals(Buffer.from(value))).toBe(true);
        },
      ),
      { numRuns: 100 },
    );
    store.close();
  });

  it('binds values to their row: a value copied to another row fails to decrypt', async () => {
    const dir = tempDir();
    const path = join(dir, 'store.db');
    const failures: CryptoError[] = [];
    const store = await EncryptedStore.open({
      path,
      cipher: await KeyRing.generate(),
      onFailure: (e) => failures.push(e),
    });
    await store.set('apikey', 'pepper', 'pepper-value');
    await store.set('apikey', 'other', 'other-value');
    const raw = new Database(path);
    raw
      .prepare(
        `UPDATE warden_kv SET value = (SELECT value FROM warden_kv WHERE key = 'pepper') WHERE key = 'other'`,
      )
      .run();
    raw.close();
    expect(await rejectionCode(store.get('apikey', 'other'))).toBe(CRYPTO_ERROR_CODES.DECRYPT_FAILED);
    expect(failures.map((f) => f.code)).toEqual([CRYPTO_ERROR_CODES.DECRYPT_FAILED]);
    expect(await store.get('apikey', 'missing')).toBeUndefined();
    expect(store.keys('apikey')).toEqual(['other', 'pepper']);
    expect(store.delete('apikey', 'other')).toBe(true);
    expect(store.count()).toBe(1);
    store.close();
  });

  it('re-encrypts under a new key; an interrupted job leaves every value readable and resumes', async () => {
    const dir = tempDir();
    const path = join(dir, 'store.db');
    const ring = await KeyRing.generate('old');
    let store = await EncryptedStore.open({ path, cipher: ring });
    const expected = new Map<string, string>();
    for (let i = 0; i < 95; i++) {
      const key = `r${String(i).padStart(3, '0')}`;
      expected.set(key, `value ${i}`);
      await store.set(i % 2 ? 'b' : 'a', key, `value ${i}`);
    }
    ring.generateKey({ id: 'new' });

    const abort = new AbortController();
    const first = await reencryptStore(store, {
      batchSize: 20,
      signal: abort.signal,
      onProgress: (p) => p.scanned >= 40 && abort.abort(),
    });
    expect(first).toMatchObject({ complete: false, scanned: 40, rotated: 40, resumed: false });

    const readAll = async (s: EncryptedStore) => {
      const seen = new Map<string, string>();
      for (const ns of ['a', 'b']) for (const k of s.keys(ns)) seen.set(k, (await s.getString(ns, k))!);
      return seen;
    };
    const keyIds = async () => {
      const raw = new Database(path, { readonly: true });
      const ids = raw
        .prepare<[], { value: Uint8Array }>('SELECT value FROM warden_kv')
        .all()
        .map((r) => inspectCiphertext(r.value).keyId);
      raw.close();
      return ids;
    };
    // Interrupted: a mix of old and new, all readable.
    expect(await readAll(store)).toEqual(expected);
    const ids = await keyIds();
    expect(ids.filter((k) => k === 'new')).toHaveLength(40);
    expect(ids.filter((k) => k === 'old')).toHaveLength(55);

    // A concurrent write during the pause is already under the new key and is not overwritten.
    await store.set('b', 'r001', 'changed meanwhile');
    expected.set('r001', 'changed meanwhile');

    // "Restart the process": reopen and resume from the saved cursor.
    store.close();
    store = await EncryptedStore.open({ path, cipher: ring });
    const second = await reencryptStore(store, { batchSize: 20 });
    expect(second).toMatchObject({ complete: true, resumed: true, scanned: 55, failed: 0 });
    expect(await keyIds()).toEqual(Array(95).fill('new'));
    ring.remove('old');
    expect(await readAll(store)).toEqual(expected);

    // Running again is a no-op.
    expect(await reencryptStore(store)).toMatchObject({
      complete: true,
      resumed: false,
      rotated: 0,
      current: 95,
    });
    store.close();
  });

  it('reports rows it cannot decrypt and leaves them unchanged', async () => {
    const ring = await KeyRing.generate('a');
    const store = await EncryptedStore.open({ path: ':memory:', cipher: ring });
    await store.set('n', 'x', '1');
    await store.set('n', 'y', '2');
    // The old key was dropped before re-encrypting: those values are lost, and the job says so.
    ring.generateKey({ id: 'b' });
    ring.remove('a');
    const report = await reencryptStore(store);
    expect(report).toMatchObject({ complete: true, failed: 2 });
    expect(report.failures.map((f) => f.code)).toEqual([
      CRYPTO_ERROR_CODES.UNKNOWN_KEY,
      CRYPTO_ERROR_CODES.UNKNOWN_KEY,
    ]);
    store.close();
  });

  it('with envelope encryption, rotating the master key only re-wraps data keys', async () => {
    const master = await KeyRing.generate('m1');
    const cipher = await EnvelopeCipher.create(keyRingKeyProvider(master));
    const store = await EncryptedStore.open({ path: ':memory:', cipher });
    for (let i = 0; i < 10; i++) await store.set('oauth', `client${i}`, `secret ${i}`);
    master.generateKey({ id: 'm2' });
    const report = await reencryptStore(store, { batchSize: 3 });
    expect(report).toMatchObject({ complete: true, rotated: 10, targetKeyId: 'm2' });
    master.remove('m1');
    for (let i = 0; i < 10; i++) expect(await store.getString('oauth', `client${i}`)).toBe(`secret ${i}`);
    store.close();
  });

  it('ensure() creates a value once and every opener of the file gets the same one', async () => {
    const dir = tempDir();
    const path = join(dir, 'store.db');
    const ring = await KeyRing.generate();
    const a = await EncryptedStore.open({ path, cipher: ring });
    const b = await EncryptedStore.open({ path, cipher: ring });
    let made = 0;
    const make = () => {
      made++;
      return new Uint8Array(32).fill(made);
    };
    const [pa, pb] = await Promise.all([
      a.ensure('apikey-auth', 'pepper', make),
      b.ensure('apikey-auth', 'pepper', make),
    ]);
    expect(Buffer.from(pa).equals(Buffer.from(pb))).toBe(true);
    expect(Buffer.from(await a.ensure('apikey-auth', 'pepper', make)).equals(Buffer.from(pa))).toBe(true);
    expect(a.count()).toBe(1);
    a.close();
    b.close();
  });
});
