import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';

/** SHA-256 of a token (hex): how tokens are keyed in caches, so no cache ever holds a usable credential. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A bounded LRU of verified results keyed by token hash; an entry never outlives its own `until` (epoch ms). */
export class VerifiedTokenCache<T> {
  readonly #cache: LRUCache<string, { value: T; until: number }>;
  readonly #ttlMs: number;

  constructor(options: { maxEntries: number; ttlSeconds: number }) {
    this.#ttlMs = options.ttlSeconds * 1000;
    this.#cache = new LRUCache({ max: options.maxEntries });
  }

  get(key: string): T | undefined {
    const entry = this.#cache.get(key);
    if (!entry) return undefined;
    if (entry.until <= Date.now()) {
      this.#cache.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Stores `value` until the earlier of `until` (e.g. the token's `exp`) and now + the cache TTL. */
  set(key: string, value: T, until: number): void {
    const bound = Math.min(until, Date.now() + this.#ttlMs);
    if (bound > Date.now()) this.#cache.set(key, { value, until: bound });
  }

  clear(): void {
    this.#cache.clear();
  }

  get size(): number {
    return this.#cache.size;
  }
}
