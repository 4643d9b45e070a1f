import { newConnectionId } from './connection-id.js';
import {
  type AuthChallenge,
  AuthenticationError,
  CORE_ERROR_CODES,
  PluginFailureError,
  WardenError,
} from './errors.js';
import type { SecurityEventBus, SecurityEventInput, SecurityEventSource } from './events.js';
import { classifyRequest, type JsonRpcRequest, targetName } from './mcp/classify.js';
import { isListMethod, LIST_METHODS } from './mcp/list-methods.js';
import { nowMs, Observation, type RequestObserver, type StageObservation } from './observe/observer.js';
import { requestTraceparent, resolveTraceContext } from './observe/trace-context.js';
import {
  type EdgeContext,
  type EdgeRequest,
  type ListContext,
  type ListItem,
  type McpTarget,
  PLUGIN_STAGES,
  type PluginMode,
  type RequestContext,
  type ServerMessageContext,
  type ServiceRegistry,
  type SessionEndContext,
  type WardenPlugin,
} from './plugin.js';
import { ANONYMOUS_PRINCIPAL, createPrincipal, type Principal } from './principal.js';

/** Where a request came from: set by the HTTP edge, the stdio connection or the test kit. */
export interface RequestOrigin {
  principal: Principal;
  transport: string;
  sessionId?: string | undefined;
  /** @see RequestContext.connectionId A fresh one is made for the request when the origin has none. */
  connectionId?: string | undefined;
  remoteAddress?: string | undefined;
  /** The HTTP `traceparent` header, when there is one (the trace of observed requests). */
  traceparent?: string | undefined;
  /** @see RequestContext.era @default 'legacy' */
  era?: 'legacy' | 'modern' | undefined;
  /** @see RequestContext.protocolVersion */
  protocolVersion?: string | undefined;
  /** @see RequestContext.clientInfo */
  clientInfo?: Readonly<Record<string, unknown>> | undefined;
  /** @see RequestContext.clientCapabilities */
  clientCapabilities?: Readonly<Record<string, unknown>> | undefined;
  /** @see RequestContext.upstream */
  upstream?: string | undefined;
}

/** Who a server-initiated message goes to, and on what. */
export type ServerMessageOrigin = Pick<
  RequestOrigin,
  'principal' | 'transport' | 'sessionId' | 'connectionId' | 'remoteAddress' | 'era' | 'upstream'
> & {
  /** The client request the message belongs to, when known. */
  relatedRequestId?: string | number | undefined;
};

/** A request that passed every `beforeRequest` hook: what the server receives, and what `after` needs. */
export interface PreparedRequest {
  /** The request to deliver (arguments possibly replaced). */
  readonly request: JsonRpcRequest;
  readonly controller: AbortController;
  /** @internal */
  readonly base: Omit<RequestContext, 'mode' | 'emit'>;
  /** @internal What the request observers follow; absent without observers. */
  readonly observation?: Observation | undefined;
  /** @internal The origin's `traceparent` header, for the events of `after`. */
  readonly traceparent?: string | undefined;
}

type EventBase = Pick<
  SecurityEventInput,
  'principalId' | 'remoteAddress' | 'sessionId' | 'requestId' | 'method' | 'target' | 'traceparent'
>;

function modeOf(plugin: WardenPlugin): PluginMode {
  return plugin.mode ?? 'enforce';
}

function stageIndex(plugin: WardenPlugin): number {
  return PLUGIN_STAGES.indexOf(plugin.stage ?? 'default');
}

export interface PipelineOptions {
  plugins: readonly WardenPlugin[];
  events: SecurityEventBus;
  services: ServiceRegistry;
  /** Let requests without any credential through as the anonymous principal. @default false */
  allowAnonymous: boolean;
  /** Audit trails, metrics, traces: they see every request from its arrival to its answer. @default [] */
  observers?: readonly RequestObserver[];
}

/**
 * Runs the plugins' hooks in their fixed order, applies audit semantics, fails closed on anything unexpected,
 * and records every refusal as a security event. One per warden; shared by every transport.
 */
/** A transport with requests in flight that a shutdown can answer (`WardenTransport`). */
export interface DrainableTransport {
  /** Requests delivered to the server and not answered yet. */
  readonly inFlight: number;
  /** Answers every request in flight with `error` and tells the server to stop working on them. */
  shutdown(error: unknown): Promise<void>;
}

/** Names an audit-mode event keeps, at most: enough to tune a policy, bounded for the log. */
const MAX_AUDITED_NAMES = 50;

/**
 * What {@link Pipeline.itemVisible} hid while answering one message, counted per plugin. For an audit-mode
 * plugin (nothing is hidden, the event is how the operator sees what would be) the first names are kept too.
 */
export class HiddenItems {
  /** @internal */
  readonly counts = new Map<WardenPlugin, { count: number; names?: string[] }>();

  add(plugin: WardenPlugin, item?: ListItem): void {
    let entry = this.counts.get(plugin);
    if (!entry) {
      entry = modeOf(plugin) === 'audit' ? { count: 0, names: [] } : { count: 0 };
      this.counts.set(plugin, entry);
    }
    entry.count++;
    if (entry.names && entry.names.length < MAX_AUDITED_NAMES)
      entry.names.push(item ? listItemName(item) : '(unnamed entry)');
  }
}

export class Pipeline {
  /** Every open `WardenTransport` (HTTP sessions, stateless requests, stdio), for a draining shutdown. */
  readonly transports = new Set<DrainableTransport>();

  readonly plugins: readonly WardenPlugin[];
  readonly #events: SecurityEventBus;
  readonly #services: ServiceRegistry;
  readonly #allowAnonymous: boolean;
  readonly #admitters: readonly WardenPlugin[];
  readonly #authenticators: readonly WardenPlugin[];
  readonly #before: readonly WardenPlugin[];
  /** Reverse order: onion semantics for results. */
  readonly #after: readonly WardenPlugin[];
  readonly #serverMessage: readonly WardenPlugin[];
  readonly #sessionEnd: readonly WardenPlugin[];
  readonly #edgeContexts = new Map<WardenPlugin, EdgeContext>();
  readonly #observers: readonly RequestObserver[];

  constructor(options: PipelineOptions) {
    // Stable sort: plugins of one stage keep their registration order.
    this.plugins = [...options.plugins].sort((a, b) => stageIndex(a) - stageIndex(b));
    this.#events = options.events;
    this.#services = options.services;
    this.#allowAnonymous = options.allowAnonymous;
    this.#observers = options.observers ?? [];
    this.#admitters = options.plugins.filter((p) => p.admit);
    this.#authenticators = options.plugins.filter((p) => p.authenticate);
    this.#before = this.plugins.filter((p) => p.beforeRequest);
    this.#after = this.plugins.filter((p) => p.afterResponse || p.filterListItem).reverse();
    this.#serverMessage = this.plugins.filter((p) => p.onServerMessage).reverse();
    this.#sessionEnd = this.plugins.filter((p) => p.onSessionEnd);
    for (const plugin of options.plugins) {
      this.#edgeContexts.set(plugin, {
        services: this.#services,
        emit: (event) =>
          this.#events.emit(Object.assign({}, event, { plugin: plugin.name, mode: modeOf(plugin) })),
      });
    }
  }

  /** True when some plugin looks at MCP requests or results (the transport can skip work otherwise). */
  get inspectsRequests(): boolean {
    return this.#before.length > 0 || this.#after.length > 0;
  }

  /** True when request observers are registered (the transport then follows every request to its answer). */
  get observes(): boolean {
    return this.#observers.length > 0;
  }

  /** Every authenticator's challenge, for a 401 `WWW-Authenticate` header. */
  challenges(request: EdgeRequest): AuthChallenge[] {
    const challenges: AuthChallenge[] = [];
    for (const plugin of this.#authenticators) {
      try {
        const challenge = plugin.challenge?.(request);
        if (challenge) challenges.push(challenge);
      } catch (error) {
        this.#recordFailure(plugin, error, { remoteAddress: request.remoteAddress });
      }
    }
    return challenges;
  }

  /**
   * Admission and authentication of one HTTP request (or of a stdio process at start). Returns the principal or
   * throws the refusal (already recorded as a security event).
   */
  async authenticate(request: EdgeRequest): Promise<Principal> {
    const base: EventBase = { remoteAddress: request.remoteAddress };
    const source = { edge: request };
    if (request.traceparent !== undefined) base.traceparent = request.traceparent;
    const contextOf = (plugin: WardenPlugin) => this.#edgeContextFor(plugin, request.traceparent);
    for (const plugin of this.#admitters) {
      try {
        await plugin.admit!(request, contextOf(plugin));
      } catch (error) {
        this.#refuse(plugin, error, base, source);
      }
    }
    for (const plugin of this.#authenticators) {
      let found: Principal | undefined;
      try {
        found = await plugin.authenticate!(request, contextOf(plugin));
      } catch (error) {
        this.#refuse(plugin, error, base, source);
        continue; // audit mode: the credential counts as absent
      }
      if (found) {
        const principal =
          found.authenticatedBy === plugin.name
            ? found
            : createPrincipal({ ...found, authenticatedBy: plugin.name });
        this.#events.emit(
          {
            type: 'auth.succeeded',
            outcome: 'allowed',
            plugin: plugin.name,
            principalId: principal.id,
            remoteAddress: request.remoteAddress,
            traceparent: request.traceparent,
            details: { transport: request.transport, kind: principal.kind },
          },
          source,
        );
        return principal;
      }
    }
    if (this.#authenticators.length === 0 && !this.#allowAnonymous) return ANONYMOUS_PRINCIPAL;
    if (this.#allowAnonymous) {
      // Recorded on every request: anonymous access was chosen, and someone must be able to see it in the log.
      this.#events.emit(
        {
          type: 'auth.anonymous',
          outcome: 'allowed',
          severity: 'info',
          principalId: ANONYMOUS_PRINCIPAL.id,
          remoteAddress: request.remoteAddress,
          traceparent: request.traceparent,
          details: { transport: request.transport },
        },
        source,
      );
      return ANONYMOUS_PRINCIPAL;
    }
    const error = new AuthenticationError({
      code: CORE_ERROR_CODES.UNAUTHENTICATED,
      message: 'Authentication required: no credential was presented.',
      reason: 'no credential presented',
    });
    this.#events.emit(
      {
        type: 'auth.failed',
        outcome: 'denied',
        reason: error.reason,
        ...base,
        details: { transport: request.transport, code: error.code },
      },
      source,
    );
    throw error;
  }

  /** A plugin's edge context; with a `traceparent`, one whose events carry it (per request, only then). */
  #edgeContextFor(plugin: WardenPlugin, traceparent: string | undefined): EdgeContext {
    const shared = this.#edgeContexts.get(plugin)!;
    if (traceparent === undefined) return shared;
    return {
      services: this.#services,
      emit: (event) =>
        this.#events.emit(
          Object.assign({}, event, { plugin: plugin.name, mode: modeOf(plugin), traceparent }),
        ),
    };
  }

  /**
   * Runs every `beforeRequest` hook for one JSON-RPC request. Returns the request to deliver, or throws the
   * refusal (already recorded).
   */
  async before(request: JsonRpcRequest, origin: RequestOrigin): Promise<PreparedRequest> {
    const controller = new AbortController();
    let classified: ReturnType<typeof classifyRequest>;
    const eventBase: EventBase = {
      principalId: origin.principal.id,
      remoteAddress: origin.remoteAddress,
      sessionId: origin.sessionId,
      requestId: request.id,
      method: request.method,
    };
    const traceparent = requestTraceparent(
      isRecord(request.params) ? request.params : undefined,
      origin.traceparent,
    );
    if (traceparent !== undefined) eventBase.traceparent = traceparent;
    try {
      classified = classifyRequest(request);
    } catch (error) {
      if (this.#observers.length > 0) {
        const params = isRecord(request.params) ? request.params : {};
        this.#observe(request, origin, undefined, params)?.end({
          outcome: 'refused',
          errorCode: WardenError.isInstance(error) ? error.code : CORE_ERROR_CODES.BAD_REQUEST,
          delivered: false,
          params,
        });
      }
      this.#refuse(undefined, error, eventBase);
      throw error;
    }
    eventBase.target = targetName(classified.target);
    const observation =
      this.#observers.length > 0
        ? this.#observe(request, origin, classified.target, classified.params)
        : undefined;
    let base: Omit<RequestContext, 'mode' | 'emit'> = {
      requestId: request.id,
      method: request.method,
      action: classified.action,
      target: classified.target,
      params: classified.params,
      arguments: classified.arguments,
      principal: origin.principal,
      transport: origin.transport,
      sessionId: origin.sessionId,
      connectionId: origin.connectionId ?? newConnectionId(),
      remoteAddress: origin.remoteAddress,
      era: origin.era ?? 'legacy',
      protocolVersion: origin.protocolVersion,
      clientInfo: origin.clientInfo,
      clientCapabilities: origin.clientCapabilities,
      upstream: origin.upstream,
      signal: controller.signal,
      state: new Map(),
      services: this.#services,
    };
    let delivered = request;
    for (const plugin of this.#before) {
      const mode = modeOf(plugin);
      const started = observation ? nowMs() : 0;
      try {
        const result = await plugin.beforeRequest!(this.#context(base, plugin, mode, eventBase));
        if (result?.arguments !== undefined && mode === 'enforce') {
          const params = { ...base.params, arguments: result.arguments };
          base = { ...base, params, arguments: result.arguments };
          delivered = { ...delivered, params };
        }
        observation?.stage(stageOf(plugin, 'beforeRequest', started, undefined));
      } catch (error) {
        observation?.stage(stageOf(plugin, 'beforeRequest', started, error));
        this.#refuseObserved(plugin, error, eventBase, observation, false, base.params);
      }
    }
    return { request: delivered, controller, base, observation, traceparent: origin.traceparent };
  }

  /** {@link #refuse}; when it throws (enforce mode), the observation (if any) ends as refused by `plugin`. */
  #refuseObserved(
    plugin: WardenPlugin,
    error: unknown,
    eventBase: EventBase,
    observation: PreparedRequest['observation'],
    delivered: boolean,
    params: Readonly<Record<string, unknown>>,
  ): void {
    try {
      this.#refuse(plugin, error, eventBase);
    } catch (refusal) {
      observation?.end({
        outcome: 'refused',
        errorCode: (refusal as WardenError).code,
        plugin: plugin.name,
        delivered,
        params,
      });
      throw refusal;
    }
  }

  /**
   * Runs `afterResponse` and `filterListItem` (reverse plugin order) on a successful result: for each plugin its
   * `afterResponse`, then its `filterListItem` on the result that hook returned, before the next plugin (the
   * order within a plugin is part of the contract). Returns the result to send, or throws the refusal (already
   * recorded): the client then gets an error instead of the result.
   */
  async after(prepared: PreparedRequest, result: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (this.#after.length === 0) return result;
    const base = prepared.base;
    const eventBase: EventBase = {
      principalId: base.principal.id,
      remoteAddress: base.remoteAddress,
      sessionId: base.sessionId,
      requestId: base.requestId,
      method: base.method,
      target: targetName(base.target),
    };
    const traceparent = requestTraceparent(base.params, prepared.traceparent);
    if (traceparent !== undefined) eventBase.traceparent = traceparent;
    let current = result;
    const list = isListMethod(base.method) ? LIST_METHODS[base.method] : undefined;
    const observation = prepared.observation;
    for (const plugin of this.#after) {
      const mode = modeOf(plugin);
      const started = observation ? nowMs() : 0;
      try {
        const ctx = this.#context(base, plugin, mode, eventBase);
        if (plugin.afterResponse) {
          const out = await plugin.afterResponse({ ...ctx, result: current });
          if (out?.result !== undefined && mode === 'enforce') current = out.result;
        }
        if (plugin.filterListItem && list)
          current = await this.#filterList(plugin, mode, ctx, current, list, eventBase);
        observation?.stage(stageOf(plugin, 'afterResponse', started, undefined));
      } catch (error) {
        observation?.stage(stageOf(plugin, 'afterResponse', started, error));
        this.#refuseObserved(plugin, error, eventBase, observation, true, base.params);
      }
    }
    return current;
  }

  /**
   * Whether this request's principal may see `item`, by the same `filterListItem` decisions as the lists, for
   * items met outside a list (`server/discover` entries, `subscriptions/listen` notifications and requests). An
   * audit-mode plugin's "no" is not applied; a plugin that throws hides the item (fail closed, recorded). Pass a
   * {@link HiddenItems} to count what was hidden, then {@link recordHidden} records it as one event per plugin.
   */
  async itemVisible(prepared: PreparedRequest, item: ListItem, hidden?: HiddenItems): Promise<boolean> {
    const base = prepared.base;
    const eventBase = this.#afterEventBase(prepared);
    const outside = listContext(base.method, {}, {});
    for (const plugin of this.#after) {
      if (!plugin.filterListItem) continue;
      const mode = modeOf(plugin);
      let visible: boolean;
      try {
        visible = await plugin.filterListItem(item, this.#context(base, plugin, mode, eventBase), outside);
      } catch (error) {
        this.#recordFailure(plugin, error, eventBase);
        visible = false;
      }
      if (!visible) hidden?.add(plugin, item);
      if (!visible && mode === 'enforce') return false;
    }
    return true;
  }

  /**
   * Records what {@link itemVisible} hid while answering one message, as the lists record theirs: one
   * `access.denied` event (`modified`, or `audited` for an audit-mode plugin) per plugin, with the count and
   * never the names. `what` says what was hidden, e.g. `server/discover entries`.
   */
  /** Tells every `onSessionEnd` hook that a session ended; never throws (a failing hook is recorded). */
  async sessionEnded(session: Omit<SessionEndContext, 'services' | 'emit'>): Promise<void> {
    for (const plugin of this.#sessionEnd) {
      const eventBase: EventBase = { principalId: session.principalId, sessionId: session.sessionId };
      try {
        await plugin.onSessionEnd!(
          Object.assign({}, session, {
            services: this.#services,
            emit: (event: SecurityEventInput) =>
              this.#events.emit(Object.assign({}, eventBase, event, { plugin: plugin.name })),
          }),
        );
      } catch (error) {
        try {
          this.#refuse(plugin, error, eventBase);
        } catch {
          // recorded; a session that ended cannot be refused
        }
      }
    }
  }

  /** True when some plugin watches what the server sends on its own (edges skip the work otherwise). */
  get hasServerMessageHooks(): boolean {
    return this.#serverMessage.length > 0;
  }

  /**
   * Runs every `onServerMessage` hook on one notification or request the server sends on its own. Returns the
   * message to send (params possibly replaced), or `undefined` when a plugin withheld it (a throw withholds it
   * too, and is recorded). Responses and anything without a method pass untouched.
   */
  async serverMessage(
    message: Record<string, unknown>,
    origin: ServerMessageOrigin,
  ): Promise<Record<string, unknown> | undefined> {
    const method = message.method;
    if (this.#serverMessage.length === 0 || typeof method !== 'string') return message;
    const kind = message.id === undefined ? 'notification' : 'request';
    let params: Readonly<Record<string, unknown>> = isRecord(message.params) ? message.params : {};
    const eventBase: EventBase = {
      principalId: origin.principal.id,
      remoteAddress: origin.remoteAddress,
      sessionId: origin.sessionId,
      method,
    };
    const connectionId = origin.connectionId ?? newConnectionId();
    for (const plugin of this.#serverMessage) {
      const mode = modeOf(plugin);
      const ctx: ServerMessageContext = {
        kind,
        method,
        params,
        relatedRequestId: origin.relatedRequestId,
        principal: origin.principal,
        sessionId: origin.sessionId,
        connectionId,
        transport: origin.transport,
        era: origin.era ?? 'legacy',
        upstream: origin.upstream,
        services: this.#services,
        mode,
        emit: (event) =>
          this.#events.emit(Object.assign({}, eventBase, event, { plugin: plugin.name, mode })),
      };
      try {
        const result = await plugin.onServerMessage!(ctx);
        if (mode !== 'enforce' || !result) continue;
        if (result.drop) return undefined;
        if (result.params !== undefined) params = result.params;
      } catch (error) {
        try {
          this.#refuse(plugin, error, eventBase);
        } catch {
          return undefined; // enforce: withheld
        }
      }
    }
    return params === message.params ? message : Object.assign({}, message, { params });
  }

  recordHidden(prepared: PreparedRequest, hidden: HiddenItems, what: string): void {
    if (hidden.counts.size === 0) return;
    const eventBase = this.#afterEventBase(prepared);
    for (const [plugin, entry] of hidden.counts) this.#emitHidden(plugin, entry, what, eventBase);
    hidden.counts.clear();
  }

  /**
   * The one place hidden items are recorded: lists, discover, listen. An enforcing plugin's event has the count
   * only (names stay out of the logs); an audit-mode one also the first names, since that is what it is for.
   */
  #emitHidden(
    plugin: WardenPlugin,
    { count, names }: { count: number; names?: string[] },
    what: string,
    eventBase: EventBase,
  ): void {
    const mode = modeOf(plugin);
    this.#events.emit({
      type: 'access.denied',
      outcome: mode === 'audit' ? 'audited' : 'modified',
      severity: 'debug',
      plugin: plugin.name,
      mode,
      reason: `${count} ${what} hidden`,
      ...eventBase,
      details: names
        ? { hidden: count, method: eventBase.method, names }
        : { hidden: count, method: eventBase.method },
    });
  }

  #afterEventBase(prepared: PreparedRequest): EventBase {
    const base = prepared.base;
    const eventBase: EventBase = {
      principalId: base.principal.id,
      remoteAddress: base.remoteAddress,
      sessionId: base.sessionId,
      requestId: base.requestId,
      method: base.method,
    };
    const traceparent = requestTraceparent(base.params, prepared.traceparent);
    if (traceparent !== undefined) eventBase.traceparent = traceparent;
    return eventBase;
  }

  async #filterList(
    plugin: WardenPlugin,
    mode: PluginMode,
    ctx: RequestContext,
    result: Record<string, unknown>,
    list: { key: string; type: ListItem['type'] },
    eventBase: EventBase,
  ): Promise<Record<string, unknown>> {
    const items = result[list.key];
    if (!Array.isArray(items)) return result;
    const page = listContext(ctx.method, ctx.params, result);
    const kept: unknown[] = [];
    const hidden = new HiddenItems();
    for (const definition of items) {
      const item = toListItem(list.type, definition);
      // An entry we cannot name cannot be checked: hide it (fail closed).
      const visible = item ? await plugin.filterListItem!(item, ctx, page) : false;
      if (visible || mode === 'audit') kept.push(definition);
      if (!visible) hidden.add(plugin, item);
    }
    const entry = hidden.counts.get(plugin);
    if (entry) this.#emitHidden(plugin, entry, `${list.key} list entries`, eventBase);
    return mode === 'audit' ? result : { ...result, [list.key]: kept };
  }

  #observe(
    request: JsonRpcRequest,
    origin: RequestOrigin,
    target: McpTarget | undefined,
    params: Record<string, unknown>,
  ): Observation | undefined {
    const t0 = performance.now();
    const observed = {
      requestId: request.id,
      method: request.method,
      target,
      targetName: targetName(target),
      principal: origin.principal,
      transport: origin.transport,
      sessionId: origin.sessionId,
      remoteAddress: origin.remoteAddress,
      params,
      startTime: performance.timeOrigin + t0,
      trace: resolveTraceContext(params, origin.traceparent),
    };
    const parts = [];
    for (const observer of this.#observers) {
      try {
        const part = observer.start(observed);
        if (part) parts.push(part);
      } catch {
        // A broken observer does not change the request's fate.
      }
    }
    return parts.length > 0 ? new Observation(observed, parts, t0) : undefined;
  }

  #context(
    base: Omit<RequestContext, 'mode' | 'emit'>,
    plugin: WardenPlugin,
    mode: PluginMode,
    eventBase: EventBase,
  ): RequestContext {
    // Object.assign, not a spread with added properties: per plugin and request (see SecurityEventBus.emit).
    return Object.assign({}, base, {
      mode,
      emit: (event: SecurityEventInput) =>
        this.#events.emit(Object.assign({}, eventBase, event, { plugin: plugin.name, mode })),
    });
  }

  /** Records a refusal; rethrows it in enforce mode (non-WardenErrors become a fail-closed PluginFailureError). */
  #refuse(
    plugin: WardenPlugin | undefined,
    thrown: unknown,
    eventBase: EventBase,
    source?: SecurityEventSource,
  ): void {
    const error = WardenError.isInstance(thrown)
      ? thrown
      : new PluginFailureError(plugin?.name ?? 'core', thrown);
    const mode = plugin ? modeOf(plugin) : 'enforce';
    this.#events.emit(
      {
        type: error.eventType,
        outcome: mode === 'audit' ? 'audited' : 'denied',
        severity: error.eventType === 'plugin.error' ? 'error' : undefined,
        plugin: plugin?.name,
        mode: plugin ? mode : undefined,
        reason: error.reason ?? error.message,
        ...eventBase,
        details: { code: error.code, ...error.details },
      },
      source,
    );
    if (mode === 'enforce') throw error;
  }

  #recordFailure(plugin: WardenPlugin, thrown: unknown, eventBase: EventBase): void {
    const error = new PluginFailureError(plugin.name, thrown);
    this.#events.emit({
      type: 'plugin.error',
      outcome: 'info',
      severity: 'error',
      plugin: plugin.name,
      reason: error.reason,
      ...eventBase,
    });
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The list context of one plugin's filtering: the request's cursor, and the result's as that plugin got it. */
function listContext(
  method: string,
  params: Readonly<Record<string, unknown>>,
  result: Readonly<Record<string, unknown>>,
): ListContext {
  return Object.freeze({
    method,
    cursor: typeof params.cursor === 'string' ? params.cursor : undefined,
    nextCursor: typeof result.nextCursor === 'string' ? result.nextCursor : undefined,
  });
}

function stageOf(
  plugin: WardenPlugin,
  hook: StageObservation['hook'],
  startTime: number,
  error: unknown,
): StageObservation {
  const endTime = nowMs();
  const stage = plugin.stage ?? 'default';
  if (error === undefined) return { plugin: plugin.name, stage, hook, startTime, endTime, outcome: 'ok' };
  const known = WardenError.isInstance(error);
  return {
    plugin: plugin.name,
    stage,
    hook,
    startTime,
    endTime,
    outcome: !known ? 'failed' : modeOf(plugin) === 'audit' ? 'audited' : 'refused',
    code: known ? error.code : CORE_ERROR_CODES.PLUGIN_FAILED,
  };
}

function toListItem(type: ListItem['type'], definition: unknown): ListItem | undefined {
  if (typeof definition !== 'object' || definition === null) return undefined;
  const d = definition as Record<string, unknown>;
  switch (type) {
    case 'tool':
    case 'prompt':
      return typeof d.name === 'string' ? { type, name: d.name, definition: d } : undefined;
    case 'resource':
      return typeof d.uri === 'string' ? { type, uri: d.uri, definition: d } : undefined;
    case 'resourceTemplate':
      return typeof d.uriTemplate === 'string'
        ? { type, uriTemplate: d.uriTemplate, definition: d }
        : undefined;
  }
}

function listItemName(item: ListItem): string {
  switch (item.type) {
    case 'resource':
      return item.uri;
    case 'resourceTemplate':
      return item.uriTemplate;
    default:
      return item.name;
  }
}
