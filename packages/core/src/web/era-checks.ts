/**
 * The era of a request and the 2026-07-28 duties that come with it, decided on the one parsed body that will be
 * dispatched. Refusals here happen before authentication and before any plugin: nothing of the request reaches
 * the pipeline or the upstream.
 */
import { CORE_ERROR_CODES, JSON_RPC_ERROR_CODES } from '../errors.js';
import type { EdgeRequest } from '../plugin.js';
import type { DispatchDeps } from './dispatch.js';
import {
  CLIENT_CAPABILITIES_META_KEY,
  CLIENT_INFO_META_KEY,
  metaOf,
  SUPPORTED_MODERN_PROTOCOL_VERSIONS,
} from './envelope.js';
import { classifyEra } from './era.js';
import type { FetchRequestInfo } from './handler.js';
import { isPlainObject, type JsonObject } from './jsonrpc-shape.js';
import { edgeError, refusal } from './responses.js';
import { checkPresentHeaders, checkStandardHeaders, STANDARD_HEADERS } from './standard-headers.js';

export type EraVerdict =
  | { kind: 'response'; response: Response }
  | {
      kind: 'ok';
      era: 'legacy' | 'modern';
      /** The JSON-RPC message of a POST (request, notification or response); `undefined` for GET/DELETE. */
      message: JsonObject | undefined;
      protocolVersion: string | undefined;
      clientInfo: JsonObject | undefined;
      clientCapabilities: JsonObject | undefined;
    };

const objectOrUndefined = (value: unknown) => (isPlainObject(value) ? value : undefined);

function idOf(body: unknown): string | number | null {
  const id = isPlainObject(body) ? body.id : undefined;
  return typeof id === 'string' || Number.isSafeInteger(id) ? (id as string | number) : null;
}

/** What a 2025-era message says of the client: only `initialize` carries it (later requests use the session). */
function legacyClient(message: JsonObject | undefined, versionHeader: string | undefined) {
  const params = message?.method === 'initialize' ? objectOrUndefined(message.params) : undefined;
  return {
    protocolVersion: typeof params?.protocolVersion === 'string' ? params.protocolVersion : versionHeader,
    clientInfo: objectOrUndefined(params?.clientInfo),
    clientCapabilities: objectOrUndefined(params?.capabilities),
  };
}

/** Classifies the request and enforces the modern header duties. */
export function checkEra(
  deps: DispatchDeps,
  request: Request,
  info: FetchRequestInfo,
  edge: EdgeRequest,
  body: unknown,
  traceparent: string | undefined,
): EraVerdict {
  const id = idOf(body);
  const method =
    isPlainObject(body) && typeof body.method === 'string' ? body.method.slice(0, 256) : undefined;
  const refuse = (
    status: number,
    code: number,
    message: string,
    reason: string,
    data?: Record<string, unknown>,
  ) => {
    const errorCode =
      code === JSON_RPC_ERROR_CODES.HEADER_MISMATCH
        ? CORE_ERROR_CODES.HEADER_MISMATCH
        : code === JSON_RPC_ERROR_CODES.UNSUPPORTED_PROTOCOL_VERSION
          ? CORE_ERROR_CODES.UNSUPPORTED_PROTOCOL_VERSION
          : CORE_ERROR_CODES.BAD_REQUEST;
    const error = edgeError(status, message, reason, code, errorCode, data);
    return {
      kind: 'response' as const,
      response: refusal(deps, error, { edge, id, method, traceparent, details: { cell: reason } }),
    };
  };
  if (Array.isArray(body))
    return refuse(
      400,
      JSON_RPC_ERROR_CODES.INVALID_REQUEST,
      'Invalid Request: JSON-RPC batches are not supported (removed from MCP in 2025-06-18); send one message per request.',
      'batch',
    );
  const versionHeader = request.headers.get('mcp-protocol-version') ?? undefined;
  const outcome = classifyEra({
    httpMethod: request.method,
    protocolVersionHeader: versionHeader,
    mcpMethodHeader: request.headers.get('mcp-method') ?? undefined,
    body,
  });
  if (outcome.kind === 'reject') return refuse(400, outcome.code, outcome.message, outcome.cell);
  if (outcome.kind === 'legacy') {
    const message = objectOrUndefined(body);
    // Not required in this era, but one that is sent must still be the body's (an intermediary may route on it).
    const legacyProblem = message && checkPresentHeaders(request, message);
    if (legacyProblem)
      return refuse(
        400,
        JSON_RPC_ERROR_CODES.HEADER_MISMATCH,
        legacyProblem.message,
        `legacy-${legacyProblem.cell}`,
      );
    return { kind: 'ok', era: 'legacy', message, ...legacyClient(message, versionHeader) };
  }
  // A revision Warden does not know (an unknown one, or a 2025 one inside the envelope) has duties it cannot check.
  if (outcome.revision === undefined || !SUPPORTED_MODERN_PROTOCOL_VERSIONS.includes(outcome.revision)) {
    const requested = (outcome.revision ?? 'unknown').slice(0, 64);
    return refuse(
      400,
      JSON_RPC_ERROR_CODES.UNSUPPORTED_PROTOCOL_VERSION,
      `Unsupported protocol version: ${requested}`,
      'unsupported-protocol-version',
      { supported: [...SUPPORTED_MODERN_PROTOCOL_VERSIONS], requested },
    );
  }
  const repeated = STANDARD_HEADERS.filter((name) =>
    info.repeatedHeaders?.some((r) => r.toLowerCase() === name),
  );
  const headerProblem = checkStandardHeaders(
    {
      protocolVersion: versionHeader,
      method: request.headers.get('mcp-method') ?? undefined,
      name: request.headers.get('mcp-name') ?? undefined,
      repeated,
    },
    outcome.messageKind,
    outcome.message,
  );
  if (headerProblem)
    return refuse(400, JSON_RPC_ERROR_CODES.HEADER_MISMATCH, headerProblem.message, headerProblem.cell);
  const meta = metaOf(outcome.message.params);
  return {
    kind: 'ok',
    era: 'modern',
    message: outcome.message,
    protocolVersion: outcome.revision,
    clientInfo: objectOrUndefined(meta?.[CLIENT_INFO_META_KEY]),
    clientCapabilities: objectOrUndefined(meta?.[CLIENT_CAPABILITIES_META_KEY]),
  };
}
