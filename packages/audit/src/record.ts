import * as nodeCrypto from 'node:crypto';
import { NotCanonicalError } from './errors.js';

/** `crypto.hash` (one-shot) exists from Node 20.12 / 21.7; engines allow any Node 20, so older ones use createHash. */
const oneShotHash = (nodeCrypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string })
  .hash;
const sha256Hex = (text: string): string =>
  oneShotHash
    ? oneShotHash('sha256', text, 'hex')
    : nodeCrypto.createHash('sha256').update(text).digest('hex');

/** How an allowed request ended (refusals before the server are security events, not audit records). */
export type AuditOutcome = 'ok' | 'error' | 'refused' | 'timeout' | 'cancelled';

/** One allowed MCP action. */
export interface AuditRecord {
  /** ISO 8601 time the request arrived. */
  time: string;
  principalId: string;
  /** The plugin that authenticated the principal (`apikey-auth`, `oauth`), or its kind when none did. */
  authenticator: string;
  /** JSON-RPC method, e.g. `tools/call`. */
  method: string;
  /** Tool or prompt name, or resource URI; `null` for methods without one. */
  target: string | null;
  /**
   * `sha256:<hex>` (or `hmac-sha256:<hex>` with a `digestKey`) of the canonical JSON of the arguments as the server
   * received them: `params.arguments` of `tools/call` / `prompts/get`, the params without `_meta` otherwise.
   */
  argsDigest: string;
  /** The arguments after secret redaction, only with `captureArguments`; otherwise absent. */
  arguments?: unknown;
  outcome: AuditOutcome;
  /** A warden error code, a JSON-RPC error code (as text) or `tool_error`; `null` for `ok`. */
  errorCode: string | null;
  /** From arrival to answer, in milliseconds. */
  latencyMs: number;
  /** W3C trace id (32 hex digits). */
  traceId: string;
  sessionId: string | null;
  transport: string;
  /** The JSON-RPC id, as text. */
  requestId: string;
  remoteAddress: string | null;
}

const MAX_DEPTH = 512;

/**
 * Canonical JSON (RFC 8785 style): object keys sorted by UTF-16 code units, no whitespace, numbers and strings as
 * `JSON.stringify` writes them (which is what RFC 8785 specifies for both), `undefined` members left out. Two
 * values that are equal as JSON give the same text whatever their key order.
 */
export function canonicalJson(value: unknown, depth = 0): string {
  if (depth > MAX_DEPTH) throw new NotCanonicalError(`value nested deeper than ${MAX_DEPTH}`);
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) return 'null';
    if (typeof value === 'bigint') return value.toString();
    const text = JSON.stringify(value);
    return text === undefined ? 'null' : text;
  }
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      out += canonicalJson(value[i], depth + 1);
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((k) => record[k] !== undefined && typeof record[k] !== 'function')
    .sort();
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (i > 0) out += ',';
    out += `${JSON.stringify(key)}:${canonicalJson(record[key], depth + 1)}`;
  }
  return `${out}}`;
}

/**
 * The digest of a value's canonical JSON: `sha256:<hex>`, or `hmac-sha256:<hex>` with a key. A keyed digest
 * cannot be confirmed by someone who guesses small arguments (`{"path":"a.txt"}`) and hashes them.
 */
export function digestArguments(value: unknown, key?: Uint8Array | string): string {
  let text: string;
  try {
    text = canonicalJson(value ?? {});
  } catch {
    text = '"[not canonical]"';
  }
  if (key !== undefined)
    return `hmac-sha256:${nodeCrypto.createHmac('sha256', key).update(text).digest('hex')}`;
  // One-shot where there is one: a createHash object per record cost more than the rest of the record.
  return `sha256:${sha256Hex(text)}`;
}

/** What is digested for a method: the arguments of calls and prompts, the params (without `_meta`) otherwise. */
export function argumentsOf(method: string, params: Readonly<Record<string, unknown>>): unknown {
  if (method === 'tools/call' || method === 'prompts/get') return params.arguments ?? {};
  if (!('_meta' in params)) return params;
  const { _meta: _ignored, ...rest } = params;
  return rest;
}
