import { CORE_ERROR_CODES, JSON_RPC_ERROR_CODES, WardenError } from '../errors.js';
import { jsonNestingExceeds } from '../http/body.js';

function bodyError(
  status: number,
  message: string,
  reason: string,
  jsonRpcCode: number = JSON_RPC_ERROR_CODES.INVALID_REQUEST,
): WardenError {
  return new WardenError({
    code: status === 413 ? CORE_ERROR_CODES.PAYLOAD_TOO_LARGE : CORE_ERROR_CODES.BAD_REQUEST,
    message,
    reason,
    httpStatus: status,
    jsonRpcCode,
    eventType: 'request.rejected',
  });
}

const tooLarge = (limit: number) =>
  bodyError(413, `Request body too large: the limit is ${limit} bytes.`, `body over maxBodyBytes (${limit})`);

/**
 * Reads a `Request` body as UTF-8 text, at most `limit` bytes within `timeoutMs`: a declared Content-Length over
 * the limit is refused before reading, and reading stops as soon as the limit is passed (the rest is cancelled).
 * Decoded like SDK v2 reads it (a byte-order mark is dropped), so both parse the same text.
 */
export async function readBodyText(request: Request, limit: number, timeoutMs: number): Promise<string> {
  const declared = request.headers.get('content-length');
  if (declared !== null) {
    if (!/^\d{1,15}$/.test(declared))
      throw bodyError(400, 'Invalid Content-Length header.', 'invalid Content-Length');
    if (Number(declared) > limit) throw tooLarge(limit);
  }
  if (request.body === null) return '';
  const reader = request.body.getReader();
  const decoder = new TextDecoder();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(bodyError(408, `Request body not received within ${timeoutMs} ms.`, 'body timeout')),
      timeoutMs,
    );
  });
  let size = 0;
  let text = '';
  try {
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), timeout]);
      if (done) break;
      size += value.byteLength;
      if (size > limit) throw tooLarge(limit);
      text += decoder.decode(value, { stream: true });
    }
    return text + decoder.decode();
  } catch (error) {
    void reader.cancel().catch(() => undefined);
    if (WardenError.isInstance(error)) throw error;
    throw bodyError(400, 'The request body could not be read.', 'body stream failed');
  } finally {
    clearTimeout(timer);
  }
}

/** Parses a body read by {@link readBodyText}: depth-checked before `JSON.parse`, refusals as the node edge sends. */
export function parseBody(text: string, maxJsonDepth: number): unknown {
  if (jsonNestingExceeds(text, maxJsonDepth))
    throw bodyError(
      400,
      `Invalid Request: the body nests arrays and objects deeper than ${maxJsonDepth} levels.`,
      'JSON nesting over maxJsonDepth',
    );
  try {
    return JSON.parse(text);
  } catch {
    throw bodyError(
      400,
      'Parse error: the body is not valid JSON.',
      'invalid JSON',
      JSON_RPC_ERROR_CODES.PARSE_ERROR,
    );
  }
}
