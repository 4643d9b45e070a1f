import type { IncomingMessage } from 'node:http';
import { CORE_ERROR_CODES, JSON_RPC_ERROR_CODES, WardenError } from '../errors.js';
import { isPlainObject } from '../mcp/classify.js';
import type { EdgeRequest } from '../plugin.js';
import { jsonNestingExceeds, readBody } from './body.js';
import { edgeError } from './edge-errors.js';
import { bodySource, checkParsedValue } from './pre-parsed.js';

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
 *
 * A body a parser in front already read (`express.json()`, `express.raw()`, `express.text()`) is used instead of
 * the drained stream. A parsed one is checked for depth without recursion, then serialized and parsed again, so
 * the policy and the server both see plain JSON data (no getters, prototypes or shared objects) and every text
 * check below applies to it too.
 */
export async function readJsonRpcMessage(
  req: IncomingMessage,
  limits: BodyLimits,
): Promise<JsonRpcMessage | WardenError> {
  const source = bodySource(req);
  let text: string;
  switch (source.kind) {
    case 'stream':
      try {
        text = (await readBody(req, limits.maxBodyBytes, limits.bodyTimeoutMs)).toString('utf8');
      } catch (error) {
        return WardenError.isInstance(error) ? error : unreadable();
      }
      break;
    case 'text':
      text = source.text;
      break;
    case 'parsed': {
      const problem = checkParsedValue(source.value, limits.maxJsonDepth);
      if (problem === 'too-deep') return tooDeep(limits.maxJsonDepth);
      const serialized = problem ? undefined : serialize(source.value);
      if (serialized === undefined) return notJsonData();
      text = serialized;
      break;
    }
    case 'consumed':
      return consumed();
  }
  // Bytes the stream path counted already; a body from a parser in front is measured here.
  if (source.kind !== 'stream' && Buffer.byteLength(text, 'utf8') > limits.maxBodyBytes)
    return tooLarge(limits.maxBodyBytes);
  return parseMessage(text, limits.maxJsonDepth);
}

function parseMessage(text: string, maxJsonDepth: number): JsonRpcMessage | WardenError {
  if (jsonNestingExceeds(text, maxJsonDepth)) return tooDeep(maxJsonDepth);
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
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

/** JSON text of a parsed value, or `undefined` when it has none (`undefined`, a function, a `toJSON` that throws). */
function serialize(value: unknown): string | undefined {
  try {
    const text: unknown = JSON.stringify(value);
    return typeof text === 'string' ? text : undefined;
  } catch {
    return undefined;
  }
}

function unreadable(): WardenError {
  return edgeError(400, CORE_ERROR_CODES.BAD_REQUEST, 'The request body could not be read.');
}

function tooLarge(limit: number): WardenError {
  return edgeError(
    413,
    CORE_ERROR_CODES.PAYLOAD_TOO_LARGE,
    `Request body too large: the limit is ${limit} bytes.`,
  );
}

function notJsonData(): WardenError {
  return edgeError(
    400,
    CORE_ERROR_CODES.BAD_REQUEST,
    'Invalid Request: the body is not JSON data.',
    'req.body set by a middleware is not JSON data (a cycle, a shared object or no JSON form)',
  );
}

/** The stream was read by something that left no body: the bytes are gone, so refuse now instead of waiting. */
function consumed(): WardenError {
  return edgeError(
    500,
    CORE_ERROR_CODES.PLUGIN_FAILED,
    'Internal error: the request body was read before it reached the MCP endpoint.',
    'request body consumed by an earlier middleware without setting req.body: mount the MCP handler before body parsers, or use express.json()',
    JSON_RPC_ERROR_CODES.INTERNAL_ERROR,
  );
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
