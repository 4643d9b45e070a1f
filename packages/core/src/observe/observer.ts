/**
 * Request observers: how audit trails, metrics and traces see every MCP request the pipeline handles, from its
 * arrival to its answer. An observer only watches: it cannot refuse or change a request, and a throwing observer
 * is isolated from the request (like a security event sink).
 */
import type { McpTarget, PluginStage } from '../plugin.js';
import type { Principal } from '../principal.js';
import type { TraceContext } from './trace-context.js';

/** One JSON-RPC request as it reaches the pipeline, before any plugin ran. */
export interface ObservedRequest {
  readonly requestId: string | number;
  /** JSON-RPC method, e.g. `tools/call`. */
  readonly method: string;
  readonly target: McpTarget | undefined;
  /** The printable target: tool or prompt name, or resource URI. */
  readonly targetName: string | undefined;
  readonly principal: Principal;
  readonly transport: string;
  readonly sessionId: string | undefined;
  readonly remoteAddress: string | undefined;
  /** The params as received (before any plugin's transform). Holds argument values: never log them as they are. */
  readonly params: Readonly<Record<string, unknown>>;
  /** Epoch milliseconds (sub-millisecond precision). */
  readonly startTime: number;
  /** The request's trace; a tracing observer may replace its ids with its own span's (see {@link TraceContext}). */
  readonly trace: TraceContext;
}

/** Which plugin hook ran, how long, and how it ended. */
export interface StageObservation {
  readonly plugin: string;
  readonly stage: PluginStage;
  readonly hook: 'beforeRequest' | 'afterResponse';
  /** Epoch milliseconds. */
  readonly startTime: number;
  readonly endTime: number;
  /** `refused`: it threw a refusal (enforce mode); `audited`: it would have (audit mode); `failed`: it crashed. */
  readonly outcome: 'ok' | 'refused' | 'audited' | 'failed';
  /** The refusal's code. */
  readonly code?: string | undefined;
}

/**
 * How a request ended:
 * - `ok`: answered with a result;
 * - `error`: the server answered with a JSON-RPC error, or a tool result with `isError: true` (`tool_error`);
 * - `refused`: a plugin refused it, before the server saw it (`delivered: false`) or its result afterwards;
 * - `timeout`: the server did not answer in time;
 * - `cancelled`: the client cancelled it, or the connection closed first.
 */
export type RequestOutcome = 'ok' | 'error' | 'refused' | 'timeout' | 'cancelled';

export interface RequestEnd {
  readonly outcome: RequestOutcome;
  /** A warden error code (`ACCESS_DENIED`, `REQUEST_TIMEOUT`), a JSON-RPC error code, or `tool_error`. */
  readonly errorCode?: string | number | undefined;
  /** The plugin that refused, for `refused`. */
  readonly plugin?: string | undefined;
  /** True when the request passed every `beforeRequest` hook and reached the server. */
  readonly delivered: boolean;
  /** The params as delivered to the server (after argument transforms); as received when never delivered. */
  readonly params: Readonly<Record<string, unknown>>;
  /** Epoch milliseconds. */
  readonly endTime: number;
  readonly durationMs: number;
}

/** What an observer keeps for one request. */
export interface RequestObservation {
  /** After each plugin hook of this request. */
  stage?(stage: StageObservation): void;
  /** Exactly once, when the request ended. */
  end(end: RequestEnd, request: ObservedRequest): void;
}

/**
 * Watches requests. Give observers to `createWarden({ observers })`.
 * @example
 * const counter: RequestObserver = { name: 'count', start: () => ({ end: (e) => counts[e.outcome]++ }) };
 */
export interface RequestObserver {
  readonly name: string;
  /** A request arrived; return what should see its stages and end (or nothing to ignore it). */
  start(request: ObservedRequest): RequestObservation | undefined;
  /** When the warden closes (flush buffers, close files). */
  close?(): void | Promise<void>;
}

/** @internal One request's observations, all observers together; ends once. */
export class Observation {
  readonly request: ObservedRequest;
  readonly #parts: RequestObservation[];
  readonly #t0: number;
  #ended = false;

  constructor(request: ObservedRequest, parts: RequestObservation[], t0: number) {
    this.request = request;
    this.#parts = parts;
    this.#t0 = t0;
  }

  get ended(): boolean {
    return this.#ended;
  }

  stage(stage: StageObservation): void {
    for (const part of this.#parts) {
      try {
        part.stage?.(stage);
      } catch {
        // An observer must not change the request's fate.
      }
    }
  }

  end(end: Omit<RequestEnd, 'endTime' | 'durationMs'>): void {
    if (this.#ended) return;
    this.#ended = true;
    const now = performance.now();
    const full: RequestEnd = Object.assign({}, end, {
      endTime: performance.timeOrigin + now,
      durationMs: now - this.#t0,
    });
    for (const part of this.#parts) {
      try {
        part.end(full, this.request);
      } catch {
        // Isolated, as above.
      }
    }
  }
}

/**
 * @internal Ends a request's observation from the JSON-RPC message that answers it, on every face: an error is
 * `error` with its code, a tool result flagged `isError` is `error` (`tool_error`), anything else `ok`. An
 * observation a refusal already ended stays as it was.
 */
export function endObservationWith(
  observation: Observation | undefined,
  request: { method: string; params?: Record<string, unknown> | undefined },
  message: unknown,
): void {
  if (!observation || observation.ended) return;
  const params = request.params ?? {};
  const answer = (typeof message === 'object' && message !== null ? message : {}) as {
    error?: { code?: unknown };
    result?: { isError?: unknown };
  };
  if (answer.error !== undefined) {
    const code = answer.error?.code;
    observation.end({
      outcome: 'error',
      errorCode: typeof code === 'number' || typeof code === 'string' ? code : undefined,
      delivered: true,
      params,
    });
    return;
  }
  const toolError = request.method === 'tools/call' && answer.result?.isError === true;
  observation.end(
    toolError
      ? { outcome: 'error', errorCode: 'tool_error', delivered: true, params }
      : { outcome: 'ok', delivered: true, params },
  );
}

/** @internal */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}
