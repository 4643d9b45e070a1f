/**
 * Era classification of one HTTP request, with MCP SDK v2's rules (its `isLegacyRequest` / inbound classifier),
 * re-implemented so core needs no SDK v2 at runtime. The body decides (a proxy stripping a header must not change
 * the era); the `MCP-Protocol-Version` and `Mcp-Method` headers are cross-checked against it:
 *
 * - legacy: non-POST methods (GET/DELETE session operations), posts whose body is empty or not JSON, posted
 *   responses, batches of 2025-era messages, `initialize` without a valid modern envelope, and requests or
 *   notifications with no envelope claim and no modern version header;
 * - modern: anything carrying the claim `params._meta["io.modelcontextprotocol/protocolVersion"]` (even one naming an
 *   unknown or older revision: the modern path refuses those), and notifications under a modern version header;
 * - reject: what the modern path answers with an error before any dispatch (mismatching headers, a malformed
 *   envelope, a modern version header without an envelope, bad batches, bodies that are no JSON-RPC message).
 */
import { JSON_RPC_ERROR_CODES } from '../errors.js';
import {
  carriesValidModernClaim,
  claimedVersion,
  hasEnvelopeClaim,
  isModernProtocolVersion,
  isValidEnvelope,
  metaOf,
} from './envelope.js';
import {
  isJsonRpcErrorResponse,
  isJsonRpcMessage,
  isJsonRpcNotification,
  isJsonRpcRequest,
  isJsonRpcResultResponse,
  isPlainObject,
  type JsonObject,
} from './jsonrpc-shape.js';

const { HEADER_MISMATCH, INVALID_REQUEST, INVALID_PARAMS } = JSON_RPC_ERROR_CODES;

export interface EraInput {
  httpMethod: string;
  protocolVersionHeader?: string | undefined;
  mcpMethodHeader?: string | undefined;
  /** The parsed body; `undefined` when a POST had no body or one that is not JSON. */
  body?: unknown;
}

export type EraOutcome =
  | {
      kind: 'legacy';
      reason:
        | 'http-method'
        | 'no-json-body'
        | 'batch'
        | 'response'
        | 'initialize'
        | 'no-claim'
        | 'notification';
    }
  | {
      kind: 'modern';
      messageKind: 'request' | 'notification';
      message: JsonObject;
      /** The revision the request names (the claim, else a notification's header); may be unsupported. */
      revision: string | undefined;
    }
  | { kind: 'reject'; cell: string; code: number; message: string };

/** RFC 9110 optional whitespace (SP, HTAB) around a field value. */
export function stripOws(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && (value[start] === ' ' || value[start] === '\t')) start++;
  while (end > start && (value[end - 1] === ' ' || value[end - 1] === '\t')) end--;
  return value.slice(start, end);
}

const mismatch = (cell: string, message: string): EraOutcome => ({
  kind: 'reject',
  cell,
  code: HEADER_MISMATCH,
  message: `Bad Request: the request headers and body disagree: ${message}`,
});

function classifyBatch(body: unknown[]): EraOutcome {
  if (body.length === 0)
    return {
      kind: 'reject',
      cell: 'empty-batch',
      code: INVALID_REQUEST,
      message: 'Bad Request: empty JSON-RPC batch',
    };
  for (const element of body) {
    if (hasEnvelopeClaim(isPlainObject(element) ? element.params : undefined))
      return {
        kind: 'reject',
        cell: 'batch-with-modern-element',
        code: INVALID_REQUEST,
        message:
          'Bad Request: JSON-RPC batches may not contain requests for protocol revision 2026-07-28 or later',
      };
    if (!isJsonRpcMessage(element))
      return {
        kind: 'reject',
        cell: 'batch-with-invalid-element',
        code: INVALID_REQUEST,
        message: 'Bad Request: JSON-RPC batch contains an invalid message',
      };
  }
  return { kind: 'legacy', reason: 'batch' };
}

function classifyRequest(input: EraInput, body: JsonObject & { method: string }): EraOutcome {
  const header = input.protocolVersionHeader;
  const headerModern = header !== undefined && isModernProtocolVersion(header);
  if (body.method === 'initialize' && !carriesValidModernClaim(body.params)) {
    if (headerModern)
      return mismatch(
        'initialize-with-modern-header',
        'an initialize request was sent with a modern MCP-Protocol-Version header',
      );
    return { kind: 'legacy', reason: 'initialize' };
  }
  if (hasEnvelopeClaim(body.params)) {
    const meta = metaOf(body.params)!;
    if (!isValidEnvelope(meta))
      return {
        kind: 'reject',
        cell: 'envelope-invalid',
        code: INVALID_PARAMS,
        message: 'Invalid _meta envelope for protocol revision 2026-07-28',
      };
    const claimed = claimedVersion(body.params);
    if (header !== undefined && claimed !== undefined && header !== claimed)
      return mismatch(
        'header-body-version-mismatch',
        'the MCP-Protocol-Version header names another revision than the body',
      );
    if (input.mcpMethodHeader !== undefined && input.mcpMethodHeader !== body.method)
      return mismatch('method-header-mismatch', 'the Mcp-Method header names another method than the body');
    return { kind: 'modern', messageKind: 'request', message: body, revision: claimed };
  }
  if (headerModern)
    return {
      kind: 'reject',
      cell: 'modern-header-without-claim',
      code: INVALID_PARAMS,
      message: `Invalid params: the MCP-Protocol-Version header names a modern revision, but the request has no per-request _meta envelope`,
    };
  return { kind: 'legacy', reason: 'no-claim' };
}

function classifyNotification(input: EraInput, body: JsonObject & { method: string }): EraOutcome {
  const header = input.protocolVersionHeader;
  const methodHeader = input.mcpMethodHeader;
  const methodMismatch = methodHeader !== undefined && methodHeader !== body.method;
  if (hasEnvelopeClaim(body.params)) {
    const claimed = claimedVersion(body.params);
    if (claimed === undefined)
      return {
        kind: 'reject',
        cell: 'notification-envelope-invalid',
        code: INVALID_PARAMS,
        message: 'Invalid _meta envelope for protocol revision 2026-07-28',
      };
    if (header !== undefined && header !== claimed)
      return mismatch(
        'notification-header-body-version-mismatch',
        'the MCP-Protocol-Version header names another revision than the body',
      );
    if (isModernProtocolVersion(claimed) && methodMismatch)
      return mismatch(
        'notification-method-header-mismatch',
        'the Mcp-Method header names another method than the body',
      );
    return { kind: 'modern', messageKind: 'notification', message: body, revision: claimed };
  }
  if (header !== undefined && isModernProtocolVersion(header)) {
    if (methodMismatch)
      return mismatch(
        'notification-method-header-mismatch',
        'the Mcp-Method header names another method than the body',
      );
    return { kind: 'modern', messageKind: 'notification', message: body, revision: header };
  }
  return { kind: 'legacy', reason: 'notification' };
}

/** Classifies one request. Never throws. */
export function classifyEra(raw: EraInput): EraOutcome {
  if (raw.httpMethod.toUpperCase() !== 'POST') return { kind: 'legacy', reason: 'http-method' };
  if (raw.body === undefined) return { kind: 'legacy', reason: 'no-json-body' };
  const input: EraInput = {
    ...raw,
    protocolVersionHeader:
      raw.protocolVersionHeader === undefined ? undefined : stripOws(raw.protocolVersionHeader),
    mcpMethodHeader: raw.mcpMethodHeader === undefined ? undefined : stripOws(raw.mcpMethodHeader),
  };
  const body = input.body;
  if (Array.isArray(body)) return classifyBatch(body);
  if (isJsonRpcResultResponse(body) || isJsonRpcErrorResponse(body))
    return { kind: 'legacy', reason: 'response' };
  if (isJsonRpcRequest(body)) return classifyRequest(input, body);
  if (isJsonRpcNotification(body)) return classifyNotification(input, body);
  return {
    kind: 'reject',
    cell: 'invalid-json-rpc-body',
    code: INVALID_REQUEST,
    message: 'Bad Request: the request body is not a valid JSON-RPC message',
  };
}

/** The SDK's `isLegacyRequest` answer for a classified request. */
export function isLegacyEra(outcome: EraOutcome): boolean {
  return outcome.kind === 'legacy';
}
