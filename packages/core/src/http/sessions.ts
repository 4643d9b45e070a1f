import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CORE_ERROR_CODES, JSON_RPC_ERROR_CODES, type WardenError } from '../errors.js';
import type { SecurityEventBus } from '../events.js';
import { errorResponse, type WardenTransport } from '../mcp/warden-transport.js';
import type { EdgeRequest } from '../plugin.js';
import { isAnonymous, type Principal } from '../principal.js';
import { PrincipalRecheck } from '../principal-recheck.js';
import { sessionLimitError } from '../session-limit.js';
import { edgeError } from './edge-errors.js';
import type { McpServerLike } from './options.js';

/** One stateful `Mcp-Session-Id` session, bound to the principal that opened it. */
export interface Session {
  transport: StreamableHTTPServerTransport;
  wrapped: WardenTransport;
  server: McpServerLike;
  owner: Principal;
  ownerId: string;
  ownerAuthenticatedBy: string | undefined;
  /** What the per-principal cap counts this session against (see {@link limitKeyOf}). */
  limitKey: string;
  lastSeen: number;
}

export interface SessionTableOptions {
  idleTimeoutMs: number;
  maxSessions: number;
  maxPerPrincipal: number;
  recheckMs: number;
  principalStillValid: ((principal: Principal) => boolean | Promise<boolean>) | undefined;
  /** Told once for every session that leaves the table, whatever the reason. */
  onEnd?: (
    sessionId: string,
    owner: { principalId: string; authenticatedBy: string | undefined; connectionId: string },
  ) => void;
}

/** Answer to a session id that is unknown, expired or another principal's: the same for all three. */
export function sessionNotFoundBody(): unknown {
  return errorResponse(
    null,
    edgeError(
      404,
      CORE_ERROR_CODES.SESSION_NOT_FOUND,
      'Session not found: initialize a new session.',
      undefined,
      JSON_RPC_ERROR_CODES.SESSION_NOT_FOUND,
    ),
  );
}

function ownerKey(principal: { id: string; authenticatedBy?: string | undefined }): string {
  return `${principal.authenticatedBy ?? ''}:${principal.id}`;
}

/**
 * The per-principal cap counts an authenticated principal by its identity. The anonymous principal is one id
 * shared by every unauthenticated client, so it is counted per client address instead: otherwise a server
 * without authentication would hold `maxSessionsPerPrincipal` sessions in all.
 */
export function limitKeyOf(principal: Principal, remoteAddress: string | undefined): string {
  return isAnonymous(principal) ? `anonymous@${remoteAddress ?? 'unknown'}` : ownerKey(principal);
}

/**
 * The open stateful sessions: who owns each, how many each principal (or anonymous address) holds, and the
 * timers that end them (the idle sweep, and the principal recheck when `principalStillValid` is set).
 */
export class SessionTable {
  readonly #sessions = new Map<string, Session>();
  /** Open sessions per {@link limitKeyOf} key. */
  readonly #perPrincipal = new Map<string, number>();
  readonly #events: SecurityEventBus;
  readonly #options: SessionTableOptions;
  /** Seconds a client refused for want of a session slot should wait: about one idle sweep. */
  readonly #retryAfter: string;
  readonly #sweeper: ReturnType<typeof setInterval>;
  readonly #recheck: PrincipalRecheck | undefined;

  constructor(events: SecurityEventBus, options: SessionTableOptions) {
    this.#events = events;
    this.#options = options;
    const sweepMs = Math.min(options.idleTimeoutMs, 60_000);
    this.#retryAfter = String(Math.max(1, Math.ceil(sweepMs / 1000)));
    this.#sweeper = setInterval(() => this.#sweep(), sweepMs);
    this.#sweeper.unref();
    this.#recheck = options.principalStillValid
      ? new PrincipalRecheck({
          events,
          stillValid: options.principalStillValid,
          everyMs: options.recheckMs,
          owners: () => [...this.#sessions.values()].map((session) => session.owner),
          drop: (owner, reason) => this.closeSessionsOf(owner.id, owner.authenticatedBy, reason),
        })
      : undefined;
  }

  get size(): number {
    return this.#sessions.size;
  }

  add(sessionId: string, session: Session): void {
    this.#sessions.set(sessionId, session);
    this.#perPrincipal.set(session.limitKey, (this.#perPrincipal.get(session.limitKey) ?? 0) + 1);
  }

  /** The one way a session leaves the table (DELETE, transport close, idle sweep, shutdown). */
  remove(sessionId: string): Session | undefined {
    const session = this.#sessions.get(sessionId);
    if (!session) return undefined;
    this.#sessions.delete(sessionId);
    const key = session.limitKey;
    const left = (this.#perPrincipal.get(key) ?? 1) - 1;
    if (left > 0) this.#perPrincipal.set(key, left);
    else this.#perPrincipal.delete(key);
    this.#options.onEnd?.(sessionId, {
      principalId: session.ownerId,
      authenticatedBy: session.ownerAuthenticatedBy,
      connectionId: session.wrapped.connectionId,
    });
    return session;
  }

  /**
   * The session a request names in `Mcp-Session-Id`, if it belongs to the request's principal: `undefined`
   * when the request names none, `'not-found'` (recorded) when it is unknown or another principal's.
   */
  lookup(edge: EdgeRequest, principal: Principal): Session | undefined | 'not-found' {
    const sessionId = edge.headers['mcp-session-id'];
    if (sessionId === undefined) return undefined;
    const session = this.#sessions.get(sessionId);
    // Another principal's session is answered exactly like an unknown one: no oracle for valid session ids.
    if (
      !session ||
      session.ownerId !== principal.id ||
      session.ownerAuthenticatedBy !== principal.authenticatedBy
    ) {
      this.#events.emit({
        type: 'session.rejected',
        outcome: 'denied',
        reason: session ? 'session belongs to another principal' : 'unknown or expired session',
        principalId: principal.id,
        remoteAddress: edge.remoteAddress,
        details: { sessionKnown: Boolean(session) },
      });
      return 'not-found';
    }
    session.lastSeen = Date.now();
    return session;
  }

  /** Refuses a new session over the caps: the principal's own first, then the server's. */
  admit(principal: Principal, remoteAddress: string | undefined): WardenError | undefined {
    const { maxPerPrincipal, maxSessions } = this.#options;
    // Per principal first: a principal at its own cap learns that, not that the server is full.
    if ((this.#perPrincipal.get(limitKeyOf(principal, remoteAddress)) ?? 0) >= maxPerPrincipal) {
      return sessionLimitError(
        429,
        `Too many open sessions for this ${isAnonymous(principal) ? 'client' : 'credential'} (${maxPerPrincipal}): close one (DELETE) first.`,
        `per-principal session limit ${maxPerPrincipal} reached by ${principal.id}`,
        this.#retryAfter,
      );
    }
    if (this.#sessions.size >= maxSessions) {
      return sessionLimitError(
        503,
        'Too many open sessions on this server: try again later.',
        `session limit ${maxSessions} reached`,
        this.#retryAfter,
      );
    }
    return undefined;
  }

  /** Closes every session of a principal (narrowed to one authenticator's), recording why. */
  closeSessionsOf(principalId: string, authenticatedBy: string | undefined, reason: string): number {
    let closed = 0;
    for (const [id, session] of [...this.#sessions]) {
      if (session.ownerId !== principalId) continue;
      if (authenticatedBy !== undefined && session.ownerAuthenticatedBy !== authenticatedBy) continue;
      this.#close(id, session, reason);
      closed++;
    }
    return closed;
  }

  /** Stops the timers and closes every session (graceful shutdown). */
  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    this.#recheck?.stop();
    const open = [...this.#sessions.values()];
    for (const id of [...this.#sessions.keys()]) this.remove(id);
    await Promise.allSettled(open.map((s) => s.server.close()));
  }

  #close(id: string, session: Session, reason: string): void {
    if (!this.remove(id)) return;
    this.#events.emit({
      type: 'session.closed',
      outcome: 'info',
      reason,
      principalId: session.ownerId,
      sessionId: id,
    });
    void session.server.close().catch(() => undefined);
  }

  #sweep(): void {
    const cutoff = Date.now() - this.#options.idleTimeoutMs;
    for (const [id, session] of this.#sessions) {
      if (session.lastSeen < cutoff) {
        this.remove(id);
        void session.server.close().catch(() => undefined);
      }
    }
  }
}
