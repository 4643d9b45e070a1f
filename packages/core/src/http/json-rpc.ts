import type { IncomingMessage } from 'node:http';
import { CORE_ERROR_CODES, JSON_RPC_ERROR_CODES, WardenError } from '../errors.js';
import { isPlainObject } from '../mcp/classify.js';
import type { EdgeRequest } from '../plugin.js';
import { jsonNestingExceeds, readBody } from './body.js';
import { edgeError } from './edge-errors.js';

/** How much of a POST body the edge reads, for how long, and how deep it may nest. */
export interface BodyLimits {
  maxBodyBytes: number;
  bodyTimeoutMs: number;
  maxJsonDepth: number;
}

/** One JSON-RPC 2.0 message whose shape {@link checkJsonRpc} accepted. */
export type JsonRpcMessage = Record<string, unknown>;

/** Refuses a POST whose `Content-Type` or `Accept` the Streamable HTTP transport does not allow. */
export function checkPostHeaders(edge: EdgeRequest): WardenError | undefined {
  const contentType = (edge.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (contentType !== 'application/json') {
    return edgeError(
      415,
      CORE_ERROR_CODES.BAD_REQUEST,
      'Unsupported Media Type: Content-Type must be application/json.',
    );
  }
  const accept = edge.headers.accept ?? '';
  if (!accept.includes('application/json') || !accept.includes('text/event-stream')) {
    return edgeError(
      406,
      CORE_ERROR_CODES.BAD_REQUEST,
      'Not Acceptable: the Accept header must list both application/json and text/event-stream.',
    );
  }
  return undefined;
}

/**
 * Reads a POST body into one checked JSON-RPC message: bounded in size, time and nesting depth, valid JSON, not a
 * batch, and shaped as a request, notification or response. Returns the message or the refusal.
 */
export async function readJsonRpcMessage(
  req: IncomingMessage,
  limits: BodyLimits,
): Promise<JsonRpcMessage | WardenError> {
  let message: unknown;
  try {
    const text = (await readBody(req, limits.maxBodyBytes, limits.bodyTimeoutMs)).toString('utf8');
    if (jsonNestingExceeds(text, limits.maxJsonDepth)) return tooDeep(limits.maxJsonDepth);
    message = JSON.parse(text);
  } catch (error) {
    if (WardenError.isInstance(error)) return error;
    return edgeError(
      400,
      CORE_ERROR_CODES.BAD_REQUEST,
      'Parse error: the body is not valid JSON.',
      'invalid JSON',
      JSON_RPC_ERROR_CODES.PARSE_ERROR,
    );
  }
  return checkMessage(message);
}

function tooDeep(maxJsonDepth: number): WardenError {
  return edgeError(
    400,
    CORE_ERROR_CODES.BAD_REQUEST,
    `Invalid Request: the body nests arrays and objects deeper than ${maxJsonDepth} levels.`,
    'JSON nesting over maxJsonDepth',
  );
}

/** Refuses batches and malformed messages; returns the message when it is one well-formed JSON-RPC message. */
function checkMessage(message: unknown): JsonRpcMessage | WardenError {
  if (Array.isArray(message)) {
    return edgeError(
      400,
      CORE_ERROR_CODES.BAD_REQUEST,
      'Invalid Request: JSON-RPC batches are not supported (removed from MCP in 2025-06-18); send one message per request.',
    );
  }
  const shapeError = checkJsonRpc(message);
  if (shapeError) return edgeError(400, CORE_ERROR_CODES.BAD_REQUEST, `Invalid Request: ${shapeError}.`);
  return message as JsonRpcMessage;
}

/** Validates the shape of one JSON-RPC 2.0 message (request, notification or response). */
function checkJsonRpc(message: unknown): string | undefined {
  if (!isPlainObject(message)) return 'the body must be a JSON-RPC 2.0 message object';
  if (message.jsonrpc !== '2.0') return 'the "jsonrpc" member must be exactly "2.0"';
  const hasId = 'id' in message;
  if (
    hasId &&
    typeof message.id !== 'string' &&
    !(typeof message.id === 'number' && Number.isFinite(message.id))
  ) {
    return '"id" must be a string or a number';
  }
  if ('method' in message) {
    if (typeof message.method !== 'string' || message.method.length === 0 || message.method.length > 256)
      return '"method" must be a non-empty string';
    if ('params' in message && message.params !== undefined && !isPlainObject(message.params))
      return '"params" must be an object';
    return undefined;
  }
  if (hasId && ('result' in message || 'error' in message)) return undefined;
  return 'the message is neither a request, a notification nor a response';
}
