/**
 * The 2026-07-28 standard request headers (`MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name`) checked against the
 * body they mirror (streamable-http.mdx, "Request Metadata" and "Server Validation"). A load balancer or rate
 * limiter may route on the header while the server executes the body: any disagreement is refused, so one
 * reading is all there is. Stricter than the SDK where the spec allows it: a plain `Mcp-Name` must be visible
 * ASCII (anything else MUST be sent Base64-encoded), and a header sent twice is refused.
 */
import type { JsonObject } from './jsonrpc-shape.js';
import { isPlainObject } from './jsonrpc-shape.js';

/** Body field each method's `Mcp-Name` mirrors (spec table, plus the `tasks/*` rows of the tasks binding). */
export const MCP_NAME_SOURCE: Readonly<Record<string, 'name' | 'uri' | 'taskId'>> = Object.freeze({
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
  'tasks/get': 'taskId',
  'tasks/update': 'taskId',
  'tasks/cancel': 'taskId',
});

/** Header names whose repetition is refused (a proxy may read the first copy, the server the joined value). */
export const STANDARD_HEADERS = ['mcp-protocol-version', 'mcp-method', 'mcp-name'] as const;

export interface StandardHeaders {
  protocolVersion: string | undefined;
  method: string | undefined;
  name: string | undefined;
  /** Standard headers the host saw more than once (from the adapter; a `Request` joins copies with ", "). */
  repeated: readonly string[];
}

const SENTINEL_PREFIX = '=?base64?';
const SENTINEL_SUFFIX = '?=';

function isCanonicalBase64(text: string): boolean {
  if (text.length % 4 !== 0) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const alnum = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
    if (alnum || c === 43 || c === 47) continue;
    // '=' only as padding: the last one or two characters.
    if (c === 61 && i >= text.length - 2 && (i === text.length - 1 || text[text.length - 1] === '='))
      continue;
    return false;
  }
  return true;
}

/** Only visible ASCII, space and tab inside (RFC 9110 field value); anything else must come Base64-encoded. */
function isPlainHeaderValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (!(c === 9 || (c >= 0x20 && c <= 0x7e))) return false;
  }
  return true;
}

/**
 * The value an `Mcp-Name` header carries: the decoded payload of a `=?base64?…?=` sentinel (canonical Base64 of
 * UTF-8), or the plain value itself. `undefined` for an invalid sentinel or a plain value with characters a header
 * may not carry as is. Exact bytes, no case folding or percent-decoding: header values are case-sensitive.
 */
export function decodeNameHeader(value: string): string | undefined {
  if (value.startsWith(SENTINEL_PREFIX) && value.endsWith(SENTINEL_SUFFIX) && value.length >= 11) {
    const payload = value.slice(SENTINEL_PREFIX.length, value.length - SENTINEL_SUFFIX.length);
    if (!isCanonicalBase64(payload)) return undefined;
    try {
      const binary = atob(payload);
      const bytes = Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      return undefined;
    }
  }
  return isPlainHeaderValue(value) ? value : undefined;
}

/** A refusal: which cell failed (for the event only) and what the client is told. */
export interface HeaderRejection {
  cell: string;
  message: string;
}

const reject = (cell: string, message: string): HeaderRejection => ({ cell, message });

/**
 * Checks a modern request's standard headers against its body (the era classifier has already cross-checked a
 * present `MCP-Protocol-Version` and `Mcp-Method`). Returns the first failure, or `undefined`.
 */
export function checkStandardHeaders(
  headers: StandardHeaders,
  messageKind: 'request' | 'notification',
  message: JsonObject,
): HeaderRejection | undefined {
  if (headers.repeated.length > 0)
    return reject('header-repeated', 'Bad Request: a standard MCP header was sent more than once.');
  if (messageKind !== 'request') return undefined;
  const method = message.method as string;
  if (headers.protocolVersion === undefined)
    return reject('version-header-missing', 'Bad Request: the MCP-Protocol-Version header is required.');
  if (headers.method === undefined)
    return reject('method-header-missing', 'Bad Request: the Mcp-Method header is required.');
  if (headers.method !== method)
    return reject('method-header-mismatch', 'Bad Request: the Mcp-Method header does not match the body.');
  const field = Object.hasOwn(MCP_NAME_SOURCE, method) ? MCP_NAME_SOURCE[method] : undefined;
  if (field === undefined) return undefined;
  const params = isPlainObject(message.params) ? message.params : {};
  const bodyValue = typeof params[field] === 'string' ? (params[field] as string) : undefined;
  if (headers.name === undefined) {
    if (bodyValue === undefined) return undefined; // nothing to mirror: the server refuses the params itself
    return reject('name-header-missing', `Bad Request: the Mcp-Name header is required for ${method}.`);
  }
  const decoded = decodeNameHeader(headers.name);
  if (decoded === undefined)
    return reject(
      'name-header-invalid-encoding',
      'Bad Request: the Mcp-Name header is not a plain ASCII value or a valid =?base64?…?= value.',
    );
  if (decoded !== bodyValue)
    return reject('name-header-mismatch', 'Bad Request: the Mcp-Name header does not match the body.');
  return undefined;
}

/**
 * For 2025-era requests, which need none of these headers: one that is present must match the body all the same,
 * so no component in front can be told one thing while the server executes another.
 */
export function checkPresentHeaders(request: Request, message: JsonObject): HeaderRejection | undefined {
  if (typeof message.method !== 'string') return undefined;
  const method = request.headers.get('mcp-method');
  if (method !== null && method !== message.method)
    return reject('method-header-mismatch', 'Bad Request: the Mcp-Method header does not match the body.');
  const name = request.headers.get('mcp-name');
  const field = Object.hasOwn(MCP_NAME_SOURCE, message.method) ? MCP_NAME_SOURCE[message.method] : undefined;
  if (name === null || field === undefined) return undefined;
  const params = isPlainObject(message.params) ? message.params : {};
  if (decodeNameHeader(name) !== params[field])
    return reject('name-header-mismatch', 'Bad Request: the Mcp-Name header does not match the body.');
  return undefined;
}
