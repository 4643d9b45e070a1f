import { AuthenticationError, ConfigError, type EdgeContext, type EdgeRequest } from '@mcp-warden/core';
import { pluginSetupContext } from '@mcp-warden/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { INVALID_TOKEN_MESSAGE } from './errors.js';
import { oauth } from './plugin.js';
import { createTestKey, signAccessToken, type TestKey } from './testing/keys.js';

// A gateway serves one endpoint per upstream (`/mcp/<name>`). Each is its own protected resource: a token the
// authorization server issued for one must not open another (RFC 8707 audience binding, MCP authorization spec
// "Token Audience Binding and Validation").

const ORIGIN = 'https://gw.example.com';
const ENDPOINTS = ['/mcp/notes', '/mcp/files', '/mcp/search'];
const ISSUER = 'https://as.example.com';
let key: TestKey;

beforeAll(async () => {
  key = await createTestKey('ES256');
});

const setupContext = pluginSetupContext();

const edgeContext: EdgeContext = { services: setupContext.services, emit() {} };

function plugin() {
  const [first, ...rest] = ENDPOINTS.map((path) => `${ORIGIN}${path}`);
  return oauth({ resource: first, endpointResources: rest, issuer: ISSUER, keys: [key.publicJwk] });
}

function to(path: string, token?: string): EdgeRequest {
  return {
    transport: 'http',
    method: 'POST',
    url: new URL(path, ORIGIN),
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  };
}

describe('oauth endpointResources: one protected resource per endpoint', () => {
  it('accepts a token at the endpoint it was issued for and refuses it, with the one message, at every other', async () => {
    const p = plugin();
    await p.setup(setupContext);
    for (const issuedFor of ENDPOINTS) {
      const token = await signAccessToken(key, { iss: ISSUER, aud: `${ORIGIN}${issuedFor}` });
      for (const path of ENDPOINTS) {
        const attempt = p.authenticate(to(path, token), edgeContext);
        if (path === issuedFor) {
          await expect(attempt).resolves.toMatchObject({ id: 'alice', authenticatedBy: 'oauth' });
        } else {
          const error = await attempt.then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(error).toBeInstanceOf(AuthenticationError);
          expect((error as AuthenticationError).message).toBe(INVALID_TOKEN_MESSAGE);
          expect((error as AuthenticationError).reason).toMatch(/aud/);
        }
      }
    }
  });

  it('challenges each endpoint with its own metadata and serves every metadata document', async () => {
    const p = plugin();
    await p.setup(setupContext);
    for (const path of ENDPOINTS)
      expect(p.challenge(to(path))?.params.resource_metadata).toBe(
        `${ORIGIN}/.well-known/oauth-protected-resource${path}`,
      );
    const routes = p.routes.filter((r) => r.path !== '/.well-known/oauth-protected-resource');
    expect(routes.map((r) => r.path)).toEqual(
      ENDPOINTS.map((path) => `/.well-known/oauth-protected-resource${path}`),
    );
    for (const [i, route] of routes.entries()) {
      const answer = await route.handle({ transport: 'http', headers: {} });
      expect(answer).toMatchObject({ status: 200, body: { resource: `${ORIGIN}${ENDPOINTS[i]}` } });
    }
  });

  it('checks a request to any other path against the first resource', async () => {
    const p = plugin();
    await p.setup(setupContext);
    const other = await signAccessToken(key, { iss: ISSUER, aud: `${ORIGIN}${ENDPOINTS[1]}` });
    await expect(p.authenticate(to('/elsewhere', other), edgeContext)).rejects.toBeInstanceOf(
      AuthenticationError,
    );
    const first = await signAccessToken(key, { iss: ISSUER, aud: `${ORIGIN}${ENDPOINTS[0]}` });
    await expect(p.authenticate(to('/elsewhere', first), edgeContext)).resolves.toMatchObject({
      id: 'alice',
    });
  });

  it('refuses two resources at one path, and a resource that is not a secure URL', () => {
    for (const endpointResources of [['https://other.example.com/mcp/a'], ['http://gw.example.com/mcp/b']]) {
      expect(() => {
        const p = oauth({
          resource: `${ORIGIN}/mcp/a`,
          endpointResources,
          issuer: ISSUER,
          keys: [key.publicJwk],
        });
        p.setup(setupContext);
      }).toThrow(ConfigError);
    }
  });
});
