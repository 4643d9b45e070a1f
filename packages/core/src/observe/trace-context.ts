/**
 * W3C Trace Context (`traceparent`) parsing and generation, without any tracing library: the pipeline needs a
 * trace id for every observed request whether or not OpenTelemetry is installed.
 */

/** The trace a request belongs to. */
export interface TraceContext {
  /** 32 lower-case hex digits, never all zeros. */
  traceId: string;
  /** The caller's span (16 hex digits), when the request carried a `traceparent`. */
  parentSpanId: string | undefined;
  /** The caller's sampled flag; `true` for a generated trace. */
  sampled: boolean;
  /**
   * Where the trace id came from: `_meta.traceparent` of the request (`meta`), the HTTP `traceparent` header
   * (`header`), or generated here (`generated`). A tracing observer that starts a span replaces the ids with
   * its span's (`span`), so every observer of one request reports the same trace id.
   */
  source: 'meta' | 'header' | 'generated' | 'span';
  /** The span a tracing observer started for this request, when there is one. */
  spanId?: string | undefined;
}

const ALL_ZERO_TRACE = '00000000000000000000000000000000';
const ALL_ZERO_SPAN = '0000000000000000';

function isLowerHex(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/**
 * Parses a `traceparent` value (`00-<trace-id>-<parent-id>-<flags>`). Returns `undefined` for anything that is not
 * valid per W3C Trace Context level 1: wrong length, upper-case or non-hex digits, version `ff`, all-zero ids, or
 * extra fields on version 00. A future version's extra fields after the fourth are ignored, as the spec says.
 * Linear and bounded: at most 512 characters are looked at.
 */
export function parseTraceparent(
  value: unknown,
): Pick<TraceContext, 'traceId' | 'parentSpanId' | 'sampled'> | undefined {
  if (typeof value !== 'string' || value.length < 55 || value.length > 512) return undefined;
  const text = value.trim();
  if (text.length < 55) return undefined;
  if (!isLowerHex(text, 0, 2) || text.slice(0, 2) === 'ff') return undefined;
  if (text[2] !== '-' || text[35] !== '-' || text[52] !== '-') return undefined;
  if (!isLowerHex(text, 3, 35) || !isLowerHex(text, 36, 52) || !isLowerHex(text, 53, 55)) return undefined;
  const version = text.slice(0, 2);
  if (version === '00' ? text.length !== 55 : text.length > 55 && text[55] !== '-') return undefined;
  const traceId = text.slice(3, 35);
  const parentSpanId = text.slice(36, 52);
  if (traceId === ALL_ZERO_TRACE || parentSpanId === ALL_ZERO_SPAN) return undefined;
  const flags = Number.parseInt(text.slice(53, 55), 16);
  return { traceId, parentSpanId, sampled: (flags & 1) === 1 };
}

/** Formats a `traceparent` value. */
export function formatTraceparent(traceId: string, spanId: string, sampled: boolean): string {
  return `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`;
}

function randomHex(bytes: number): string {
  const buffer = new Uint8Array(bytes);
  globalThis.crypto.getRandomValues(buffer);
  let out = '';
  for (const byte of buffer) out += byte.toString(16).padStart(2, '0');
  return out;
}

/** A random trace id (16 random bytes, so never all zeros in practice; re-drawn if it were). */
export function generateTraceId(): string {
  let id = randomHex(16);
  while (id === ALL_ZERO_TRACE) id = randomHex(16);
  return id;
}

/** A random span id (8 bytes). */
export function generateSpanId(): string {
  let id = randomHex(8);
  while (id === ALL_ZERO_SPAN) id = randomHex(8);
  return id;
}

/**
 * The trace of one request: `_meta.traceparent` first (it travels with the message over any transport and is set
 * by the MCP client for this very request), then the HTTP `traceparent` header, else a new trace. An invalid value
 * is ignored, never an error.
 */
export function resolveTraceContext(
  params: Readonly<Record<string, unknown>> | undefined,
  headerValue: string | undefined,
): TraceContext {
  const meta = params?._meta;
  if (typeof meta === 'object' && meta !== null && !Array.isArray(meta)) {
    const parsed = parseTraceparent((meta as Record<string, unknown>).traceparent);
    if (parsed) return { ...parsed, source: 'meta' };
  }
  const header = parseTraceparent(headerValue);
  if (header) return { ...header, source: 'header' };
  return { traceId: generateTraceId(), parentSpanId: undefined, sampled: true, source: 'generated' };
}

/**
 * The request's `traceparent` as given: `_meta.traceparent` when valid, else the HTTP header when valid (the same
 * precedence as {@link resolveTraceContext}), else `undefined`. Security events carry this value.
 */
export function requestTraceparent(
  params: Readonly<Record<string, unknown>> | undefined,
  headerValue: string | undefined,
): string | undefined {
  const meta = params?._meta;
  if (typeof meta === 'object' && meta !== null && !Array.isArray(meta)) {
    const value = (meta as Record<string, unknown>).traceparent;
    if (parseTraceparent(value)) return (value as string).trim();
  }
  return parseTraceparent(headerValue) ? headerValue!.trim() : undefined;
}
