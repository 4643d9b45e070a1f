import { Redis } from 'ioredis';
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import type { RedisStoreOptions } from './options.js';

/** One counter family: `points` per `duration` seconds, under `keyPrefix`. */
export interface LimiterSpec {
  /** Distinguishes this counter family from every other one in the store. */
  keyPrefix: string;
  points: number;
  /** Seconds. */
  duration: number;
  /** Seconds a key stays refused once over budget; 0 = until the window ends. */
  blockDuration?: number;
}

/** Store health as seen by the plugin; `degraded` means counting happens in memory on this instance only. */
export interface StoreHealthChange {
  type: 'store.degraded' | 'store.recovered';
  /** Why, without credentials (e.g. `connect ECONNREFUSED 127.0.0.1:6379`). */
  reason: string;
}

/** Where limiters keep their counters. */
export interface LimiterStore {
  readonly type: 'memory' | 'redis';
  /** True while the shared store is unreachable and the in-memory fallback answers. */
  readonly degraded: boolean;
  /** A rate-limiter-flexible limiter for `spec` on this store. */
  create(spec: LimiterSpec): RateLimiterAbstract;
  close(): Promise<void>;
}

/** Counters in this process only: fast, lost on restart, not shared between instances. */
export function createMemoryStore(): LimiterStore {
  return {
    type: 'memory',
    degraded: false,
    create: (spec) =>
      new RateLimiterMemory({
        keyPrefix: spec.keyPrefix,
        points: spec.points,
        duration: spec.duration,
        blockDuration: spec.blockDuration ?? 0,
      }),
    close: async () => {},
  };
}

/** Removes `user:password@` from anything that might carry a connection URL. */
function scrub(text: string): string {
  return text.replace(/\/\/[^/@\s]*@/g, '//***@').slice(0, 300);
}

function describe(error: unknown): string {
  if (error instanceof Error) return scrub(error.message || error.name);
  return scrub(String(error));
}

/**
 * Counters in Redis, shared by every instance that uses the same Redis and key prefix. Each limiter gets an
 * in-memory insurance limiter (rate-limiter-flexible's `insuranceLimiter`): while Redis is unreachable, consumes
 * are answered from memory on this instance instead of failing. The connection state (ioredis `ready` vs
 * `error`/`close`/`end`) drives the `store.degraded` / `store.recovered` notifications.
 */
export class RedisLimiterStore implements LimiterStore {
  readonly type = 'redis' as const;
  readonly client: Redis;
  readonly #ownsClient: boolean;
  readonly #options: RedisStoreOptions;
  readonly #onChange: (change: StoreHealthChange) => void;
  #degraded = false;
  #closed = false;
  readonly #listeners: [string, (...args: unknown[]) => void][] = [];

  private constructor(options: RedisStoreOptions, onChange: (change: StoreHealthChange) => void) {
    this.#options = options;
    this.#onChange = onChange;
    if (options.client) {
      this.client = options.client;
      this.#ownsClient = false;
    } else {
      // No offline queue and one retry per command: while Redis is down a consume fails at once and the
      // insurance limiter answers, instead of the request waiting for a reconnection.
      this.client = new Redis(options.url ?? 'redis://127.0.0.1:6379', {
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        commandTimeout: options.commandTimeoutMs,
        connectTimeout: options.connectTimeoutMs,
        retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2_000),
      });
      this.#ownsClient = true;
    }
    this.#listen('ready', () => this.#setHealthy());
    this.#listen('error', (error) => this.#setDegraded(describe(error)));
    this.#listen('close', () => this.#setDegraded('connection closed'));
    this.#listen('end', () => this.#setDegraded('connection ended'));
  }

  /** Connects (waiting at most `connectTimeoutMs`); an unreachable Redis starts the store degraded, not failed. */
  static async connect(
    options: RedisStoreOptions,
    onChange: (change: StoreHealthChange) => void,
  ): Promise<RedisLimiterStore> {
    const store = new RedisLimiterStore(options, onChange);
    const { client } = store;
    if (client.status === 'ready') return store;
    const ready = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, options.connectTimeoutMs);
      timer.unref();
      client.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    // Failures arrive as 'error' events. A client handed in with `lazyConnect` is still waiting: connect it too.
    if (store.#ownsClient || client.status === 'wait') client.connect().catch(() => {});
    await ready;
    if ((client.status as string) !== 'ready')
      store.#setDegraded(`not connected within ${options.connectTimeoutMs} ms`);
    return store;
  }

  get degraded(): boolean {
    return this.#degraded;
  }

  create(spec: LimiterSpec): RateLimiterAbstract {
    const blockDuration = spec.blockDuration ?? 0;
    const keyPrefix = `${this.#options.keyPrefix}:${spec.keyPrefix}`;
    const insurance = new RateLimiterMemory({
      keyPrefix,
      points: Math.max(1, Math.floor(spec.points / this.#options.fallbackInstances)),
      duration: spec.duration,
      blockDuration,
    });
    return new RateLimiterRedis({
      storeClient: this.client,
      keyPrefix,
      points: spec.points,
      duration: spec.duration,
      blockDuration,
      rejectIfRedisNotReady: true,
      insuranceLimiter: insurance,
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const [event, listener] of this.#listeners) this.client.off(event, listener);
    if (!this.#ownsClient) return;
    // Keep an error listener so a late socket error cannot crash the process after close.
    this.client.on('error', () => {});
    if (this.client.status === 'ready') {
      await this.client.quit().catch(() => this.client.disconnect());
    } else {
      this.client.disconnect();
    }
  }

  #listen(event: string, listener: (...args: unknown[]) => void): void {
    this.client.on(event, listener);
    this.#listeners.push([event, listener]);
  }

  #setDegraded(reason: string): void {
    if (this.#degraded || this.#closed) return;
    this.#degraded = true;
    this.#onChange({ type: 'store.degraded', reason });
  }

  #setHealthy(): void {
    if (!this.#degraded || this.#closed) return;
    this.#degraded = false;
    this.#onChange({ type: 'store.recovered', reason: 'Redis connection ready again' });
  }
}
