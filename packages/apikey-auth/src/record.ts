import type { ApiKeyInfo, ApiKeyRecord, ApiKeyRecordPatch, ApiKeyState } from './types.js';

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

function isDeepFrozen(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  if (!Object.isFrozen(value)) return false;
  for (const inner of Object.values(value)) if (!isDeepFrozen(inner)) return false;
  return true;
}

const EMPTY_LIST: readonly never[] = Object.freeze([]);
const EMPTY_OBJECT: Record<string, never> = Object.freeze({});

function isEmptyPlainObject(value: object): boolean {
  if (Object.getPrototypeOf(value) !== Object.prototype) return false;
  for (const _ in value) return false;
  return true;
}

/**
 * `value` itself when it is already deeply frozen (shared, e.g. between records read from one row), else a
 * deeply frozen copy (or, when `owned`, `value` frozen in place). No marker sets: a WeakSet with a million
 * entries would slow every garbage collection down.
 */
function frozenCopy<T extends object>(value: T, owned: boolean): T {
  // Empty lists and metadata (the common case) share one frozen instance: a verification reads
  // `allowedCidrs.length` on every request, and a shared empty array stays in the CPU cache.
  if (Array.isArray(value) && value.length === 0) return EMPTY_LIST as unknown as T;
  if (isEmptyPlainObject(value)) return EMPTY_OBJECT as T;
  if (isDeepFrozen(value)) return value;
  return deepFreeze(owned ? value : (structuredClone(value) as T));
}

/**
 * A deeply frozen copy of a record, so a cached or stored record cannot be changed behind the store's back.
 * `owned`: the caller made the nested arrays and objects itself (e.g. from JSON.parse) and hands them over, so
 * they are frozen in place instead of copied. Deeply frozen parts are shared, not copied.
 */
export function freezeRecord(record: ApiKeyRecord, owned = false): ApiKeyRecord {
  // Every field named, in one order, rather than `{ ...record }`: all records share one object shape with the
  // fields stored in the object itself (a spread plus overrides can leave some in a separate backing store, one
  // more memory access per field on the verification path), and stray properties are dropped. The fields every
  // verification reads come first, so they share the object's first cache line.
  return Object.freeze({
    keyHash: record.keyHash,
    revokedAt: record.revokedAt,
    expiresAt: record.expiresAt,
    remainingUses: record.remainingUses,
    pepperId: record.pepperId,
    id: record.id,
    allowedCidrs: frozenCopy(record.allowedCidrs, owned),
    displayPrefix: record.displayPrefix,
    name: record.name,
    owner: record.owner,
    scopes: frozenCopy(record.scopes, owned),
    roles: frozenCopy(record.roles, owned),
    createdAt: record.createdAt,
    lastUsedAt: record.lastUsedAt,
    metadata: frozenCopy(record.metadata, owned),
    rotatedFrom: record.rotatedFrom,
    replacedBy: record.replacedBy,
  });
}

/** The record with a patch applied (frozen). */
export function applyPatch(record: ApiKeyRecord, patch: ApiKeyRecordPatch): ApiKeyRecord {
  const next: Record<string, unknown> = { ...record };
  for (const [field, value] of Object.entries(patch)) if (value !== undefined) next[field] = value;
  return freezeRecord(next as unknown as ApiKeyRecord);
}

/** The key's state at `now` (epoch ms). Revoked wins over expired, expired over exhausted. */
export function keyState(record: ApiKeyRecord, now: number = Date.now()): ApiKeyState {
  if (record.revokedAt !== null) return 'revoked';
  if (record.expiresAt !== null && now >= record.expiresAt) return 'expired';
  if (record.remainingUses !== null && record.remainingUses <= 0) return 'exhausted';
  return 'active';
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** JSON-serialisable, secret-free view of a record (no hash, no pepper id). */
export function toApiKeyInfo(record: ApiKeyRecord, now: number = Date.now()): ApiKeyInfo {
  return {
    id: record.id,
    name: record.name,
    owner: record.owner,
    displayPrefix: record.displayPrefix,
    scopes: [...record.scopes],
    roles: [...record.roles],
    state: keyState(record, now),
    createdAt: new Date(record.createdAt).toISOString(),
    expiresAt: iso(record.expiresAt),
    lastUsedAt: iso(record.lastUsedAt),
    revokedAt: iso(record.revokedAt),
    remainingUses: record.remainingUses,
    allowedCidrs: [...record.allowedCidrs],
    metadata: structuredClone(record.metadata) as Record<string, unknown>,
    rotatedFrom: record.rotatedFrom,
    replacedBy: record.replacedBy,
  };
}
