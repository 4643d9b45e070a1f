import type { RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';
import { addressKey } from './address.js';
import { type BruteForceOptions, bruteForceSchema } from './options.js';
import type { LimiterStore } from './store.js';

/**
 * What a verdict or failure applies to: `credential` is one credential from one address (or, for requests whose
 * credential the guard cannot see, the address's anonymous share); `address` is everything from the address.
 * Recorded in events, never sent to the client.
 */
export type BruteForceScope = 'credential' | 'address';

/** What {@link BruteForceGuard.check} decides for an address (and credential) before it may try to authenticate. */
export type BruteForceVerdict =
  | { readonly action: 'allow'; readonly address: string }
  /** In a cool-down after recent failures: refuse this attempt, the next one after `retryAfterMs` is allowed. */
  | {
      readonly action: 'slow';
      readonly address: string;
      readonly retryAfterMs: number;
      readonly scope: BruteForceScope;
    }
  /** Blocked after too many failures: refuse until `retryAfterMs` passes. */
  | {
      readonly action: 'block';
      readonly address: string;
      readonly retryAfterMs: number;
      readonly scope: BruteForceScope;
    };

/** The effect of recording one failure. */
export interface FailureRecord {
  readonly address: string;
  /** Failures within the window, this one included: of the credential, or of the address when `scope` is `address`. */
  readonly failures: number;
  /** `cooldown`: the next attempt has to wait; `blocked`: the credential or address is now blocked. */
  readonly consequence: 'none' | 'cooldown' | 'blocked';
  /** Seconds of the cool-down or block imposed. */
  readonly seconds?: number;
  /** What the consequence applies to (absent when there is none). */
  readonly scope?: BruteForceScope;
}

/** Counter key of a credential from an address; `-` stands for "no credential the guard can see". */
function pairKey(address: string, credential: string | undefined): string {
  return `${address}|${credential ?? '-'}`;
}

/** Successful credentials remembered at most this many (per process) to spare the store a write per request. */
const MAX_REMEMBERED_SUCCESSES = 10_000;

function isActive(res: RateLimiterRes | null, limiter: RateLimiterAbstract): res is RateLimiterRes {
  return res !== null && res.consumedPoints > limiter.points && res.msBeforeNext > 0;
}

/**
 * Pre-authentication brute-force protection per client address and presented credential.
 *
 * - Per credential and address: failures are counted within a window; from `slowAfter` failures on, each
 *   failure imposes a doubling cool-down on that credential from that address; at `maxFailures` the pair is
 *   blocked for `blockSeconds`. Other credentials from the same address are not affected, so one client's
 *   failures behind a NAT do not lock out another's valid credential.
 * - Per address: failures of all credentials together; at `addressMaxFailures` (much higher) the whole address
 *   is blocked for `blockSeconds`, which caps spraying many different credentials. A credential that
 *   authenticated successfully within `windowSeconds` (from anywhere) is still let through to authentication
 *   during an address block; every other credential is refused.
 *
 * `credential` is a fingerprint (see `CredentialFingerprinter`), never the credential itself; without one, a
 * failure is counted for the address's "no visible credential" share, which behaves like the per-address
 * counter of earlier versions.
 *
 * Refusing (429 + `Retry-After`) rather than delaying the response is deliberate: a delayed response would hold
 * a socket per attempt, which an attacker can use to exhaust the server. Counters live in the given store, so
 * instances sharing Redis share failures and blocks.
 *
 * @example
 * const guard = new BruteForceGuard(createMemoryStore(), { maxFailures: 5, blockSeconds: 600 });
 * await guard.recordFailure('203.0.113.9', fingerprint);
 * const verdict = await guard.check('203.0.113.9', fingerprint); // { action: 'allow' | 'slow' | 'block', … }
 */
export class BruteForceGuard {
  readonly options: BruteForceOptions;
  /** The address-wide threshold in effect (`addressMaxFailures` or its default). */
  readonly addressMaxFailures: number;
  readonly #failures: RateLimiterAbstract;
  readonly #blocks: RateLimiterAbstract;
  readonly #cooldowns: RateLimiterAbstract;
  readonly #addressFailures: RateLimiterAbstract;
  readonly #addressBlocks: RateLimiterAbstract;
  readonly #trusted: RateLimiterAbstract;
  /** Credential → when this process last marked it trusted (ms); bounded, oldest first. */
  readonly #marked = new Map<string, number>();
  readonly #ipv6Subnet: number;

  constructor(
    store: LimiterStore,
    options: Partial<BruteForceOptions> = {},
    settings: { ipv6Subnet?: number } = {},
  ) {
    this.options = bruteForceSchema.parse(options);
    this.#ipv6Subnet = settings.ipv6Subnet ?? 64;
    const o = this.options;
    this.addressMaxFailures = o.addressMaxFailures ?? Math.max(100, o.maxFailures * 10);
    this.#failures = store.create({
      keyPrefix: 'bf-failures',
      points: o.maxFailures,
      duration: o.windowSeconds,
    });
    this.#blocks = store.create({ keyPrefix: 'bf-blocks', points: 1, duration: o.blockSeconds });
    this.#cooldowns = store.create({ keyPrefix: 'bf-cooldowns', points: 1, duration: o.maxSlowdownSeconds });
    this.#addressFailures = store.create({
      keyPrefix: 'bf-address-failures',
      points: this.addressMaxFailures,
      duration: o.windowSeconds,
    });
    this.#addressBlocks = store.create({
      keyPrefix: 'bf-address-blocks',
      points: 1,
      duration: o.blockSeconds,
    });
    this.#trusted = store.create({ keyPrefix: 'bf-trusted', points: 1, duration: o.windowSeconds });
  }

  /** Whether `remoteAddress` may attempt authentication now with the credential fingerprinted as `credential`. */
  async check(remoteAddress: string, credential?: string): Promise<BruteForceVerdict> {
    const address = addressKey(remoteAddress, this.#ipv6Subnet);
    const pair = pairKey(address, credential);
    const [addressBlock, block, cooldown] = await Promise.all([
      this.#addressBlocks.get(address),
      this.#blocks.get(pair),
      this.#cooldowns.get(pair),
    ]);
    if (isActive(block, this.#blocks))
      return { action: 'block', address, retryAfterMs: block.msBeforeNext, scope: 'credential' };
    if (isActive(addressBlock, this.#addressBlocks)) {
      // Only a credential that authenticated recently is let through to authentication (checked only here, so a
      // request from an unblocked address costs no extra store round trip).
      const trusted = credential === undefined ? null : await this.#trusted.get(credential);
      if (!isActive(trusted, this.#trusted))
        return { action: 'block', address, retryAfterMs: addressBlock.msBeforeNext, scope: 'address' };
    }
    if (isActive(cooldown, this.#cooldowns))
      return { action: 'slow', address, retryAfterMs: cooldown.msBeforeNext, scope: 'credential' };
    return { action: 'allow', address };
  }

  /**
   * Counts a failed authentication from `remoteAddress` with the credential fingerprinted as `credential`, and
   * imposes a cool-down or block when due (the address-wide block takes precedence in the record).
   */
  async recordFailure(remoteAddress: string, credential?: string): Promise<FailureRecord> {
    const address = addressKey(remoteAddress, this.#ipv6Subnet);
    const pair = pairKey(address, credential);
    const o = this.options;
    const [res, wide] = await Promise.all([
      this.#failures.penalty(pair, 1),
      this.#addressFailures.penalty(address, 1),
    ]);
    if (wide.consumedPoints >= this.addressMaxFailures) {
      await this.#addressBlocks.block(address, o.blockSeconds);
      await this.#addressFailures.delete(address);
      return {
        address,
        failures: wide.consumedPoints,
        consequence: 'blocked',
        seconds: o.blockSeconds,
        scope: 'address',
      };
    }
    const failures = res.consumedPoints;
    if (failures >= o.maxFailures) {
      await this.#blocks.block(pair, o.blockSeconds);
      // After the block the pair starts from zero (the block was the consequence of these failures).
      await Promise.all([this.#failures.delete(pair), this.#cooldowns.delete(pair)]);
      return { address, failures, consequence: 'blocked', seconds: o.blockSeconds, scope: 'credential' };
    }
    if (failures >= o.slowAfter) {
      const seconds = Math.min(o.slowdownSeconds * 2 ** (failures - o.slowAfter), o.maxSlowdownSeconds);
      await this.#cooldowns.block(pair, seconds);
      return { address, failures, consequence: 'cooldown', seconds, scope: 'credential' };
    }
    return { address, failures, consequence: 'none' };
  }

  /**
   * Remembers that `credential` authenticated: for `windowSeconds` it is let through an address block (its own
   * per-credential counter still applies). Called for every successful authentication; writes to the store at
   * most every quarter window per credential.
   */
  async markTrusted(credential: string): Promise<void> {
    if (this.#shouldMarkTrusted(credential))
      await this.#trusted.block(credential, this.options.windowSeconds);
  }

  /**
   * Forgets the failures and cool-down of `credential` from `remoteAddress` and the address's failure count (not
   * an active block). The plugin calls it on success only with `resetOnSuccess`.
   */
  async recordSuccess(remoteAddress: string, credential?: string): Promise<void> {
    const address = addressKey(remoteAddress, this.#ipv6Subnet);
    const pair = pairKey(address, credential);
    await Promise.all([
      this.#failures.delete(pair),
      this.#cooldowns.delete(pair),
      this.#addressFailures.delete(address),
    ]);
  }

  /**
   * An operator's unblock: lifts the address-wide block and forgets the address's failures, and those of
   * `credential` from it (without one: of the requests whose credential the guard cannot see). Blocks of other
   * credentials from the address run out on their own.
   */
  async release(remoteAddress: string, credential?: string): Promise<void> {
    const address = addressKey(remoteAddress, this.#ipv6Subnet);
    const pair = pairKey(address, credential);
    await Promise.all([
      this.#failures.delete(pair),
      this.#cooldowns.delete(pair),
      this.#blocks.delete(pair),
      this.#addressFailures.delete(address),
      this.#addressBlocks.delete(address),
    ]);
  }

  /** Refreshes the trusted mark at most every quarter window per credential (one store write, not one per request). */
  #shouldMarkTrusted(credential: string): boolean {
    const now = Date.now();
    const last = this.#marked.get(credential);
    if (last !== undefined && now - last < (this.options.windowSeconds * 1000) / 4) return false;
    this.#marked.delete(credential);
    this.#marked.set(credential, now);
    if (this.#marked.size > MAX_REMEMBERED_SUCCESSES) {
      const oldest = this.#marked.keys().next().value;
      if (oldest !== undefined) this.#marked.delete(oldest);
    }
    return true;
  }
}
