import Database from 'better-sqlite3';
import { freezeRecord } from '../record.js';
import type { ApiKeyInvalidation, ApiKeyRecord, ApiKeyRecordPatch, ApiKeyStore } from '../types.js';

export interface SqliteApiKeyStoreOptions {
  /** Database file path (`:memory:` for a throw-away one). Ignored when `database` is given. */
  path?: string;
  /** An open better-sqlite3 database to use instead (the store does not close it). */
  database?: Database.Database;
  /** Table name. @default 'mcp_warden_api_keys' */
  table?: string;
  /**
   * How often (ms) to check SQLite's `PRAGMA data_version` for writes by OTHER connections (another process on the
   * same file), so their revocations reach this process's cache. `0` turns it off. @default 500
   */
  watchIntervalMs?: number;
}

interface Row {
  id: string;
  key_hash: string;
  pepper_id: string;
  display_prefix: string;
  name: string;
  owner: string;
  scopes: string;
  roles: string;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  revoked_at: number | null;
  remaining_uses: number | null;
  allowed_cidrs: string;
  metadata: string;
  rotated_from: string | null;
  replaced_by: string | null;
}

/** Record field → column, and how it is encoded. */
const COLUMNS: Record<keyof ApiKeyRecordPatch, { column: string; json: boolean }> = {
  keyHash: { column: 'key_hash', json: false },
  pepperId: { column: 'pepper_id', json: false },
  name: { column: 'name', json: false },
  scopes: { column: 'scopes', json: true },
  roles: { column: 'roles', json: true },
  expiresAt: { column: 'expires_at', json: false },
  revokedAt: { column: 'revoked_at', json: false },
  remainingUses: { column: 'remaining_uses', json: false },
  allowedCidrs: { column: 'allowed_cidrs', json: true },
  metadata: { column: 'metadata', json: true },
  replacedBy: { column: 'replaced_by', json: false },
  lastUsedAt: { column: 'last_used_at', json: false },
};

function fromRow(row: Row): ApiKeyRecord {
  return freezeRecord(
    {
      id: row.id,
      keyHash: row.key_hash,
      pepperId: row.pepper_id,
      displayPrefix: row.display_prefix,
      name: row.name,
      owner: row.owner,
      scopes: JSON.parse(row.scopes) as string[],
      roles: JSON.parse(row.roles) as string[],
      createdAt: row.created_at,
      expiresAt: row.expires_at,
      lastUsedAt: row.last_used_at,
      revokedAt: row.revoked_at,
      remainingUses: row.remaining_uses,
      allowedCidrs: JSON.parse(row.allowed_cidrs) as string[],
      metadata: JSON.parse(row.metadata) as Record<string, unknown>,
      rotatedFrom: row.rotated_from,
      replacedBy: row.replaced_by,
    },
    true,
  );
}

/**
 * SQLite store (better-sqlite3, WAL journal, prepared statements): the embedded default of the reference server.
 * Several processes may share one file: each one notices the others' writes through `PRAGMA data_version` and
 * drops its cache (see `watchIntervalMs`). For several machines, use {@link RedisApiKeyStore}.
 * @example
 * const store = new SqliteApiKeyStore({ path: './data/keys.db' });
 */
export class SqliteApiKeyStore implements ApiKeyStore {
  readonly kind = 'sqlite';
  readonly #db: Database.Database;
  readonly #ownsDb: boolean;
  readonly #table: string;
  readonly #stmt: {
    insert: Database.Statement;
    byId: Database.Statement<[string], Row>;
    byHash: Database.Statement<[string], Row>;
    list: Database.Statement<[], Row>;
    listOwner: Database.Statement<[string], Row>;
    consume: Database.Statement<[number, string], { remaining_uses: number }>;
    touch: Database.Statement<[number, string]>;
    delete: Database.Statement<[string]>;
    dataVersion: Database.Statement<[], { data_version: number }>;
  };
  readonly #updates = new Map<string, Database.Statement>();
  readonly #listeners = new Set<(invalidation: ApiKeyInvalidation) => void>();
  #timer: NodeJS.Timeout | undefined;
  #dataVersion = 0;
  readonly #watchIntervalMs: number;

  constructor(options: SqliteApiKeyStoreOptions = {}) {
    const table = options.table ?? 'mcp_warden_api_keys';
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(table))
      throw new TypeError(
        `SQLite table name must be an identifier (got ${JSON.stringify(table.slice(0, 64))}).`,
      );
    this.#table = table;
    this.#ownsDb = options.database === undefined;
    this.#db = options.database ?? new Database(options.path ?? ':memory:');
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('busy_timeout = 5000');
    this.#db.exec(`CREATE TABLE IF NOT EXISTS ${table} (
      id TEXT PRIMARY KEY,
      key_hash TEXT NOT NULL UNIQUE,
      pepper_id TEXT NOT NULL,
      display_prefix TEXT NOT NULL,
      name TEXT NOT NULL,
      owner TEXT NOT NULL,
      scopes TEXT NOT NULL,
      roles TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      expires_at INTEGER,
      last_used_at INTEGER,
      revoked_at INTEGER,
      remaining_uses INTEGER,
      allowed_cidrs TEXT NOT NULL,
      metadata TEXT NOT NULL,
      rotated_from TEXT,
      replaced_by TEXT
    ) STRICT;
    CREATE INDEX IF NOT EXISTS ${table}_owner ON ${table} (owner);`);
    this.#stmt = {
      insert:
        this.#db.prepare(`INSERT INTO ${table} VALUES (@id, @key_hash, @pepper_id, @display_prefix, @name, @owner, @scopes, @roles,
        @created_at, @expires_at, @last_used_at, @revoked_at, @remaining_uses, @allowed_cidrs, @metadata, @rotated_from, @replaced_by)`),
      byId: this.#db.prepare(`SELECT * FROM ${table} WHERE id = ?`),
      byHash: this.#db.prepare(`SELECT * FROM ${table} WHERE key_hash = ?`),
      list: this.#db.prepare(`SELECT * FROM ${table} ORDER BY created_at, id`),
      listOwner: this.#db.prepare(`SELECT * FROM ${table} WHERE owner = ? ORDER BY created_at, id`),
      consume: this.#db.prepare(
        `UPDATE ${table} SET remaining_uses = remaining_uses - 1, last_used_at = ? WHERE id = ? AND remaining_uses > 0 RETURNING remaining_uses`,
      ),
      touch: this.#db.prepare(`UPDATE ${table} SET last_used_at = ? WHERE id = ?`),
      delete: this.#db.prepare(`DELETE FROM ${table} WHERE id = ?`),
      dataVersion: this.#db.prepare('PRAGMA data_version'),
    };
    this.#watchIntervalMs = options.watchIntervalMs ?? 500;
  }

  async insert(record: ApiKeyRecord): Promise<void> {
    this.insertMany([record]);
  }

  /** Inserts many records in one transaction (bulk import, benchmarks). */
  insertMany(records: readonly ApiKeyRecord[]): void {
    const run = this.#db.transaction((rows: readonly ApiKeyRecord[]) => {
      for (const r of rows) {
        this.#stmt.insert.run({
          id: r.id,
          key_hash: r.keyHash,
          pepper_id: r.pepperId,
          display_prefix: r.displayPrefix,
          name: r.name,
          owner: r.owner,
          scopes: JSON.stringify(r.scopes),
          roles: JSON.stringify(r.roles),
          created_at: r.createdAt,
          expires_at: r.expiresAt,
          last_used_at: r.lastUsedAt,
          revoked_at: r.revokedAt,
          remaining_uses: r.remainingUses,
          allowed_cidrs: JSON.stringify(r.allowedCidrs),
          metadata: JSON.stringify(r.metadata),
          rotated_from: r.rotatedFrom,
          replaced_by: r.replacedBy,
        });
      }
    });
    run(records);
  }

  async getById(id: string): Promise<ApiKeyRecord | undefined> {
    const row = this.#stmt.byId.get(id);
    return row ? fromRow(row) : undefined;
  }

  async getByHash(keyHash: string): Promise<ApiKeyRecord | undefined> {
    const row = this.#stmt.byHash.get(keyHash);
    return row ? fromRow(row) : undefined;
  }

  async list(filter: { owner?: string } = {}): Promise<ApiKeyRecord[]> {
    const rows = filter.owner === undefined ? this.#stmt.list.all() : this.#stmt.listOwner.all(filter.owner);
    return rows.map(fromRow);
  }

  async update(id: string, patch: ApiKeyRecordPatch): Promise<ApiKeyRecord | undefined> {
    const fields = (Object.keys(patch) as (keyof ApiKeyRecordPatch)[])
      .filter((f) => patch[f] !== undefined && f in COLUMNS)
      .sort();
    if (fields.length > 0) {
      // One prepared statement per distinct set of fields, made once and reused.
      const signature = fields.join(',');
      let stmt = this.#updates.get(signature);
      if (!stmt) {
        stmt = this.#db.prepare(
          `UPDATE ${this.#table} SET ${fields.map((f) => `${COLUMNS[f].column} = ?`).join(', ')} WHERE id = ?`,
        );
        this.#updates.set(signature, stmt);
      }
      const values = fields.map((f) => (COLUMNS[f].json ? JSON.stringify(patch[f]) : patch[f]));
      stmt.run(...values, id);
    }
    return this.getById(id);
  }

  async consumeUse(id: string, at: number): Promise<number | undefined> {
    return this.#stmt.consume.get(at, id)?.remaining_uses;
  }

  async touch(id: string, at: number): Promise<void> {
    this.#stmt.touch.run(at, id);
  }

  async delete(id: string): Promise<boolean> {
    return this.#stmt.delete.run(id).changes > 0;
  }

  onInvalidate(listener: (invalidation: ApiKeyInvalidation) => void): () => void {
    this.#listeners.add(listener);
    if (!this.#timer && this.#watchIntervalMs > 0) {
      this.#dataVersion = this.#stmt.dataVersion.get()?.data_version ?? 0;
      this.#timer = setInterval(() => this.#checkDataVersion(), this.#watchIntervalMs);
      this.#timer.unref();
    }
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0 && this.#timer) {
        clearInterval(this.#timer);
        this.#timer = undefined;
      }
    };
  }

  /** `data_version` changes only when another connection committed: then drop everything cached. */
  #checkDataVersion(): void {
    if (!this.#db.open) return;
    const version = this.#stmt.dataVersion.get()?.data_version ?? 0;
    if (version === this.#dataVersion) return;
    this.#dataVersion = version;
    for (const listener of this.#listeners) listener(null);
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#listeners.clear();
    if (this.#ownsDb && this.#db.open) this.#db.close();
  }
}
