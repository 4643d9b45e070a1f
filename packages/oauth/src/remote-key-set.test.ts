import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { OAUTH_ERROR_CODES, TokenVerificationError } from './errors.js';
import { createTestKey, signAccessToken } from './testing/keys.js';
import { listenLocal, startJwksServer } from './testing/servers.js';
import { createTokenVerifier } from './token-verifier.js';

const RESOURCE = 'http://127.0.0.1:3000/mcp';
const ISSUER = 'https://as.example.test';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function refusal(promise: Promise<unknown>): Promise<TokenVerificationError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TokenVerificationError);
  return error as TokenVerificationError;
}

describe('JWKS outage', () => {
  it('keeps verifying with cached keys while the JWKS server is down; a new kid fails closed with a clear reason', async () => {
    const known = await createTestKey('ES256');
    const rotated = await createTestKey('ES256');
    const server = await startJwksServer([known.publicJwk]);
    cleanups.push(() => server.stop());
    const statuses: { degraded: boolean; reason: string }[] = [];
    const verifier = createTokenVerifier({
      resource: RESOURCE,
      issuer: ISSUER,
      jwksUri: server.url,
      // No cooldown: the unknown kid below triggers a refresh attempt at once.
      jwks: { cacheMaxAgeSeconds: 1, cooldownSeconds: 0 },
      tokenCache: false,
      onJwksStatus: (s) => statuses.push(s),
    });
    const before = await verifier.verify(await signAccessToken(known, { iss: ISSUER, aud: RESOURCE }));
    expect(before.principal.id).toBe('alice');

    await server.stop();
    // Cached key: still verifies (repeatedly), even though every refresh attempt fails.
    for (let i = 0; i < 3; i++) {
      const verified = await verifier.verify(
        await signAccessToken(known, { iss: ISSUER, aud: RESOURCE, sub: `user-${i}` }),
      );
      expect(verified.principal.id).toBe(`user-${i}`);
    }
    // A token signed with a key the server would publish next: unknown kid, refresh fails → refused.
    const error = await refusal(
      verifier.verify(await signAccessToken(rotated, { iss: ISSUER, aud: RESOURCE })),
    );
    expect(error.code).toBe(OAUTH_ERROR_CODES.JWKS_UNAVAILABLE);
    expect(error.reason).toContain(`kid "${rotated.kid}"`);
    expect(error.reason).toMatch(/refreshing the JWKS from http:\/\/127\.0\.0\.1:\d+\/jwks failed/);
    expect(statuses.some((s) => s.degraded && s.reason.includes('serving cached keys'))).toBe(true);
  });

  it('serves stale keys past cacheMaxAge while the endpoint is down (unlike jose.createRemoteJWKSet), until maxStale', async () => {
    const key = await createTestKey('EdDSA');
    const server = await startJwksServer([key.publicJwk]);
    const settings = {
      resource: RESOURCE,
      issuer: ISSUER,
      jwksUri: server.url,
      algorithms: ['EdDSA' as const],
      tokenCache: false as const,
    };
    const lenient = createTokenVerifier({ ...settings, jwks: { cacheMaxAgeSeconds: 1, cooldownSeconds: 0 } });
    const strict = createTokenVerifier({
      ...settings,
      jwks: { cacheMaxAgeSeconds: 1, cooldownSeconds: 0, maxStaleSeconds: 1 },
    });
    const joseRemote = createRemoteJWKSet(new URL(server.url), { cacheMaxAge: 1000, cooldownDuration: 0 });
    const token = await signAccessToken(key, { iss: ISSUER, aud: RESOURCE });
    await lenient.verify(token);
    await strict.verify(token);
    await jwtVerify(token, joseRemote, { issuer: ISSUER, audience: RESOURCE });

    await server.stop();
    await new Promise((r) => setTimeout(r, 1100));
    // Keys are now stale and every refresh fails.
    await expect(lenient.verify(token)).resolves.toMatchObject({ format: 'jwt' });
    await expect(jwtVerify(token, joseRemote, { issuer: ISSUER, audience: RESOURCE })).rejects.toThrow();
    const error = await refusal(strict.verify(token));
    expect(error.code).toBe(OAUTH_ERROR_CODES.JWKS_UNAVAILABLE);
    expect(error.reason).toContain('cached keys are older than 1 s');
  });

  it('fails closed when the JWKS was never fetched, and does not hammer a failing endpoint', async () => {
    let hits = 0;
    const failing = await listenLocal((_req, res) => {
      hits++;
      res.writeHead(503).end();
    });
    cleanups.push(failing.close);
    const key = await createTestKey('RS256');
    const verifier = createTokenVerifier({
      resource: RESOURCE,
      issuer: ISSUER,
      jwksUri: `${failing.origin}/jwks`,
      tokenCache: false,
    });
    for (let i = 0; i < 5; i++) {
      const error = await refusal(
        verifier.verify(await signAccessToken(key, { iss: ISSUER, aud: RESOURCE })),
      );
      expect(error.code).toBe(OAUTH_ERROR_CODES.JWKS_UNAVAILABLE);
      expect(error.reason).toContain('HTTP 503');
    }
    // Default cooldown (30 s): one fetch for five verifications.
    expect(hits).toBe(1);
  });

  it('picks up a rotated key with one refresh when the endpoint is up', async () => {
    const first = await createTestKey('PS256');
    const second = await createTestKey('PS256');
    const server = await startJwksServer([first.publicJwk]);
    cleanups.push(() => server.stop());
    const verifier = createTokenVerifier({
      resource: RESOURCE,
      issuer: ISSUER,
      jwksUri: server.url,
      tokenCache: false,
      jwks: { cooldownSeconds: 0 },
    });
    await verifier.verify(await signAccessToken(first, { iss: ISSUER, aud: RESOURCE }));
    expect(server.requests).toBe(1);
    server.setKeys([first.publicJwk, second.publicJwk]);
    await verifier.verify(await signAccessToken(second, { iss: ISSUER, aud: RESOURCE }));
    expect(server.requests).toBe(2);
    await verifier.verify(await signAccessToken(second, { iss: ISSUER, aud: RESOURCE }));
    expect(server.requests).toBe(2);
  });

  it('ignores symmetric and private keys published in a JWKS', async () => {
    const key = await createTestKey('ES256');
    const server = await startJwksServer([{ kty: 'oct', k: 'c2VjcmV0', kid: key.kid, alg: 'HS256' }]);
    cleanups.push(() => server.stop());
    const verifier = createTokenVerifier({
      resource: RESOURCE,
      issuer: ISSUER,
      jwksUri: server.url,
      tokenCache: false,
      jwks: { cooldownSeconds: 0 },
    });
    const error = await refusal(verifier.verify(await signAccessToken(key, { iss: ISSUER, aud: RESOURCE })));
    expect(error.code).toBe(OAUTH_ERROR_CODES.KEY_NOT_FOUND);
  });
});
