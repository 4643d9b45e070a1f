import { LRUCache } from 'lru-cache';
import { OAUTH_ERROR_CODES, TokenVerificationError } from './errors.js';
import { describeFetchError, readBoundedText } from './http-fetch.js';
import { tokenHash } from './token-cache.js';

/** RFC 7662 token introspection settings. */
export interface IntrospectionOptions {
  /** The authorization server's introspection endpoint. */
  endpoint: string;
  /** This resource server's client id at the authorization server. */
  clientId: string;
  /** Its secret, sent with HTTP Basic (`client_secret_basic`, RFC 6749 §2.3.1). Never logged. */
  clientSecret: string;
  /** @default 5000 */
  timeoutMs?: number;
  /**
   * How long an answer is reused. Never past the token's `exp`. A revoked token keeps working for at most this
   * long: lower it (or 0 to turn the cache off) when revocation must take effect at once. @default 60
   */
  cacheTtlSeconds?: number;
  /** @default 10000 */
  cacheMaxEntries?: number;
  /** Largest introspection response accepted. @default 65536 */
  maxResponseBytes?: number;
}

/** An introspection answer with `active: true`. */
export type ActiveIntrospection = Record<string, unknown> & { active: true };

type CacheEntry = { result: ActiveIntrospection | undefined };

/** Calls an RFC 7662 introspection endpoint with client authentication and caches the answers (keyed by a hash). */
export class Introspector {
  readonly endpoint: URL;
  readonly #authorization: string;
  readonly #timeoutMs: number;
  readonly #ttlMs: number;
  readonly #maxResponseBytes: number;
  readonly #cache: LRUCache<string, CacheEntry> | undefined;

  constructor(options: IntrospectionOptions) {
    this.endpoint = new URL(options.endpoint);
    // RFC 6749 §2.3.1: client id and secret are form-urlencoded before being joined and base64-encoded.
    const id = formEncode(options.clientId);
    const secret = formEncode(options.clientSecret);
    this.#authorization = `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
    this.#timeoutMs = options.timeoutMs ?? 5_000;
    this.#ttlMs = (options.cacheTtlSeconds ?? 60) * 1000;
    this.#maxResponseBytes = options.maxResponseBytes ?? 64 * 1024;
    this.#cache =
      this.#ttlMs > 0
        ? new LRUCache<string, CacheEntry>({ max: options.cacheMaxEntries ?? 10_000, ttl: this.#ttlMs })
        : undefined;
  }

  /** Introspects `token`; throws `TOKEN_INACTIVE` for `active: false` and `INTROSPECTION_FAILED` on any error. */
  async introspect(token: string): Promise<ActiveIntrospection> {
    const key = this.#cache ? tokenHash(token) : '';
    const cached = this.#cache?.get(key);
    if (cached) {
      if (!cached.result) throw inactive();
      const exp = cached.result.exp;
      if (typeof exp !== 'number' || exp * 1000 > Date.now()) return cached.result;
      this.#cache?.delete(key);
    }
    const result = await this.#call(token);
    if (this.#cache) {
      const exp = result?.exp;
      const untilExp = typeof exp === 'number' ? exp * 1000 - Date.now() : this.#ttlMs;
      const ttl = Math.min(this.#ttlMs, untilExp);
      if (ttl > 0) this.#cache.set(key, { result }, { ttl: Math.ceil(ttl) });
    }
    if (!result) throw inactive();
    return result;
  }

  async #call(token: string): Promise<ActiveIntrospection | undefined> {
    let text: string;
    try {
      const response = await fetch(this.endpoint, {
        method: 'POST',
        redirect: 'error',
        signal: AbortSignal.timeout(this.#timeoutMs),
        headers: {
          authorization: this.#authorization,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
      });
      if (response.status !== 200) {
        await response.body?.cancel().catch(() => undefined);
        throw new Error(`HTTP ${response.status}`);
      }
      text = await readBoundedText(response, this.#maxResponseBytes);
    } catch (error) {
      throw new TokenVerificationError(
        OAUTH_ERROR_CODES.INTROSPECTION_FAILED,
        `introspection at ${this.endpoint.origin}${this.endpoint.pathname} failed: ${describeFetchError(error)}`,
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new TokenVerificationError(
        OAUTH_ERROR_CODES.INTROSPECTION_FAILED,
        'introspection answered with something that is not JSON',
      );
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new TokenVerificationError(
        OAUTH_ERROR_CODES.INTROSPECTION_FAILED,
        'introspection answered with something that is not a JSON object',
      );
    }
    // RFC 7662 §2.2: only the boolean `true` means active; anything else is treated as inactive.
    if ((body as Record<string, unknown>).active !== true) return undefined;
    return body as ActiveIntrospection;
  }
}

function inactive(): TokenVerificationError {
  return new TokenVerificationError(
    OAUTH_ERROR_CODES.TOKEN_INACTIVE,
    'introspection says the token is not active (revoked, expired or unknown)',
  );
}

/** application/x-www-form-urlencoded encoding of one value (what RFC 6749 §2.3.1 asks for). */
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}
