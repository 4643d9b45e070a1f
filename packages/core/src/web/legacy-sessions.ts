/**
 * 2025-era `Mcp-Session-Id` sessions on the fetch face. The upstream owns each session; Warden binds its id to the
 * principal whose `initialize` it answered (anonymous callers also to their address), like the node edge binds
 * its own sessions: a request naming a session that is unknown, expired or another owner's is answered exactly
 * like an unknown session and never reaches the upstream. The table is capped per owner and in all, sweeps idle
 * bindings, and ends a binding's open streams when the binding goes.
 */
import { newConnectionId } from '../connection-id.js';
import { CORE_ERROR_CODES, JSON_RPC_ERROR_CODES, WardenError } from '../errors.js';
import type { SecurityEventBus } from '../events.js';
import type { EdgeRequest } from '../plugin.js';
import { isAnonymous, type Principal } from '../principal.js';
import { PrincipalRecheck } from '../principal-recheck.js';
import { sessionLimitError } from '../session-limit.js';
import type { JsonObject } from './jsonrpc-shape.js';
import { edgeError, errorMessage, jsonResponse } from './responses.js';

export interface LegacySessionOptions {
  idleTimeoutMs: number;
  maxSessions: number;
  maxPerPrincipal: number;
  /** How often `principalStillValid` is asked. */
  recheckMs?: number;
  /** Asked about each principal holding bindings; `false` drops them (see `FetchHandlerOptions`). */
  principalStillValid?: ((principal: Principal) => boolean | Promise<boolean>) | undefined;
  /** Told once for every binding that goes, whatever the reason. */
  onEnd?: (sessionId: string, ended: SessionEnd) => void;
}

/** A binding that went: whose it was, and whether the upstream already knows. */
export interface SessionEnd {
  principalId: string;
  authenticatedBy: string | undefined;
  connectionId: string;
  /** The principal that opened it (the upstream is told in its name). */
  principal: Principal;
  /** The URL its `initialize` was posted to. */
  url: string | undefined;
  protocolVersion: string | undefined;
  /**
   * `upstream`: the upstream ended it (its 404, or the client's own DELETE it answered). `warden`: Warden dropped
   * it (revoked, expired, closed): the upstream still holds the session and should be told.
   */
  endedBy: 'upstream' | 'warden';
}

/** What a session's `initialize` said of the client, handed to plugins on its later requests. */
export interface SessionClient {
  protocolVersion: string | undefined;
  clientInfo: JsonObject | undefined;
  clientCapabilities: JsonObject | undefined;
}

interface Binding extends SessionClient {
  /** Warden's id for the session (`RequestContext.connectionId`), made when its `initialize` arrived. */
  connectionId: string;
  owner: string;
  principal: Principal;
  principalId: string;
  authenticatedBy: string | undefined;
  url: string | undefined;
  lastSeen: number;
  /** Responses of this session still streaming: the idle sweep leaves the binding alone while any is open. */
  open: number;
  /** Aborted when the binding goes: its streams end with it. */
  ended: AbortController;
}

/** What the table decided for one authenticated request. */
export type SessionVerdict =
  | { kind: 'refused'; response: Response }
  | {
      kind: 'pass';
      /** The bound session the request names; `undefined` when it names none. */
      session: ({ id: string } & SessionClient) | undefined;
      /**
       * The connection id of the request: its session's (the one an `initialize` opens included); `undefined`
       * when the request belongs to no session (a fresh id is the caller's to make).
       */
      connectionId: string | undefined;
      /** Applies the upstream's answer to the table (binds, forgets) and returns what the client gets. */
      settle(response: Response): Response;
      /** The upstream was never answered (an exception): frees what the request held. */
      abandon(): void;
    };

export interface SessionRequest {
  edge: EdgeRequest;
  httpMethod: string;
  /** The `Mcp-Session-Id` header, if any. */
  sessionId: string | undefined;
  /** A 2025-era `initialize`: the request that opens a session, with what it says of the client. */
  initialize: SessionClient | undefined;
  requestId: string | number | null;
  traceparent: string | undefined;
}

/** Most requests: no session named, none opened. */
const NO_SESSION: SessionVerdict = Object.freeze({
  kind: 'pass',
  session: undefined,
  connectionId: undefined,
  settle: (response: Response) => response,
  abandon: () => undefined,
});

/** The spec's session id alphabet (visible ASCII), with a bound on its length: anything else is never bound. */
const SESSION_ID = /^[\x21-\x7e]{1,256}$/;

/**
 * Who a session belongs to: an authenticated principal by its authenticator and id, the anonymous principal (one
 * id shared by every unauthenticated client) by its client address too. Encoded as JSON so no id can forge
 * another owner's key with separators.
 */
export function sessionOwnerOf(principal: Principal, remoteAddress: string | undefined): string {
  return isAnonymous(principal)
    ? JSON.stringify(['anonymous', principal.id, remoteAddress ?? null])
    : JSON.stringify([principal.authenticatedBy ?? null, principal.id]);
}

/** The answer to a session id that is unknown, expired or another owner's (the node edge's, byte for byte). */
export function sessionNotFoundResponse(): Response {
  const error = edgeError(
    404,
    'Session not found: initialize a new session.',
    undefined,
    JSON_RPC_ERROR_CODES.SESSION_NOT_FOUND,
    CORE_ERROR_CODES.SESSION_NOT_FOUND,
  );
  return jsonResponse(404, errorMessage(null, error));
}

export class LegacySessionTable {
  readonly #bindings = new Map<string, Binding>();
  /** Bindings plus reservations (initializes in flight) per owner. */
  readonly #perOwner = new Map<string, number>();
  #pending = 0;
  readonly #events: SecurityEventBus;
  readonly #options: LegacySessionOptions;
  readonly #now: () => number;
  readonly #retryAfter: string;
  readonly #sweeper: ReturnType<typeof setInterval>;
  readonly #recheck: PrincipalRecheck | undefined;

  constructor(events: SecurityEventBus, options: LegacySessionOptions, now: () => number = Date.now) {
    this.#events = events;
    this.#options = options;
    this.#now = now;
    const sweepMs = Math.min(options.idleTimeoutMs, 60_000);
    this.#retryAfter = String(Math.max(1, Math.ceil(sweepMs / 1000)));
    this.#sweeper = setInterval(() => this.#sweep(), sweepMs);
    // Not every runtime's interval handle has unref (Workers, browsers).
    (this.#sweeper as { unref?: () => void }).unref?.();
    this.#recheck = options.principalStillValid
      ? new PrincipalRecheck({
          events,
          stillValid: options.principalStillValid,
          everyMs: options.recheckMs ?? 10_000,
          owners: () => [...this.#bindings.values()].map((binding) => binding.principal),
          drop: (owner, reason) => this.closeSessionsOf(owner.id, owner.authenticatedBy, reason),
        })
      : undefined;
  }

  /** Bound sessions. */
  get size(): number {
    return this.#bindings.size;
  }

  /** Decides on one authenticated request before the upstream is called. */
  gate(principal: Principal, request: SessionRequest): SessionVerdict {
    const { sessionId, initialize } = request;
    if (sessionId === undefined && initialize === undefined) return NO_SESSION;
    const owner = sessionOwnerOf(principal, request.edge.remoteAddress);
    if (sessionId !== undefined) {
      const binding = this.#find(sessionId, owner, principal, request);
      if (!binding) return { kind: 'refused', response: sessionNotFoundResponse() };
      return this.#onSession(sessionId, binding, request.httpMethod);
    }
    const refused = this.#admit(principal, owner);
    if (refused) return { kind: 'refused', response: this.#refuseLimit(refused, principal, request) };
    return this.#reserve(principal, owner, request, initialize!);
  }

  /** Forgets every binding of a principal (narrowed to one authenticator's), ending their streams. */
  closeSessionsOf(principalId: string, authenticatedBy: string | undefined, reason: string): number {
    let closed = 0;
    for (const [id, binding] of [...this.#bindings]) {
      if (binding.principalId !== principalId) continue;
      if (authenticatedBy !== undefined && binding.authenticatedBy !== authenticatedBy) continue;
      this.#remove(id);
      this.#events.emit({
        type: 'session.closed',
        outcome: 'info',
        reason,
        principalId,
        sessionId: id,
      });
      closed++;
    }
    return closed;
  }

  /** Stops the timers and forgets every binding. */
  close(): void {
    clearInterval(this.#sweeper);
    this.#recheck?.stop();
    for (const id of [...this.#bindings.keys()]) this.#remove(id);
  }

  /** The binding a request names, if it is live and the caller's; otherwise records why and returns none. */
  #find(id: string, owner: string, principal: Principal, request: SessionRequest): Binding | undefined {
    let binding = this.#bindings.get(id);
    if (binding && this.#expired(binding)) {
      this.#remove(id);
      binding = undefined;
    }
    if (binding && binding.owner === owner) {
      binding.lastSeen = this.#now();
      return binding;
    }
    // Another owner's session is answered exactly like an unknown one: no oracle for valid session ids.
    this.#events.emit({
      type: 'session.rejected',
      outcome: 'denied',
      reason: binding ? 'session belongs to another principal' : 'unknown or expired session',
      principalId: principal.id,
      remoteAddress: request.edge.remoteAddress,
      requestId: request.requestId ?? undefined,
      traceparent: request.traceparent,
      details: { sessionKnown: Boolean(binding), httpMethod: request.httpMethod },
    });
    return undefined;
  }

  #onSession(id: string, binding: Binding, httpMethod: string): SessionVerdict {
    const { protocolVersion, clientInfo, clientCapabilities } = binding;
    return {
      kind: 'pass',
      session: { id, protocolVersion, clientInfo, clientCapabilities },
      connectionId: binding.connectionId,
      abandon: () => undefined,
      settle: (response) => {
        // The upstream no longer knows it, or the client ended it: either way it is over here too.
        const gone = response.status === 404 || (httpMethod === 'DELETE' && response.ok);
        if (gone) {
          if (this.#bindings.get(id) === binding) this.#remove(id, 'upstream');
          return response;
        }
        return this.#tracked(binding, response);
      },
    };
  }

  /** Holds a slot for an `initialize` until the upstream answers: concurrent ones cannot pass the caps. */
  #reserve(
    principal: Principal,
    owner: string,
    request: SessionRequest,
    client: SessionClient,
  ): SessionVerdict {
    this.#pending++;
    this.#count(owner, 1);
    let held = true;
    // Made now, so the initialize itself carries the id the session keeps if the upstream opens one.
    const connectionId = newConnectionId();
    const release = () => {
      if (!held) return;
      held = false;
      this.#pending--;
      this.#count(owner, -1);
    };
    return {
      kind: 'pass',
      session: undefined,
      connectionId,
      abandon: release,
      settle: (response) => {
        const id = response.headers.get('mcp-session-id');
        release();
        if (!response.ok || id === null) return response;
        return this.#bind(id, { principal, owner, connectionId }, request, client, response);
      },
    };
  }

  #bind(
    id: string,
    { principal, owner, connectionId }: { principal: Principal; owner: string; connectionId: string },
    request: SessionRequest,
    client: SessionClient,
    response: Response,
  ): Response {
    const existing = this.#bindings.get(id);
    if (!SESSION_ID.test(id) || (existing && existing.owner !== owner)) {
      // A session id Warden cannot bind safely (malformed, or one it already gave to someone else) is withheld.
      void response.body?.cancel().catch(() => undefined);
      this.#events.emit({
        type: 'plugin.error',
        outcome: 'denied',
        severity: 'error',
        reason: existing
          ? 'upstream answered initialize with a session id bound to another principal'
          : 'upstream answered initialize with an invalid session id',
        principalId: principal.id,
        remoteAddress: request.edge.remoteAddress,
        requestId: request.requestId ?? undefined,
        traceparent: request.traceparent,
      });
      const error = new WardenError({
        code: CORE_ERROR_CODES.PLUGIN_FAILED,
        message: 'Internal error.',
        httpStatus: 502,
        jsonRpcCode: JSON_RPC_ERROR_CODES.INTERNAL_ERROR,
      });
      return jsonResponse(502, errorMessage(request.requestId, error));
    }
    if (existing) {
      existing.lastSeen = this.#now();
      return this.#tracked(existing, response);
    }
    const binding: Binding = {
      ...client,
      connectionId,
      owner,
      principal,
      principalId: principal.id,
      authenticatedBy: principal.authenticatedBy,
      url: request.edge.url?.href,
      lastSeen: this.#now(),
      open: 0,
      ended: new AbortController(),
    };
    this.#bindings.set(id, binding);
    this.#count(owner, 1);
    this.#events.emit({
      type: 'session.created',
      outcome: 'allowed',
      severity: 'debug',
      principalId: principal.id,
      sessionId: id,
      remoteAddress: request.edge.remoteAddress,
      traceparent: request.traceparent,
    });
    return this.#tracked(binding, response);
  }

  /** A stream of a bound session: it ends when the binding does, and keeps the binding alive meanwhile. */
  #tracked(binding: Binding, response: Response): Response {
    const type = (response.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (!response.body || type !== 'text/event-stream') return response;
    const relay = new TransformStream<Uint8Array, Uint8Array>();
    binding.open++;
    void response.body
      .pipeTo(relay.writable, { signal: binding.ended.signal })
      .catch(() => undefined)
      .finally(() => {
        binding.open--;
        binding.lastSeen = this.#now();
      });
    return new Response(relay.readable, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  }

  /** Refuses a new session over the caps: the owner's own first, then the server's (as the node edge). */
  #admit(principal: Principal, owner: string): WardenError | undefined {
    const { maxPerPrincipal, maxSessions } = this.#options;
    if ((this.#perOwner.get(owner) ?? 0) >= maxPerPrincipal)
      return sessionLimitError(
        429,
        `Too many open sessions for this ${isAnonymous(principal) ? 'client' : 'credential'} (${maxPerPrincipal}): close one (DELETE) first.`,
        `per-principal session limit ${maxPerPrincipal} reached by ${principal.id}`,
        this.#retryAfter,
      );
    if (this.#bindings.size + this.#pending >= maxSessions)
      return sessionLimitError(
        503,
        'Too many open sessions on this server: try again later.',
        `session limit ${maxSessions} reached`,
        this.#retryAfter,
      );
    return undefined;
  }

  #refuseLimit(error: WardenError, principal: Principal, request: SessionRequest): Response {
    this.#events.emit({
      type: error.eventType,
      outcome: 'denied',
      reason: error.reason ?? error.message,
      principalId: principal.id,
      remoteAddress: request.edge.remoteAddress,
      requestId: request.requestId ?? undefined,
      method: 'initialize',
      traceparent: request.traceparent,
      details: { code: error.code, httpMethod: request.httpMethod, path: request.edge.url?.pathname },
    });
    return jsonResponse(error.httpStatus, errorMessage(request.requestId, error), error.headers);
  }

  #expired(binding: Binding): boolean {
    return binding.open === 0 && this.#now() - binding.lastSeen > this.#options.idleTimeoutMs;
  }

  #count(owner: string, delta: number): void {
    const next = (this.#perOwner.get(owner) ?? 0) + delta;
    if (next > 0) this.#perOwner.set(owner, next);
    else this.#perOwner.delete(owner);
  }

  /** The one way a binding leaves the table (DELETE, upstream 404, expiry, closeSessionsOf, close). */
  #remove(id: string, endedBy: SessionEnd['endedBy'] = 'warden'): void {
    const binding = this.#bindings.get(id);
    if (!binding) return;
    this.#bindings.delete(id);
    this.#count(binding.owner, -1);
    binding.ended.abort(new Error('session ended'));
    this.#options.onEnd?.(id, {
      principalId: binding.principalId,
      authenticatedBy: binding.authenticatedBy,
      connectionId: binding.connectionId,
      principal: binding.principal,
      url: binding.url,
      protocolVersion: binding.protocolVersion,
      endedBy,
    });
  }

  #sweep(): void {
    for (const [id, binding] of [...this.#bindings]) if (this.#expired(binding)) this.#remove(id);
  }
}
