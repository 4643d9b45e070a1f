import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { JSON_RPC_ERROR_CODES, WardenError } from '../errors.js';

/**
 * Rewrites the JSON-RPC messages of an upstream `text/event-stream` response, event by event.
 *
 * Why a real parser: SSE has several line endings, multi-line `data:`, comments and fields in any order, so
 * matching the bytes would let a server (or anything it echoes) smuggle an event past the transform. Why
 * streaming: progress notifications and `subscriptions/listen` events must reach the client while the
 * request is still running, so each event is written out as soon as it has been transformed.
 *
 * Web APIs only (ReadableStream, TextDecoder/TextEncoder): runs on Node, Bun, Deno and Workers.
 */

/** Transforms one JSON-RPC message; `undefined` drops the event. A throw ends the stream (fail closed). */
export type SseMessageTransform = (message: unknown) => Promise<unknown | undefined>;

export interface TransformSseOptions {
  /**
   * Largest event (and largest buffered partial event) accepted from upstream, in characters. A bigger one ends
   * the stream with a JSON-RPC error event.
   * @default 4194304 (4 MiB)
   */
  maxEventSize?: number;
  /** JSON-RPC id for the error event written when the stream fails closed (the id of the request, if known). */
  errorId?: string | number;
  /** Told why the stream failed closed (for the security event). Never sent to the client. */
  onFailure?: (reason: string, error?: unknown) => void;
}

export const DEFAULT_MAX_SSE_EVENT_SIZE = 4 * 1024 * 1024;
/** Parser input is fed in slices so the size bound is checked at least this often. */
const FEED_SLICE = 16 * 1024;

type Parsed =
  | { kind: 'event'; event: EventSourceMessage }
  | { kind: 'retry'; retry: number }
  | { kind: 'comment'; comment: string };

class SseFailure extends Error {}

/**
 * Parses `body` as SSE, hands each event's JSON-RPC message to `onMessage` and streams the result back.
 * `id:`, `event:` and `retry:` fields are kept; comments (keep-alives) and empty-data events (the
 * resumability priming event) pass through untouched. Non-JSON data, an oversized event, invalid UTF-8 or a
 * throwing `onMessage` end the stream with one JSON-RPC error event and cancel the upstream.
 * Cancelling the returned stream cancels `body`.
 */
export function transformSseStream(
  body: ReadableStream<Uint8Array>,
  onMessage: SseMessageTransform,
  options: TransformSseOptions = {},
): ReadableStream<Uint8Array> {
  const maxEventSize = options.maxEventSize ?? DEFAULT_MAX_SSE_EVENT_SIZE;
  if (!Number.isInteger(maxEventSize) || maxEventSize < 1) {
    throw new TypeError('transformSseStream: maxEventSize must be a positive integer');
  }
  const reader = body.getReader();
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const encoder = new TextEncoder();
  const queue: Parsed[] = [];
  let parseError: string | undefined;
  const parser = createParser({
    onEvent: (event) => queue.push({ kind: 'event', event }),
    onRetry: (retry) => queue.push({ kind: 'retry', retry }),
    onComment: (comment) => queue.push({ kind: 'comment', comment }),
    onError: (error) => {
      // Unknown fields are ignored by the SSE standard; only the buffer bound is fatal.
      if (error.type === 'max-buffer-size-exceeded') parseError = 'upstream SSE event too large';
    },
    maxBufferSize: maxEventSize,
  });
  let done = false;
  let endsWithCr = false;

  const feed = (text: string): void => {
    for (let i = 0; i < text.length && parseError === undefined; i += FEED_SLICE) {
      parser.feed(text.slice(i, i + FEED_SLICE));
    }
    if (parseError !== undefined) throw new SseFailure(parseError);
  };

  /** Writes out every parsed item in order; returns how many chunks were enqueued. */
  const drain = async (controller: ReadableStreamDefaultController<Uint8Array>): Promise<number> => {
    let written = 0;
    while (queue.length > 0 && !done) {
      const item = queue.shift() as Parsed;
      const out = await serializeParsed(item, onMessage, maxEventSize);
      if (out !== undefined && !done) {
        controller.enqueue(encoder.encode(out));
        written += 1;
      }
    }
    return written;
  };

  const failClosed = async (
    controller: ReadableStreamDefaultController<Uint8Array>,
    error: unknown,
  ): Promise<void> => {
    done = true;
    queue.length = 0;
    options.onFailure?.(error instanceof SseFailure ? error.message : 'SSE message transform failed', error);
    controller.enqueue(encoder.encode(errorEvent(error, options.errorId)));
    controller.close();
    await reader.cancel().catch(() => undefined);
  };

  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        // Loop until something was written: a pull that enqueues nothing is not called again.
        while (!done) {
          const { value, done: upstreamDone } = await reader.read();
          if (done) return;
          if (upstreamDone) {
            feed(decoder.decode());
            // A final CR ends its line, but the parser waits to see whether LF follows: give it the LF. An
            // unterminated line or an event without its closing blank line is discarded (SSE standard).
            if (endsWithCr) feed('\n');
            await drain(controller);
            done = true;
            controller.close();
            return;
          }
          const text = decoder.decode(value, { stream: true });
          if (text.length > 0) endsWithCr = text.endsWith('\r');
          feed(text);
          if ((await drain(controller)) > 0) return;
        }
      } catch (error) {
        if (!done) await failClosed(controller, error);
      }
    },
    async cancel(reason) {
      done = true;
      await reader.cancel(reason);
    },
  });
}

/** The SSE text for one parsed item, or `undefined` when the transform dropped the event. */
async function serializeParsed(
  item: Parsed,
  onMessage: SseMessageTransform,
  maxEventSize: number,
): Promise<string | undefined> {
  if (item.kind === 'retry') return `retry: ${item.retry}\n\n`;
  if (item.kind === 'comment') return `:${item.comment}\n\n`;
  const { event } = item;
  if (event.data.length > maxEventSize) throw new SseFailure('upstream SSE event too large');
  let data = '';
  if (event.data !== '') {
    let message: unknown;
    try {
      message = JSON.parse(event.data);
    } catch {
      throw new SseFailure('upstream SSE event data is not JSON');
    }
    const transformed = await onMessage(message);
    if (transformed === undefined) return undefined;
    data = JSON.stringify(transformed);
    if (typeof data !== 'string') throw new SseFailure('transformed SSE message is not JSON');
  }
  return formatEvent(event.id, event.event, data);
}

/** One SSE event block. `data` is single-line (compact JSON or empty), `id`/`event` came from the parser. */
function formatEvent(id: string | undefined, event: string | undefined, data: string): string {
  let out = '';
  if (id !== undefined) out += `id: ${id}\n`;
  if (event !== undefined) out += `event: ${event}\n`;
  return `${out}data: ${data}\n\n`;
}

/** The closing error event. A WardenError's message is client-safe; anything else gets a generic message. */
function errorEvent(error: unknown, id: string | number | undefined): string {
  const body = WardenError.isInstance(error)
    ? error.toJsonRpcError()
    : {
        code: JSON_RPC_ERROR_CODES.INTERNAL_ERROR,
        message: 'The response could not be checked and was refused.',
      };
  const message = id === undefined ? { jsonrpc: '2.0', error: body } : { jsonrpc: '2.0', id, error: body };
  return formatEvent(undefined, 'message', JSON.stringify(message));
}
