import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteApiKeyStore } from './sqlite.js';
import { describeApiKeyStoreContract, makeRecord } from './store-contract.js';

describeApiKeyStoreContract(
  'sqlite',
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'apikey-sqlite-'));
    const path = join(dir, 'keys.db');
    const store = new SqliteApiKeyStore({ path, watchIntervalMs: 20 });
    return {
      store,
      openSibling: async () => new SqliteApiKeyStore({ path, watchIntervalMs: 20 }),
      cleanup: async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  { shared: true },
);

describe('SqliteApiKeyStore', () => {
  it('keeps records across reopening the file, in WAL mode', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'apikey-sqlite-'));
    try {
      const path = join(dir, 'keys.db');
      const record = makeRecord();
      const first = new SqliteApiKeyStore({ path });
      await first.insert(record);
      await first.close();
      const second = new SqliteApiKeyStore({ path });
      expect(await second.getByHash(record.keyHash)).toEqual(record);
      await second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a table name that is not an identifier', () => {
    expect(() => new SqliteApiKeyStore({ table: 'keys; DROP TABLE x' })).toThrow(TypeError);
  });
});
