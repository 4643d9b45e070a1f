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

/** What a limiter asks its store before and after talking to Redis. */
interface RedisGate {
  /** False while the store is degraded: the limiter answers from its insurance limiter without a round trip. */
  readonly open: boolean;
  /** A command failed; `timedOut` when it was a command timeout (a possible stall). */
  commandFailed(timedOut: boolean): void;
}

/** `ioredis` rejects a command that outlived `commandTimeout` with this message. */
function isCommandTimeout(error: unknown): boolean {
  return error instanceof Error && /timed out/i.test(error.message);
}

/** The two hooks of rate-limiter-flexible's `RateLimiterRedis` the gate needs (internal, stable since v2). */
interface RedisLimiterInternals {
  _isRedisReady(): boolean;
  _handleError(error: unknown, ...rest: unknown[]): void;
}
const redisInternals = RateLimiterRedis.prototype as unknown as RedisLimiterInternals;

/**
 * A `RateLimiterRedis` that skips Redis while the store is degraded (ioredis' own readiness check does not see a
 * stall: the connection stays "ready"), and reports command timeouts so the store can probe for one.
 */
class GatedRateLimiterRedis extends RateLimiterRedis {
  readonly #gate: RedisGate;

  constructor(options: ConstructorParameters<typeof RateLimiterRedis>[0], gate: RedisGate) {
    super(options);
    this.#gate = gate;
  }

  _isRedisReady(): boolean {
    return this.#gate.open && redisInternals._isRedisReady.call(this);
  }

  _handleError(error: unknown, ...rest: unknown[]): void {
    this.#gate.commandFailed(isCommandTimeout(error));
    redisInternals._handleError.call(this, error, ...rest);
  }
}

/**
 * Counters in Redis, shared by every instance that uses the same Redis and key prefix. Each limiter gets an
 * in-memory insurance limiter (rate-limiter-flexible's `insuranceLimiter`): while Redis is unreachable, consumes
 * are answered from memory on this instance instead of failing. Two signals make the store degraded: the
 * connection state (ioredis `error`/`close`/`end` until `ready` again), and a stall: a health `PING` (every
 * `healthCheckIntervalMs`, and at once after a command timeout) not answered within `healthCheckTimeoutMs`.
 * While degraded, limiters do not even try Redis, so no request waits for a command timeout; the first ping
 * answered in time (or a new `ready` connection) recovers. Each change is reported once, as `store.degraded` /
 * `store.recovered`.
 */
export class RedisLimiterStore implements LimiterStore {
  readonly type = 'redis' as const;
  readonly client: Redis;
  readonly #ownsClient: boolean;
  readonly #options: RedisStoreOptions;
  readonly #onChange: (change: StoreHealthChange) => void;
  /** The connection is down (ioredis events). */
  #disconnected = false;
  /** The connection is up but Redis does not answer in time. */
  #stalled = false;
  #degraded = false;
  #closed = false;
  /** A health ping is outstanding: at most one at a time, so a long stall cannot pile pings up. */
  #probing = false;
  readonly #healthTimer: ReturnType<typeof setInterval>;
  readonly #listeners: [string, (...args: unknown[]) => void][] = [];
  readonly #gate: RedisGate;

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
    const store = this;
    this.#gate = {
      get open() {
        return !store.#degraded;
      },
      commandFailed: (timedOut) => {
        if (timedOut) this.#probe();
      },
    };
    this.#listen('ready', () => {
      this.#disconnected = false;
      // A fresh connection answered its handshake: whatever stalled the old one is over.
      this.#stalled = false;
      this.#update('Redis connection ready again');
    });
    this.#listen('error', (error) => this.#setDisconnected(describe(error)));
    this.#listen('close', () => this.#setDisconnected('connection closed'));
    this.#listen('end', () => this.#setDisconnected('connection ended'));
    this.#healthTimer = setInterval(() => this.#probe(), options.healthCheckIntervalMs);
    this.#healthTimer.unref();
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
      store.#setDisconnected(`not connected within ${options.connectTimeoutMs} ms`);
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
    return new GatedRateLimiterRedis(
      {
        storeClient: this.client,
        keyPrefix,
        points: spec.points,
        duration: spec.duration,
        blockDuration,
        rejectIfRedisNotReady: true,
        insuranceLimiter: insurance,
      },
      this.#gate,
    );
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#healthTimer);
    for (const [event, listener] of this.#listeners) this.client.off(event, listener);
    if (!this.#ownsClient) return;
    // Keep an error listener so a late socket error cannot crash the process after close.
    this.client.on('error', () => {});
    if (this.client.status === 'ready' && !this.#stalled) {
      await this.client.quit().catch(() => this.client.disconnect());
    } else {
      // A stalled server would never answer QUIT.
      this.client.disconnect();
    }
  }

  #listen(event: string, listener: (...args: unknown[]) => void): void {
    this.client.on(event, listener);
    this.#listeners.push([event, listener]);
  }

  /**
   * One health `PING`, unless one is outstanding or the connection is down (the connection events cover that).
   * Late is stalled: the answer must come within `healthCheckTimeoutMs`. A late answer means Redis is back, so
   * it is followed at once by another ping, which recovers the store if answered in time.
   */
  #probe(): void {
    if (this.#closed || this.#probing || this.client.status !== 'ready') return;
    this.#probing = true;
    const timeoutMs = this.#options.healthCheckTimeoutMs;
    let late = false;
    const timer = setTimeout(() => {
      late = true;
      this.#setStalled(`Redis did not answer a health check within ${timeoutMs} ms`);
    }, timeoutMs);
    timer.unref();
    this.client.ping().then(
      () => {
        clearTimeout(timer);
        this.#probing = false;
        if (!late) {
          // Answered in time on a ready connection: neither stalled nor disconnected.
          this.#stalled = false;
          this.#disconnected = false;
          this.#update('Redis answers health checks again');
        } else {
          this.#probe();
        }
      },
      () => {
        // A failed ping (command timeout, connection lost): the timer or the connection events decide.
        clearTimeout(timer);
        this.#probing = false;
        if (!late) this.#setStalled('Redis health check failed');
        // While stalled, nothing else talks to Redis: probe again soon rather than only at the next interval.
        if (this.#stalled && !this.#closed) {
          const retry = setTimeout(() => this.#probe(), Math.min(this.#options.healthCheckIntervalMs, 1_000));
          retry.unref();
        }
      },
    );
  }

  #setStalled(reason: string): void {
    this.#stalled = true;
    this.#update(reason);
  }

  #setDisconnected(reason: string): void {
    this.#disconnected = true;
    this.#update(reason);
  }

  /** Reports `store.degraded` / `store.recovered` once per change of the combined state. */
  #update(reason: string): void {
    if (this.#closed) return;
    const degraded = this.#disconnected || this.#stalled;
    if (degraded === this.#degraded) return;
    this.#degraded = degraded;
    this.#onChange({ type: degraded ? 'store.degraded' : 'store.recovered', reason });
  }
}
