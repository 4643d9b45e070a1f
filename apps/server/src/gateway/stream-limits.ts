import type { UpstreamFaultKind } from './faults.js';

export interface SseGuardOptions {
  /** Largest event (bytes between two blank lines). */
  maxEventBytes: number;
  /** Events allowed in any one-second window. */
  maxEventsPerSecond: number;
  /** Called once, when the stream ends for any reason. */
  onEnd: () => void;
  onViolation: (kind: UpstreamFaultKind, detail: string) => void;
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * Passes an upstream SSE stream through unchanged while bounding it: an event larger than `maxEventBytes` (the SSE
 * parser downstream would buffer it whole) or more than `maxEventsPerSecond` events end the stream, which the
 * warden's SSE transform then closes with an error event for the client. Pull-based, so a fast upstream is read
 * only as fast as the client reads.
 */
export function guardSseStream(
  upstream: ReadableStream<Uint8Array>,
  options: SseGuardOptions,
): ReadableStream<Uint8Array> {
  const reader = upstream.getReader();
  let eventBytes = 0;
  /** Line-end state: 0 inside a line, 1 after one line end, 2 after a CR (its LF may follow). */
  let lineEnds = 0;
  let lastWasCr = false;
  let windowStart = Date.now();
  let windowEvents = 0;
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    options.onEnd();
  };

  /** Scans a chunk for event boundaries; returns a violation, if any. */
  const scan = (chunk: Uint8Array): { kind: 'flood' | 'too-large'; detail: string } | undefined => {
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (byte === LF && lastWasCr) {
        lastWasCr = false; // CRLF is one line end
        continue;
      }
      lastWasCr = byte === CR;
      if (byte === LF || byte === CR) {
        lineEnds += 1;
        if (lineEnds === 2) {
          eventBytes = 0;
          lineEnds = 0;
          const now = Date.now();
          if (now - windowStart >= 1000) {
            windowStart = now;
            windowEvents = 0;
          }
          windowEvents += 1;
          if (windowEvents > options.maxEventsPerSecond)
            return {
              kind: 'flood',
              detail: `more than ${options.maxEventsPerSecond} SSE events in one second`,
            };
        }
        continue;
      }
      lineEnds = 0;
      eventBytes += 1;
      if (eventBytes > options.maxEventBytes)
        return { kind: 'too-large', detail: `an SSE event over ${options.maxEventBytes} bytes` };
    }
    return undefined;
  };

  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { value, done } = await reader.read();
        if (done) {
          end();
          controller.close();
          return;
        }
        const violation = scan(value);
        if (violation !== undefined) {
          options.onViolation(violation.kind, violation.detail);
          end();
          await reader.cancel().catch(() => undefined);
          controller.error(new Error(`upstream stream cut off: ${violation.detail}`));
          return;
        }
        controller.enqueue(value);
      } catch (error) {
        end();
        controller.error(error);
      }
    },
    async cancel(reason) {
      end();
      await reader.cancel(reason).catch(() => undefined);
    },
  });
}
