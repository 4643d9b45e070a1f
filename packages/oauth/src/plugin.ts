import {
  type AuthChallenge,
  AuthenticationError,
  advertisableScopes,
  ConfigError,
  type EdgeContext,
  type EdgeRequest,
  InsufficientScopeError,
  type PluginRoute,
  type PluginSetupContext,
  type Principal,
  parseOptions,
  type RequestContext,
  WARDEN_SPEC_VERSION,
  type WardenPlugin,
} from '@mcp-warden/core';
import { OAUTH_ERROR_CODES } from './errors.js';
import {
  type ProtectedResourceMetadata,
  protectedResourceMetadataPaths,
  protectedResourceMetadataUrl,
} from './metadata.js';
import { oauthOptionsSchema } from './options.js';
import { ScopeRules } from './scope-rules.js';
import { ScopeHierarchy } from './scopes.js';
import {
  canonicalResource,
  createTokenVerifier,
  type TokenVerifier,
  type TokenVerifierOptions,
} from './token-verifier.js';

/** Options of the {@link oauth} plugin. */
export interface OAuthOptions
  extends Omit<TokenVerifierOptions, 'resource' | 'authenticatedBy' | 'onJwksStatus'> {
  /**
   * The canonical URI of this MCP server, e.g. `https://mcp.example.com/mcp`. Tokens must name it in `aud`; the
   * metadata is served for it. Defaults to the warden's `resourceUrl`.
   */
  resource?: string;
  /**
   * Further endpoints this warden serves, each its own protected resource (a gateway's `/mcp/<name>`): a request
   * is checked against the resource whose path it was sent to, so a token issued for one endpoint is refused at
   * every other (RFC 8707 audience binding), and each endpoint serves its own RFC 9728 metadata.
   */
  endpointResources?: readonly string[];
  /** Authorization server issuer URLs advertised in the metadata. @default [issuer] */
  authorizationServers?: string[];
  /**
   * `scopes_supported` of the metadata: keep it to what basic use needs (more is asked for by step-up). Also sent
   * in the 401 challenge's `scope`, after `requiredScopes`. Never `offline_access`.
   */
  scopesSupported?: string[];
  /** Scopes every request needs (first in the 401 challenge's `scope`). Never `offline_access`. @default [] */
  requiredScopes?: string[];
  /**
   * Extra scopes by JSON-RPC method, exact or a pattern (core's pattern language): `{ 'tools/list': ['mcp:read'] }`,
   * `{ 'resources/**': ['files'] }`.
   */
  methods?: Record<string, string[]>;
  /** Extra scopes by tool name, exact or a pattern: `{ 'notes_*': ['notes:read'], delete_note: ['notes:write'] }`. */
  tools?: Record<string, string[]>;
  /** Extra scopes by prompt name, exact or a pattern. */
  prompts?: Record<string, string[]>;
  /** Extra scopes by resource URI, exact or a pattern: `{ 'file:///private/**': ['files:private'] }`. */
  resources?: Record<string, string[]>;
  /**
   * Broader scopes imply narrower ones, transitively: `{ implies: { 'notes:write': ['notes:read'] }, prefixSeparator:
   * ':' }` (with the separator, `notes` also covers `notes:read`). A cycle is a ConfigError when `oauth()` is called.
   */
  scopeHierarchy?: { implies?: Record<string, string[]>; prefixSeparator?: string };
  /** `resource_name` of the metadata. */
  resourceName?: string;
  /** `resource_documentation` of the metadata. */
  resourceDocumentation?: string;
  /** Bearer tokens starting with one of these are left to other authenticators (e.g. `['mcpw_']` for API keys). */
  ignoreTokenPrefixes?: string[];
  /** @default 'enforce' */
  mode?: 'enforce' | 'audit';
  /** Plugin name (and `Principal.authenticatedBy`). @default 'oauth' */
  name?: string;
}

/** Scopes an MCP operation needs, as computed from the plugin's rules. Exported for tests and tooling. */
export interface ScopePolicy {
  /** Every scope the request needs (global, by method, by target), sorted. */
  requiredFor(ctx: Pick<RequestContext, 'method' | 'target'>): string[];
  /** The required scopes `principal` lacks, honouring the hierarchy. */
  missing(principal: Pick<Principal, 'scopes'>, required: readonly string[]): string[];
}

/** Builds the scope policy of a plugin configuration (usable without the pipeline). */
export function createScopePolicy(
  options: Pick<
    OAuthOptions,
    'requiredScopes' | 'methods' | 'tools' | 'prompts' | 'resources' | 'scopeHierarchy'
  >,
): ScopePolicy {
  const global = [...new Set(options.requiredScopes ?? [])];
  const methods = new ScopeRules(options.methods, 'methods');
  const tools = new ScopeRules(options.tools, 'tools');
  const prompts = new ScopeRules(options.prompts, 'prompts');
  const resources = new ScopeRules(options.resources, 'resources');
  const hierarchy = new ScopeHierarchy(options.scopeHierarchy);
  return {
    requiredFor(ctx) {
      const out = new Set(global);
      methods.collect(ctx.method, out);
      const target = ctx.target;
      if (target?.type === 'tool') tools.collect(target.name, out);
      else if (target?.type === 'prompt') prompts.collect(target.name, out);
      else if (target?.type === 'resource') resources.collect(target.uri, out);
      return [...out].sort();
    },
    missing(principal, required) {
      return hierarchy.missing(principal.scopes, required);
    },
  };
}

/** Extracts the token of an `Authorization: Bearer <token>` header; `undefined` for another scheme. */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const match = /^Bearer[ ]+(\S+)[ ]*$/i.exec(authorization);
  if (match) return match[1];
  if (/^Bearer(\s|$)/i.test(authorization)) {
    throw new AuthenticationError({
      code: OAUTH_ERROR_CODES.INVALID_REQUEST,
      oauthError: 'invalid_request',
      message: 'Malformed Authorization header: expected "Bearer <token>".',
      reason: 'malformed Bearer Authorization header',
    });
  }
  return undefined;
}

/**
 * An OAuth 2.1 resource server for MCP (authorization spec 2025-06-18 / 2025-11-25 / 2026-07-28): verifies bearer
 * tokens (JWT via JWKS or keys, opaque via introspection), serves RFC 9728 metadata, answers 401 with the
 * `resource_metadata` challenge and refuses under-scoped requests with 403 `insufficient_scope` (step-up).
 * @example
 * const warden = await createWarden({
 *   plugins: [
 *     oauth({
 *       resource: 'https://mcp.example.com/mcp',
 *       issuer: 'https://auth.example.com',
 *       jwksUri: 'https://auth.example.com/jwks',
 *       scopesSupported: ['notes:read'],
 *       tools: { delete_note: ['notes:write'] },
 *       scopeHierarchy: { implies: { 'notes:write': ['notes:read'] } },
 *     }),
 *   ],
 * });
 */
export function oauth(options: OAuthOptions) {
  const name = options.name ?? 'oauth';
  let policy: ScopePolicy | undefined;
  /** The first resource: the one a request to any other path is checked against. */
  let primary: ProtectedResource | undefined;
  /** Every resource by its URL path. */
  let byPath = new Map<string, ProtectedResource>();
  let challengeScope = '';
  const ignorePrefixes = options.ignoreTokenPrefixes ?? [];

  // Every option problem in one ConfigError, here in the factory; only a missing resource waits for setup.
  const o = parseOptions(oauthOptionsSchema, options, { plugin: name });

  function configure(resourceUrl: URL | undefined, emit?: PluginSetupContext['emit']): void {
    const given = o.resource ?? resourceUrl?.href;
    if (!given) {
      throw new ConfigError(
        `The "${name}" plugin needs "resource": the canonical URI of this MCP server (e.g. https://mcp.example.com/mcp), or the warden's resourceUrl.`,
      );
    }
    const canonical = [given, ...(o.endpointResources ?? [])].map((uri) => canonicalResource(uri));
    const paths = canonical.map((uri) => new URL(uri).pathname);
    const repeated = paths.find((path, i) => paths.indexOf(path) !== i);
    if (repeated !== undefined)
      throw new ConfigError(
        `The "${name}" plugin has two resources at the path ${JSON.stringify(repeated)}: give each endpoint its own path, or list it once.`,
      );
    const {
      authorizationServers,
      scopesSupported,
      requiredScopes,
      methods,
      tools,
      prompts,
      resources,
      scopeHierarchy,
      resourceName,
      resourceDocumentation,
      ignoreTokenPrefixes,
      endpointResources,
      mode,
      name: _name,
      ...verifierOptions
    } = options;
    policy = createScopePolicy(o);
    const issuers = typeof o.issuer === 'string' ? [o.issuer] : [];
    const entries = canonical.map((resource): ProtectedResource => {
      // One verifier per resource: each checks `aud` against its own URI (with a JWKS cache of its own).
      const verifier = createTokenVerifier({
        ...verifierOptions,
        resource,
        authenticatedBy: name,
        onJwksStatus: (status) =>
          emit?.({
            type: status.degraded ? 'store.degraded' : 'store.recovered',
            outcome: 'info',
            severity: status.degraded ? 'warn' : 'info',
            reason: status.reason,
          }),
      });
      const metadata: ProtectedResourceMetadata = {
        resource,
        authorization_servers: authorizationServers ?? issuers,
        bearer_methods_supported: ['header'],
      };
      if (scopesSupported) metadata.scopes_supported = [...scopesSupported];
      if (resourceName) metadata.resource_name = resourceName;
      if (resourceDocumentation) metadata.resource_documentation = resourceDocumentation;
      return { resource, verifier, metadata, metadataUrl: protectedResourceMetadataUrl(resource) };
    });
    primary = entries[0];
    byPath = new Map(entries.map((entry, i) => [paths[i]!, entry]));
    // The 401 `scope`: what a client should ask for to use this endpoint at all (MCP 2026-07-28, "Scope Selection
    // Strategy"): the scopes every request needs, then the basic set of scopes_supported. More comes by step-up.
    challengeScope = advertisableScopes([...(requiredScopes ?? []), ...(scopesSupported ?? [])]).join(' ');
    if (!challengeScope && emit) {
      emit({
        type: 'config.warning',
        outcome: 'info',
        severity: 'warn',
        reason:
          'no scope on 401 challenges: set requiredScopes or scopesSupported so clients know which scopes to request',
      });
    }
  }

  // Configure eagerly when the resource is known, so routes exist before setup; otherwise at setup.
  if (options.resource !== undefined) configure(undefined);
  let setupEmit: PluginSetupContext['emit'] | undefined;

  function metadataRoutes(): PluginRoute[] {
    const routes: PluginRoute[] = [];
    const seen = new Set<string>();
    for (const entry of byPath.values())
      for (const route of metadataRoutesOf(entry))
        if (!seen.has(route.path)) {
          seen.add(route.path);
          routes.push(route);
        }
    return routes;
  }

  /** The resource a request was sent to: by its path, else the first one. */
  function resourceOf(request: EdgeRequest): ProtectedResource | undefined {
    return (request.url && byPath.get(request.url.pathname)) || primary;
  }

  function metadataRoutesOf({ resource, metadata }: ProtectedResource): PluginRoute[] {
    const body = metadata;
    const paths = protectedResourceMetadataPaths(resource);
    const handle = (): {
      status: number;
      headers: Record<string, string>;
      body: ProtectedResourceMetadata;
    } => ({
      status: 200,
      headers: {
        'content-type': 'application/json',
        'cache-control': 'public, max-age=3600',
        'access-control-allow-origin': '*',
      },
      body,
    });
    const list: PluginRoute[] = [{ method: 'GET', path: paths.pathInserted, handle }];
    if (paths.root !== paths.pathInserted) list.push({ method: 'GET', path: paths.root, handle });
    return list;
  }

  return {
    specVersion: WARDEN_SPEC_VERSION,
    name,
    stage: 'authorize',
    mode: options.mode ?? 'enforce',
    provides: ['authentication', 'oauth'],
    // A getter: with the resource taken from the warden's resourceUrl, routes exist only after setup.
    get routes(): readonly PluginRoute[] {
      return metadataRoutes();
    },

    setup(ctx: PluginSetupContext) {
      setupEmit = ctx.emit;
      configure(ctx.resourceUrl, (event) => setupEmit?.(event));
    },

    async authenticate(request: EdgeRequest, _ctx: EdgeContext): Promise<Principal | undefined> {
      const target = resourceOf(request);
      if (!target) throw new ConfigError(`The "${name}" plugin was used before setup.`);
      // Bearer tokens only in the Authorization header (MCP authorization spec, "Token Requirements").
      if (request.url?.searchParams.has('access_token')) {
        throw new AuthenticationError({
          code: OAUTH_ERROR_CODES.INVALID_REQUEST,
          oauthError: 'invalid_request',
          message: 'Access tokens are accepted only in the Authorization header, never in the URL.',
          reason: 'access token sent in the query string',
        });
      }
      const token = bearerToken(request.headers.authorization);
      if (token === undefined) return undefined;
      if (ignorePrefixes.some((prefix) => token.startsWith(prefix))) return undefined;
      // A refused token throws TokenVerificationError, which is the client's 401 (`invalid_token`) as it is.
      const verified = await target.verifier.verify(token);
      return verified.principal;
    },

    challenge(request: EdgeRequest): AuthChallenge | undefined {
      const target = resourceOf(request);
      if (!target) return undefined;
      const params: Record<string, string> = { resource_metadata: target.metadataUrl };
      if (challengeScope) params.scope = challengeScope;
      return { scheme: 'Bearer', params };
    },

    beforeRequest(ctx: RequestContext): void {
      if (ctx.principal.authenticatedBy !== name || !policy) return;
      const required = policy.requiredFor(ctx);
      if (required.length === 0) return;
      const missing = policy.missing(ctx.principal, required);
      if (missing.length === 0) return;
      throw new InsufficientScopeError({
        requiredScopes: required,
        reason: `missing scope(s) ${missing.join(' ')} for ${ctx.method}${ctx.target ? ` on ${describeTarget(ctx.target)}` : ''}`,
        details: {
          code: OAUTH_ERROR_CODES.INSUFFICIENT_SCOPE,
          missingScopes: missing,
          requiredScopes: required,
        },
      });
    },
  } satisfies WardenPlugin;
}

/** One protected resource (RFC 9728) of the plugin: its URI, the verifier bound to it, its metadata. */
interface ProtectedResource {
  readonly resource: string;
  readonly verifier: TokenVerifier;
  readonly metadata: ProtectedResourceMetadata;
  readonly metadataUrl: string;
}

function describeTarget(target: NonNullable<RequestContext['target']>): string {
  if (target.type === 'resource') return `resource "${target.uri.slice(0, 200)}"`;
  return `${target.type} "${target.name}"`;
}
