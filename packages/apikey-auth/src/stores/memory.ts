import { applyPatch, freezeRecord } from '../record.js';
import type { ApiKeyInvalidation, ApiKeyRecord, ApiKeyRecordPatch, ApiKeyStore } from '../types.js';

/**
 * In-process store: two maps (by id, by hash). For tests, single-process servers and stdio. Nothing survives a
 * restart.
 * @example
 * const manager = new ApiKeyManager({ store: new MemoryApiKeyStore(), peppers: [{ id: 'p1', secret }] });
 */
export class MemoryApiKeyStore implements ApiKeyStore {
  readonly kind = 'memory';
  readonly #byId = new Map<string, ApiKeyRecord>();
  readonly #byHash = new Map<string, ApiKeyRecord>();
  /** Kept apart from the frozen records so recording a use is one `Map.set`, not a record copy. */
  readonly #lastUsed = new Map<string, number>();
  readonly #listeners = new Set<(invalidation: ApiKeyInvalidation) => void>();

  async insert(record: ApiKeyRecord): Promise<void> {
    this.insertSync(record);
  }

  /**
   * Synchronous insert, for bulk loading (benchmarks, imports). Same checks as {@link MemoryApiKeyStore.insert}.
   */
  insertSync(record: ApiKeyRecord): void {
    if (this.#byId.has(record.id)) throw new Error(`An API key with id "${record.id}" already exists.`);
    if (this.#byHash.has(record.keyHash)) throw new Error('An API key with the same hash already exists.');
    const frozen = freezeRecord(record);
    this.#byId.set(frozen.id, frozen);
    this.#byHash.set(frozen.keyHash, frozen);
  }

  async getById(id: string): Promise<ApiKeyRecord | undefined> {
    const record = this.#byId.get(id);
    return record && this.#withLastUsed(record);
  }

  /** The hot path: the stored record as is (its `lastUsedAt` may lag behind {@link MemoryApiKeyStore.touch}). */
  async getByHash(keyHash: string): Promise<ApiKeyRecord | undefined> {
    return this.#byHash.get(keyHash);
  }

  getByHashSync(keyHash: string): ApiKeyRecord | undefined {
    return this.#byHash.get(keyHash);
  }

  #withLastUsed(record: ApiKeyRecord): ApiKeyRecord {
    const lastUsedAt = this.#lastUsed.get(record.id);
    return lastUsedAt === undefined || lastUsedAt === record.lastUsedAt
      ? record
      : freezeRecord({ ...record, lastUsedAt });
  }

  async list(filter: { owner?: string } = {}): Promise<ApiKeyRecord[]> {
    const all = [...this.#byId.values()].map((r) => this.#withLastUsed(r));
    const selected = filter.owner === undefined ? all : all.filter((r) => r.owner === filter.owner);
    return selected.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
  }

  async update(id: string, patch: ApiKeyRecordPatch): Promise<ApiKeyRecord | undefined> {
    const current = this.#byId.get(id);
    if (!current) return undefined;
    const next = applyPatch(this.#withLastUsed(current), patch);
    if (next.keyHash !== current.keyHash) {
      if (this.#byHash.has(next.keyHash)) throw new Error('An API key with the same hash already exists.');
      this.#byHash.delete(current.keyHash);
    }
    if (next.lastUsedAt === null) this.#lastUsed.delete(id);
    else this.#lastUsed.set(id, next.lastUsedAt);
    this.#byId.set(id, next);
    this.#byHash.set(next.keyHash, next);
    this.#changed(id);
    return this.#withLastUsed(next);
  }

  async consumeUse(id: string, at: number): Promise<number | undefined> {
    const current = this.#byId.get(id);
    if (!current || current.remainingUses === null || current.remainingUses <= 0) return undefined;
    const next = await this.update(id, { remainingUses: current.remainingUses - 1, lastUsedAt: at });
    return next?.remainingUses ?? undefined;
  }

  async touch(id: string, at: number): Promise<void> {
    if (this.#byId.has(id)) this.#lastUsed.set(id, at);
  }

  async delete(id: string): Promise<boolean> {
    const current = this.#byId.get(id);
    if (!current) return false;
    this.#byId.delete(id);
    this.#byHash.delete(current.keyHash);
    this.#lastUsed.delete(id);
    this.#changed(id);
    return true;
  }

  /**
   * Every manager sharing this store object hears of every change to a record (the one that made it too), so
   * none of their caches keeps a stale copy, whoever changed it.
   */
  onInvalidate(listener: (invalidation: ApiKeyInvalidation) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #changed(id: string): void {
    for (const listener of this.#listeners) listener(id);
  }

  /** Number of records. */
  get size(): number {
    return this.#byId.size;
  }

  async close(): Promise<void> {}
}
