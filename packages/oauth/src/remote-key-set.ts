import { createLocalJWKSet, errors, type JSONWebKeySet, type JWK, type JWTVerifyGetKey } from 'jose';
import { OAUTH_ERROR_CODES, TokenVerificationError } from './errors.js';
import { describeFetchError, readBoundedText } from './http-fetch.js';

/** Settings of a {@link RemoteKeySet}. */
export interface RemoteKeySetOptions {
  /** Keys younger than this are used without asking the endpoint again. @default 600_000 (10 min) */
  cacheMaxAgeMs?: number;
  /** At most one fetch per this interval, whatever happens (unknown `kid`s, failures). @default 30_000 */
  cooldownMs?: number;
  /** Timeout of one fetch. @default 5_000 */
  timeoutMs?: number;
  /**
   * While the endpoint is unreachable, cached keys keep verifying tokens for at most this long after the last
   * successful fetch; after that, verification fails closed. @default 86_400_000 (24 h)
   */
  maxStaleMs?: number;
  /**
   * Longest a request waits for a JWKS fetch, and only when no cached key can verify it (an unknown `kid`, or no
   * usable keys yet). Known keys never wait: once `cacheMaxAgeMs` has passed they keep verifying while a refresh runs
   * in the background (stale-while-revalidate, up to `maxStaleMs`). A fetch that outlasts the wait goes on and its
   * keys serve later requests. @default 1_000
   */
  unknownKidWaitMs?: number;
  /** Largest JWKS document accepted. @default 524_288 */
  maxResponseBytes?: number;
  /** Told when the endpoint becomes unreachable while cached keys are still served, and when it recovers. */
  onStatus?: (status: { degraded: boolean; reason: string }) => void;
}

/**
 * A JWKS fetched from `url` and cached, in front of `jose`'s local key-set matching.
 *
 * Hand-rolled around `createLocalJWKSet` rather than using `jose.createRemoteJWKSet` as is, because the latter
 * (v6) throws away its usable keys when a refresh after `cacheMaxAge` fails (every token then fails while the
 * endpoint is down), and retries a failing endpoint on every unknown `kid` since a failed fetch does not start its
 * cooldown. Here: stale keys keep working until `maxStaleMs`; every fetch attempt, failed or not, starts the
 * cooldown; an unknown `kid` triggers at most one refresh per cooldown, and fails closed with a clear reason.
 */
export class RemoteKeySet {
  readonly url: URL;
  readonly #cacheMaxAgeMs: number;
  readonly #cooldownMs: number;
  readonly #timeoutMs: number;
  readonly #maxStaleMs: number;
  readonly #maxResponseBytes: number;
  readonly #unknownKidWaitMs: number;
  readonly #onStatus: RemoteKeySetOptions['onStatus'];
  #local: JWTVerifyGetKey | undefined;
  #fetchedAt = Number.NEGATIVE_INFINITY;
  #attemptedAt = Number.NEGATIVE_INFINITY;
  #lastError: string | undefined;
  #degraded = false;
  #pending: Promise<boolean> | undefined;

  constructor(url: string | URL, options: RemoteKeySetOptions = {}) {
    this.url = new URL(url);
    this.#cacheMaxAgeMs = options.cacheMaxAgeMs ?? 600_000;
    this.#cooldownMs = options.cooldownMs ?? 30_000;
    this.#timeoutMs = options.timeoutMs ?? 5_000;
    this.#maxStaleMs = options.maxStaleMs ?? 86_400_000;
    this.#maxResponseBytes = options.maxResponseBytes ?? 512 * 1024;
    this.#unknownKidWaitMs = options.unknownKidWaitMs ?? 1_000;
    this.#onStatus = options.onStatus;
  }

  /** The key resolver to hand to `jose.jwtVerify`. */
  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    if (!this.#local || this.#tooStale()) {
      // Nothing usable cached: this request may wait for a fetch, within the budget.
      if (!this.#coolingDown()) void this.refresh();
      const outcome = await this.#awaitPending();
      if (!this.#local) {
        if (outcome === 'late')
          throw this.#unavailable(`the JWKS did not arrive within ${this.#unknownKidWaitMs} ms`);
        if (outcome === 'failed') throw this.#unavailable('the JWKS could not be fetched');
        throw this.#unavailable('no JWKS has been fetched yet');
      }
      if (this.#tooStale()) {
        throw this.#unavailable(
          `cached keys are older than ${Math.round(this.#maxStaleMs / 1000)} s and the JWKS cannot be refreshed`,
        );
      }
    } else if (Date.now() - this.#fetchedAt > this.#cacheMaxAgeMs && !this.#coolingDown()) {
      // Stale but usable: refresh in the background; this request goes on with the cached keys.
      void this.refresh();
    }
    try {
      return await (this.#local as JWTVerifyGetKey)(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
      return this.#unknownKid(header, token);
    }
  };

  /** An unknown `kid`: wait (within the budget) for a fetch in flight, or start one when the cooldown allows. */
  async #unknownKid(
    header: Parameters<JWTVerifyGetKey>[0],
    token: Parameters<JWTVerifyGetKey>[1],
  ): Promise<Awaited<ReturnType<JWTVerifyGetKey>>> {
    const kid = describeKid(header.kid);
    const where = `${this.url.origin}${this.url.pathname}`;
    if (!this.#pending && this.#coolingDown()) {
      if (this.#lastError) {
        throw new TokenVerificationError(
          OAUTH_ERROR_CODES.JWKS_UNAVAILABLE,
          `no cached key with kid ${kid}, and the last JWKS refresh from ${where} failed: ${this.#lastError} (next attempt after the cooldown)`,
        );
      }
      throw new TokenVerificationError(
        OAUTH_ERROR_CODES.KEY_NOT_FOUND,
        `no key with kid ${kid} for alg ${header.alg} in the JWKS (refreshed recently)`,
      );
    }
    if (!this.#pending) void this.refresh();
    const outcome = await this.#awaitPending();
    if (outcome === 'late') {
      throw new TokenVerificationError(
        OAUTH_ERROR_CODES.JWKS_UNAVAILABLE,
        `no cached key with kid ${kid}, and the JWKS refresh from ${where} did not finish within ${this.#unknownKidWaitMs} ms (it goes on in the background)`,
      );
    }
    if (outcome === 'failed') {
      throw new TokenVerificationError(
        OAUTH_ERROR_CODES.JWKS_UNAVAILABLE,
        `no cached key with kid ${kid}, and refreshing the JWKS from ${where} failed: ${this.#lastError ?? 'unknown error'}`,
      );
    }
    try {
      return await (this.#local as JWTVerifyGetKey)(header, token);
    } catch (retryError) {
      if (retryError instanceof errors.JWKSNoMatchingKey) {
        throw new TokenVerificationError(
          OAUTH_ERROR_CODES.KEY_NOT_FOUND,
          `no key with kid ${kid} for alg ${header.alg} in the JWKS (after a refresh)`,
        );
      }
      throw retryError;
    }
  }

  /**
   * Waits for the fetch in flight, at most `unknownKidWaitMs`: `'none'` when none is in flight, `'done'` when it
   * succeeded, `'failed'` when it failed, `'late'` when the budget ran out first (the fetch goes on).
   */
  async #awaitPending(): Promise<'none' | 'done' | 'failed' | 'late'> {
    const pending = this.#pending;
    if (!pending) return 'none';
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), this.#unknownKidWaitMs);
      timer.unref?.();
    });
    try {
      return await Promise.race([pending.then((ok) => (ok ? ('done' as const) : ('failed' as const))), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  #tooStale(): boolean {
    return Date.now() - this.#fetchedAt > this.#maxStaleMs;
  }

  /** Fetches the JWKS now (deduplicated with a fetch in flight). Resolves `false` when it failed. */
  refresh(): Promise<boolean> {
    if (!this.#pending) {
      this.#attemptedAt = Date.now();
      // Never rejects (a background refresh has nobody to reject to): #fetch reports its own failures.
      this.#pending = this.#fetch()
        .catch(() => false)
        .finally(() => {
          this.#pending = undefined;
        });
    }
    return this.#pending;
  }

  /** The keys currently cached (public parts only), for diagnostics. */
  get cachedAt(): number | undefined {
    return Number.isFinite(this.#fetchedAt) ? this.#fetchedAt : undefined;
  }

  #coolingDown(): boolean {
    return Date.now() - this.#attemptedAt < this.#cooldownMs;
  }

  #unavailable(what: string): TokenVerificationError {
    const last = this.#lastError ? `: ${this.#lastError}` : '';
    return new TokenVerificationError(
      OAUTH_ERROR_CODES.JWKS_UNAVAILABLE,
      `${what} (${this.url.origin}${this.url.pathname})${last}`,
    );
  }

  async #fetch(): Promise<boolean> {
    try {
      const response = await fetch(this.url, {
        method: 'GET',
        redirect: 'error',
        signal: AbortSignal.timeout(this.#timeoutMs),
        headers: { accept: 'application/jwk-set+json, application/json' },
      });
      if (response.status !== 200) {
        await response.body?.cancel().catch(() => undefined);
        throw new Error(`HTTP ${response.status}`);
      }
      const json: unknown = JSON.parse(await readBoundedText(response, this.#maxResponseBytes));
      const keys = publicSigningKeys(json);
      this.#local = createLocalJWKSet({ keys });
      this.#fetchedAt = Date.now();
      this.#lastError = undefined;
      if (this.#degraded) {
        this.#degraded = false;
        this.#onStatus?.({
          degraded: false,
          reason: `JWKS endpoint ${this.url.origin}${this.url.pathname} reachable again`,
        });
      }
      return true;
    } catch (error) {
      this.#lastError = describeFetchError(error);
      if (this.#local && !this.#degraded) {
        this.#degraded = true;
        this.#onStatus?.({
          degraded: true,
          reason: `JWKS endpoint ${this.url.origin}${this.url.pathname} unreachable (${this.#lastError}); serving cached keys`,
        });
      }
      return false;
    }
  }
}

/** Keeps the asymmetric public keys of a JWKS document; drops symmetric (`oct`) keys and anything private. */
export function publicSigningKeys(json: unknown): JWK[] {
  if (typeof json !== 'object' || json === null || !Array.isArray((json as JSONWebKeySet).keys)) {
    throw new Error('the document is not a JSON Web Key Set (no "keys" array)');
  }
  return (json as JSONWebKeySet).keys.filter(
    (key): key is JWK =>
      typeof key === 'object' &&
      key !== null &&
      key.kty !== 'oct' &&
      !('d' in key) &&
      (key.use === undefined || key.use === 'sig'),
  );
}

function describeKid(kid: unknown): string {
  if (typeof kid !== 'string') return '(none)';
  return JSON.stringify(kid.length > 64 ? `${kid.slice(0, 64)}…` : kid);
}
