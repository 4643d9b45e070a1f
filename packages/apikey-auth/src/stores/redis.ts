import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { freezeRecord } from '../record.js';
import type { ApiKeyInvalidation, ApiKeyRecord, ApiKeyRecordPatch, ApiKeyStore } from '../types.js';

export interface RedisApiKeyStoreOptions {
  /** An ioredis client (the store does not close it) or a `redis://` URL (the store opens and closes its own). */
  redis: Redis | string;
  /**
   * Prefix of every key and of the invalidation channel. Give each deployment (and each test run) its own.
   * @default 'mcp-warden:apikey:'
   */
  keyPrefix?: string;
}

const RECORD_FIELDS = [
  'id',
  'keyHash',
  'pepperId',
  'displayPrefix',
  'name',
  'owner',
  'scopes',
  'roles',
  'createdAt',
  'expiresAt',
  'lastUsedAt',
  'revokedAt',
  'remainingUses',
  'allowedCidrs',
  'metadata',
  'rotatedFrom',
  'replacedBy',
] as const satisfies readonly (keyof ApiKeyRecord)[];

// Lua keeps each multi-key change atomic (one script runs at a time on a Redis server). Every record field is
// stored JSON-encoded in one hash per key.
const INSERT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 1 end
if redis.call('EXISTS', KEYS[2]) == 1 then return 2 end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('SET', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
return 0`;

const GET_BY_HASH = `
local id = redis.call('GET', KEYS[1])
if not id then return {} end
return redis.call('HGETALL', ARGV[1] .. id)`;

const UPDATE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[4] ~= '' then
  local old = cjson.decode(redis.call('HGET', KEYS[1], 'keyHash'))
  if old ~= ARGV[4] then
    if redis.call('EXISTS', ARGV[2] .. ARGV[4]) == 1 then return -1 end
    redis.call('DEL', ARGV[2] .. old)
    redis.call('SET', ARGV[2] .. ARGV[4], ARGV[1])
  end
end
if #ARGV >= 5 then redis.call('HSET', KEYS[1], unpack(ARGV, 5)) end
if ARGV[3] ~= '' then redis.call('PUBLISH', ARGV[3], ARGV[1]) end
return 1`;

const CONSUME = `
local r = redis.call('HGET', KEYS[1], 'remainingUses')
if not r then return -1 end
local n = tonumber(r)
if n == nil or n <= 0 then return -1 end
redis.call('HSET', KEYS[1], 'remainingUses', tostring(n - 1), 'lastUsedAt', ARGV[1])
return n - 1`;

const TOUCH = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'lastUsedAt', ARGV[1])
return 1`;

const DELETE = `
local h = redis.call('HGET', KEYS[1], 'keyHash')
if not h then return 0 end
redis.call('DEL', KEYS[1])
redis.call('DEL', ARGV[1] .. cjson.decode(h))
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[2])
return 1`;

const sha1 = (text: string): string => createHash('sha1').update(text).digest('hex');

function decode(fields: Record<string, string> | string[]): ApiKeyRecord | undefined {
  const map: Record<string, string> = {};
  if (Array.isArray(fields)) {
    for (let i = 0; i + 1 < fields.length; i += 2) map[fields[i] as string] = fields[i + 1] as string;
  } else Object.assign(map, fields);
  if (map.id === undefined) return undefined;
  const record: Record<string, unknown> = {};
  for (const field of RECORD_FIELDS) {
    const raw = map[field];
    record[field] = raw === undefined ? null : JSON.parse(raw);
  }
  return freezeRecord(record as unknown as ApiKeyRecord, true);
}

/**
 * Redis store (ioredis) for several server instances. Writes are Lua scripts (atomic); revocations, rotations and
 * other changes are published on `<keyPrefix>invalidate`, so every instance's verified-key cache drops the entry
 * within milliseconds (and drops everything after its subscriber reconnects, since messages may have been missed).
 * @example
 * const store = new RedisApiKeyStore({ redis: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' });
 */
export class RedisApiKeyStore implements ApiKeyStore {
  readonly kind = 'redis';
  readonly #redis: Redis;
  readonly #ownsClient: boolean;
  readonly #prefix: string;
  readonly #channel: string;
  #subscriber: Redis | undefined;
  readonly #listeners = new Set<(invalidation: ApiKeyInvalidation) => void>();

  constructor(options: RedisApiKeyStoreOptions) {
    this.#ownsClient = typeof options.redis === 'string';
    this.#redis =
      typeof options.redis === 'string'
        ? new Redis(options.redis, { lazyConnect: false, maxRetriesPerRequest: 2 })
        : options.redis;
    this.#prefix = options.keyPrefix ?? 'mcp-warden:apikey:';
    this.#channel = `${this.#prefix}invalidate`;
  }

  #rec(id: string): string {
    return `${this.#prefix}rec:${id}`;
  }

  get #hashPrefix(): string {
    return `${this.#prefix}hash:`;
  }

  get #idsKey(): string {
    return `${this.#prefix}ids`;
  }

  /** EVALSHA with a fallback to EVAL when the server has not seen the script yet (or was restarted). */
  async #run(script: string, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await this.#redis.evalsha(sha1(script), keys.length, ...keys, ...args);
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('NOSCRIPT'))
        return this.#redis.eval(script, keys.length, ...keys, ...args);
      throw error;
    }
  }

  async insert(record: ApiKeyRecord): Promise<void> {
    const pairs: string[] = [];
    for (const field of RECORD_FIELDS) pairs.push(field, JSON.stringify(record[field]));
    const result = await this.#run(
      INSERT,
      [this.#rec(record.id), this.#hashPrefix + record.keyHash, this.#idsKey],
      [record.id, record.createdAt, ...pairs],
    );
    if (result === 1) throw new Error(`An API key with id "${record.id}" already exists.`);
    if (result === 2) throw new Error('An API key with the same hash already exists.');
  }

  async getById(id: string): Promise<ApiKeyRecord | undefined> {
    return decode(await this.#redis.hgetall(this.#rec(id)));
  }

  async getByHash(keyHash: string): Promise<ApiKeyRecord | undefined> {
    const fields = (await this.#run(
      GET_BY_HASH,
      [this.#hashPrefix + keyHash],
      [`${this.#prefix}rec:`],
    )) as string[];
    return decode(fields);
  }

  async list(filter: { owner?: string } = {}): Promise<ApiKeyRecord[]> {
    const ids = await this.#redis.zrange(this.#idsKey, 0, -1);
    if (ids.length === 0) return [];
    const pipeline = this.#redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.#rec(id));
    const results = (await pipeline.exec()) ?? [];
    const records: ApiKeyRecord[] = [];
    for (const [error, fields] of results) {
      if (error) throw error;
      const record = decode(fields as Record<string, string>);
      if (record && (filter.owner === undefined || record.owner === filter.owner)) records.push(record);
    }
    return records.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
  }

  async update(id: string, patch: ApiKeyRecordPatch): Promise<ApiKeyRecord | undefined> {
    const pairs: string[] = [];
    for (const [field, value] of Object.entries(patch)) {
      if (value === undefined || field === 'id' || !(RECORD_FIELDS as readonly string[]).includes(field))
        continue;
      pairs.push(field, JSON.stringify(value));
    }
    // lastUsedAt-only patches do not change what a cache may answer: no broadcast for them.
    const onlyUsage = pairs.length === 2 && pairs[0] === 'lastUsedAt';
    const result = await this.#run(
      UPDATE,
      [this.#rec(id)],
      [id, this.#hashPrefix, onlyUsage ? '' : this.#channel, patch.keyHash ?? '', ...pairs],
    );
    if (result === -1) throw new Error('An API key with the same hash already exists.');
    if (result === 0) return undefined;
    return this.getById(id);
  }

  async consumeUse(id: string, at: number): Promise<number | undefined> {
    const left = Number(await this.#run(CONSUME, [this.#rec(id)], [String(at)]));
    return left < 0 ? undefined : left;
  }

  async touch(id: string, at: number): Promise<void> {
    await this.#run(TOUCH, [this.#rec(id)], [String(at)]);
  }

  async delete(id: string): Promise<boolean> {
    return (
      (await this.#run(DELETE, [this.#rec(id), this.#idsKey], [this.#hashPrefix, id, this.#channel])) === 1
    );
  }

  /**
   * Tells every instance sharing this store to drop `id` (or everything, for `null`) from its cache. `update` and
   * `delete` already do this; call it after changing records by other means.
   */
  async broadcastInvalidation(invalidation: ApiKeyInvalidation): Promise<void> {
    await this.#redis.publish(this.#channel, invalidation ?? '*');
  }

  onInvalidate(listener: (invalidation: ApiKeyInvalidation) => void): () => void {
    this.#listeners.add(listener);
    if (!this.#subscriber) {
      const subscriber = this.#redis.duplicate();
      this.#subscriber = subscriber;
      let readyOnce = false;
      subscriber.on('ready', () => {
        // After a reconnect, messages sent while we were away are lost: drop everything.
        if (readyOnce) this.#notify(null);
        readyOnce = true;
      });
      subscriber.on('message', (_channel: string, message: string) =>
        this.#notify(message === '*' ? null : message),
      );
      subscriber.on('error', () => {
        // ioredis reconnects by itself; the 'ready' handler then flushes the caches.
      });
      void subscriber.subscribe(this.#channel).catch(() => undefined);
    }
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Resolves once the invalidation subscription is active (useful in tests and at startup). */
  async ready(): Promise<void> {
    if (!this.#subscriber) return;
    if (this.#subscriber.status !== 'ready')
      await new Promise<void>((resolve) => this.#subscriber?.once('ready', () => resolve()));
    // SUBSCRIBE was queued before ready; a PING round-trip on the subscriber connection orders after it.
    await this.#subscriber.ping();
  }

  #notify(invalidation: ApiKeyInvalidation): void {
    for (const listener of this.#listeners) {
      try {
        listener(invalidation);
      } catch {
        // A listener must not break the subscription.
      }
    }
  }

  async close(): Promise<void> {
    this.#listeners.clear();
    if (this.#subscriber) {
      this.#subscriber.disconnect();
      this.#subscriber = undefined;
    }
    if (this.#ownsClient) await this.#redis.quit().catch(() => undefined);
  }
}
