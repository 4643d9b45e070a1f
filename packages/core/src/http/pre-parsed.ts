import type { IncomingMessage } from 'node:http';

/**
 * Where the body of a POST is to be read from:
 * - `stream`: nobody has read the request yet; the edge reads it with its own size and time limits;
 * - `text`: a raw or text parser in front (`express.raw()`, `express.text()`) read it into a Buffer or string;
 * - `parsed`: a JSON parser in front (`express.json()`, a framework) read and parsed it into `req.body`;
 * - `consumed`: something read the stream and left no body, so the bytes are gone.
 */
export type BodySource =
  | { kind: 'stream' }
  | { kind: 'text'; text: string }
  | { kind: 'parsed'; value: unknown }
  | { kind: 'consumed' };

/**
 * A `req.body` counts only once the stream has been read: Express 4's body-parser sets `req.body = {}` on
 * requests it did not read, and that placeholder must not stand in for the real body.
 */
export function bodySource(req: IncomingMessage): BodySource {
  const touched = req.readableEnded || req.readableDidRead;
  if (!touched) return { kind: 'stream' };
  // Partly read is as good as gone: what is left is not the message the client sent.
  if (!req.readableEnded) return { kind: 'consumed' };
  const body = (req as IncomingMessage & { body?: unknown }).body;
  if (body === undefined) return { kind: 'consumed' };
  if (typeof body === 'string') return { kind: 'text', text: body };
  if (body instanceof Uint8Array) {
    return {
      kind: 'text',
      text: Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'),
    };
  }
  return { kind: 'parsed', value: body };
}

/** Why a parsed value was refused before it was serialized again. */
export type ParsedValueProblem = 'too-deep' | 'not-json-data';

/**
 * Checks a value some parser produced before anything recursive touches it: arrays and objects nested deeper
 * than `max` are `too-deep` (the same count as `jsonNestingExceeds` on the text), and a container reached
 * twice (a cycle or a shared reference, which a JSON parser never produces) is `not-json-data`. Iterative and
 * linear in the number of containers.
 */
export function checkParsedValue(value: unknown, max: number): ParsedValueProblem | undefined {
  const seen = new Set<object>();
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 1 }];
  while (stack.length > 0) {
    const next = stack.pop()!;
    if (typeof next.value !== 'object' || next.value === null) continue;
    if (next.depth > max) return 'too-deep';
    if (seen.has(next.value)) return 'not-json-data';
    seen.add(next.value);
    const children = Array.isArray(next.value) ? next.value : Object.values(next.value);
    for (const child of children) {
      if (typeof child === 'object' && child !== null) stack.push({ value: child, depth: next.depth + 1 });
    }
  }
  return undefined;
}
