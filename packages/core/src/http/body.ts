import type { IncomingMessage } from 'node:http';
import { CORE_ERROR_CODES, JSON_RPC_ERROR_CODES, WardenError } from '../errors.js';

function bodyError(status: number, code: string, message: string): WardenError {
  return new WardenError({
    code,
    message,
    httpStatus: status,
    jsonRpcCode: JSON_RPC_ERROR_CODES.INVALID_REQUEST,
    eventType: 'request.rejected',
  });
}

/**
 * Reads a request body up to `limit` bytes within `timeoutMs`. Refuses early on a declared Content-Length over the
 * limit, stops reading as soon as the limit is passed, and gives up on slow or truncated bodies.
 */
export function readBody(req: IncomingMessage, limit: number, timeoutMs: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && (!/^\d{1,15}$/.test(declared) || Number(declared) > limit)) {
    return Promise.reject(
      /^\d{1,15}$/.test(declared)
        ? bodyError(
            413,
            CORE_ERROR_CODES.PAYLOAD_TOO_LARGE,
            `Request body too large: the limit is ${limit} bytes.`,
          )
        : bodyError(400, CORE_ERROR_CODES.BAD_REQUEST, 'Invalid Content-Length header.'),
    );
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (error: WardenError | undefined, body?: Buffer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
      if (error) {
        // Stop reading the rest; the response closes the connection.
        req.pause();
        reject(error);
      } else resolve(body!);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit)
        finish(
          bodyError(
            413,
            CORE_ERROR_CODES.PAYLOAD_TOO_LARGE,
            `Request body too large: the limit is ${limit} bytes.`,
          ),
        );
      else chunks.push(chunk);
    };
    const onEnd = () => finish(undefined, Buffer.concat(chunks, size));
    const onError = () =>
      finish(bodyError(400, CORE_ERROR_CODES.BAD_REQUEST, 'The request body could not be read.'));
    const onAborted = () =>
      finish(bodyError(400, CORE_ERROR_CODES.BAD_REQUEST, 'The request body was truncated.'));
    const timer = setTimeout(
      () =>
        finish(
          bodyError(408, CORE_ERROR_CODES.BAD_REQUEST, `Request body not received within ${timeoutMs} ms.`),
        ),
      timeoutMs,
    );
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}

/**
 * True when JSON text nests arrays and objects deeper than `max` levels. Linear and iterative (one pass over the
 * text, brackets inside strings ignored), so a 100,000-deep body costs one scan and never the call stack of a
 * recursive walker further down (the SDK's schema check, a plugin, `JSON.stringify`).
 */
export function jsonNestingExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}
