import { closeSync, openSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Cipher, EncryptOptions } from './cipher.js';
import type { CryptoContext } from './encoding.js';
import { decodeUtf8 } from './encoding.js';
import { CRYPTO_ERROR_CODES, CryptoError } from './errors.js';
import { loadSodium, wipe } from './sodium.js';

const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
/** Largest value the store accepts, in bytes. */
export const MAX_STORE_VALUE_BYTES = 16 * 1024 * 1024;

export interface EncryptedStoreOptions {
  /** SQLite file (created with mode 0600), or `:memory:`. */
  path: string;
  /** A {@link KeyRing} or an {@link EnvelopeCipher}. */
  cipher: Cipher;
  /** Table name (`<table>_meta` is used for job state). @default 'warden_kv' */
  table?: string;
  /** Record creation times in values (see `EncryptOptions.timestamp`). @default true */
  timestamps?: boolean;
  /** Called with every decryption failure (the crypto service turns it into a `crypto.failed` event). */
  onFailure?: (error: CryptoError, where: { namespace: string; key: string }) => void;
}

/** One stored row, as the re-encryption job sees it. */
export interface StoredRow {
  namespace: string;
  key: string;
  value: Uint8Array;
}

/**
 * An encrypted key/value store on SQLite (better-sqlite3). Values are encrypted with the given cipher and bound
 * to their row (`{ store, namespace, key }` as associated data), so a value copied to another row fails to
 * decrypt. Namespaces and keys are stored in the clear: use identifiers, not secrets, as keys.
 *
 * @example
 * const store = await EncryptedStore.open({ path: 'data/warden-store.db', cipher: keyRing });
 * await store.set('notes', 'n1', 'meet at noon');
 * await store.getString('notes', 'n1'); // 'meet at noon'
 */
export class EncryptedStore {
  readonly #db: Database.Database;
  readonly #table: string;
  readonly #options: EncryptedStoreOptions;
  readonly #stmts: {
    get: Database.Statement<[string, string], { value: Uint8Array }>;
    set: Database.Statement<[string, string, Uint8Array, number]>;
    insert: Database.Statement<[string, string, Uint8Array, number]>;
    del: Database.Statement<[string, string]>;
    keys: Database.Statement<[string], { key: string }>;
    count: Database.Statement<[], { n: number }>;
    after: Database.Statement<[string, string, string, number], StoredRow>;
    cas: Database.Statement<[Uint8Array, number, string, string, Uint8Array]>;
    metaGet: Database.Statement<[string], { value: string }>;
    metaSet: Database.Statement<[string, string]>;
    metaDel: Database.Statement<[string]>;
  };

  private constructor(db: Database.Database, table: string, options: EncryptedStoreOptions) {
    this.#db = db;
    this.#table = table;
    this.#options = options;
    const t = table;
    db.exec(
      `CREATE TABLE IF NOT EXISTS ${t} (namespace TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (namespace, key)) WITHOUT ROWID;
       CREATE TABLE IF NOT EXISTS ${t}_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;`,
    );
    this.#stmts = {
      get: db.prepare(`SELECT value FROM ${t} WHERE namespace = ? AND key = ?`),
      set: db.prepare(
        `INSERT INTO ${t} (namespace, key, value, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      ),
      insert: db.prepare(
        `INSERT INTO ${t} (namespace, key, value, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (namespace, key) DO NOTHING`,
      ),
      del: db.prepare(`DELETE FROM ${t} WHERE namespace = ? AND key = ?`),
      keys: db.prepare(`SELECT key FROM ${t} WHERE namespace = ? ORDER BY key`),
      count: db.prepare(`SELECT count(*) AS n FROM ${t}`),
      after: db.prepare(
        `SELECT namespace, key, value FROM ${t} WHERE namespace > ? OR (namespace = ? AND key > ?) ORDER BY namespace, key LIMIT ?`,
      ),
      cas: db.prepare(
        `UPDATE ${t} SET value = ?, updated_at = ? WHERE namespace = ? AND key = ? AND value = ?`,
      ),
      metaGet: db.prepare(`SELECT value FROM ${t}_meta WHERE name = ?`),
      metaSet: db.prepare(
        `INSERT INTO ${t}_meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value`,
      ),
      metaDel: db.prepare(`DELETE FROM ${t}_meta WHERE name = ?`),
    };
  }

  /** Opens (creating when needed) the store. */
  static async open(options: EncryptedStoreOptions): Promise<EncryptedStore> {
    await loadSodium();
    const table = options.table ?? 'warden_kv';
    if (!TABLE_NAME.test(table)) {
      throw new CryptoError(
        CRYPTO_ERROR_CODES.INVALID_CONTEXT,
        'The store table name must be a SQL identifier (letters, digits, _).',
      );
    }
    if (options.path !== ':memory:') {
      await mkdir(dirname(options.path), { recursive: true, mode: 0o700 });
      // Create the file 0600 before SQLite does; SQLite gives its -wal/-shm files the database's mode.
      closeSync(openSync(options.path, 'a', 0o600));
    }
    const db = new Database(options.path);
    db.pragma('journal_mode = WAL');
    db.pragma('secure_delete = ON');
    db.pragma('busy_timeout = 5000');
    return new EncryptedStore(db, table, options);
  }

  /** The cipher values are encrypted with. */
  get cipher(): Cipher {
    return this.#options.cipher;
  }

  /** The associated data a row's value is bound to. */
  contextOf(namespace: string, key: string): CryptoContext {
    return { store: this.#table, namespace, key };
  }

  /** Encrypts and stores `value` (UTF-8 when a string) under `namespace`/`key`. */
  async set(
    namespace: string,
    key: string,
    value: string | Uint8Array,
    options: Pick<EncryptOptions, 'timestamp'> = {},
  ): Promise<void> {
    const size = typeof value === 'string' ? Buffer.byteLength(value) : value.length;
    if (size > MAX_STORE_VALUE_BYTES) {
      throw new CryptoError(
        CRYPTO_ERROR_CODES.INVALID_CONTEXT,
        `Values larger than ${MAX_STORE_VALUE_BYTES} bytes are not stored.`,
      );
    }
    const ct = await this.#options.cipher.encrypt(value, {
      context: this.contextOf(namespace, key),
      timestamp: options.timestamp ?? this.#options.timestamps ?? true,
    });
    this.#stmts.set.run(namespace, key, ct, Date.now());
  }

  /**
   * The value under `namespace`/`key`, creating it with `create()` when absent. When several processes share the
   * file and race, the first insert wins and everyone gets that value (e.g. one API-key pepper for all instances).
   * @example
   * const pepper = await store.ensure('apikey-auth', 'pepper', () => crypto.getRandomValues(new Uint8Array(32)));
   */
  async ensure(
    namespace: string,
    key: string,
    create: () => string | Uint8Array | Promise<string | Uint8Array>,
  ): Promise<Uint8Array> {
    const existing = await this.get(namespace, key);
    if (existing !== undefined) return existing;
    const value = await create();
    const ct = await this.#options.cipher.encrypt(value, {
      context: this.contextOf(namespace, key),
      timestamp: this.#options.timestamps ?? true,
    });
    if (typeof value !== 'string') wipe(value);
    this.#stmts.insert.run(namespace, key, ct, Date.now());
    return (await this.get(namespace, key))!;
  }

  /** Decrypted bytes, or `undefined` when absent. Throws `CryptoError` when the stored value does not decrypt. */
  async get(
    namespace: string,
    key: string,
    options: { ttlSeconds?: number } = {},
  ): Promise<Uint8Array | undefined> {
    const row = this.#stmts.get.get(namespace, key);
    if (!row) return undefined;
    try {
      return await this.#options.cipher.decrypt(row.value, {
        context: this.contextOf(namespace, key),
        ...options,
      });
    } catch (error) {
      if (CryptoError.isCryptoError(error)) this.#options.onFailure?.(error, { namespace, key });
      throw error;
    }
  }

  /** {@link get} as UTF-8 text. */
  async getString(
    namespace: string,
    key: string,
    options: { ttlSeconds?: number } = {},
  ): Promise<string | undefined> {
    const bytes = await this.get(namespace, key, options);
    if (bytes === undefined) return undefined;
    try {
      return decodeUtf8(bytes);
    } catch (cause) {
      throw new CryptoError(CRYPTO_ERROR_CODES.MALFORMED, 'The stored value is not UTF-8 text.', { cause });
    } finally {
      wipe(bytes);
    }
  }

  has(namespace: string, key: string): boolean {
    return this.#stmts.get.get(namespace, key) !== undefined;
  }

  delete(namespace: string, key: string): boolean {
    return this.#stmts.del.run(namespace, key).changes > 0;
  }

  /** Keys of a namespace, sorted. */
  keys(namespace: string): string[] {
    return this.#stmts.keys.all(namespace).map((r) => r.key);
  }

  /** Number of stored values. */
  count(): number {
    return this.#stmts.count.get()!.n;
  }

  /** A view of one namespace: `store.namespace('notes').set('n1', 'text')`. */
  namespace(namespace: string): EncryptedNamespace {
    return {
      set: (key, value) => this.set(namespace, key, value),
      get: (key) => this.get(namespace, key),
      getString: (key) => this.getString(namespace, key),
      has: (key) => this.has(namespace, key),
      delete: (key) => this.delete(namespace, key),
      keys: () => this.keys(namespace),
    };
  }

  /** @internal Rows after a cursor, for the re-encryption job. */
  rowsAfter(cursor: { namespace: string; key: string } | undefined, limit: number): StoredRow[] {
    const c = cursor ?? { namespace: '', key: '' };
    // '' sorts first, so a fresh cursor also has to include the ('', '') row itself.
    const rows = this.#stmts.after.all(c.namespace, c.namespace, c.key, limit);
    if (!cursor) {
      const first = this.#stmts.get.get('', '');
      if (first) rows.unshift({ namespace: '', key: '', value: first.value });
      if (rows.length > limit) rows.pop();
    }
    return rows;
  }

  /** @internal Replaces `oldValue` with `newValue` only if the row still holds `oldValue` (compare-and-swap). */
  replaceIfUnchanged(row: StoredRow, newValue: Uint8Array): boolean {
    return this.#stmts.cas.run(newValue, Date.now(), row.namespace, row.key, row.value).changes > 0;
  }

  /** @internal Job state. */
  meta(name: string): string | undefined {
    return this.#stmts.metaGet.get(name)?.value;
  }

  /** @internal */
  setMeta(name: string, value: string | undefined): void {
    if (value === undefined) this.#stmts.metaDel.run(name);
    else this.#stmts.metaSet.run(name, value);
  }

  /** @internal Runs `fn` in one SQLite transaction. */
  transaction<T>(fn: () => T): T {
    return this.#db.transaction(fn)();
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}

/** One namespace of an {@link EncryptedStore}. */
export interface EncryptedNamespace {
  set(key: string, value: string | Uint8Array): Promise<void>;
  get(key: string): Promise<Uint8Array | undefined>;
  getString(key: string): Promise<string | undefined>;
  has(key: string): boolean;
  delete(key: string): boolean;
  keys(): string[];
}
