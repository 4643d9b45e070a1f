import { AccessDeniedError, AuthenticationError, InsufficientScopeError, RateLimitError } from '../errors.js';
import type { WardenPlugin } from '../plugin.js';
import { createPrincipal } from '../principal.js';

/**
 * Test authenticator: `Authorization: Bearer good:<id>:<scope,scope>` authenticates `<id>`; any other bearer
 * value is an invalid credential; no header means "not mine".
 */
export function tokenAuth(): WardenPlugin {
  return {
    specVersion: 1,
    name: 'token-auth',
    authenticate(request) {
      const header =
        request.headers.authorization ??
        (request.env?.TEST_TOKEN ? `Bearer ${request.env.TEST_TOKEN}` : undefined);
      if (!header) return undefined;
      const match = /^Bearer good:([a-z0-9-]+):?([a-z:,]*)$/.exec(header);
      if (!match)
        throw new AuthenticationError({
          oauthError: 'invalid_token',
          reason: 'token not recognised',
          details: { length: header.length },
        });
      return createPrincipal({ id: match[1]!, kind: 'test', scopes: match[2] ? match[2].split(',') : [] });
    },
    challenge: () => ({
      scheme: 'Bearer',
      params: { resource_metadata: 'http://127.0.0.1/.well-known/oauth-protected-resource/mcp' },
    }),
    routes: [
      { method: 'GET', path: '/.well-known/test-route', handle: () => ({ status: 200, body: { ok: true } }) },
    ],
  };
}

/** Refuses `admin_stats` unless the principal has scope `admin`, with step-up. */
export function adminScope(): WardenPlugin {
  return {
    specVersion: 1,
    name: 'admin-scope',
    stage: 'authorize',
    beforeRequest(ctx) {
      if (
        ctx.target?.type === 'tool' &&
        ctx.target.name === 'admin_stats' &&
        !ctx.principal.scopes.includes('admin')
      ) {
        throw new InsufficientScopeError({ requiredScopes: ['admin'], reason: 'admin_stats needs admin' });
      }
    },
  };
}

/** Denies tools named in `denied`, and hides them from lists. */
export function denyTools(denied: string[], mode: 'enforce' | 'audit' = 'enforce'): WardenPlugin {
  return {
    specVersion: 1,
    name: 'deny-tools',
    stage: 'authorize',
    mode,
    beforeRequest(ctx) {
      if (ctx.target?.type === 'tool' && denied.includes(ctx.target.name)) {
        throw new AccessDeniedError({
          message: `Access denied: tools:call ${ctx.target.name}.`,
          reason: `rule: deny ${ctx.target.name}`,
        });
      }
    },
    filterListItem: (item) => !(item.type === 'tool' && denied.includes(item.name)),
  };
}

/** Always answers 429. */
export function alwaysLimited(): WardenPlugin {
  return {
    specVersion: 1,
    name: 'always-limited',
    stage: 'admission',
    beforeRequest(ctx) {
      if (ctx.method === 'tools/call')
        throw new RateLimitError({ retryAfterSeconds: 7, reason: 'test budget exhausted' });
    },
  };
}
