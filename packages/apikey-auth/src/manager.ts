import type { Principal } from '@mcp-warden/core';
import { z } from 'zod';
import { VerifiedKeyCache, type VerifiedRecord } from './cache.js';
import { CidrMatcher, parseCidr } from './cidr.js';
import { parseDuration } from './duration.js';
import { APIKEY_AUTH_ERROR_CODES, ApiKeyManagerError } from './errors.js';
import {
  apiKeyLength,
  assertPrefix,
  DEFAULT_API_KEY_PREFIX,
  formatProblem,
  generateApiKey,
  randomBase62,
} from './key-format.js';
import { assertApiKeyManagerOptions } from './options.js';
import { digestsEqual, type Pepper, PepperRing } from './pepper.js';
import { keyState, toApiKeyInfo } from './record.js';
import type {
  ApiKeyInfo,
  ApiKeyInvalidation,
  ApiKeyLifecycleEvent,
  ApiKeyRecord,
  ApiKeyState,
  ApiKeyStore,
} from './types.js';

/** A custom store may hand out unfrozen lists: never let a principal share a mutable one. */
const frozenList = (list: readonly string[]): readonly string[] =>
  Object.isFrozen(list) ? list : Object.freeze([...list]);

const NO_OPTIONS: VerifyOptions = Object.freeze({});
const MALFORMED: ApiKeyVerification = Object.freeze({ ok: false, failure: 'malformed' });
const UNKNOWN: ApiKeyVerification = Object.freeze({ ok: false, failure: 'unknown' });

/** Name principals carry in `authenticatedBy`. */
export const APIKEY_AUTH_PLUGIN_NAME = 'apikey-auth';

export interface ApiKeyManagerOptions {
  /** Where records live. */
  store: ApiKeyStore;
  /** HMAC peppers; the first is current unless `currentPepperId` says otherwise. */
  peppers: readonly Pepper[];
  /** Pepper for new hashes. @default the first pepper's id */
  currentPepperId?: string;
  /** Key prefix. @default 'mcpw' */
  prefix?: string;
  /**
   * Verified-key cache: a key verified once is found by its HMAC without asking the store (and without the format
   * check and digest comparison it already passed) until it is revoked, changed, evicted or `ttlMs` old. `false`
   * turns it off. `maxEntries` defaults to 10,000, and to no limit for stores that keep every record in memory
   * (`getByHashSync`, the memory store): only keys that verified get in, and their records are in memory anyway.
   * @default { maxEntries: 10000 (in-memory stores: Infinity), ttlMs: 60000 }
   */
  cache?: { maxEntries?: number; ttlMs?: number } | false;
  /** A key's `lastUsedAt` is written at most this often (ms) per key and instance. @default 60000 */
  lastUsedResolutionMs?: number;
  /** Receives `key.created` / `key.revoked` / `key.rotated` (same shape as a core security event). */
  onEvent?: (event: ApiKeyLifecycleEvent) => void;
  /** Errors of background writes (last-used, re-hash); they never fail a verification. */
  onBackgroundError?: (error: unknown) => void;
  /** Clock (epoch ms), for tests. @default Date.now */
  now?: () => number;
}

const scopeToken = z
  .string()
  .min(1)
  .max(200)
  .regex(
    /^[\x21\x23-\x5B\x5D-\x7E]+$/,
    'must be printable ASCII without spaces, quotes or backslashes (RFC 6749 scope token)',
  );

const createInputSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  owner: z.string().min(1).max(200).optional(),
  scopes: z.array(scopeToken).max(100).optional(),
  roles: z.array(scopeToken).max(100).optional(),
  expiresAt: z.union([z.date(), z.number().int().positive()]).optional(),
  expiresIn: z.union([z.number().positive(), z.string()]).optional(),
  remainingUses: z.number().int().positive().optional(),
  allowedCidrs: z
    .array(
      z
        .string()
        .refine(
          (c) => parseCidr(c) !== undefined,
          'must be a CIDR range such as 10.0.0.0/8 or 2001:db8::/32',
        ),
    )
    .max(100)
    .optional(),
  metadata: z
    .record(z.string(), z.unknown())
    .refine((m) => {
      try {
        return JSON.stringify(m).length <= 4096;
      } catch {
        return false;
      }
    }, 'must be JSON-serialisable and at most 4096 characters as JSON')
    .optional(),
});

/** What {@link ApiKeyManager.create} takes. */
export interface CreateApiKeyInput {
  /** Human-readable name (1–200 characters). */
  name: string;
  /** Owner / principal id the key acts for. Keys with the same owner share what is stored per owner. @default the key's own id */
  owner?: string;
  /** OAuth-style scope tokens. @default [] */
  scopes?: string[];
  /** Roles (for the ACL plugin). @default [] */
  roles?: string[];
  /** Absolute expiry (Date or epoch ms). */
  expiresAt?: Date | number;
  /** Relative expiry: seconds, or a duration like `30d`, `24h` (see {@link parseDuration}). */
  expiresIn?: number | string;
  /** Number of uses before the key stops working. @default unlimited */
  remainingUses?: number;
  /** Client address ranges the key may be used from. @default anywhere */
  allowedCidrs?: string[];
  /** Free-form JSON metadata (≤ 4 KiB as JSON), visible in lists and in the principal's claims. */
  metadata?: Record<string, unknown>;
}

/** Who performs a lifecycle operation (recorded as the event's `principalId`). */
export interface LifecycleOptions {
  actor?: string;
}

export interface RotateOptions extends LifecycleOptions {
  /**
   * How long the old key keeps working. `0` revokes it at once.
   * @default 0
   */
  graceSeconds?: number;
  /** Expiry of the new key. @default the old key's lifetime length, counted from now (none if it had none) */
  expiresIn?: number | string;
}

/** The plaintext key, returned once by {@link ApiKeyManager.create} and {@link ApiKeyManager.rotate}. */
export interface IssuedApiKey {
  /** Show it to the user once; it cannot be recovered. */
  key: string;
  info: ApiKeyInfo;
}

/** Why a key was refused. */
export type ApiKeyFailure =
  | 'malformed'
  | 'unknown'
  | 'expired'
  | 'revoked'
  | 'exhausted'
  | 'address_not_allowed';

export type ApiKeyVerification =
  | { readonly ok: true; readonly record: ApiKeyRecord; readonly principal: Principal }
  | { readonly ok: false; readonly failure: ApiKeyFailure; readonly keyId?: string };

export interface VerifyOptions {
  /** The client's address, checked against the key's `allowedCidrs`. */
  remoteAddress?: string;
}

/**
 * The API-key engine: issue, list, revoke, rotate and verify keys against a store. Usable without the warden
 * pipeline (the `mcp-warden keys …` CLI uses it directly).
 * @example
 * const manager = new ApiKeyManager({ store: new SqliteApiKeyStore({ path: 'keys.db' }), peppers: [{ id: 'p1', secret: process.env.PEPPER! }] });
 * const { key, info } = await manager.create({ name: 'ci', scopes: ['tools:call'], expiresIn: '30d' });
 * const result = await manager.verify(key); // { ok: true, principal: { id: info.id, kind: 'apikey', … } }
 */
export class ApiKeyManager {
  readonly prefix: string;
  readonly store: ApiKeyStore;
  readonly #keyLength: number;
  readonly #peppers: PepperRing;
  readonly #cache: VerifiedKeyCache | undefined;
  readonly #lastUsedResolutionMs: number;
  /** Last recorded use per key id, for stores that hand out a new record object on every read. */
  readonly #touched = new Map<string, number>();
  /** Key ids whose hash is being moved to the current pepper (one write per key, however many requests). */
  readonly #rehashing = new Set<string>();
  readonly #verified = new WeakMap<ApiKeyRecord, VerifiedRecord>();
  /** The store's synchronous lookup (in-process stores), used on a cache miss instead of `getByHash`. */
  readonly #getSync: ((hash: string) => ApiKeyRecord | undefined) | undefined;
  readonly #listeners = new Set<(event: ApiKeyLifecycleEvent) => void>();
  readonly #onBackgroundError: (error: unknown) => void;
  readonly #now: () => number;
  readonly #unsubscribe: (() => void) | undefined;

  /** @throws ConfigError when an option is missing or invalid (the message says how to fix it). */
  constructor(options: ApiKeyManagerOptions) {
    assertApiKeyManagerOptions(options);
    this.prefix = options.prefix ?? DEFAULT_API_KEY_PREFIX;
    assertPrefix(this.prefix);
    this.#keyLength = apiKeyLength(this.prefix);
    this.store = options.store;
    this.#peppers = new PepperRing(options.peppers, options.currentPepperId);
    const cache = options.cache === false ? undefined : (options.cache ?? {});
    const inMemory = options.store.getByHashSync !== undefined;
    this.#cache = cache
      ? new VerifiedKeyCache(
          cache.maxEntries ?? (inMemory ? Number.POSITIVE_INFINITY : 10_000),
          cache.ttlMs ?? 60_000,
        )
      : undefined;
    this.#getSync = options.store.getByHashSync ? options.store.getByHashSync.bind(options.store) : undefined;
    this.#lastUsedResolutionMs = options.lastUsedResolutionMs ?? 60_000;
    if (options.onEvent) this.#listeners.add(options.onEvent);
    this.#onBackgroundError = options.onBackgroundError ?? (() => undefined);
    this.#now = options.now ?? Date.now;
    if (this.#cache && this.store.onInvalidate) {
      const cacheRef = this.#cache;
      this.#unsubscribe = this.store.onInvalidate((invalidation: ApiKeyInvalidation) =>
        cacheRef.invalidate(invalidation),
      );
    }
  }

  /** Adds a lifecycle-event listener; returns the function that removes it. */
  subscribe(listener: (event: ApiKeyLifecycleEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Issues a key. The plaintext key is in the result and nowhere else: show it once. */
  async create(input: CreateApiKeyInput, options: LifecycleOptions = {}): Promise<IssuedApiKey> {
    return this.#issue(input, options, null);
  }

  async #issue(
    input: CreateApiKeyInput,
    options: LifecycleOptions,
    rotatedFrom: string | null,
  ): Promise<IssuedApiKey> {
    const parsed = createInputSchema.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ApiKeyManagerError(
        APIKEY_AUTH_ERROR_CODES.INVALID_INPUT,
        `Invalid API-key input at "${issue?.path.join('.') || '(root)'}": ${issue?.message ?? 'invalid'}.`,
      );
    }
    const data = parsed.data;
    const now = this.#now();
    const expiresAt = this.#expiry(data.expiresAt, data.expiresIn, now);
    const key = generateApiKey(this.prefix);
    const id = `key_${randomBase62(16)}`;
    const record: ApiKeyRecord = {
      id,
      keyHash: this.#peppers.hash(key),
      pepperId: this.#peppers.currentId,
      displayPrefix: key.slice(0, this.prefix.length + 5),
      name: data.name,
      // A key without an owner acts for itself. Never the actor: that is who issued it, and every key one actor
      // issued would share one owner (and everything stored per owner).
      owner: data.owner ?? id,
      scopes: [...new Set(data.scopes ?? [])],
      roles: [...new Set(data.roles ?? [])],
      createdAt: now,
      expiresAt,
      lastUsedAt: null,
      revokedAt: null,
      remainingUses: data.remainingUses ?? null,
      allowedCidrs: data.allowedCidrs ?? [],
      metadata: data.metadata ?? {},
      rotatedFrom,
      replacedBy: null,
    };
    await this.store.insert(record);
    const info = toApiKeyInfo(record, now);
    this.#emit({
      type: 'key.created',
      outcome: 'info',
      ...(options.actor === undefined ? {} : { principalId: options.actor }),
      reason: `API key ${record.id} created`,
      details: {
        keyId: record.id,
        name: record.name,
        owner: record.owner,
        displayPrefix: record.displayPrefix,
        scopes: info.scopes,
        roles: info.roles,
        expiresAt: info.expiresAt,
      },
    });
    return { key, info };
  }

  /** All keys (optionally one owner's or in one state), oldest first, without secrets: safe to print as JSON. */
  async list(filter: { owner?: string; state?: ApiKeyState } = {}): Promise<ApiKeyInfo[]> {
    const now = this.#now();
    const records = await this.store.list(filter.owner === undefined ? {} : { owner: filter.owner });
    const infos = records.map((r) => toApiKeyInfo(r, now));
    return filter.state === undefined ? infos : infos.filter((i) => i.state === filter.state);
  }

  /** One key's info, or `undefined`. */
  async get(id: string): Promise<ApiKeyInfo | undefined> {
    const record = await this.store.getById(id);
    return record && toApiKeyInfo(record, this.#now());
  }

  /** Revokes a key at once (idempotent: revoking a revoked key changes nothing and emits nothing). */
  async revoke(id: string, options: LifecycleOptions & { reason?: string } = {}): Promise<ApiKeyInfo> {
    const current = await this.#require(id);
    if (current.revokedAt !== null) return toApiKeyInfo(current, this.#now());
    const now = this.#now();
    const updated = await this.store.update(id, { revokedAt: now });
    this.#cache?.invalidate(id);
    if (!updated)
      throw new ApiKeyManagerError(APIKEY_AUTH_ERROR_CODES.NOT_FOUND, `No API key with id "${id}".`);
    this.#emit({
      type: 'key.revoked',
      outcome: 'info',
      ...(options.actor === undefined ? {} : { principalId: options.actor }),
      reason: options.reason ?? `API key ${id} revoked`,
      details: { keyId: id, name: updated.name, owner: updated.owner, displayPrefix: updated.displayPrefix },
    });
    return toApiKeyInfo(updated, now);
  }

  /**
   * Issues a replacement for an active key with the same name, owner, scopes, roles, limits and metadata. The old
   * key keeps working for `graceSeconds` (then expires), or is revoked at once when that is 0.
   */
  async rotate(id: string, options: RotateOptions = {}): Promise<IssuedApiKey & { previous: ApiKeyInfo }> {
    const grace = options.graceSeconds ?? 0;
    if (!Number.isFinite(grace) || grace < 0)
      throw new ApiKeyManagerError(
        APIKEY_AUTH_ERROR_CODES.INVALID_INPUT,
        'graceSeconds must be a number ≥ 0.',
      );
    const old = await this.#require(id);
    const now = this.#now();
    if (keyState(old, now) === 'revoked' || keyState(old, now) === 'expired') {
      throw new ApiKeyManagerError(
        APIKEY_AUTH_ERROR_CODES.NOT_ACTIVE,
        `API key "${id}" is ${keyState(old, now)} and cannot be rotated; create a new key instead.`,
      );
    }
    const lifetime =
      old.expiresAt === null ? undefined : Math.max(1, Math.round((old.expiresAt - old.createdAt) / 1000));
    const issued = await this.#issue(
      {
        name: old.name,
        owner: old.owner,
        scopes: [...old.scopes],
        roles: [...old.roles],
        ...(options.expiresIn !== undefined
          ? { expiresIn: options.expiresIn }
          : lifetime !== undefined
            ? { expiresIn: lifetime }
            : {}),
        ...(old.remainingUses === null ? {} : { remainingUses: Math.max(1, old.remainingUses) }),
        allowedCidrs: [...old.allowedCidrs],
        metadata: { ...old.metadata },
      },
      { ...(options.actor === undefined ? {} : { actor: options.actor }) },
      id,
    );
    const graceEnd = now + grace * 1000;
    const updated = await this.store.update(
      id,
      grace === 0
        ? { revokedAt: now, replacedBy: issued.info.id }
        : {
            expiresAt: old.expiresAt === null ? graceEnd : Math.min(old.expiresAt, graceEnd),
            replacedBy: issued.info.id,
          },
    );
    this.#cache?.invalidate(id);
    if (!updated)
      throw new ApiKeyManagerError(APIKEY_AUTH_ERROR_CODES.NOT_FOUND, `No API key with id "${id}".`);
    const previous = toApiKeyInfo(updated, now);
    this.#emit({
      type: 'key.rotated',
      outcome: 'info',
      ...(options.actor === undefined ? {} : { principalId: options.actor }),
      reason: `API key ${id} rotated to ${issued.info.id}`,
      details: {
        keyId: id,
        newKeyId: issued.info.id,
        graceSeconds: grace,
        previousValidUntil: grace === 0 ? previous.revokedAt : previous.expiresAt,
      },
    });
    return { ...issued, previous };
  }

  /**
   * Checks a presented key. Malformed keys are refused offline (no store access); otherwise the key's HMAC is
   * looked up (cache first), compared in constant time, and its revocation, expiry, address ranges and remaining
   * uses checked. Never throws for a bad key; store failures do throw.
   */
  verify(key: string, options: VerifyOptions = NO_OPTIONS): Promise<ApiKeyVerification> {
    if (typeof key !== 'string' || key.length !== this.#keyLength) return Promise.resolve(MALFORMED);
    const now = this.#now();
    const keyHash = this.#peppers.hash(key);
    const cache = this.#cache;
    // A cache hit is a key that already passed the format check and the store lookup (see #verifyUncached).
    const entry = cache?.get(keyHash, now);
    if (entry === undefined || entry.record.remainingUses !== null) {
      try {
        const outcome = this.#verifyUncached(key, keyHash, options, now);
        return outcome instanceof Promise ? outcome : Promise.resolve(outcome);
      } catch (error) {
        // A synchronous store that throws still fails the promise, never the caller's stack.
        return Promise.reject(error);
      }
    }
    // The cached path: synchronous, no allocation when the key is good.
    const refused = this.#refusal(entry, options, now);
    if (refused !== undefined) return Promise.resolve(refused);
    if (now - entry.touchedAt >= this.#lastUsedResolutionMs) this.#touch(entry, now);
    if (entry.record.pepperId !== this.#peppers.currentId) this.#rehash(entry.record, key);
    return Promise.resolve(entry.result);
  }

  /**
   * The full check: format, HMAC lookup, constant-time compare, then the record's state; fills the cache. Stays
   * synchronous as long as the store does (an in-process store, an unlimited key): an async function here would
   * cost a promise and a microtask per verification, a large share of the whole.
   */
  #verifyUncached(
    key: string,
    keyHash: string,
    options: VerifyOptions,
    now: number,
  ): ApiKeyVerification | Promise<ApiKeyVerification> {
    // Offline format + checksum check before anything touches the store.
    if (formatProblem(key, this.prefix) !== undefined) return MALFORMED;
    const generation = this.#cache?.generation ?? 0;
    const found = this.#find(key, keyHash);
    return found instanceof Promise
      ? found.then((record) => this.#accept(record, key, keyHash, options, now, generation))
      : this.#accept(found, key, keyHash, options, now, generation);
  }

  /** The verdict on the record a key's HMAC found (or `undefined`: unknown key). */
  #accept(
    record: ApiKeyRecord | undefined,
    key: string,
    keyHash: string,
    options: VerifyOptions,
    now: number,
    generation: number,
  ): ApiKeyVerification | Promise<ApiKeyVerification> {
    if (record === undefined) return UNKNOWN;
    const verified = this.#verifiedOf(record);
    this.#cache?.set(keyHash, verified, now, generation);
    const refused = this.#refusal(verified, options, now);
    if (refused !== undefined) return refused;
    if (record.remainingUses !== null) return this.#consumeUse(verified, key, now);
    if (now - verified.touchedAt >= this.#lastUsedResolutionMs) this.#touch(verified, now);
    if (record.pepperId !== this.#peppers.currentId) this.#rehash(record, key);
    return verified.result;
  }

  /** Takes one use of a limited-use key (atomically, in the store). */
  async #consumeUse(verified: VerifiedRecord, key: string, now: number): Promise<ApiKeyVerification> {
    const record = verified.record;
    const left = await this.store.consumeUse(record.id, now);
    if (left === undefined) return { ok: false, failure: 'exhausted', keyId: record.id };
    if (record.pepperId !== this.#peppers.currentId) this.#rehash(record, key);
    return verified.result;
  }

  /**
   * The record with its success result and address matcher, made once per record object: records are immutable,
   * and an in-process store hands out the same object every time, so the steady state is one WeakMap lookup.
   */
  #verifiedOf(record: ApiKeyRecord): VerifiedRecord {
    let verified = this.#verified.get(record);
    if (verified === undefined) {
      verified = {
        record,
        result: Object.freeze({ ok: true as const, record, principal: this.#principalOf(record) }),
        cidrs: record.allowedCidrs.length > 0 ? new CidrMatcher(record.allowedCidrs) : null,
        // A store that reads a new object each time (no cache in front) still writes at most once per period.
        touchedAt: this.#touched.get(record.id) ?? Number.NEGATIVE_INFINITY,
      };
      this.#verified.set(record, verified);
    }
    return verified;
  }

  /** Why a found record may not be used now (revoked, expired, wrong address), or `undefined`. */
  #refusal(verified: VerifiedRecord, options: VerifyOptions, now: number): ApiKeyVerification | undefined {
    const record = verified.record;
    if (record.revokedAt !== null) return { ok: false, failure: 'revoked', keyId: record.id };
    if (record.expiresAt !== null && now >= record.expiresAt)
      return { ok: false, failure: 'expired', keyId: record.id };
    if (verified.cidrs !== null && !verified.cidrs.matches(options.remoteAddress)) {
      return { ok: false, failure: 'address_not_allowed', keyId: record.id };
    }
    return undefined;
  }

  /**
   * The record whose stored HMAC matches `key` (current pepper first, whose HMAC is `currentHash`, then older
   * ones), compared in constant time, or `undefined`.
   */
  #find(key: string, currentHash: string): ApiKeyRecord | undefined | Promise<ApiKeyRecord | undefined> {
    const getSync = this.#getSync;
    if (getSync === undefined) return this.#findAsync(key, currentHash);
    // In-process stores answer synchronously: no promise on this path.
    for (const pepperId of this.#peppers.ids) {
      const keyHash = pepperId === this.#peppers.currentId ? currentHash : this.#peppers.hash(key, pepperId);
      const record = getSync(keyHash);
      if (record !== undefined) return digestsEqual(record.keyHash, keyHash) ? record : undefined;
    }
    return undefined;
  }

  async #findAsync(key: string, currentHash: string): Promise<ApiKeyRecord | undefined> {
    for (const pepperId of this.#peppers.ids) {
      const keyHash = pepperId === this.#peppers.currentId ? currentHash : this.#peppers.hash(key, pepperId);
      const record = await this.store.getByHash(keyHash);
      if (record !== undefined) return digestsEqual(record.keyHash, keyHash) ? record : undefined;
    }
    return undefined;
  }

  /** The principal a record authenticates as. */
  principalOf(record: ApiKeyRecord): Principal {
    return this.#principalOf(record);
  }

  /** Drops cached records (one key or all). Stores with `onInvalidate` do this across instances by themselves. */
  invalidate(invalidation: ApiKeyInvalidation = null): void {
    this.#cache?.invalidate(invalidation);
  }

  /** Stops listening for invalidations and closes the store. */
  async close(): Promise<void> {
    this.#unsubscribe?.();
    this.#listeners.clear();
    await this.store.close();
  }

  /** Records a use (the caller checked that the last one is a period old). */
  #touch(verified: VerifiedRecord, now: number): void {
    const id = verified.record.id;
    verified.touchedAt = now;
    // Bounded: forgetting only costs one extra (coalesced) write per key.
    if (this.#touched.size >= 250_000) this.#touched.clear();
    this.#touched.set(id, now);
    this.store.touch(id, now).catch(this.#onBackgroundError);
  }

  /** A key hashed under an old pepper is moved to the current one after it verified (pepper rotation). */
  #rehash(record: ApiKeyRecord, key: string): void {
    if (this.#rehashing.has(record.id)) return;
    this.#rehashing.add(record.id);
    const keyHash = this.#peppers.hash(key);
    this.store
      .update(record.id, { keyHash, pepperId: this.#peppers.currentId })
      .then(() => this.#cache?.invalidate(record.id))
      .catch(this.#onBackgroundError)
      .finally(() => this.#rehashing.delete(record.id));
  }

  #principalOf(record: ApiKeyRecord): Principal {
    // Built by hand rather than with core's createPrincipal, with one fixed object shape per case and no spreads:
    // the record's lists are already deeply frozen (see freezeRecord), so they are shared instead of copied. This
    // is most of the cost of a verification that misses the cache, after the HMAC.
    const claims = Object.freeze({
      owner: record.owner,
      name: record.name,
      displayPrefix: record.displayPrefix,
      metadata: record.metadata,
    });
    const scopes = frozenList(record.scopes);
    const roles = frozenList(record.roles);
    return Object.freeze(
      record.expiresAt === null
        ? { id: record.id, kind: 'apikey', scopes, roles, claims, authenticatedBy: APIKEY_AUTH_PLUGIN_NAME }
        : {
            id: record.id,
            kind: 'apikey',
            scopes,
            roles,
            claims,
            authenticatedBy: APIKEY_AUTH_PLUGIN_NAME,
            expiresAt: Math.floor(record.expiresAt / 1000),
          },
    );
  }

  async #require(id: string): Promise<ApiKeyRecord> {
    const record = typeof id === 'string' && id.length <= 100 ? await this.store.getById(id) : undefined;
    if (!record)
      throw new ApiKeyManagerError(
        APIKEY_AUTH_ERROR_CODES.NOT_FOUND,
        `No API key with id "${String(id).slice(0, 100)}".`,
      );
    return record;
  }

  #expiry(
    expiresAt: Date | number | undefined,
    expiresIn: number | string | undefined,
    now: number,
  ): number | null {
    if (expiresAt !== undefined && expiresIn !== undefined) {
      throw new ApiKeyManagerError(
        APIKEY_AUTH_ERROR_CODES.INVALID_INPUT,
        'Give either expiresAt or expiresIn, not both.',
      );
    }
    if (expiresAt !== undefined) {
      const ms = expiresAt instanceof Date ? expiresAt.getTime() : expiresAt;
      if (!Number.isFinite(ms) || ms <= now)
        throw new ApiKeyManagerError(
          APIKEY_AUTH_ERROR_CODES.INVALID_INPUT,
          'expiresAt must be in the future.',
        );
      return ms;
    }
    if (expiresIn !== undefined) {
      const seconds = parseDuration(expiresIn);
      if (seconds === undefined || seconds <= 0) {
        throw new ApiKeyManagerError(
          APIKEY_AUTH_ERROR_CODES.INVALID_INPUT,
          'expiresIn must be a positive number of seconds or a duration like 30d, 24h, 90m.',
        );
      }
      return now + seconds * 1000;
    }
    return null;
  }

  #emit(event: ApiKeyLifecycleEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // An event listener must not undo a lifecycle operation that already happened.
      }
    }
  }
}
