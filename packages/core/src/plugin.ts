/**
 * The MCP Warden plugin contract: `specVersion` 1, contract version {@link WARDEN_CONTRACT_VERSION}.
 *
 * A plugin is a plain object (usually returned by a factory such as `apiKeyAuth(options)`) with a name, a
 * `specVersion`, and any of the hooks below. Core calls the hooks in a fixed order:
 *
 * ```
 * HTTP edge:  admit → authenticate → (401 with every plugin's challenge)
 * per MCP request:  beforeRequest (by stage: admission, authorize, validate, sanitize, default; then plugin order)
 *                   → the server's own handler
 *                   → per plugin, in reverse order: its afterResponse, then its filterListItem on every entry
 * ```
 *
 * Refusing is throwing a {@link WardenError} (`AccessDeniedError`, `ArgumentValidationError`, …). Any other
 * thrown value fails closed: the request is refused and a `plugin.error` event recorded. In `audit` mode a
 * plugin's refusals and changes are recorded (`outcome: 'audited'`) and the request passes unchanged.
 *
 * ## Versions
 *
 * `specVersion` is the major: it changes only when a plugin written against an older one would break, and a
 * warden refuses a plugin of another major at setup. Minors only add (an optional hook, a context field, a hook
 * argument), so every plugin of major 1 keeps working unchanged and keeps declaring `specVersion: 1`.
 *
 * - **1.0**: `setup`/`close`, `admit`, `authenticate` + `challenge`, `beforeRequest`, `afterResponse`,
 *   `filterListItem(item, ctx)`, `onEvent`, `routes`; stages; `enforce`/`audit` modes; services.
 * - **1.1** (gateways, 2026-07-28): `onServerMessage`, `onSessionEnd`; `RequestContext.upstream`, `era`,
 *   `protocolVersion`, `clientInfo`, `clientCapabilities`; the setup context's `emit` usable at any time.
 * - **1.2**: `connectionId` on every request, response, server-message and session-end context; the list context,
 *   `filterListItem`'s third argument; the order within one plugin (its `afterResponse` before its
 *   `filterListItem`) made part of the contract; why `upstream` is the server identity and why there is no
 *   separate response placement (below, at {@link RequestContext.upstream} and {@link PLUGIN_STAGES}).
 */
import type { AuthChallenge } from './errors.js';
import type { SecurityEventInput } from './events.js';
import type { Principal } from './principal.js';

/** The contract's major version: what a plugin declares as `specVersion`. */
export const WARDEN_SPEC_VERSION = 1 as const;

/**
 * The contract version this core implements, `major.minor`: the major is {@link WARDEN_SPEC_VERSION}, the minor
 * counts additions (see the changelog at the top of this file). A plugin that needs a later addition can check it.
 */
export const WARDEN_CONTRACT_VERSION = '1.2' as const;

export type PluginMode = 'enforce' | 'audit';

/**
 * Where a plugin's request hooks run. `beforeRequest` hooks run in this order, and `afterResponse` /
 * `filterListItem` / `onServerMessage` in the reverse order (onion); plugins of one stage keep the order they were
 * registered in.
 *
 * One `stage` places both directions, on purpose (there is no separate response placement). The onion is what
 * lets a plugin trust what it sees: its `afterResponse` gets the answer to exactly the request it let through,
 * changed only by the plugins inside it and by the server. So `acl` and `tool-pinning` (`authorize`) filter and
 * pin lists as `sanitize` left them, which is what the client will see, while `validation` checks arguments
 * after `acl` admitted the caller and learns input schemas from the whole `tools/list` before `acl` narrows it
 * for one principal. A second placement would break that
 * pairing and double the orders to reason about, for no case the built-in plugins have. A plugin that truly
 * needs other places in each direction registers two plugin objects (e.g. `foo-in` at `admission` and `foo-out`
 * at `default`) that share state through its factory.
 */
export const PLUGIN_STAGES = ['admission', 'authorize', 'validate', 'sanitize', 'default'] as const;
export type PluginStage = (typeof PLUGIN_STAGES)[number];

/** Capability an authenticating plugin provides; an ACL, say, `requires: ['authentication']`. */
export const AUTHENTICATION_CAPABILITY = 'authentication';

/** What the edge knows of a request before any MCP message is read. */
export interface EdgeRequest {
  readonly transport: 'http' | 'stdio' | (string & {});
  /** HTTP method (HTTP only). */
  readonly method?: string;
  /** The request URL (HTTP only). */
  readonly url?: URL;
  /** Request headers with lower-case names (HTTP only; empty under stdio). */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** Client address (HTTP only). */
  readonly remoteAddress?: string;
  /** The process environment (stdio only): identity comes from here when there is no HTTP edge. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * The request's W3C `traceparent` (from the message's `_meta` or the HTTP header, when valid): security events of
   * the request's authentication carry it.
   */
  readonly traceparent?: string;
}

/** Passed to edge hooks (`admit`, `authenticate`). */
export interface EdgeContext {
  readonly services: ServiceRegistry;
  /** Records a security event attributed to this plugin. */
  emit(event: Omit<SecurityEventInput, 'plugin'>): void;
}

/** An MCP request target. */
export type McpTarget =
  | { readonly type: 'tool'; readonly name: string }
  | { readonly type: 'prompt'; readonly name: string }
  | { readonly type: 'resource'; readonly uri: string };

/** One JSON-RPC request, as every `beforeRequest` / `afterResponse` hook sees it. */
export interface RequestContext {
  readonly requestId: string | number;
  /** JSON-RPC method, e.g. `tools/call`, `resources/read`, `tools/list`. */
  readonly method: string;
  /** The method as an action: `/` replaced by `:` (`tools:call`, `resources:templates:list`). */
  readonly action: string;
  /**
   * What the request is about, when it names one: the tool of `tools/call`, the prompt of `prompts/get`, the
   * resource of `resources/read|subscribe|unsubscribe`, and the prompt or resource a `completion/complete` refers to.
   */
  readonly target: McpTarget | undefined;
  /** The request params as received (after earlier plugins' argument transforms). */
  readonly params: Readonly<Record<string, unknown>>;
  /** `params.arguments` of `tools/call` and `prompts/get` (after earlier plugins' transforms). */
  readonly arguments: Readonly<Record<string, unknown>> | undefined;
  readonly principal: Principal;
  readonly transport: 'http' | 'stdio' | (string & {});
  /**
   * The client's `Mcp-Session-Id` (2025-era sessions). A bearer-like value (Warden binds it to its principal, but
   * it is still what addresses the session): prefer {@link connectionId} as a key and in a plugin's own records.
   */
  readonly sessionId: string | undefined;
  /**
   * Warden's own id for the connection the request came on (contract 1.2). Opaque and random, made by Warden,
   * never sent to the client and never derived from the client's `Mcp-Session-Id`, so it is safe to log and to key
   * per-connection state by. What it identifies depends on the era:
   * - a 2025-era session (`Mcp-Session-Id`, on the node edge and the fetch face): the session; every request of
   *   it carries the same id, its `initialize` included, and `onSessionEnd` gets it when the session ends;
   * - stdio, and any transport wrapped with `wrapTransport`: the connection (under stdio, the process);
   * - a stateless 2025 request, and every 2026-07-28 request: that request alone, a fresh id each time (the
   *   revision has no connection: link a client's requests by `principal` instead).
   */
  readonly connectionId: string;
  readonly remoteAddress: string | undefined;
  /**
   * The MCP era of the request: `modern` for 2026-07-28 requests (stateless, a per-request `_meta` envelope),
   * `legacy` for 2025-era traffic (the `initialize` handshake and sessions, or stateless 2025 requests).
   */
  readonly era: 'legacy' | 'modern';
  /**
   * The protocol revision the request runs under: the envelope's `io.modelcontextprotocol/protocolVersion` (modern),
   * or the version the session's `initialize` asked for (legacy over a wrapped transport). `undefined` when unknown.
   */
  readonly protocolVersion: string | undefined;
  /**
   * The client implementation as it describes itself (`{ name, version, … }`): from `_meta` (modern) or from the
   * session's `initialize` (legacy). Self-reported: never a basis for authorization.
   */
  readonly clientInfo: Readonly<Record<string, unknown>> | undefined;
  /** The capabilities the client declares: from `_meta` (modern) or from the session's `initialize` (legacy). */
  readonly clientCapabilities: Readonly<Record<string, unknown>> | undefined;
  /**
   * The MCP server the request goes to, as the host names it: the `upstreamName` option of `fetchHandler` /
   * `httpHandler` (the `upstream` option of `wrapTransport`). A gateway always sets it; an in-process server has
   * it when the host gives one, else `undefined`.
   *
   * This is the server identity of the contract, and the only one. What a server calls itself
   * (`serverInfo` of `initialize`, `io.modelcontextprotocol/serverInfo` of `server/discover`) is not given
   * here, because it cannot be filled reliably on every edge: a stateless 2025 request and a 2026-07-28 request
   * never see an `initialize`, and nothing obliges a client to call `server/discover` first; an `initialize`
   * itself is decided before the server has answered it. It is also self-reported, so a server behind a
   * gateway could take another's name. A plugin that wants it anyway reads it in `afterResponse` of those two
   * methods, as `@mcp-warden/tool-pinning` does, and keys by `upstream` when it is set.
   */
  readonly upstream: string | undefined;
  /** Aborted when the request times out or is cancelled. Pass it to anything slow. */
  readonly signal: AbortSignal;
  /** Per-request scratch space shared by all plugins (use a Symbol or your plugin name as key). */
  readonly state: Map<string | symbol, unknown>;
  readonly services: ServiceRegistry;
  /** This plugin's mode. Core already applies audit semantics; this is for the plugin's own events. */
  readonly mode: PluginMode;
  /** Records a security event attributed to this plugin, with the request's principal, method and target. */
  emit(event: Omit<SecurityEventInput, 'plugin'>): void;
}

/** What `beforeRequest` may return: replacement arguments for `tools/call` / `prompts/get`. */
export interface BeforeRequestResult {
  arguments?: Record<string, unknown>;
}

/** A successful response, as `afterResponse` sees it. */
export interface ResponseContext extends RequestContext {
  /** The JSON-RPC `result` (after later-stage plugins' transforms). */
  readonly result: Readonly<Record<string, unknown>>;
}

/** What `afterResponse` may return: a replacement result. */
export interface AfterResponseResult {
  result?: Record<string, unknown>;
}

/**
 * A message the server sends on its own, as `onServerMessage` sees it: a notification (progress, `list_changed`,
 * `resources/updated`, logging, …) or a request to the client (sampling, elicitation, roots). In a gateway these
 * come from a server nobody here wrote, and some reach the model (a sampling request's messages).
 */
export interface ServerMessageContext {
  readonly kind: 'notification' | 'request';
  readonly method: string;
  /** The message's params (after earlier plugins' changes). */
  readonly params: Readonly<Record<string, unknown>>;
  /** The client request this message belongs to, when known (its progress, its sampling request). */
  readonly relatedRequestId: string | number | undefined;
  /** Who receives it: the principal of the session or request it travels on. */
  readonly principal: Principal;
  readonly sessionId: string | undefined;
  /**
   * The connection it travels on (contract 1.2): the session's id (a 2025 session, its GET stream included), the
   * stdio connection's, or the id of the request whose answer stream carries it. @see RequestContext.connectionId
   */
  readonly connectionId: string;
  readonly transport: string;
  readonly era: 'legacy' | 'modern';
  /** @see RequestContext.upstream */
  readonly upstream: string | undefined;
  readonly services: ServiceRegistry;
  readonly mode: PluginMode;
  emit(event: Omit<SecurityEventInput, 'plugin'>): void;
}

/** A 2025-era session that ended (DELETE, idle expiry, revocation, the client gone, shutdown), for `onSessionEnd`. */
export interface SessionEndContext {
  readonly sessionId: string;
  /** The `connectionId` every request of the session carried (contract 1.2). */
  readonly connectionId: string;
  /** The principal that opened it: `id` and the authenticator that established it. */
  readonly principalId: string;
  readonly authenticatedBy: string | undefined;
  readonly transport: string;
  /** @see RequestContext.upstream */
  readonly upstream: string | undefined;
  readonly services: ServiceRegistry;
  emit(event: Omit<SecurityEventInput, 'plugin'>): void;
}

/** What `onServerMessage` may return: replacement params, or `drop` to withhold the message. */
export interface ServerMessageResult {
  params?: Record<string, unknown>;
  drop?: boolean;
}

/** One entry of a `tools/list`, `prompts/list`, `resources/list` or `resources/templates/list` result. */
export type ListItem =
  | { readonly type: 'tool'; readonly name: string; readonly definition: Readonly<Record<string, unknown>> }
  | { readonly type: 'prompt'; readonly name: string; readonly definition: Readonly<Record<string, unknown>> }
  | {
      readonly type: 'resource';
      readonly uri: string;
      readonly definition: Readonly<Record<string, unknown>>;
    }
  | {
      readonly type: 'resourceTemplate';
      readonly uriTemplate: string;
      readonly definition: Readonly<Record<string, unknown>>;
    };

/**
 * Which list the entries of `filterListItem` come from (contract 1.2): tells the pages of one list apart. Both
 * cursors are opaque; the first comes from the client, the second from the server.
 */
export interface ListContext {
  /**
   * The request's method: `tools/list`, `prompts/list`, `resources/list`, `resources/templates/list`; or, for
   * entries met outside a list result, `server/discover` (its entries) and `subscriptions/listen` (a resource
   * the stream would tell about).
   */
  readonly method: string;
  /** The `cursor` of the request's params: `undefined` for the first page (and outside list results). */
  readonly cursor: string | undefined;
  /**
   * The `nextCursor` of the result this plugin filters (after its own `afterResponse`): `undefined` on the last
   * page (and outside list results).
   */
  readonly nextCursor: string | undefined;
}

/** An HTTP route a plugin serves (e.g. `/.well-known/oauth-protected-resource`). Routes are public: no auth. */
export interface PluginRoute {
  method: 'GET' | 'POST';
  /** Exact path, e.g. `/.well-known/oauth-protected-resource/mcp`. */
  path: string;
  handle(request: EdgeRequest): RouteResponse | Promise<RouteResponse>;
}

export interface RouteResponse {
  status: number;
  headers?: Record<string, string>;
  /** Serialized as JSON unless a string. */
  body?: unknown;
}

/** Given to `setup`: what the warden knows when it starts. */
export interface PluginSetupContext {
  readonly services: ServiceRegistry;
  /** Names and capabilities of every registered plugin, in order. */
  readonly plugins: readonly { readonly name: string; readonly provides: readonly string[] }[];
  /** The public base URL of the MCP endpoint, when the host told the warden (`resourceUrl` option). */
  readonly resourceUrl: URL | undefined;
  /**
   * Records an event attributed to this plugin. Keep it: it works at any time, not only during `setup` (a file
   * watcher, a store that degrades, a timer), for as long as the warden lives.
   */
  emit(event: Omit<SecurityEventInput, 'plugin'>): void;
}

export interface WardenPlugin {
  /** The contract version this plugin was written against. */
  readonly specVersion: typeof WARDEN_SPEC_VERSION;
  /** Unique, kebab-case (e.g. `apikey-auth`). */
  readonly name: string;
  readonly version?: string;
  /** @default 'default' */
  readonly stage?: PluginStage;
  /** @default 'enforce' */
  readonly mode?: PluginMode;
  /** Capabilities other plugins may require. A plugin with `authenticate` provides `authentication` implicitly. */
  readonly provides?: readonly string[];
  /** Plugin names or capabilities that must be registered too; a missing one is a setup error. */
  readonly requires?: readonly string[];
  /**
   * HTTP routes served by the edge without authentication. Read when `warden.httpHandler()` is called, which is
   * after `setup`: a plugin whose routes depend on setup (e.g. on `resourceUrl`) may expose them as a getter.
   */
  readonly routes?: readonly PluginRoute[];

  /** Once, when the warden is created. Validate here; throw `ConfigError` for bad setup. */
  setup?(ctx: PluginSetupContext): void | Promise<void>;
  /** When the warden closes: release connections and timers. */
  close?(): void | Promise<void>;

  /** Before authentication, on every HTTP request and at stdio start. Throw (e.g. `RateLimitError`) to refuse. */
  admit?(request: EdgeRequest, ctx: EdgeContext): void | Promise<void>;
  /**
   * Establishes who is calling. Return a principal, or `undefined` when the request carries no credential this
   * plugin understands (the next authenticator is asked). Throw `AuthenticationError` for a credential that is
   * this plugin's but not valid.
   */
  authenticate?(
    request: EdgeRequest,
    ctx: EdgeContext,
  ): Principal | undefined | Promise<Principal | undefined>;
  /** The `WWW-Authenticate` challenge this plugin adds to 401 responses. */
  challenge?(request: EdgeRequest): AuthChallenge | undefined;

  /** Before the server's handler. Throw to refuse; return `{ arguments }` to replace the arguments. */
  // biome-ignore lint/suspicious/noConfusingVoidType: a hook that changes nothing returns nothing
  beforeRequest?(ctx: RequestContext): void | BeforeRequestResult | Promise<void | BeforeRequestResult>;
  /**
   * After a successful handler. Return `{ result }` to replace the result. For one response, a plugin's
   * `afterResponse` runs before its own `filterListItem` (contract 1.2: relied on, so fixed): the filter sees the
   * result this hook returned (enforce mode; in audit mode the unchanged one), and what this hook keeps in
   * `ctx.state` is there for the filter. Both run before the next plugin outward gets the result.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: a hook that changes nothing returns nothing
  afterResponse?(ctx: ResponseContext): void | AfterResponseResult | Promise<void | AfterResponseResult>;
  /**
   * For list results: return `false` to hide the item from this principal. Runs after this plugin's
   * `afterResponse`, once per entry. `list` (contract 1.2) says which list and page the entry is on; a plugin
   * written against 1.0 declares two parameters and keeps working. The same decisions hide `server/discover`
   * entries and `subscriptions/listen` resources (then `list.method` says so and both cursors are `undefined`).
   */
  filterListItem?(item: ListItem, ctx: RequestContext, list: ListContext): boolean | Promise<boolean>;
  /**
   * When a session ends, on either edge: release what the plugin kept for it. Cannot refuse anything; a throw is
   * recorded as `plugin.error`.
   */
  onSessionEnd?(ctx: SessionEndContext): void | Promise<void>;
  /**
   * Every notification and request the server sends the client on its own (contract 1.1, added for gateways).
   * Return `{ params }` to rewrite it or `{ drop: true }` to withhold it; a throw withholds it too (fail closed).
   * Runs in reverse registration order, like `afterResponse`. A withheld server request is answered with an
   * error where the edge can (the node edge and stdio), so the server does not wait for it.
   */
  onServerMessage?(
    ctx: ServerMessageContext,
    // biome-ignore lint/suspicious/noConfusingVoidType: a hook that changes nothing returns nothing
  ): void | ServerMessageResult | Promise<void | ServerMessageResult>;
  /**
   * Sees every security event (e.g. to count failed authentications). Must not throw or block. `source.edge` is the
   * request an admission or authentication event is about (the same object `admit` received).
   */
  onEvent?(
    event: import('./events.js').SecurityEvent,
    source: import('./events.js').SecurityEventSource,
  ): void;
}

/** A typed key for a service plugins share through the warden (e.g. the crypto plugin's sealer). */
export interface ServiceKey<T> {
  readonly id: string;
  /** Type carrier only; never set. */
  readonly __type?: T;
}

export function serviceKey<T>(id: string): ServiceKey<T> {
  return Object.freeze({ id });
}

export interface ServiceRegistry {
  provide<T>(key: ServiceKey<T>, value: T): void;
  get<T>(key: ServiceKey<T>): T | undefined;
  /** Like `get`, but throws a `ConfigError` naming the missing service. */
  require<T>(key: ServiceKey<T>): T;
}
