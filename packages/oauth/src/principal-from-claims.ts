import { createPrincipal, type Principal } from '@mcp-warden/core';
import { scopesFromClaims } from './scopes.js';

/** How a principal is read from verified token claims. */
export interface PrincipalMapping {
  /**
   * Dot path of the roles claim, e.g. `roles`, `realm_access.roles` (Keycloak) or `https://example.com/roles`
   * (a claim name with dots is tried whole first). The value may be an array of strings or a space-separated string.
   * @default 'roles'
   */
  rolesClaim?: string;
  /** `Principal.authenticatedBy`. @default 'oauth' */
  authenticatedBy?: string;
}

/** Reads a claim by dot path; a claim whose own name contains dots is matched whole first. */
export function claimAtPath(claims: Readonly<Record<string, unknown>>, path: string): unknown {
  if (Object.hasOwn(claims, path)) return claims[path];
  let value: unknown = claims;
  for (const part of path.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, part))
      return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function stringList(value: unknown): string[] {
  const list = typeof value === 'string' ? value.split(' ') : Array.isArray(value) ? value : [];
  return [
    ...new Set(list.filter((v): v is string => typeof v === 'string' && v.length > 0 && v.length <= 256)),
  ].slice(0, 256);
}

/**
 * Builds the principal for verified claims: `id` = `sub` (else `client_id` for client-credentials tokens),
 * `clientId` = `client_id` or `azp`, scopes from `scope`/`scp`, roles from the configured claim. Returns
 * `undefined` when the claims name no subject at all.
 */
export function principalFromClaims(
  claims: Readonly<Record<string, unknown>>,
  mapping: PrincipalMapping = {},
): Principal | undefined {
  const clientId =
    typeof claims.client_id === 'string'
      ? claims.client_id
      : typeof claims.azp === 'string'
        ? claims.azp
        : undefined;
  const sub = typeof claims.sub === 'string' && claims.sub.length > 0 ? claims.sub : clientId;
  if (sub === undefined || sub.length > 1024) return undefined;
  const input: { -readonly [K in keyof Principal]?: Principal[K] } & Pick<Principal, 'id' | 'kind'> = {
    id: sub,
    kind: 'oauth',
    scopes: scopesFromClaims(claims),
    roles: stringList(claimAtPath(claims, mapping.rolesClaim ?? 'roles')),
    claims,
    authenticatedBy: mapping.authenticatedBy ?? 'oauth',
  };
  if (clientId !== undefined) input.clientId = clientId;
  if (typeof claims.exp === 'number' && Number.isFinite(claims.exp)) input.expiresAt = claims.exp;
  return createPrincipal(input);
}
