import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OAUTH_ERROR_CODES, type TokenVerificationError } from './errors.js';
import { startAuthorizationServer, type TestAuthorizationServer } from './testing/authorization-server.js';
import { createTokenVerifier } from './token-verifier.js';

/** The verifier against tokens from a real authorization server (oidc-provider), JWT and opaque. */
const RESOURCE = 'http://127.0.0.1:3000/mcp';
const OPAQUE_RESOURCE = 'http://127.0.0.1:3000/opaque-mcp';
let as: TestAuthorizationServer;

beforeAll(async () => {
  as = await startAuthorizationServer({ scopes: ['notes:read', 'notes:write'] });
  as.allowResource(RESOURCE);
  as.allowResource(OPAQUE_RESOURCE);
  as.allowResource('http://127.0.0.1:3000/elsewhere');
});
afterAll(() => as.close());

describe('tokens from oidc-provider', () => {
  it('verifies a JWT access token (JWKS discovery-free: issuer + jwks_uri)', async () => {
    const verifier = createTokenVerifier({
      resource: RESOURCE,
      issuer: as.issuer,
      jwksUri: as.jwksUri,
      requireTyp: true,
    });
    const token = await as.mintToken({ resource: RESOURCE, scope: 'notes:read' });
    const verified = await verifier.verify(token);
    expect(verified.principal.scopes).toEqual(['notes:read']);
    expect(verified.principal.clientId).toBe(as.serviceClient.clientId);
  });

  it('refuses a JWT issued for another resource', async () => {
    const verifier = createTokenVerifier({ resource: RESOURCE, issuer: as.issuer, jwksUri: as.jwksUri });
    const token = await as.mintToken({ resource: 'http://127.0.0.1:3000/elsewhere', scope: 'notes:read' });
    const error = await verifier.verify(token).catch((e: unknown) => e);
    expect((error as TokenVerificationError).code).toBe(OAUTH_ERROR_CODES.AUDIENCE_MISMATCH);
  });

  it('introspects an opaque token (client_secret_basic), and refuses it once revoked', async () => {
    const verifier = createTokenVerifier({
      resource: OPAQUE_RESOURCE,
      issuer: as.issuer,
      introspection: { endpoint: as.introspectionEndpoint, ...as.serviceClient, cacheTtlSeconds: 0 },
    });
    const token = await as.mintOpaqueToken({ resource: OPAQUE_RESOURCE, scope: 'notes:write' });
    expect(token.split('.')).toHaveLength(1);
    const verified = await verifier.verify(token);
    expect(verified.format).toBe('opaque');
    expect(verified.principal.scopes).toEqual(['notes:write']);
    const revoke = await fetch(`${as.issuer}/token/revocation`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${as.serviceClient.clientId}:${as.serviceClient.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token }).toString(),
    });
    expect(revoke.status).toBe(200);
    const error = await verifier.verify(token).catch((e: unknown) => e);
    expect((error as TokenVerificationError).code).toBe(OAUTH_ERROR_CODES.TOKEN_INACTIVE);
  });
});
