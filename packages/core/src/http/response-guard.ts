import type { ServerResponse } from 'node:http';
import type { SecurityEventBus } from '../events.js';
import type { EdgeRequest } from '../plugin.js';
import type { Principal } from '../principal.js';

/**
 * Keeps internal error text out of responses written by code the edge does not own (the MCP SDK's transport and
 * its Node adapter). The SDK answers an unexpected exception with `400 {"error":{"message":"Parse error","data":
 * "RangeError: …"}}`, and the adapter with `500 Error: <message>` or, mid-stream, `Error: <message>` appended to
 * an SSE stream. The guard lets normal responses through untouched and rewrites those:
 *
 * - an error status (>= 400) with a JSON-RPC error body keeps its status, code and message, and loses `data`;
 * - an error status with any other body gets the generic JSON-RPC internal error instead;
 * - an SSE stream ended with a text chunk (the adapter's error path; SSE frames are written as bytes with
 *   `write`) is ended without that chunk.
 *
 * `onWithheld` receives what was withheld, for the security event; it never goes to the client.
 */
export function guardResponse(res: ServerResponse, onWithheld: (detail: string) => void): void {
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
  const write = res.write.bind(res) as (...args: unknown[]) => boolean;
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  let held: { status: number; headers: Record<string, unknown>; chunks: Buffer[] } | undefined;
  let eventStream = false;

  const patched = res as unknown as Record<string, unknown>;
  patched.writeHead = (status: number, ...rest: unknown[]) => {
    const headers = headerRecord(typeof rest[0] === 'string' ? rest[1] : rest[0]);
    const type = String(headerValue(headers, 'content-type') ?? res.getHeader('content-type') ?? '');
    if (status >= 400) {
      held = { status, headers: { ...headers }, chunks: [] };
      return res;
    }
    eventStream = type.includes('text/event-stream');
    return writeHead(status, ...rest);
  };
  patched.write = (chunk: unknown, ...rest: unknown[]) => {
    if (!held) return write(chunk, ...rest);
    held.chunks.push(toBuffer(chunk));
    return true;
  };
  patched.end = (...args: unknown[]) => {
    const chunk = typeof args[0] === 'function' ? undefined : args[0];
    if (held) {
      if (chunk !== undefined && chunk !== null) held.chunks.push(toBuffer(chunk));
      const { status, headers, chunks } = held;
      held = undefined;
      const body = safeErrorBody(Buffer.concat(chunks).toString('utf8'), onWithheld);
      const out: Record<string, unknown> = {};
      for (const [name, value] of Object.entries(headers)) {
        const lower = name.toLowerCase();
        if (lower !== 'content-length' && lower !== 'content-type' && lower !== 'transfer-encoding')
          out[name] = value;
      }
      res.removeHeader('content-length');
      writeHead(status, {
        ...out,
        'Content-Type': 'application/json',
        'Content-Length': String(Buffer.byteLength(body)),
      });
      return end(body);
    }
    if (eventStream && typeof chunk === 'string' && chunk.length > 0) {
      onWithheld(`text appended to an event stream: ${chunk.slice(0, 300)}`);
      return end();
    }
    return end(...args);
  };
}

/** The SDK writes its own error responses; internal error text in them goes to the event, not the client. */
export function guardSdkResponse(
  res: ServerResponse,
  events: SecurityEventBus,
  edge: EdgeRequest,
  principal: Principal,
): void {
  guardResponse(res, (detail) =>
    events.emit({
      type: 'plugin.error',
      outcome: 'denied',
      severity: 'error',
      reason: `MCP SDK error response, internal detail withheld from the client: ${detail}`.slice(0, 500),
      principalId: principal.id,
      remoteAddress: edge.remoteAddress,
      details: { httpMethod: edge.method, path: edge.url?.pathname },
    }),
  );
}

/** `writeHead` takes an object, or a flat `[name, value, …]` array. */
function headerRecord(value: unknown): Record<string, unknown> | undefined {
  if (!Array.isArray(value)) return value as Record<string, unknown> | undefined;
  const record: Record<string, unknown> = {};
  for (let i = 0; i + 1 < value.length; i += 2) record[String(value[i])] = value[i + 1];
  return record;
}

function headerValue(headers: Record<string, unknown> | undefined, name: string): unknown {
  if (!headers) return undefined;
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return Buffer.from(String(chunk), 'utf8');
}

const GENERIC_ERROR = JSON.stringify({
  jsonrpc: '2.0',
  id: null,
  error: { code: -32603, message: 'Internal error.' },
});

/** A JSON-RPC error body without `data`; anything else becomes the generic internal error. */
function safeErrorBody(text: string, onWithheld: (detail: string) => void): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    if (text.length > 0) onWithheld(`non-JSON error body: ${text.slice(0, 300)}`);
    return GENERIC_ERROR;
  }
  const message = parsed as { id?: unknown; error?: { code?: unknown; message?: unknown; data?: unknown } };
  const error = message?.error;
  if (
    typeof message !== 'object' ||
    message === null ||
    typeof error !== 'object' ||
    error === null ||
    typeof error.code !== 'number' ||
    typeof error.message !== 'string'
  ) {
    onWithheld(`unexpected error body: ${text.slice(0, 300)}`);
    return GENERIC_ERROR;
  }
  if (error.data !== undefined) onWithheld(`${error.message}: ${String(error.data).slice(0, 300)}`);
  const id = typeof message.id === 'string' || typeof message.id === 'number' ? message.id : null;
  return JSON.stringify({ jsonrpc: '2.0', id, error: { code: error.code, message: error.message } });
}
