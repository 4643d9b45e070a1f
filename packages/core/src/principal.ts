/** Who is making a request, as established by an authenticator at the edge (or the environment under stdio). */
export interface Principal {
  /** Stable id: a user subject, an API-key id, `anonymous`, … */
  readonly id: string;
  /** How it was established: `anonymous`, `apikey`, `oauth`, `environment`, or a plugin's own kind. */
  readonly kind: string;
  readonly scopes: readonly string[];
  readonly roles: readonly string[];
  /** Verified attributes (token claims, key metadata). Never the credential itself. */
  readonly claims: Readonly<Record<string, unknown>>;
  /** Name of the plugin that authenticated it. */
  readonly authenticatedBy?: string;
  /** OAuth client id, when there is one. */
  readonly clientId?: string;
  /** Epoch seconds after which the credential is no longer valid. */
  readonly expiresAt?: number;
}

export const ANONYMOUS_PRINCIPAL: Principal = Object.freeze({
  id: 'anonymous',
  kind: 'anonymous',
  scopes: Object.freeze([]) as readonly string[],
  roles: Object.freeze([]) as readonly string[],
  claims: Object.freeze({}),
});

export function isAnonymous(principal: Principal): boolean {
  return principal.kind === 'anonymous';
}

/**
 * Who vouches for a principal, as events, audit records and owner keys show it: the authenticator plugin's name
 * (`apikey-auth`, `oauth`, …), or the principal's kind when no plugin set one.
 * @example authenticatorOf(ctx.principal) // 'apikey-auth'
 */
export function authenticatorOf(principal: Pick<Principal, 'authenticatedBy' | 'kind'>): string {
  return principal.authenticatedBy ?? principal.kind;
}

/** Builds a frozen principal with defaults for the optional lists. */
export function createPrincipal(input: Partial<Principal> & Pick<Principal, 'id' | 'kind'>): Principal {
  return Object.freeze({
    ...input,
    scopes: Object.freeze([...(input.scopes ?? [])]),
    roles: Object.freeze([...(input.roles ?? [])]),
    claims: Object.freeze({ ...(input.claims ?? {}) }),
  });
}

/** Key under which the principal travels in the SDK's `AuthInfo.extra`. */
export const PRINCIPAL_AUTH_INFO_KEY = 'mcpWardenPrincipal';

/** The SDK's `AuthInfo` shape (kept structural so core does not depend on SDK internals). */
export interface SdkAuthInfo {
  token: string;
  clientId: string;
  scopes: string[];
  expiresAt?: number;
  extra?: Record<string, unknown>;
}

/**
 * The SDK `AuthInfo` handed to tool handlers as `extra.authInfo`. `token` is always empty: MCP servers must not
 * pass client tokens through to anything downstream (MCP authorization spec, "token passthrough").
 */
export function toSdkAuthInfo(principal: Principal): SdkAuthInfo {
  const info: SdkAuthInfo = {
    token: '',
    clientId: principal.clientId ?? principal.id,
    scopes: [...principal.scopes],
    extra: { [PRINCIPAL_AUTH_INFO_KEY]: principal },
  };
  if (principal.expiresAt !== undefined) info.expiresAt = principal.expiresAt;
  return info;
}

/**
 * The principal of the current request, from a tool handler's `extra` (or anything with `authInfo`).
 * @example
 * server.registerTool('whoami', {}, async (_args, extra) => {
 *   const principal = getPrincipal(extra);
 *   return { content: [{ type: 'text', text: principal?.id ?? 'nobody' }] };
 * });
 */
export function getPrincipal(
  extra: { authInfo?: { extra?: Record<string, unknown> } } | undefined,
): Principal | undefined {
  const value = extra?.authInfo?.extra?.[PRINCIPAL_AUTH_INFO_KEY];
  return isPrincipal(value) ? value : undefined;
}

/** Like {@link getPrincipal}, but throws when the request carries none (a wiring mistake). */
export function requirePrincipal(
  extra: { authInfo?: { extra?: Record<string, unknown> } } | undefined,
): Principal {
  const principal = getPrincipal(extra);
  if (!principal)
    throw new Error('No MCP Warden principal on this request: is the server connected through MCP Warden?');
  return principal;
}

function isPrincipal(value: unknown): value is Principal {
  if (typeof value !== 'object' || value === null) return false;
  const p = value as Record<string, unknown>;
  return (
    typeof p.id === 'string' &&
    typeof p.kind === 'string' &&
    Array.isArray(p.scopes) &&
    Array.isArray(p.roles)
  );
}
