import { postJsonRpc, startTestHttpServer, type TestHttpServer } from '@mcp-warden/core/testing';
import { extractWWWAuthenticateParams } from '@modelcontextprotocol/sdk/client/auth.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OAuthOptions, oauth } from './plugin.js';
import { startAuthorizationServer, type TestAuthorizationServer } from './testing/authorization-server.js';
import { bearerChallenges, challengeScopes } from './testing/www-authenticate.js';

/**
 * MCP 2026-07-28, "Scope Selection Strategy": the 401 challenge SHOULD carry `scope` (what to request to use the
 * endpoint) beside `resource_metadata`; clients use it before falling back to scopes_supported. Against a real
 * authorization server (oidc-provider), which itself lists `offline_access`: the resource never passes it on.
 */

type ScopeOptions = Pick<OAuthOptions, 'requiredScopes' | 'scopesSupported'>;
const configs: [string, ScopeOptions, string[]][] = [
  ['required only', { requiredScopes: ['mcp:read'] }, ['mcp:read']],
  ['supported only', { scopesSupported: ['mcp:read', 'notes:read'] }, ['mcp:read', 'notes:read']],
  [
    'both, overlapping',
    { requiredScopes: ['mcp:read'], scopesSupported: ['notes:read', 'mcp:read'] },
    ['mcp:read', 'notes:read'],
  ],
];

let as: TestAuthorizationServer;
const servers: TestHttpServer[] = [];

async function start(scopes: ScopeOptions): Promise<TestHttpServer> {
  const server = await startTestHttpServer({
    plugins: (url) => {
      as.allowResource(url.href);
      return [oauth({ resource: url.href, issuer: as.issuer, jwksUri: as.jwksUri, ...scopes })];
    },
    createServer: () => new McpServer({ name: 'scoped', version: '1.0.0' }),
    sessions: 'stateless',
    handlerOptions: { responseMode: 'json' },
  });
  servers.push(server);
  return server;
}

function ping(server: TestHttpServer, token?: string): Promise<Response> {
  return postJsonRpc(
    server.url,
    { jsonrpc: '2.0', id: 1, method: 'ping' },
    { 'mcp-protocol-version': '2025-06-18', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  );
}

beforeAll(async () => {
  as = await startAuthorizationServer({ scopes: ['mcp:read', 'notes:read'] });
});

afterAll(async () => {
  for (const server of servers) await server.close();
  await as.close();
});

describe('401 challenges carry scope and resource_metadata', () => {
  it.each(configs)('%s', async (_label, scopes, expected) => {
    const server = await start(scopes);
    const metadataUrl = `${server.url.origin}/.well-known/oauth-protected-resource/mcp`;
    // A token the authorization server really issued, but for another resource (audience): still a 401.
    as.allowResource('https://elsewhere.example.com/mcp');
    const foreign = await as.mintToken({ resource: 'https://elsewhere.example.com/mcp', scope: 'mcp:read' });
    const refusals: [string | undefined, string | undefined][] = [
      [undefined, undefined],
      ['not-a-token', 'invalid_token'],
      [foreign, 'invalid_token'],
    ];
    for (const [token, error] of refusals) {
      const response = await ping(server, token);
      expect(response.status).toBe(401);
      const [challenge, ...others] = bearerChallenges(response);
      expect(others).toEqual([]);
      expect(challengeScopes(challenge)).toEqual(expected);
      expect(challenge?.params.resource_metadata).toBe(metadataUrl);
      expect(challenge?.params.error).toBe(error);
      // The SDK client reads the same thing from it.
      const sdk = extractWWWAuthenticateParams(response);
      expect(sdk.scope?.split(' ').sort()).toEqual(expected);
      expect(sdk.resourceMetadataUrl?.href).toBe(metadataUrl);
    }
  });

  it('without requiredScopes or scopesSupported there is no scope to give, and setup says so', async () => {
    const server = await start({});
    const [challenge] = bearerChallenges(await ping(server));
    expect(challenge?.params.scope).toBeUndefined();
    expect(challenge?.params.resource_metadata).toBeDefined();
    const warning = server.events.events.find((e) => e.type === 'config.warning' && e.plugin === 'oauth');
    expect(warning?.reason).toContain('no scope on 401 challenges');
  });

  it('the authorization server lists offline_access; the resource advertises it nowhere', async () => {
    const discovery = (await (await fetch(`${as.issuer}/.well-known/openid-configuration`)).json()) as {
      scopes_supported?: string[];
    };
    expect(discovery.scopes_supported).toContain('offline_access');
    const server = await start({ requiredScopes: ['mcp:read'], scopesSupported: ['mcp:read', 'notes:read'] });
    const metadata = await (
      await fetch(`${server.url.origin}/.well-known/oauth-protected-resource/mcp`)
    ).text();
    const challenge = (await ping(server)).headers.get('www-authenticate') ?? '';
    for (const text of [metadata, challenge]) expect(text).not.toMatch(/offline/i);
  });
});
