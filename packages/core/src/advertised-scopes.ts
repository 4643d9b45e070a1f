/**
 * What a protected resource may advertise as a scope. MCP 2026-07-28 ("Refresh Tokens"): servers SHOULD NOT include
 * `offline_access` in a `WWW-Authenticate` scope or in `scopes_supported`, because refresh tokens are not a
 * resource requirement; whether to ask for one is the client's business with the authorization server.
 */

const OFFLINE_ACCESS = 'offline_access';

/**
 * True for `offline_access` in any ASCII letter case. Scope values are case-sensitive (RFC 6749 §3.3), but a
 * variant such as `Offline_Access` is still a request for refresh tokens to some authorization servers, so every
 * variant is kept out of what a resource advertises or requires.
 */
export function isRefreshTokenScope(scope: string): boolean {
  return (
    scope.length === OFFLINE_ACCESS.length &&
    scope.replace(/[A-Z]/g, (c) => c.toLowerCase()) === OFFLINE_ACCESS
  );
}

/** A space-separated scope list without refresh-token scopes and duplicates, in first-seen order. */
export function advertisableScopes(scopes: string | Iterable<string>): string[] {
  const list = typeof scopes === 'string' ? scopes.split(/[ \t]+/) : scopes;
  const out = new Set<string>();
  for (const scope of list) if (scope !== '' && !isRefreshTokenScope(scope)) out.add(scope);
  return [...out];
}
