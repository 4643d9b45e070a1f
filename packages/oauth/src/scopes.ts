/** Scope parsing (the scope hierarchy lives in core, shared with every plugin that decides on scopes). */
export { ScopeHierarchy, type ScopeHierarchyOptions } from '@mcp-warden/core';

/** RFC 6749 §3.3 `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** True when `value` is one valid RFC 6749 scope token (printable ASCII without space, `"` and `\`). */
export function isScopeToken(value: string): boolean {
  return SCOPE_TOKEN.test(value);
}

/**
 * Scopes from token claims: the space-separated `scope` string (RFC 8693 / RFC 9068), else `scp` as an array or
 * string (Azure AD, Okta). Invalid tokens and duplicates are dropped; at most 256 scopes are kept.
 */
export function scopesFromClaims(claims: Readonly<Record<string, unknown>>): string[] {
  const raw = typeof claims.scope === 'string' ? claims.scope : claims.scp;
  let list: unknown[] = [];
  if (typeof raw === 'string') list = raw.split(' ');
  else if (Array.isArray(raw)) list = raw;
  const out = new Set<string>();
  for (const item of list) {
    if (typeof item === 'string' && item.length <= 256 && isScopeToken(item)) out.add(item);
    if (out.size >= 256) break;
  }
  return [...out];
}
