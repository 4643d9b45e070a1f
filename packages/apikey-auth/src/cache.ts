import type { Principal } from '@mcp-warden/core';
import type { CidrMatcher } from './cidr.js';
import type { ApiKeyInvalidation, ApiKeyRecord } from './types.js';

/**
 * A record that verified, with what the manager derives from it once per record object (records are immutable):
 * the frozen success result and the address-range matcher.
 */
export interface VerifiedRecord {
  readonly record: ApiKeyRecord;
  readonly result: { readonly ok: true; readonly record: ApiKeyRecord; readonly principal: Principal };
  /** The record's `allowedCidrs` ready to match, or `null` when the key may be used from anywhere. */
  readonly cidrs: CidrMatcher | null;
  /** When this instance last recorded a use of the key (for the throttled `lastUsedAt` write). */
  touchedAt: number;
}

/** A cache entry: a verified record until `until` (epoch ms). */
export interface VerifiedKeyEntry extends VerifiedRecord {
  readonly until: number;
}

/**
 * Bounded cache of verified keys, keyed by the key's HMAC under the current pepper (the same one-way digest the
 * store holds, so the cache holds no more than the store does). A key only gets an entry after it was fully
 * verified against the store (format check, HMAC lookup, constant-time compare).
 *
 * It never outlives what it caches: the caller still checks revocation and expiry of the cached record on every
 * use, local changes invalidate at once, other instances' changes arrive through the store's `onInvalidate`, and
 * every entry has a TTL as a last resort. A generation counter stops a lookup that raced an invalidation from
 * putting a stale record back. Eviction is FIFO (insertion order of the Map), cheaper than LRU on every hit, with
 * probabilistic admission once full (see `admitOneIn`), so frequently used keys stay and one-off keys do not
 * churn it. `maxEntries` may be `Infinity` (no eviction: only keys that verified get in, so the number of valid
 * keys bounds it).
 */
export class VerifiedKeyCache {
  readonly #byHash = new Map<string, VerifiedKeyEntry>();
  readonly #hashById = new Map<string, string>();
  /**
   * Where eviction goes on: a Map iterator follows insertion order, skips deleted entries and sees later ones, so
   * one long-lived iterator finds the oldest entry in amortised constant time. (A fresh `keys().next()` per
   * eviction re-walks the slots of every entry deleted since the table was last rebuilt: about 5 µs per eviction
   * at 10,000 entries, measured.)
   */
  #evictionCursor: Iterator<string> | undefined;
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
  set(keyHash: string, verified: VerifiedRecord, now: number, generation: number): void {
    const { record, result, cidrs } = verified;
    if (generation !== this.#generation || this.maxEntries <= 0) return;
    // Full: admit only one newcomer in `admitOneIn`. A key used often gets in after a few misses; a stream of
    // keys used once each (a scan, a working set far larger than the cache) no longer churns the cache, which
    // would cost an eviction per request and keep the garbage collector busy with mid-lived entries.
    const full = this.#byHash.size >= this.maxEntries;
    if (full && this.admitOneIn > 1 && !(Math.random() * this.admitOneIn < 1)) return;
    const previousHash = this.#hashById.get(record.id);
    if (previousHash !== undefined) this.#byHash.delete(previousHash);
    if (this.#byHash.size >= this.maxEntries) this.#evictOldest();
    this.#byHash.set(keyHash, {
      record,
      result,
      cidrs,
      until: now + this.ttlMs,
      touchedAt: verified.touchedAt,
    });
    this.#hashById.set(record.id, keyHash);
  }

  /** Drops one key id, or everything for `null`. */
  invalidate(invalidation: ApiKeyInvalidation): void {
    this.#generation++;
    if (invalidation === null) {
      this.#byHash.clear();
      this.#hashById.clear();
      this.#evictionCursor = undefined;
      return;
    }
    const hash = this.#hashById.get(invalidation);
    if (hash !== undefined) this.#delete(hash, invalidation);
  }

  #evictOldest(): void {
    let next = this.#evictionCursor?.next();
    if (next === undefined || next.done) {
      this.#evictionCursor = this.#byHash.keys();
      next = this.#evictionCursor.next();
    }
    if (!next.done) this.#delete(next.value, this.#byHash.get(next.value)?.record.id);
  }

  #delete(keyHash: string, id: string | undefined): void {
    this.#byHash.delete(keyHash);
    if (id !== undefined && this.#hashById.get(id) === keyHash) this.#hashById.delete(id);
  }
}
