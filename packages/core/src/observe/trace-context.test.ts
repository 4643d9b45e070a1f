import { describe, expect, it } from 'vitest';
import { generateSpanId, generateTraceId, parseTraceparent } from './trace-context.js';

describe('generated trace and span ids', () => {
  it('are lower-case hex of the W3C lengths, valid in a traceparent, and never repeat across pool refills', () => {
    // 20,000 trace ids and as many span ids draw 480 KB: the 4 KiB random pool refills over a hundred times.
    const traces = new Set<string>();
    const spans = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const traceId = generateTraceId();
      const spanId = generateSpanId();
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(spanId).toMatch(/^[0-9a-f]{16}$/);
      expect(parseTraceparent(`00-${traceId}-${spanId}-01`)).toEqual({
        traceId,
        parentSpanId: spanId,
        sampled: true,
      });
      traces.add(traceId);
      spans.add(spanId);
    }
    expect(traces.size).toBe(20_000);
    expect(spans.size).toBe(20_000);
  });

  it('use every byte value about equally often (no byte of the pool reused or left zero)', () => {
    const counts = new Array<number>(256).fill(0);
    for (let i = 0; i < 8_192; i++) {
      const id = generateTraceId();
      for (let j = 0; j < 32; j += 2) counts[Number.parseInt(id.slice(j, j + 2), 16)]!++;
    }
    // 131,072 bytes: 512 expected per value; a stuck or repeated pool would be far outside this band.
    expect(Math.min(...counts)).toBeGreaterThan(380);
    expect(Math.max(...counts)).toBeLessThan(650);
  });
});
