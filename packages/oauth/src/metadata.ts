/** RFC 9728 OAuth 2.0 Protected Resource Metadata. */
export interface ProtectedResourceMetadata {
  resource: string;
  authorization_servers: string[];
  scopes_supported?: string[];
  bearer_methods_supported: ['header'];
  resource_name?: string;
  resource_documentation?: string;
}

/** Well-known suffix of RFC 9728 §3. */
export const PROTECTED_RESOURCE_WELL_KNOWN = '/.well-known/oauth-protected-resource';

/**
 * The well-known metadata paths for a resource: the path-inserted one (RFC 9728 §3.1: the well-known suffix goes
 * between host and path, `https://h/mcp` → `/.well-known/oauth-protected-resource/mcp`) and the root one, which
 * MCP clients also try. For a resource without a path both are the same.
 */
export function protectedResourceMetadataPaths(resource: string | URL): {
  pathInserted: string;
  root: string;
} {
  const url = new URL(resource);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  return { pathInserted: `${PROTECTED_RESOURCE_WELL_KNOWN}${path}`, root: PROTECTED_RESOURCE_WELL_KNOWN };
}

/** The absolute URL of the path-inserted metadata document (what goes into `resource_metadata="…"`). */
export function protectedResourceMetadataUrl(resource: string | URL): string {
  const url = new URL(resource);
  return new URL(protectedResourceMetadataPaths(url).pathInserted, url.origin).href;
}
