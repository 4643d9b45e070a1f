import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminScope, tokenAuth } from '../__fixtures__/plugins.js';
import { AccessDeniedError, AuthenticationError, InsufficientScopeError } from '../errors.js';
import type { WardenPlugin } from '../plugin.js';
import { postJsonRpc, startTestHttpServer, type TestHttpServer } from '../testing/index.js';
import { refusalChallenge } from './challenge.js';

/** `refusalChallenge` is what the Node edge sends today, so a second edge built on it challenges identically. */

const scoped: WardenPlugin = {
  specVersion: 1,
  name: 'scoped-auth',
  authenticate: () => undefined,
  challenge: () => ({ scheme: 'Bearer', params: { realm: 'mcp', scope: 'mcp:read' } }),
};
let server: TestHttpServer;

beforeAll(async () => {
  server = await startTestHttpServer({
    plugins: [tokenAuth(), scoped, adminScope()],
    createServer: () => new McpServer({ name: 'challenges', version: '1.0.0' }),
    sessions: 'stateless',
    handlerOptions: { responseMode: 'json' },
  });
});

afterAll(async () => {
  await server.close();
});

function call(authorization?: string): Promise<Response> {
  return postJsonRpc(
    server.url,
    { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'admin_stats', arguments: {} } },
    { 'mcp-protocol-version': '2025-06-18', ...(authorization ? { authorization } : {}) },
  );
}

describe('refusalChallenge', () => {
  const challenges = () => server.warden.pipeline.challenges({ transport: 'http', headers: {} });
  const cases: [string, string | undefined, () => AuthenticationError | InsufficientScopeError][] = [
    ['no credential', undefined, () => new AuthenticationError()],
    ['invalid token', 'Bearer forged', () => new AuthenticationError({ oauthError: 'invalid_token' })],
    [
      'insufficient scope',
      'Bearer good:alice:other',
      () => new InsufficientScopeError({ requiredScopes: ['admin'] }),
    ],
  ];

  it.each(cases)('%s: the edge sends exactly refusalChallenge(...)', async (_label, authorization, error) => {
    const response = await call(authorization);
    expect(response.status).toBe(error().httpStatus);
    expect(response.headers.get('www-authenticate')).toBe(refusalChallenge(error(), challenges()));
  });

  it('gives no challenge for refusals that are not about credentials or scopes', () => {
    expect(refusalChallenge(new AccessDeniedError({ message: 'no' }), challenges())).toBeUndefined();
  });
});
