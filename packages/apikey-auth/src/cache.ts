import type { Principal } from '@mcp-warden/core';
import type { ApiKeyInvalidation, ApiKeyRecord } from './types.js';

/** A verified key: its record, the (frozen) successful verification result, and bookkeeping. */
export interface VerifiedKeyEntry {
  readonly record: ApiKeyRecord;
  readonly result: { readonly ok: true; readonly record: ApiKeyRecord; readonly principal: Principal };
  readonly until: number;
  /** When this instance last recorded a use of the key (for the throttled `lastUsedAt` write). */
  touchedAt: number;
}

/**
 * Bounded cache of verified keys, keyed by a fingerprint of the key (the manager uses SHA-256 of the key: a
 * one-shot hash, several times cheaper than creating an HMAC, and as one-way for keys with ≥ 160 random bits).
 * A key only gets an entry after it was fully verified against the store (HMAC lookup + constant-time compare).
 *
 * It never outlives what it caches: the caller still checks revocation and expiry of the cached record on every
 * use, local changes invalidate at once, other instances' changes arrive through the store's `onInvalidate`, and
 * every entry has a TTL as a last resort. A generation counter stops a lookup that raced an invalidation from
 * putting a stale record back. Eviction is FIFO (insertion order of the Map), cheaper than LRU on every hit, with
 * probabilistic admission once full (see `admitOneIn`), so frequently used keys stay and one-off keys do not
 * churn it.
 */
export class VerifiedKeyCache {
  readonly #byHash = new Map<string, VerifiedKeyEntry>();
  readonly #hashById = new Map<string, string>();
  #generation = 0;

  /**
   * @param maxEntries bound on the number of entries
   * @param ttlMs lifetime of an entry
   * @param admitOneIn once full, one in this many newly verified keys replaces the oldest entry (1: always)
   */
  constructor(
    readonly maxEntries: number,
    readonly ttlMs: number,
    readonly admitOneIn = 8,
  ) {}

  /** Read before a store lookup; pass to {@link VerifiedKeyCache.set}. */
  get generation(): number {
    return this.#generation;
  }

  get size(): number {
    return this.#byHash.size;
  }

  get(keyHash: string, now: number): VerifiedKeyEntry | undefined {
    const entry = this.#byHash.get(keyHash);
    if (entry === undefined) return undefined;
    if (now >= entry.until) {
      this.#delete(keyHash, entry.record.id);
      return undefined;
    }
    return entry;
  }

  /** Caches `record` unless an invalidation happened since `generation` was read. */
  set(
    keyHash: string,
    result: { readonly ok: true; readonly record: ApiKeyRecord; readonly principal: Principal },
    now: number,
    generation: number,
  ): void {
    const record = result.record;
    if (generation !== this.#generation || this.maxEntries <= 0) return;
    const previousHash = this.#hashById.get(record.id);
    if (previousHash !== undefined) this.#byHash.delete(previousHash);
    if (this.#byHash.size >= this.maxEntries) {
      // Full: admit only one newcomer in `admitOneIn`. A key used often gets in after a few misses; a stream of
      // keys used once each (a scan, a working set far larger than the cache) no longer churns the cache, which
      // would cost an eviction per request and keep the garbage collector busy with mid-lived entries.
      if (this.admitOneIn > 1 && !(Math.random() * this.admitOneIn < 1)) return;
      const oldest = this.#byHash.keys().next();
      if (!oldest.done) this.#delete(oldest.value, this.#byHash.get(oldest.value)?.record.id);
    }
    this.#byHash.set(keyHash, { record, result, until: now + this.ttlMs, touchedAt: now });
    this.#hashById.set(record.id, keyHash);
  }

  /** Drops one key id, or everything for `null`. */
  invalidate(invalidation: ApiKeyInvalidation): void {
    this.#generation++;
    if (invalidation === null) {
      this.#byHash.clear();
      this.#hashById.clear();
      return;
    }
    const hash = this.#hashById.get(invalidation);
    if (hash !== undefined) this.#delete(hash, invalidation);
  }

  #delete(keyHash: string, id: string | undefined): void {
    this.#byHash.delete(keyHash);
    if (id !== undefined && this.#hashById.get(id) === keyHash) this.#hashById.delete(id);
  }
}
