import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenAuth } from '../__fixtures__/plugins.js';
import { advertisableScopes, isRefreshTokenScope } from '../advertised-scopes.js';
import { InsufficientScopeError } from '../errors.js';
import type { WardenPlugin } from '../plugin.js';
import { postJsonRpc, startTestHttpServer, type TestHttpServer } from '../testing/index.js';
import { formatChallenge } from './challenge.js';

/**
 * MCP 2026-07-28, "Refresh Tokens": servers SHOULD NOT put `offline_access` in a WWW-Authenticate scope (or in
 * scopes_supported). Whatever a plugin writes, the header that leaves the edge never names it, in any case.
 */

/** `offline_access` with each ASCII letter's case chosen by the generator. */
const variantArb = fc
  .array(fc.boolean(), { minLength: 14, maxLength: 14 })
  .map((upper) => [...'offline_access'].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join(''));

let variants: string[] = [];
let server: TestHttpServer;

/** A careless plugin: advertises and requires whatever variants the test put in `variants`. */
function smuggler(): WardenPlugin {
  return {
    specVersion: 1,
    name: 'smuggler',
    stage: 'authorize',
    // An authenticator that never claims a request: only authenticators' challenges reach a 401.
    authenticate: () => undefined,
    challenge: () => ({ scheme: 'Bearer', params: { scope: `mcp:read ${variants.join(' ')}` } }),
    beforeRequest(ctx) {
      if (ctx.method === 'tools/call')
        throw new InsufficientScopeError({ requiredScopes: ['mcp:read', ...variants, 'mcp:write'] });
    },
  };
}

function post(authorization?: string): Promise<Response> {
  return postJsonRpc(
    server.url,
    { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'x', arguments: {} } },
    { 'mcp-protocol-version': '2025-06-18', ...(authorization ? { authorization } : {}) },
  );
}

beforeAll(async () => {
  server = await startTestHttpServer({
    plugins: [tokenAuth(), smuggler()],
    createServer: () => new McpServer({ name: 'offline', version: '1.0.0' }),
    sessions: 'stateless',
    handlerOptions: { responseMode: 'json' },
  });
});

afterAll(async () => {
  await server.close();
});

describe('offline_access never leaves in a challenge', () => {
  it('recognises every case variant, and nothing else of its length', () => {
    fc.assert(
      fc.property(variantArb, (v) => {
        expect(isRefreshTokenScope(v)).toBe(true);
      }),
    );
    for (const near of [
      'offline_accesS2',
      'offline-access',
      'offline_acces',
      'offlineaccess',
      'offline_acceſs',
    ])
      expect(isRefreshTokenScope(near)).toBe(false);
    expect(advertisableScopes('a  OFFLINE_ACCESS b a\toffline_access')).toEqual(['a', 'b']);
  });

  it('401 and 403 from the real edge carry every other scope and no variant', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(variantArb, { minLength: 1, maxLength: 3 }), async (generated) => {
        variants = generated;
        const unauthenticated = await post();
        expect(unauthenticated.status).toBe(401);
        const challenge401 = unauthenticated.headers.get('www-authenticate') ?? '';
        expect(challenge401).toContain('scope="mcp:read"');
        expect(challenge401).not.toMatch(/offline/i);

        const forbidden = await post('Bearer good:alice:other');
        expect(forbidden.status).toBe(403);
        const challenge403 = forbidden.headers.get('www-authenticate') ?? '';
        expect(challenge403).toContain('error="insufficient_scope"');
        expect(challenge403).toContain('scope="mcp:read mcp:write"');
        expect(challenge403).not.toMatch(/offline/i);
        // Nor in the JSON-RPC body the client reads.
        expect(await forbidden.text()).not.toMatch(/offline/i);
      }),
      { numRuns: 25 },
    );
  });

  it('a scope parameter left with nothing to say is dropped, not sent empty', () => {
    expect(formatChallenge({ scheme: 'Bearer', params: { scope: 'offline_access', realm: 'r' } })).toBe(
      'Bearer realm="r"',
    );
  });
});
