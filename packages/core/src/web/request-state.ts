import { CORE_ERROR_CODES, ConfigError, JSON_RPC_ERROR_CODES, WardenError } from '../errors.js';
import { authenticatorOf, isAnonymous, type Principal } from '../principal.js';
import { decodeBase64url, encodeBase64url } from './base64url.js';
import { canonicalJson } from './canonical-json.js';

/**
 * Sealing of the MCP 2026-07-28 multi round-trip `requestState` (basic/patterns/mrtr).
 *
 * The server puts an opaque `requestState` in an `InputRequiredResult` (`result.requestState`, next to
 * `resultType: "input_required"`) and the client echoes it in the retried request (`params.requestState`, next
 * to `params.inputResponses`). It passes through the client, so it is attacker-controlled input, and the spec
 * makes integrity protection a MUST whenever it influences authorization. Warden seals the server's state
 * before it leaves and opens it before the retry reaches the server, so the server only ever sees its own
 * state, for the same principal and the same request, within a TTL.
 *
 * Token (base64url, no padding): version (1 byte) ‖ expiry ms (8 bytes, big-endian) ‖ nonce (12 bytes) ‖
 * AES-256-GCM(ciphertext ‖ tag). The header, the principal and the request digest are the additional data:
 * the principal and digest are bound without being written into the token.
 */

const VERSION = 1;
const HEADER_LENGTH = 1 + 8 + 12;
const TAG_LENGTH = 16;
const MAX_CLOCK_SKEW_MS = 60_000;
const HKDF_INFO = new TextEncoder().encode('mcp-warden/request-state/v1');
const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/** Web Crypto's key type, named without the DOM lib or a runtime-specific import. */
type WebCryptoKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

export const DEFAULT_REQUEST_STATE_TTL_MS = 10 * 60 * 1000;
export const DEFAULT_MAX_REQUEST_STATE_BYTES = 256 * 1024;

/** What a sealed state is bound to: who asked, and which request. */
export interface RequestStateBinding {
  /** `${authenticatedBy}:${id}` of the principal; see {@link principalBinding}. */
  readonly principal: string;
  /** SHA-256 of the canonical request; see {@link requestDigest}. */
  readonly digest: string;
}

export interface RequestStateSealerOptions {
  /** Secret of at least 32 bytes (e.g. from the data directory). An AES-256 key is derived from it with HKDF. */
  key: Uint8Array;
  /** Keys a token may also have been sealed with (after a rotation). Only `key` seals. */
  previousKeys?: readonly Uint8Array[];
  /**
   * How long a sealed state stays valid.
   * @default 600000 (10 minutes)
   */
  ttlMs?: number;
  /** Clock in epoch milliseconds (tests). @default Date.now */
  now?: () => number;
  /**
   * Largest server state sealed, in UTF-8 bytes; a longer token is refused without decoding it.
   * @default 262144
   */
  maxStateBytes?: number;
}

export interface RequestStateSealer {
  /** Seals the server's state for this principal and request. */
  seal(innerState: string, binding: RequestStateBinding): Promise<string>;
  /** The server's state, or a {@link RequestStateError} (one error for every failure). */
  open(token: string, binding: RequestStateBinding): Promise<string>;
}

const INVALID_MESSAGE = 'The request state is not valid: send the request again without requestState.';

/**
 * A `requestState` that failed verification. Every failure (tampered, truncated, expired, another principal's,
 * another request's, wrong key, not a token) gives the same message and data, so the client learns nothing
 * about which check failed; `reason` (events only) is coarse too.
 */
export class RequestStateError extends WardenError {
  constructor(reason: 'malformed' | 'unverifiable' | 'expired') {
    super({
      code: CORE_ERROR_CODES.REQUEST_STATE_INVALID,
      message: INVALID_MESSAGE,
      reason: `requestState ${reason}`,
      httpStatus: 400,
      jsonRpcCode: JSON_RPC_ERROR_CODES.INVALID_PARAMS,
      eventType: 'request.rejected',
    });
  }
}

/** Validates the options at setup and returns the sealer; keys are derived on first use. */
export function createRequestStateSealer(options: RequestStateSealerOptions): RequestStateSealer {
  const ttlMs = options.ttlMs ?? DEFAULT_REQUEST_STATE_TTL_MS;
  const maxStateBytes = options.maxStateBytes ?? DEFAULT_MAX_REQUEST_STATE_BYTES;
  const now = options.now ?? Date.now;
  for (const key of [options.key, ...(options.previousKeys ?? [])]) {
    if (!(key instanceof Uint8Array) || key.length < 32) {
      throw new ConfigError('requestState sealer: every key must be a Uint8Array of at least 32 bytes.');
    }
  }
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 1) {
    throw new ConfigError('requestState sealer: ttlMs must be a positive integer of milliseconds.');
  }
  if (!Number.isSafeInteger(maxStateBytes) || maxStateBytes < 1) {
    throw new ConfigError('requestState sealer: maxStateBytes must be a positive integer.');
  }
  const maxTokenLength = Math.ceil(((HEADER_LENGTH + TAG_LENGTH + maxStateBytes) * 4) / 3);
  // Copies: a caller wiping or reusing its buffer must not change the keys.
  const keys = [options.key, ...(options.previousKeys ?? [])].map((k) => deriveKey(k.slice()));

  return {
    async seal(innerState, binding) {
      const plaintext = utf8.encode(innerState);
      if (plaintext.length > maxStateBytes) {
        throw new WardenError({
          code: CORE_ERROR_CODES.REQUEST_STATE_INVALID,
          message: 'The request could not be completed.',
          reason: `server requestState over ${maxStateBytes} bytes`,
          httpStatus: 500,
          jsonRpcCode: JSON_RPC_ERROR_CODES.INTERNAL_ERROR,
        });
      }
      const header = new Uint8Array(HEADER_LENGTH);
      header[0] = VERSION;
      new DataView(header.buffer).setBigUint64(1, BigInt(Math.floor(now()) + ttlMs));
      crypto.getRandomValues(header.subarray(9));
      const sealed = await crypto.subtle.encrypt(
        { name: 'AES-GCM', iv: header.subarray(9), additionalData: additionalData(header, binding) },
        await (keys[0] as Promise<WebCryptoKey>),
        plaintext,
      );
      return encodeBase64url(concat(header, new Uint8Array(sealed)));
    },

    async open(token, binding) {
      if (typeof token !== 'string' || token.length > maxTokenLength)
        throw new RequestStateError('malformed');
      const bytes = decodeBase64url(token);
      if (bytes === undefined || bytes.length < HEADER_LENGTH + TAG_LENGTH || bytes[0] !== VERSION) {
        throw new RequestStateError('malformed');
      }
      const header = bytes.slice(0, HEADER_LENGTH);
      const params = {
        name: 'AES-GCM',
        iv: header.subarray(9),
        additionalData: additionalData(header, binding),
      };
      let plaintext: ArrayBuffer | undefined;
      for (const key of keys) {
        try {
          plaintext = await crypto.subtle.decrypt(params, await key, bytes.subarray(HEADER_LENGTH));
          break;
        } catch {
          // Wrong key, tampered bytes, other principal or other request: the tag does not verify.
        }
      }
      if (plaintext === undefined) throw new RequestStateError('unverifiable');
      // Checked after the tag, so only genuine tokens reach here. An expiry further ahead than the TTL (plus
      // clock skew between instances) means a clock or configuration problem: refused too.
      const expiresAt = Number(new DataView(header.buffer).getBigUint64(1));
      const at = now();
      if (at > expiresAt || expiresAt > at + ttlMs + MAX_CLOCK_SKEW_MS)
        throw new RequestStateError('expired');
      try {
        return utf8Strict.decode(plaintext);
      } catch {
        throw new RequestStateError('malformed');
      }
    },
  };
}

async function deriveKey(secret: Uint8Array): Promise<WebCryptoKey> {
  const base = await crypto.subtle.importKey('raw', secret, 'HKDF', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: HKDF_INFO },
    base,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

/** Header ‖ len ‖ principal ‖ len ‖ digest: length prefixes keep (principal, digest) pairs unambiguous. */
function additionalData(header: Uint8Array, binding: RequestStateBinding): Uint8Array {
  const principal = utf8.encode(String(binding.principal));
  const digest = utf8.encode(String(binding.digest));
  const lengths = new Uint8Array(8);
  const view = new DataView(lengths.buffer);
  view.setUint32(0, principal.length);
  view.setUint32(4, digest.length);
  return concat(header, lengths.subarray(0, 4), principal, lengths.subarray(4), digest);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * `${authenticatedBy}:${id}` (the principal's kind when no plugin is named; `:` in the name escaped). Every
 * anonymous caller is the same principal, so an anonymous binding also names the client address when it is known
 * (`@` and the escaped address): one anonymous client's state does not open for another at another address.
 * Without an address (no `remoteAddress` from the host) anonymous callers still share one binding.
 */
export function principalBinding(principal: Principal, remoteAddress?: string): string {
  const binding = `${encodeURIComponent(authenticatorOf(principal))}:${principal.id}`;
  if (!isAnonymous(principal) || remoteAddress === undefined || remoteAddress === '') return binding;
  return `${binding}@${encodeURIComponent(remoteAddress)}`;
}

/** Fields of the retried request that differ from the original by design, so they stay out of the digest. */
const UNBOUND_PARAMS = new Set(['requestState', 'inputResponses', '_meta']);

/** base64url SHA-256 of the canonical `{ method, params }`, without `requestState`, `inputResponses`, `_meta`. */
export async function requestDigest(method: string, params: unknown): Promise<string> {
  let bound: unknown = params;
  if (typeof params === 'object' && params !== null && !Array.isArray(params)) {
    bound = Object.fromEntries(Object.entries(params).filter(([key]) => !UNBOUND_PARAMS.has(key)));
  }
  const text = canonicalJson({ method, params: bound ?? null });
  return encodeBase64url(new Uint8Array(await crypto.subtle.digest('SHA-256', utf8.encode(text))));
}

/** The binding for `principal` making this request (from `remoteAddress`, which binds anonymous callers). */
export async function requestStateBinding(
  principal: Principal,
  method: string,
  params: unknown,
  remoteAddress?: string,
): Promise<RequestStateBinding> {
  return {
    principal: principalBinding(principal, remoteAddress),
    digest: await requestDigest(method, params),
  };
}

/**
 * The result with its top-level `requestState` sealed (any result type: whatever the client is asked to echo
 * must come back sealed). A `requestState` that is not a string is removed. Other results are returned as is.
 */
export async function sealResultRequestState<T>(
  result: T,
  binding: RequestStateBinding,
  sealer: RequestStateSealer,
): Promise<T> {
  if (typeof result !== 'object' || result === null || !Object.hasOwn(result, 'requestState')) return result;
  const { requestState, ...rest } = result as Record<string, unknown>;
  if (typeof requestState !== 'string') return rest as T;
  return { ...rest, requestState: await sealer.seal(requestState, binding) } as T;
}

/** {@link sealResultRequestState} on a JSON-RPC response's `result` (e.g. as an SSE `onMessage` step). */
export async function sealMessageRequestState<T>(
  message: T,
  binding: RequestStateBinding,
  sealer: RequestStateSealer,
): Promise<T> {
  if (typeof message !== 'object' || message === null || !Object.hasOwn(message, 'result')) return message;
  const record = message as Record<string, unknown>;
  const result = await sealResultRequestState(record.result, binding, sealer);
  return result === record.result ? message : ({ ...record, result } as T);
}

/**
 * The request params with `requestState` opened back into the server's state. Params without one are returned
 * as is; a `requestState` that is not a string, or does not verify, is a {@link RequestStateError}.
 */
export async function openRequestState<T>(
  params: T,
  binding: RequestStateBinding,
  sealer: RequestStateSealer,
): Promise<T> {
  if (typeof params !== 'object' || params === null || !Object.hasOwn(params, 'requestState')) return params;
  const { requestState } = params as Record<string, unknown>;
  if (typeof requestState !== 'string') throw new RequestStateError('malformed');
  return { ...params, requestState: await sealer.open(requestState, binding) };
}
