import { startTestHttpServer, type TestHttpServer } from '@mcp-warden/core/testing';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oauth } from './plugin.js';
import { createTestKey, signAccessToken, type TestKey } from './testing/keys.js';
import { startJwksServer } from './testing/servers.js';

/** The plugin behind core's real HTTP edge, with a local JWKS server that goes down mid-test. */
const RESOURCE = 'http://127.0.0.1:3000/mcp';
const ISSUER = 'https://as.example.test';
let known: TestKey;
let rotated: TestKey;
let jwks: Awaited<ReturnType<typeof startJwksServer>>;
let server: TestHttpServer;

function post(token: string | undefined, url: URL = server.url): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
    }),
  });
}

beforeAll(async () => {
  known = await createTestKey('ES256');
  rotated = await createTestKey('ES256');
  jwks = await startJwksServer([known.publicJwk]);
  server = await startTestHttpServer({
    // No cooldown, so the unknown kid below triggers a refresh attempt against the stopped server at once.
    plugins: [
      oauth({
        resource: RESOURCE,
        issuer: ISSUER,
        jwksUri: jwks.url,
        tokenCache: false,
        jwks: { cooldownSeconds: 0 },
      }),
    ],
    createServer: () => new McpServer({ name: 'edge-test', version: '1.0.0' }),
    sessions: 'stateless',
    handlerOptions: { responseMode: 'json' },
  });
});

afterAll(async () => {
  await server.close();
  await jwks.stop();
});

describe('oauth behind the HTTP edge', () => {
  it('JWKS outage: cached kid still verifies; a new kid gets 401 invalid_token and a clear reason in the security event', async () => {
    expect((await post(await signAccessToken(known, { iss: ISSUER, aud: RESOURCE }))).status).toBe(200);
    await jwks.stop();
    expect((await post(await signAccessToken(known, { iss: ISSUER, aud: RESOURCE }))).status).toBe(200);

    const refused = await post(await signAccessToken(rotated, { iss: ISSUER, aud: RESOURCE }));
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toContain('error="invalid_token"');
    const event = server.events.events.findLast((e) => e.type === 'auth.failed');
    expect(event?.outcome).toBe('denied');
    expect(event?.reason).toContain(`no cached key with kid "${rotated.kid}"`);
    expect(event?.reason).toContain('refreshing the JWKS');
    const degraded = server.events.events.find((e) => e.type === 'store.degraded' && e.plugin === 'oauth');
    expect(degraded?.reason).toContain('serving cached keys');
    // No token (they all start with the base64url of '{"') in any event.
    expect(JSON.stringify(server.events.events)).not.toContain('eyJ');
  });

  it('never accepts a token in the query string', async () => {
    const token = await signAccessToken(known, { iss: ISSUER, aud: RESOURCE });
    const url = new URL(server.url);
    url.searchParams.set('access_token', token);
    const response = await post(undefined, url);
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(JSON.stringify(server.events.events)).not.toContain(token);
  });

  it('answers a missing token with 401 and a challenge without error', async () => {
    const response = await post(undefined);
    expect(response.status).toBe(401);
    const challenge = response.headers.get('www-authenticate') ?? '';
    expect(challenge).toBe(
      'Bearer resource_metadata="http://127.0.0.1:3000/.well-known/oauth-protected-resource/mcp"',
    );
  });
});
