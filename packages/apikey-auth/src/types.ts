/**
 * One stored API key. The key itself is never stored: only `keyHash = HMAC-SHA256(pepper, key)` (base64url) and
 * the id of the pepper that made it. Times are epoch milliseconds.
 */
export interface ApiKeyRecord {
  /** Stable public id, e.g. `key_3xY…` (what events, the principal and the CLI use). */
  readonly id: string;
  /** base64url HMAC-SHA256 of the key under the pepper `pepperId`. */
  readonly keyHash: string;
  readonly pepperId: string;
  /** The key's first characters (`mcpw_AbC1`), to recognise it in a list. Not enough to use it. */
  readonly displayPrefix: string;
  readonly name: string;
  /** Owner / principal id the key acts for (claims.owner of the principal). */
  readonly owner: string;
  readonly scopes: readonly string[];
  readonly roles: readonly string[];
  readonly createdAt: number;
  readonly expiresAt: number | null;
  readonly lastUsedAt: number | null;
  readonly revokedAt: number | null;
  /** Uses left; `null` for unlimited. */
  readonly remainingUses: number | null;
  /** Client address ranges the key may be used from (CIDR); empty for anywhere. */
  readonly allowedCidrs: readonly string[];
  readonly metadata: Readonly<Record<string, unknown>>;
  /** The key this one replaced by rotation. */
  readonly rotatedFrom: string | null;
  /** The key that replaced this one by rotation. */
  readonly replacedBy: string | null;
}

/** Fields a store may change after insertion. */
export type ApiKeyRecordPatch = Partial<
  Pick<
    ApiKeyRecord,
    | 'keyHash'
    | 'pepperId'
    | 'name'
    | 'scopes'
    | 'roles'
    | 'expiresAt'
    | 'revokedAt'
    | 'remainingUses'
    | 'allowedCidrs'
    | 'metadata'
    | 'replacedBy'
    | 'lastUsedAt'
  >
>;

/** What an invalidation names: one key id, or `null` for "drop everything you cached". */
export type ApiKeyInvalidation = string | null;

/**
 * Where API-key records live. Implementations: {@link MemoryApiKeyStore}, {@link SqliteApiKeyStore},
 * {@link RedisApiKeyStore}. Write your own against the same contract (ids and hashes unique; `update` of a
 * `keyHash` moves the hash index; `consumeUse` atomic).
 */
export interface ApiKeyStore {
  /** Short name for diagnostics (`memory`, `sqlite`, `redis`). */
  readonly kind: string;
  /** Adds a record. Rejects when the id or the hash already exists. */
  insert(record: ApiKeyRecord): Promise<void>;
  getById(id: string): Promise<ApiKeyRecord | undefined>;
  getByHash(keyHash: string): Promise<ApiKeyRecord | undefined>;
  /**
   * Optional synchronous `getByHash` for stores that keep every record in memory: spares the hot path a promise,
   * and tells the manager its cache needs no entry limit in front of this store.
   */
  getByHashSync?(keyHash: string): ApiKeyRecord | undefined;
  /** All records (optionally of one owner), oldest first. */
  list(filter?: { owner?: string }): Promise<ApiKeyRecord[]>;
  /**
   * Applies a patch and returns the new record (`undefined` when the id is unknown). Shared stores tell the other
   * instances (see {@link ApiKeyStore.onInvalidate}).
   */
  update(id: string, patch: ApiKeyRecordPatch): Promise<ApiKeyRecord | undefined>;
  /**
   * Atomically takes one use of a limited-use key and sets `lastUsedAt`. Returns the uses left afterwards, or
   * `undefined` when none could be taken (unknown id, no uses left, or an unlimited key).
   */
  consumeUse(id: string, at: number): Promise<number | undefined>;
  /** Records a use (best effort, may be coalesced). */
  touch(id: string, at: number): Promise<void>;
  /** Deletes a record for good (revocation keeps it; this is for clean-up). Returns whether it existed. */
  delete(id: string): Promise<boolean>;
  /**
   * Subscribes to changes made by OTHER instances sharing this store (Redis pub/sub; SQLite `data_version`; the
   * memory store tells every manager sharing the store object), so their caches can drop entries. Returns the
   * unsubscribe function.
   */
  onInvalidate?(listener: (invalidation: ApiKeyInvalidation) => void): () => void;
  close(): Promise<void>;
}

/** Lifecycle events the manager emits; the shape is a core `SecurityEventInput` without `plugin`. */
export interface ApiKeyLifecycleEvent {
  readonly type: 'key.created' | 'key.revoked' | 'key.rotated';
  readonly outcome: 'info';
  /** Who did it (a principal id, `cli`, `bootstrap`), when the caller said. */
  readonly principalId?: string;
  readonly reason: string;
  readonly details: Readonly<Record<string, unknown>>;
}

/** State of a key at a point in time. */
export type ApiKeyState = 'active' | 'expired' | 'revoked' | 'exhausted';

/** JSON-serialisable, secret-free view of a record (for lists, the CLI and admin APIs). */
export interface ApiKeyInfo {
  id: string;
  name: string;
  owner: string;
  displayPrefix: string;
  scopes: string[];
  roles: string[];
  state: ApiKeyState;
  /** ISO 8601 times, `null` when not set. */
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
  remainingUses: number | null;
  allowedCidrs: string[];
  metadata: Record<string, unknown>;
  rotatedFrom: string | null;
  replacedBy: string | null;
}
