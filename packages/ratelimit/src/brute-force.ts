import type { RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';
import { addressKey } from './address.js';
import { type BruteForceOptions, bruteForceSchema } from './options.js';
import type { LimiterStore } from './store.js';

/** What {@link BruteForceGuard.check} decides for an address before it may try to authenticate. */
export type BruteForceVerdict =
  | { readonly action: 'allow'; readonly address: string }
  /** In a cool-down after recent failures: refuse this attempt, the next one after `retryAfterMs` is allowed. */
  | { readonly action: 'slow'; readonly address: string; readonly retryAfterMs: number }
  /** Blocked after `maxFailures` failures: refuse everything from the address until `retryAfterMs` passes. */
  | { readonly action: 'block'; readonly address: string; readonly retryAfterMs: number };

/** The effect of recording one failure. */
export interface FailureRecord {
  readonly address: string;
  /** Failures within the window, this one included. */
  readonly failures: number;
  /** `cooldown`: the next attempt has to wait; `blocked`: the address is now blocked. */
  readonly consequence: 'none' | 'cooldown' | 'blocked';
  /** Seconds of the cool-down or block imposed. */
  readonly seconds?: number;
}

function isActive(res: RateLimiterRes | null, limiter: RateLimiterAbstract): res is RateLimiterRes {
  return res !== null && res.consumedPoints > limiter.points && res.msBeforeNext > 0;
}

/**
 * Pre-authentication brute-force protection per client address: failures are counted within a window; from
 * `slowAfter` failures on, each failure imposes a doubling cool-down during which attempts are refused; at
 * `maxFailures` the address is blocked for `blockSeconds`. Refusing (429 + `Retry-After`) rather than delaying
 * the response is deliberate: a delayed response would hold a socket per attempt, which an attacker can use to
 * exhaust the server.
 *
 * Counters live in the given store, so instances sharing Redis share failures and blocks.
 *
 * @example
 * const guard = new BruteForceGuard(createMemoryStore(), { maxFailures: 5, blockSeconds: 600 });
 * await guard.recordFailure('203.0.113.9');
 * const verdict = await guard.check('203.0.113.9'); // { action: 'allow' | 'slow' | 'block', … }
 */
export class BruteForceGuard {
  readonly options: BruteForceOptions;
  readonly #failures: RateLimiterAbstract;
  readonly #blocks: RateLimiterAbstract;
  readonly #cooldowns: RateLimiterAbstract;
  readonly #ipv6Subnet: number;

  constructor(
    store: LimiterStore,
    options: Partial<BruteForceOptions> = {},
    settings: { ipv6Subnet?: number } = {},
  ) {
    this.options = bruteForceSchema.parse(options);
    this.#ipv6Subnet = settings.ipv6Subnet ?? 64;
    const o = this.options;
    this.#failures = store.create({
      keyPrefix: 'bf-failures',
      points: o.maxFailures,
      duration: o.windowSeconds,
    });
    this.#blocks = store.create({ keyPrefix: 'bf-blocks', points: 1, duration: o.blockSeconds });
    this.#cooldowns = store.create({ keyPrefix: 'bf-cooldowns', points: 1, duration: o.maxSlowdownSeconds });
  }

  /** Whether `remoteAddress` may attempt authentication now. */
  async check(remoteAddress: string): Promise<BruteForceVerdict> {
    const address = addressKey(remoteAddress, this.#ipv6Subnet);
    const [block, cooldown] = await Promise.all([this.#blocks.get(address), this.#cooldowns.get(address)]);
    if (isActive(block, this.#blocks)) return { action: 'block', address, retryAfterMs: block.msBeforeNext };
    if (isActive(cooldown, this.#cooldowns))
      return { action: 'slow', address, retryAfterMs: cooldown.msBeforeNext };
    return { action: 'allow', address };
  }

  /** Counts a failed authentication from `remoteAddress` and imposes a cool-down or block when due. */
  async recordFailure(remoteAddress: string): Promise<FailureRecord> {
    const address = addressKey(remoteAddress, this.#ipv6Subnet);
    const o = this.options;
    const res = await this.#failures.penalty(address, 1);
    const failures = res.consumedPoints;
    if (failures >= o.maxFailures) {
      await this.#blocks.block(address, o.blockSeconds);
      // After the block the address starts from zero (the block was the consequence of these failures).
      await Promise.all([this.#failures.delete(address), this.#cooldowns.delete(address)]);
      return { address, failures, consequence: 'blocked', seconds: o.blockSeconds };
    }
    if (failures >= o.slowAfter) {
      const seconds = Math.min(o.slowdownSeconds * 2 ** (failures - o.slowAfter), o.maxSlowdownSeconds);
      await this.#cooldowns.block(address, seconds);
      return { address, failures, consequence: 'cooldown', seconds };
    }
    return { address, failures, consequence: 'none' };
  }

  /** Forgets the failures and cool-down of `remoteAddress` (not an active block). */
  async recordSuccess(remoteAddress: string): Promise<void> {
    const address = addressKey(remoteAddress, this.#ipv6Subnet);
    await Promise.all([this.#failures.delete(address), this.#cooldowns.delete(address)]);
  }

  /** Lifts a block and forgets the failures of `remoteAddress` (an operator's unblock). */
  async release(remoteAddress: string): Promise<void> {
    const address = addressKey(remoteAddress, this.#ipv6Subnet);
    await Promise.all([
      this.#failures.delete(address),
      this.#cooldowns.delete(address),
      this.#blocks.delete(address),
    ]);
  }
}
