import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { UpstreamFaultKind } from './faults.js';
import { guardSseStream } from './stream-limits.js';

const encoder = new TextEncoder();

/** A stream of the given chunks. */
function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
}

/** Cuts `bytes` at the given offsets (any split: the guard must not care where chunks end). */
function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let start = 0;
  for (const point of [...points, bytes.length]) {
    if (point > start) out.push(bytes.subarray(start, point));
    start = point;
  }
  return out;
}

async function drain(
  stream: ReadableStream<Uint8Array>,
): Promise<{ bytes: number; error: unknown | undefined }> {
  let bytes = 0;
  try {
    for await (const chunk of stream) bytes += chunk.length;
    return { bytes, error: undefined };
  } catch (error) {
    return { bytes, error };
  }
}

const eol = fc.constantFrom('\n', '\r\n', '\r');
/** One SSE event of `size` data bytes, its lines ended by any of the three line endings. */
const event = (size: number) =>
  fc
    .tuple(eol, eol)
    // "\r" then "\n" is one CRLF, not a line end and a blank line: that pair does not end an event.
    .filter(([a, b]) => !(a === '\r' && b === '\n'))
    .map(([a, b]) => `data: ${'x'.repeat(Math.max(0, size - 6))}${a}${b}`);

function guard(text: string, cuts: number[], maxEventBytes: number, maxEventsPerSecond = 1e6) {
  const violations: UpstreamFaultKind[] = [];
  let ended = 0;
  const stream = guardSseStream(streamOf(split(encoder.encode(text), cuts)), {
    maxEventBytes,
    maxEventsPerSecond,
    onEnd: () => ended++,
    onViolation: (kind) => violations.push(kind),
  });
  return { stream, violations, ended: () => ended };
}

describe('guardSseStream', () => {
  it('passes every event within the bound unchanged, however the stream is chunked and whatever the line endings', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 6, max: 200 }).chain(event), { minLength: 1, maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        async (events, cuts) => {
          const text = events.join('');
          const g = guard(text, cuts, 200);
          const { bytes, error } = await drain(g.stream);
          expect(error).toBeUndefined();
          expect(bytes).toBe(encoder.encode(text).length);
          expect(g.violations).toEqual([]);
          expect(g.ended()).toBe(1);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('cuts off an event over the bound, whether or not it ever ends, however it is chunked', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 201, max: 5000 }),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 30 }),
        async (size, terminated, cuts) => {
          const body = `data: ${'y'.repeat(size)}`;
          const g = guard(`data: ok\n\n${body}${terminated ? '\n\n' : ''}`, cuts, 200);
          const { error } = await drain(g.stream);
          expect(error).toBeDefined();
          expect(g.violations).toEqual(['too-large']);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('cuts off a flood of events', async () => {
    const g = guard('data: {}\n\n'.repeat(500), [], 1024, 100);
    const { error } = await drain(g.stream);
    expect(error).toBeDefined();
    expect(g.violations).toEqual(['flood']);
  });

  it('counts a blank line only after a line ending (a lone CR, a CRLF or an LF each end one line)', async () => {
    // "a\r\nb" is two lines, no event boundary: 11 data bytes with a bound of 10 is too large.
    const g = guard('data: a\r\nbcdef', [], 10);
    const { error } = await drain(g.stream);
    expect(error).toBeDefined();
  });
});
