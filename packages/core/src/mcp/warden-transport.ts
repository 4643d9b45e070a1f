import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage, MessageExtraInfo, RequestId } from '@modelcontextprotocol/sdk/types.js';
import { newConnectionId } from '../connection-id.js';
import { AuthenticationError, CORE_ERROR_CODES, JSON_RPC_ERROR_CODES, WardenError } from '../errors.js';
import type { SecurityEventBus } from '../events.js';
import { endObservationWith } from '../observe/observer.js';
import type { DrainableTransport, Pipeline, PreparedRequest, RequestOrigin } from '../pipeline.js';
import { getPrincipal, type Principal, toSdkAuthInfo } from '../principal.js';
import { isPlainObject, type JsonRpcRequest, targetName } from './classify.js';

export interface WardenTransportOptions {
  /** Name recorded in events and given to plugins (`http`, `stdio`, `memory`, …). @default 'custom' */
  transport?: string;
  /**
   * The principal of every message on this transport (stdio, tests). Over HTTP the edge sets it per request
   * through `authInfo` instead, and that takes precedence.
   */
  principal?: Principal;
  remoteAddress?: string;
  /** Per-request timeout in ms; 0 disables. @default 120000 */
  requestTimeoutMs?: number;
  /** @see RequestContext.upstream */
  upstream?: string;
}

interface Pending {
  prepared: PreparedRequest;
  timer: NodeJS.Timeout | undefined;
}

/** How many timed-out request ids are remembered so a late response is dropped, not sent twice. */
const TIMED_OUT_MEMORY = 1024;

function isRequest(message: JSONRPCMessage): message is JSONRPCMessage & JsonRpcRequest {
  return 'method' in message && 'id' in message;
}

function isNotification(
  message: JSONRPCMessage,
): message is JSONRPCMessage & { method: string; params?: Record<string, unknown> } {
  return 'method' in message && !('id' in message);
}

function isResponse(message: JSONRPCMessage): message is JSONRPCMessage & { id: RequestId } {
  return !('method' in message) && 'id' in message;
}

/**
 * Wraps any MCP SDK `Transport` so that every request from the client passes the warden's pipeline before the
 * server sees it, and every response passes it before the client does. It uses only the public `Transport`
 * interface (no SDK internals), so it works with `McpServer`, the low-level `Server`, and any transport.
 *
 * Requests the HTTP edge already checked arrive "prepared" (see {@link WardenTransport.prepared}); all others
 * (stdio, in-memory, a custom HTTP integration) are checked here.
 */
export class WardenTransport implements Transport, DrainableTransport {
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: (<T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void) | undefined;
  /**
   * Warden's id for this connection: the `connectionId` of every request and server message on it (one 2025
   * session, one stateless request, one stdio connection). @see RequestContext.connectionId
   */
  readonly connectionId: string = newConnectionId();

  readonly #inner: Transport;
  readonly #pipeline: Pipeline;
  readonly #events: SecurityEventBus;
  readonly #options: WardenTransportOptions;
  /** The principal of the latest request: who the server's own messages go to. */
  #principal: Principal | undefined;
  readonly #timeoutMs: number;
  readonly #pending = new Map<RequestId, Pending>();
  readonly #prepared = new Map<RequestId, PreparedRequest>();
  readonly #checking = new Set<Promise<void>>();
  /** Ids of requests being checked here (not yet delivered). */
  readonly #checkingIds = new Set<RequestId>();
  readonly #timedOut = new Set<RequestId>();
  readonly #authInfo: ReturnType<typeof toSdkAuthInfo> | undefined;
  /** What the session's `initialize` said of the client (2025 era): every later request's context carries it. */
  #client: Pick<RequestOrigin, 'protocolVersion' | 'clientInfo' | 'clientCapabilities'> = {};

  constructor(
    inner: Transport,
    pipeline: Pipeline,
    events: SecurityEventBus,
    options: WardenTransportOptions = {},
  ) {
    this.#inner = inner;
    this.#pipeline = pipeline;
    this.#events = events;
    this.#options = options;
    this.#timeoutMs = options.requestTimeoutMs ?? 120_000;
    this.#authInfo = options.principal ? toSdkAuthInfo(options.principal) : undefined;
    pipeline.transports.add(this);
  }

  /**
   * What this transport's requests say of their origin besides the principal: the upstream it fronts, and the
   * client as the session's `initialize` described it. For an edge that runs the pipeline itself.
   */
  originDetails(): Pick<
    RequestOrigin,
    'connectionId' | 'upstream' | 'protocolVersion' | 'clientInfo' | 'clientCapabilities'
  > {
    return Object.assign({ connectionId: this.connectionId, upstream: this.#options.upstream }, this.#client);
  }

  /** The edge checked the session's `initialize` itself: what it says of the client stands for the session. */
  noteInitialize(params: unknown): void {
    this.#client = clientOfInitialize(params);
  }

  /** Requests delivered to the server and not answered yet (tracked when a timeout or a plugin watches them). */
  get inFlight(): number {
    return this.#pending.size;
  }

  /**
   * Shutdown: answers every request in flight with `error` (so no client is left waiting) and sends the server a
   * `notifications/cancelled` for each, which aborts the handler's `extra.signal`.
   */
  async shutdown(error: unknown): Promise<void> {
    const sent: Promise<void>[] = [];
    for (const [id, pending] of [...this.#pending]) {
      this.#pending.delete(id);
      if (pending.timer) clearTimeout(pending.timer);
      pending.prepared.controller.abort('shutdown');
      // Marked like a timed-out request, so the server's late answer (if any) is dropped, not sent twice.
      this.#timedOut.add(id);
      this.onmessage?.(
        {
          jsonrpc: '2.0',
          method: 'notifications/cancelled',
          params: { requestId: id, reason: 'MCP Warden shutdown' },
        },
        this.#extra(undefined),
      );
      sent.push(
        this.#inner.send(errorResponse(id, error), { relatedRequestId: id }).catch((e) => this.onerror?.(e)),
      );
    }
    await Promise.all(sent);
  }

  get sessionId(): string | undefined {
    return this.#inner.sessionId;
  }

  setProtocolVersion = (version: string): void => {
    this.#inner.setProtocolVersion?.(version);
  };

  async start(): Promise<void> {
    this.#inner.onmessage = (message, extra) => this.#receive(message, extra);
    this.#inner.onclose = () => {
      this.#pipeline.transports.delete(this);
      this.#abortAll('transport closed');
      this.onclose?.();
    };
    this.#inner.onerror = (error) => this.onerror?.(error);
    await this.#inner.start();
  }

  async close(): Promise<void> {
    this.#pipeline.transports.delete(this);
    this.#abortAll('transport closed');
    await this.#inner.close();
  }

  /**
   * Marks a request as already checked by the HTTP edge: when it arrives it is delivered as is, and its
   * response still passes `after`.
   */
  prepared(prepared: PreparedRequest): void {
    this.#principal = prepared.base.principal;
    this.#prepared.set(prepared.request.id, prepared);
  }

  /** Drops a prepared request the transport never delivered (the SDK refused the HTTP request first). */
  unprepared(prepared: PreparedRequest): void {
    if (this.#prepared.get(prepared.request.id) === prepared) {
      this.#prepared.delete(prepared.request.id);
      prepared.observation?.end({
        outcome: 'error',
        errorCode: CORE_ERROR_CODES.BAD_REQUEST,
        delivered: false,
        params: prepared.request.params ?? {},
      });
    }
  }

  /**
   * Claims a request id for a check that happens outside the transport (the HTTP edge); false when the id is
   * already in flight. Release it with {@link release} once the request is prepared or refused.
   */
  reserve(id: RequestId): boolean {
    if (this.isInFlight(id)) return false;
    this.#checkingIds.add(id);
    return true;
  }

  release(id: RequestId): void {
    this.#checkingIds.delete(id);
  }

  /**
   * True while a request with this id is being checked or awaits its response. JSON-RPC ids must be unique among
   * a sender's requests in flight; a reused id would pair the first response with the second request's checks.
   */
  isInFlight(id: RequestId): boolean {
    return this.#pending.has(id) || this.#checkingIds.has(id) || this.#prepared.has(id);
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if (isResponse(message)) {
      const id = message.id;
      const pending = this.#pending.get(id);
      if (pending) {
        this.#pending.delete(id);
        if (pending.timer) clearTimeout(pending.timer);
        const result = (message as { result?: unknown }).result;
        if (isPlainObject(result)) message = await this.#after(pending.prepared, id, message, result);
        endObservationWith(pending.prepared.observation, pending.prepared.request, message);
      } else if (this.#timedOut.delete(id)) {
        return; // the client already got a timeout error for this id
      }
    } else if (
      this.#pipeline.hasServerMessageHooks &&
      typeof (message as { method?: unknown }).method === 'string'
    ) {
      const checked = await this.#serverMessage(message, options);
      if (checked === undefined) return;
      message = checked;
    }
    return this.#inner.send(message, options);
  }

  /**
   * A notification or request of the server's own through `onServerMessage`. A withheld request is answered to
   * the server with an error, so it does not wait for an answer that will not come.
   */
  async #serverMessage(
    message: JSONRPCMessage,
    options: TransportSendOptions | undefined,
  ): Promise<JSONRPCMessage | undefined> {
    const principal = this.#principal ?? this.#options.principal;
    const checked = principal
      ? await this.#pipeline.serverMessage(message as unknown as Record<string, unknown>, {
          principal,
          transport: this.#options.transport ?? 'custom',
          sessionId: this.#inner.sessionId,
          connectionId: this.connectionId,
          remoteAddress: this.#options.remoteAddress,
          era: 'legacy',
          upstream: this.#options.upstream,
          relatedRequestId: options?.relatedRequestId as RequestId | undefined,
        })
      : undefined; // nobody has made a request yet: there is no one to check it for
    if (checked !== undefined) return checked as unknown as JSONRPCMessage;
    // Withheld by a plugin (recorded by the pipeline), or before any request: then recorded here.
    if (!principal)
      this.#events.emit({
        type: 'request.rejected',
        outcome: 'denied',
        reason: 'a server message before any request: nobody to check it for',
        method: String((message as { method?: unknown }).method),
        sessionId: this.#inner.sessionId,
      });
    const id = (message as { id?: unknown }).id;
    if (typeof id === 'string' || typeof id === 'number')
      queueMicrotask(() =>
        this.onmessage?.({
          jsonrpc: '2.0',
          id,
          error: {
            code: JSON_RPC_ERROR_CODES.ACCESS_DENIED,
            message: 'The request was withheld from the client.',
          },
        } as JSONRPCMessage),
      );
    return undefined;
  }

  async #after(
    prepared: PreparedRequest,
    id: RequestId,
    message: JSONRPCMessage,
    original: Record<string, unknown>,
  ): Promise<JSONRPCMessage> {
    try {
      const result = await this.#pipeline.after(prepared, original);
      return result === original ? message : ({ ...message, result } as JSONRPCMessage);
    } catch (error) {
      // Already recorded by the pipeline; the client gets the refusal instead of the result.
      return errorResponse(id, error);
    }
  }

  #receive(message: JSONRPCMessage, extra?: MessageExtraInfo): void {
    if (isRequest(message)) {
      const prepared = this.#prepared.get(message.id);
      if (prepared) {
        this.#prepared.delete(message.id);
        this.#deliverRequest(prepared, extra);
        return;
      }
      if (this.isInFlight(message.id)) {
        this.#refuseDuplicate(message);
        return;
      }
      this.#checkingIds.add(message.id);
      const check = this.#check(message, extra).finally(() => this.#checkingIds.delete(message.id));
      this.#checking.add(check);
      void check.finally(() => this.#checking.delete(check));
      return;
    }
    if (isNotification(message)) {
      if (message.method === 'notifications/cancelled') {
        const requestId = message.params?.requestId as RequestId | undefined;
        if (requestId !== undefined) {
          const cancelled = this.#pending.get(requestId)?.prepared;
          cancelled?.controller.abort('cancelled by client');
          if (cancelled) endCancelled(cancelled);
        }
      }
      // Keep notifications behind the requests received before them (e.g. `initialized` after `initialize`).
      if (this.#checking.size > 0) {
        const earlier = [...this.#checking];
        void Promise.allSettled(earlier).then(() => this.onmessage?.(message, this.#extra(extra)));
        return;
      }
    }
    this.onmessage?.(message, this.#extra(extra));
  }

  #refuseDuplicate(message: JsonRpcRequest): void {
    const error = duplicateIdError(message.id);
    this.#events.emit({
      type: error.eventType,
      outcome: 'denied',
      reason: error.message,
      requestId: message.id,
      method: message.method,
      sessionId: this.#inner.sessionId,
    });
    this.#inner
      .send(errorResponse(message.id, error), { relatedRequestId: message.id })
      .catch((e) => this.onerror?.(e));
  }

  async #check(message: JsonRpcRequest, extra?: MessageExtraInfo): Promise<void> {
    const principal = getPrincipal(extra) ?? this.#options.principal;
    if (!principal) {
      const error = new AuthenticationError({
        code: CORE_ERROR_CODES.UNAUTHENTICATED,
        message: 'Authentication required.',
        reason: 'no principal on transport',
      });
      this.#events.emit({
        type: 'auth.failed',
        outcome: 'denied',
        reason: error.reason,
        requestId: message.id,
        method: message.method,
      });
      await this.#inner
        .send(errorResponse(message.id, error), { relatedRequestId: message.id })
        .catch((e) => this.onerror?.(e));
      return;
    }
    if (message.method === 'initialize') this.#client = clientOfInitialize(message.params);
    this.#principal = principal;
    const origin: RequestOrigin = {
      principal,
      transport: this.#options.transport ?? 'custom',
      sessionId: this.#inner.sessionId,
      connectionId: this.connectionId,
      remoteAddress: this.#options.remoteAddress,
      upstream: this.#options.upstream,
      era: 'legacy',
      ...this.#client,
    };
    let prepared: PreparedRequest;
    try {
      prepared = await this.#pipeline.before(message, origin);
    } catch (error) {
      await this.#inner
        .send(errorResponse(message.id, error), { relatedRequestId: message.id })
        .catch((e) => this.onerror?.(e));
      return;
    }
    if (prepared.controller.signal.aborted) {
      endCancelled(prepared);
      return; // cancelled by the client while being checked
    }
    this.#deliverRequest(prepared, extra);
  }

  #deliverRequest(prepared: PreparedRequest, extra?: MessageExtraInfo): void {
    const id = prepared.request.id;
    if (this.#pipeline.inspectsRequests || this.#timeoutMs > 0 || prepared.observation) {
      const timer = this.#timeoutMs > 0 ? setTimeout(() => this.#timeout(id), this.#timeoutMs) : undefined;
      timer?.unref();
      this.#pending.set(id, { prepared, timer });
    }
    this.onmessage?.(prepared.request as JSONRPCMessage, this.#extra(extra));
  }

  #timeout(id: RequestId): void {
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    this.#timedOut.add(id);
    if (this.#timedOut.size > TIMED_OUT_MEMORY)
      this.#timedOut.delete(this.#timedOut.values().next().value as RequestId);
    const base = pending.prepared.base;
    pending.prepared.controller.abort('timeout');
    pending.prepared.observation?.end({
      outcome: 'timeout',
      errorCode: CORE_ERROR_CODES.REQUEST_TIMEOUT,
      delivered: true,
      params: pending.prepared.request.params ?? {},
    });
    this.#events.emit({
      type: 'request.timeout',
      outcome: 'denied',
      reason: `no response within ${this.#timeoutMs} ms`,
      principalId: base.principal.id,
      sessionId: base.sessionId,
      requestId: id,
      method: base.method,
      target: targetName(base.target),
    });
    // Tell the server to stop (the SDK aborts the handler's `extra.signal`), then answer the client.
    this.onmessage?.(
      {
        jsonrpc: '2.0',
        method: 'notifications/cancelled',
        params: { requestId: id, reason: 'MCP Warden request timeout' },
      },
      this.#extra(undefined),
    );
    const error = new WardenError({
      code: CORE_ERROR_CODES.REQUEST_TIMEOUT,
      message: `Request timed out after ${this.#timeoutMs} ms.`,
      jsonRpcCode: JSON_RPC_ERROR_CODES.REQUEST_TIMEOUT,
      httpStatus: 504,
    });
    this.#inner.send(errorResponse(id, error), { relatedRequestId: id }).catch((e) => this.onerror?.(e));
  }

  #extra(extra: MessageExtraInfo | undefined): MessageExtraInfo | undefined {
    if (extra?.authInfo || !this.#authInfo) return extra;
    // Object.assign, not a spread with an added property: per message (see SecurityEventBus.emit).
    return Object.assign({}, extra, { authInfo: this.#authInfo });
  }

  #abortAll(reason: string): void {
    for (const pending of this.#pending.values()) {
      if (pending.timer) clearTimeout(pending.timer);
      pending.prepared.controller.abort(reason);
      endCancelled(pending.prepared);
    }
    for (const prepared of this.#prepared.values()) endCancelled(prepared);
    this.#pending.clear();
    this.#prepared.clear();
  }
}

function endCancelled(prepared: PreparedRequest): void {
  prepared.observation?.end({ outcome: 'cancelled', delivered: true, params: prepared.request.params ?? {} });
}

/** The refusal of a request whose id is already in use by a request in flight. */
export function duplicateIdError(id: RequestId): WardenError {
  return new WardenError({
    code: CORE_ERROR_CODES.BAD_REQUEST,
    message: `Invalid Request: id ${JSON.stringify(id).slice(0, 80)} is already used by a request in flight; use a new id for each request.`,
    jsonRpcCode: JSON_RPC_ERROR_CODES.INVALID_REQUEST,
    eventType: 'request.rejected',
  });
}

/** A JSON-RPC error response for a refusal; unknown errors become a generic internal error (nothing leaks). */
export function errorResponse(id: RequestId | null, error: unknown): JSONRPCMessage {
  const body = WardenError.isInstance(error)
    ? error.toJsonRpcError()
    : { code: JSON_RPC_ERROR_CODES.INTERNAL_ERROR, message: 'Internal error.' };
  return { jsonrpc: '2.0', id, error: body } as JSONRPCMessage;
}

function recordOrUndefined(value: unknown): Readonly<Record<string, unknown>> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** The client's self-description in a 2025-era `initialize` request. */
function clientOfInitialize(
  params: unknown,
): Pick<RequestOrigin, 'protocolVersion' | 'clientInfo' | 'clientCapabilities'> {
  const p = recordOrUndefined(params) ?? {};
  return {
    protocolVersion: typeof p.protocolVersion === 'string' ? p.protocolVersion : undefined,
    clientInfo: recordOrUndefined(p.clientInfo),
    clientCapabilities: recordOrUndefined(p.capabilities),
  };
}
