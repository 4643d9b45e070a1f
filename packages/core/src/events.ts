import type { EdgeRequest, PluginMode } from './plugin.js';

/** Event types core and the built-in plugins record. Plugins may add their own `domain.verb` types. */
export type KnownSecurityEventType =
  | 'auth.succeeded'
  | 'auth.failed'
  | 'auth.blocked'
  | 'access.denied'
  | 'validation.rejected'
  | 'content.sanitized'
  | 'rate.limited'
  | 'request.rejected'
  | 'request.timeout'
  | 'session.created'
  | 'session.rejected'
  | 'session.closed'
  | 'plugin.error'
  | 'config.warning'
  | 'key.created'
  | 'key.revoked'
  | 'key.rotated'
  | 'policy.loaded'
  | 'policy.rejected'
  | 'crypto.failed'
  | 'content.sealed'
  | 'validation.schema_invalid'
  | 'tool.pinned'
  | 'tool.held'
  | 'tool.shadowing'
  | 'tool.upstream_changed'
  | 'tool.approved'
  | 'tool.rejected'
  | 'store.degraded'
  | 'store.recovered'
  | 'auth.anonymous'
  | 'upstream.failed'
  | 'upstream.restarted';

export type SecurityEventType = KnownSecurityEventType | (string & {});

export type SecurityEventSeverity = 'debug' | 'info' | 'warn' | 'error';

/**
 * What happened to the request: `denied` (refused), `audited` (an audit-mode plugin would have refused or
 * changed it, and let it pass), `modified` (content was changed, e.g. redacted), `allowed`, or `info`.
 */
export type SecurityEventOutcome = 'allowed' | 'denied' | 'audited' | 'modified' | 'info';

export interface SecurityEvent {
  /** ISO 8601 time. */
  time: string;
  type: SecurityEventType;
  severity: SecurityEventSeverity;
  outcome: SecurityEventOutcome;
  /** The plugin that caused it; absent for the edge itself. */
  plugin?: string;
  mode?: PluginMode;
  /** The real reason. Never a secret. */
  reason?: string;
  principalId?: string;
  remoteAddress?: string;
  sessionId?: string;
  requestId?: string | number;
  /** JSON-RPC method, e.g. `tools/call`. */
  method?: string;
  /** Tool name, prompt name or resource URI. */
  target?: string;
  /** W3C `traceparent` of the request the event belongs to (from `_meta` or the HTTP header), when it had one. */
  traceparent?: string;
  details?: Record<string, unknown>;
}

export type SecurityEventInput = Omit<SecurityEvent, 'time' | 'severity' | 'outcome'> &
  Partial<Pick<SecurityEvent, 'severity' | 'outcome'>>;

/** Receives every security event. Must not throw; a throwing sink is isolated from the request. */
export interface SecurityEventSink {
  write(event: SecurityEvent): void;
  /**
   * True when the sink writes to the process's standard output. Under stdio, stdout carries the JSON-RPC stream, so
   * `warden.connectStdio()` refuses such a sink. `pinoSink()` sets it; set it on your own sink if it writes there.
   */
  readonly writesToStdout?: boolean;
}

/**
 * What an event is about, for listeners only (never written to sinks): `edge` is the HTTP request or stdio start
 * whose admission or authentication produced it (`auth.succeeded`, `auth.failed`, refusals in `admit`), so that a
 * plugin can relate the event to what its own `admit` saw of the same request (a `WeakMap` keyed by it).
 */
export interface SecurityEventSource {
  readonly edge?: EdgeRequest;
}

const NO_SOURCE: SecurityEventSource = Object.freeze({});

export type SecurityEventListener = (event: SecurityEvent, source: SecurityEventSource) => void;

const SECRET_KEY_PATTERN =
  /(token|secret|password|passphrase|authorization|cookie|credential|api[-_]?key|private[-_]?key|access[-_]?key|^key$|pepper|bearer)/i;
/** Ids, hashes and counts under secret-ish names (`keyId`, `tokenHash`, `secretRule`) are not secrets. */
const SAFE_KEY_SUFFIX = /(id|ids|hash|prefix|count|type|rule|rules)$/i;
const MAX_DETAIL_DEPTH = 6;

/**
 * Masks values under secret-looking keys, as a second line of defence behind plugins that already keep secrets
 * out of their events. Depth- and size-bounded so a hostile value cannot make logging expensive.
 */
export function redactEventDetails(value: unknown, depth = 0): unknown {
  if (depth > MAX_DETAIL_DEPTH) return '[truncated]';
  if (typeof value === 'string') return value.length > 2000 ? `${value.slice(0, 2000)}…[truncated]` : value;
  if (Array.isArray(value)) return value.slice(0, 100).map((v) => redactEventDetails(v, depth + 1));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value).slice(0, 100)) {
      out[key] =
        SECRET_KEY_PATTERN.test(key) && !SAFE_KEY_SUFFIX.test(key)
          ? '[redacted]'
          : redactEventDetails(v, depth + 1);
    }
    return out;
  }
  return value;
}

const DEFAULT_SEVERITY: Record<SecurityEventOutcome, SecurityEventSeverity> = {
  denied: 'warn',
  audited: 'info',
  modified: 'info',
  allowed: 'debug',
  info: 'info',
};

/** Fans security events out to sinks and listeners. One per warden. */
export class SecurityEventBus {
  readonly #sinks: SecurityEventSink[] = [];
  readonly #listeners = new Set<SecurityEventListener>();

  constructor(sinks: readonly SecurityEventSink[] = []) {
    this.#sinks.push(...sinks);
  }

  addSink(sink: SecurityEventSink): void {
    this.#sinks.push(sink);
  }

  /** True when some sink writes to stdout (see `SecurityEventSink.writesToStdout`). */
  get writesToStdout(): boolean {
    return this.#sinks.some((sink) => sink.writesToStdout === true);
  }

  /** Subscribes to events; returns the unsubscribe function. */
  on(listener: SecurityEventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(input: SecurityEventInput, source: SecurityEventSource = NO_SOURCE): SecurityEvent {
    const outcome = input.outcome ?? 'info';
    // Object.assign rather than `{ ...input, time, … }`: on Node 20's V8, adding properties after a spread costs
    // about a microsecond per object (measured ~30× the Object.assign form), and this runs on every request.
    const event: SecurityEvent = Object.assign({}, input, {
      time: new Date().toISOString(),
      outcome,
      severity: input.severity ?? DEFAULT_SEVERITY[outcome],
    });
    if (event.details) event.details = redactEventDetails(event.details) as Record<string, unknown>;
    for (const sink of this.#sinks) {
      try {
        sink.write(event);
      } catch {
        // A broken sink must not turn into a refused (or allowed) request.
      }
    }
    for (const listener of this.#listeners) {
      try {
        listener(event, source);
      } catch {
        // Listeners are isolated like sinks.
      }
    }
    return event;
  }
}

/** Keeps events in memory, for tests and for the CLI's diagnostics. */
export class MemoryEventSink implements SecurityEventSink {
  readonly events: SecurityEvent[] = [];
  constructor(private readonly limit = 10_000) {}
  write(event: SecurityEvent): void {
    this.events.push(event);
    if (this.events.length > this.limit) this.events.shift();
  }
  /** Events of one type (or all), newest last. */
  ofType(type: SecurityEventType): SecurityEvent[] {
    return this.events.filter((e) => e.type === type);
  }
  clear(): void {
    this.events.length = 0;
  }
}
