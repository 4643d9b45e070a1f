import { type InsufficientScopeError, WardenError } from '@mcp-warden/core';
import {
  fakePrincipal,
  pluginSetupContext,
  postJsonRpc,
  startTestHttpServer,
  type TestHttpServer,
} from '@mcp-warden/core/testing';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScopePolicy, oauth } from './plugin.js';
import { startAuthorizationServer, type TestAuthorizationServer } from './testing/authorization-server.js';
import { createTestKey, type TestKey } from './testing/keys.js';
import { bearerChallenges, challengeScopes } from './testing/www-authenticate.js';

/**
 * MCP 2026-07-28, "Scope Challenge Handling": servers SHOULD include all scopes required for the current operation
 * in a single challenge; challenging one missing scope at a time forces a round trip per scope. Tokens come from a
 * real authorization server (oidc-provider); the refusals from core's real HTTP edge.
 */

// delete_note needs three scopes from three rule kinds: global, by method, by tool.
const THREE = ['mcp:read', 'notes:write', 'tools:call'];
let as: TestAuthorizationServer;
let server: TestHttpServer;

function notesServer(): McpServer {
  const mcp = new McpServer({ name: 'notes', version: '1.0.0' });
  mcp.registerTool('delete_note', { description: 'Deletes a note' }, async () => ({
    content: [{ type: 'text', text: 'deleted' }],
  }));
  mcp.registerTool('read_note', { description: 'Reads a note' }, async () => ({
    content: [{ type: 'text', text: 'note' }],
  }));
  mcp.registerTool('purge', { description: 'Purges everything' }, async () => ({
    content: [{ type: 'text', text: 'purged' }],
  }));
  return mcp;
}

function callTool(token: string, name: string): Promise<Response> {
  return postJsonRpc(
    server.url,
    { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name, arguments: {} } },
    { 'mcp-protocol-version': '2025-06-18', authorization: `Bearer ${token}` },
  );
}

beforeAll(async () => {
  as = await startAuthorizationServer({ scopes: [...THREE, 'notes:read', 'mcp:write', 'mcp:admin'] });
  server = await startTestHttpServer({
    plugins: (url) => {
      as.allowResource(url.href);
      return [
        oauth({
          resource: url.href,
          issuer: as.issuer,
          jwksUri: as.jwksUri,
          requiredScopes: ['mcp:read'],
          methods: { 'tools/call': ['tools:call'] },
          tools: { delete_note: ['notes:write'], read_note: ['notes:read'], purge: ['mcp:admin'] },
          scopeHierarchy: {
            implies: { 'mcp:admin': ['mcp:write'], 'mcp:write': ['mcp:read'], 'notes:write': ['notes:read'] },
          },
        }),
      ];
    },
    createServer: notesServer,
    sessions: 'stateless',
    handlerOptions: { responseMode: 'json' },
  });
});

afterAll(async () => {
  await server.close();
  await as.close();
});

/** Every proper subset of `items` (the empty one included). */
function properSubsets<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let mask = 0; mask < (1 << items.length) - 1; mask++)
    out.push(items.filter((_, i) => (mask & (1 << i)) !== 0));
  return out;
}

describe('403 insufficient_scope: every scope of the operation in one challenge', () => {
  it.each(properSubsets(THREE).map((held) => [held.join(' ') || '(none)', held] as const))(
    'a token holding %s gets one 403 naming all three scopes',
    async (_label, held) => {
      const token = await as.mintToken({ resource: server.url.href, scope: held.join(' ') });
      const response = await callTool(token, 'delete_note');
      expect(response.status).toBe(403);
      const bearer = bearerChallenges(response);
      expect(bearer).toHaveLength(1);
      const [challenge] = bearer;
      expect(challenge?.params.error).toBe('insufficient_scope');
      // The minimum for the operation, already-granted scopes included: a client that re-authorizes with exactly
      // this set (or unions it with what it asked for before) succeeds on the next try.
      expect(challengeScopes(challenge)).toEqual(THREE);
      expect(challenge?.params.resource_metadata).toBe(
        `${server.url.origin}/.well-known/oauth-protected-resource/mcp`,
      );
      // The JSON-RPC body says the same, and the event names exactly what was missing.
      const body = (await response.json()) as { error?: { data?: { requiredScopes?: string[] } } };
      expect(body.error?.data?.requiredScopes).toEqual(THREE);
      const event = server.events.events.findLast((e) => e.type === 'access.denied');
      for (const scope of THREE.filter((s) => !held.includes(s))) expect(event?.reason).toContain(scope);
    },
  );

  it('retrying with exactly the challenged scopes succeeds (one round trip, not one per scope)', async () => {
    const first = await callTool(
      await as.mintToken({ resource: server.url.href, scope: 'mcp:read' }),
      'delete_note',
    );
    const scope = challengeScopes(bearerChallenges(first)[0]).join(' ');
    const retry = await callTool(await as.mintToken({ resource: server.url.href, scope }), 'delete_note');
    expect(retry.status).toBe(200);
    const body = (await retry.json()) as { result?: { content?: unknown } };
    expect(body.result?.content).toEqual([{ type: 'text', text: 'deleted' }]);
  });
});

describe('scope hierarchies behind the edge (MCP 2026-07-28: a broader scope implies narrower ones)', () => {
  const token = (scope: string) => as.mintToken({ resource: server.url.href, scope });

  it('a broader scope satisfies a narrower requirement, through a chain', async () => {
    // mcp:admin → mcp:write → mcp:read (global), notes:write → notes:read (read_note).
    const response = await callTool(await token('mcp:admin tools:call notes:write'), 'read_note');
    expect(response.status).toBe(200);
  });

  it('a narrower scope never satisfies a broader requirement', async () => {
    for (const held of ['mcp:read tools:call', 'mcp:write tools:call notes:write']) {
      const response = await callTool(await token(held), 'purge');
      expect(response.status).toBe(403);
      expect(challengeScopes(bearerChallenges(response)[0])).toEqual(['mcp:admin', 'mcp:read', 'tools:call']);
    }
  });
});

describe('the required set is the union of every matching rule (generated configurations)', () => {
  const scope = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'x:y', 'x:z');
  const scopes = fc.uniqueArray(scope, { maxLength: 3 });
  const toolName = fc.constantFrom('alpha', 'alpine', 'beta', 'al*', '*a', 'b*ta', '*');

  const RESOURCE = 'https://mcp.example.com/mcp';
  let key: TestKey;
  beforeAll(async () => {
    key = await createTestKey('ES256');
  });

  it('refuses with the whole union whenever anything is missing, and passes only when nothing is', () => {
    fc.assert(
      fc.property(
        scopes,
        fc.dictionary(fc.constantFrom('tools/call', 'tools/*', '**'), scopes),
        fc.dictionary(toolName, scopes),
        fc.constantFrom('alpha', 'alpine', 'beta'),
        fc.uniqueArray(scope, { maxLength: 8 }),
        (requiredScopes, methods, tools, name, held) => {
          const options = { requiredScopes, methods, tools };
          // Oracle: every rule whose pattern matches adds its scopes, written as a filter over all rules.
          const glob = (p: string, s: string) =>
            new RegExp(`^${p.replace(/\*/g, '.*').replace(/\?/g, '.').replace(/\//g, '\\/')}$`).test(s);
          const expected = new Set(requiredScopes);
          for (const [p, list] of Object.entries(methods))
            if (glob(p, 'tools/call')) for (const s of list) expected.add(s);
          for (const [p, list] of Object.entries(tools))
            if (glob(p, name)) for (const s of list) expected.add(s);
          const union = [...expected].sort();
          const ctx = { method: 'tools/call', target: { type: 'tool' as const, name } };
          expect(createScopePolicy(options).requiredFor(ctx)).toEqual(union);

          const plugin = oauth({ resource: RESOURCE, issuer: as.issuer, keys: [key.publicJwk], ...options });
          plugin.setup(pluginSetupContext());
          const principal = fakePrincipal({ scopes: held, authenticatedBy: 'oauth', kind: 'oauth' });
          let refusal: unknown;
          try {
            plugin.beforeRequest({ ...ctx, principal } as never);
          } catch (error) {
            refusal = error;
          }
          const missing = union.filter((s) => !held.includes(s));
          if (missing.length === 0) expect(refusal).toBeUndefined();
          else {
            expect(WardenError.isInstance(refusal)).toBe(true);
            expect((refusal as InsufficientScopeError).requiredScopes).toEqual(union);
            expect((refusal as InsufficientScopeError).httpStatus).toBe(403);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
