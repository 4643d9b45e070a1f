import { ConfigError } from '@mcp-warden/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { OAUTH_ERROR_CODES, TokenVerificationError } from './errors.js';
import { createTestKey, signAccessToken, type TestKey } from './testing/keys.js';
import { createTokenVerifier, type TokenVerifierOptions } from './token-verifier.js';

const RESOURCE = 'https://mcp.example.com/mcp';
const ISSUER = 'https://as.example.com';
let es: TestKey;
let ed: TestKey;

beforeAll(async () => {
  es = await createTestKey('ES256');
  ed = await createTestKey('EdDSA');
});

function verifier(extra: Partial<TokenVerifierOptions> = {}) {
  return createTokenVerifier({
    resource: RESOURCE,
    issuer: ISSUER,
    keys: [es.publicJwk, ed.publicJwk],
    tokenCache: false,
    ...extra,
  });
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TokenVerificationError);
  return (error as TokenVerificationError).code;
}

describe('createTokenVerifier: JWT', () => {
  it('builds the principal from sub, client_id/azp, scope or scp, and roles at a claim path', async () => {
    const v = verifier({ rolesClaim: 'realm_access.roles' });
    const a = await v.verify(
      await signAccessToken(es, {
        iss: ISSUER,
        aud: [RESOURCE, 'other'],
        scope: 'a b a',
        realm_access: { roles: ['admin'] },
      }),
    );
    expect(a.principal).toMatchObject({
      id: 'alice',
      kind: 'oauth',
      clientId: 'client-1',
      scopes: ['a', 'b'],
      roles: ['admin'],
      authenticatedBy: 'oauth',
    });
    expect(a.format).toBe('jwt');
    expect(a.principal.expiresAt).toBe(a.expiresAt);
    const b = await v.verify(
      await signAccessToken(ed, {
        iss: ISSUER,
        aud: RESOURCE,
        scope: undefined,
        scp: ['x', 'y'],
        client_id: undefined,
        azp: 'app',
      }),
    );
    expect(b.principal).toMatchObject({ scopes: ['x', 'y'], clientId: 'app', roles: [] });
    const c = await v.verify(
      await signAccessToken(es, { iss: ISSUER, aud: RESOURCE, sub: undefined, client_id: 'machine' }),
    );
    expect(c.principal.id).toBe('machine');
    expect(
      await codeOf(
        v.verify(
          await signAccessToken(es, { iss: ISSUER, aud: RESOURCE, sub: undefined, client_id: undefined }),
        ),
      ),
    ).toBe(OAUTH_ERROR_CODES.CLAIM_INVALID);
  });

  it('accepts any of several issuers, and an origin resource with or without the trailing slash', async () => {
    const v = createTokenVerifier({
      resource: 'https://mcp.example.com',
      issuer: [ISSUER, 'https://as2.example.com'],
      keys: [es.publicJwk],
    });
    await expect(
      v.verify(await signAccessToken(es, { iss: 'https://as2.example.com', aud: 'https://mcp.example.com' })),
    ).resolves.toBeDefined();
    await expect(
      v.verify(await signAccessToken(es, { iss: ISSUER, aud: 'https://mcp.example.com/' })),
    ).resolves.toBeDefined();
  });

  it('requires typ at+jwt when asked (RFC 9068)', async () => {
    const v = verifier({ requireTyp: true });
    await expect(v.verify(await signAccessToken(es, { iss: ISSUER, aud: RESOURCE }))).resolves.toBeDefined();
    await expect(
      v.verify(await signAccessToken(es, { iss: ISSUER, aud: RESOURCE }, { typ: 'application/at+jwt' })),
    ).resolves.toBeDefined();
    expect(
      await codeOf(v.verify(await signAccessToken(es, { iss: ISSUER, aud: RESOURCE }, { typ: 'JWT' }))),
    ).toBe(OAUTH_ERROR_CODES.TYPE_MISMATCH);
    // An ID token (typ JWT, aud = client) is refused twice over.
    expect(
      await codeOf(v.verify(await signAccessToken(es, { iss: ISSUER, aud: 'client-1' }, { typ: 'JWT' }))),
    ).not.toBe('');
  });

  it('enforces the maximum token age and the clock tolerance', async () => {
    const now = Math.floor(Date.now() / 1000);
    const v = verifier({ maxTokenAgeSeconds: 60, clockToleranceSeconds: 30 });
    expect(
      await codeOf(v.verify(await signAccessToken(es, { iss: ISSUER, aud: RESOURCE, iat: now - 600 }))),
    ).toBe(OAUTH_ERROR_CODES.TOKEN_TOO_OLD);
    expect(
      await codeOf(v.verify(await signAccessToken(es, { iss: ISSUER, aud: RESOURCE, iat: undefined }))),
    ).toBe(OAUTH_ERROR_CODES.CLAIM_INVALID);
    // Expired 10 s ago, within the 30 s tolerance.
    await expect(
      v.verify(await signAccessToken(es, { iss: ISSUER, aud: RESOURCE, iat: now - 40, exp: now - 10 })),
    ).resolves.toBeDefined();
    expect(
      await codeOf(
        v.verify(await signAccessToken(es, { iss: ISSUER, aud: RESOURCE, iat: now - 50, exp: now - 45 })),
      ),
    ).toBe(OAUTH_ERROR_CODES.TOKEN_EXPIRED);
  });

  it('honours the algorithm allow-list', async () => {
    const v = verifier({ algorithms: ['EdDSA'] });
    await expect(v.verify(await signAccessToken(ed, { iss: ISSUER, aud: RESOURCE }))).resolves.toBeDefined();
    expect(await codeOf(v.verify(await signAccessToken(es, { iss: ISSUER, aud: RESOURCE })))).toBe(
      OAUTH_ERROR_CODES.ALGORITHM_NOT_ALLOWED,
    );
  });

  it('refuses an opaque token when no introspection is configured', async () => {
    expect(await codeOf(verifier().verify('opaque-token'))).toBe(OAUTH_ERROR_CODES.UNSUPPORTED_TOKEN);
  });
});

describe('verified-token cache', () => {
  it('returns the same verified result for a repeated token, and never past exp', async () => {
    const v = verifier({ tokenCache: { maxEntries: 10, ttlSeconds: 300 }, clockToleranceSeconds: 0 });
    const now = Math.floor(Date.now() / 1000);
    const token = await signAccessToken(es, { iss: ISSUER, aud: RESOURCE, exp: now + 2 });
    const first = await v.verify(token);
    expect(await v.verify(token)).toBe(first);
    await new Promise((r) => setTimeout(r, (now + 2) * 1000 - Date.now() + 50));
    expect(await codeOf(v.verify(token))).toBe(OAUTH_ERROR_CODES.TOKEN_EXPIRED);
  });

  it('never caches a refusal', async () => {
    const v = verifier({ tokenCache: {} });
    const token = await signAccessToken(es, { iss: 'https://evil.example', aud: RESOURCE });
    expect(await codeOf(v.verify(token))).toBe(OAUTH_ERROR_CODES.ISSUER_MISMATCH);
    expect(await codeOf(v.verify(token))).toBe(OAUTH_ERROR_CODES.ISSUER_MISMATCH);
  });
});

describe('configuration errors (thrown at creation, never echoing secrets)', () => {
  const base = { resource: RESOURCE, issuer: ISSUER, keys: [] as never[] };
  const cases: [string, () => unknown, RegExp][] = [
    [
      'HMAC algorithm',
      () =>
        createTokenVerifier({
          ...base,
          keys: undefined,
          jwksUri: 'https://as.example.com/jwks',
          algorithms: ['HS256' as never],
        }),
      /HS256.*never "none" or HMAC/,
    ],
    [
      'none algorithm',
      () =>
        createTokenVerifier({
          ...base,
          keys: undefined,
          jwksUri: 'https://as.example.com/jwks',
          algorithms: ['none' as never],
        }),
      /"none"/,
    ],
    [
      'no key source',
      () => createTokenVerifier({ resource: RESOURCE, issuer: ISSUER }),
      /no way to verify tokens/,
    ],
    [
      'missing issuer',
      () => createTokenVerifier({ resource: RESOURCE, jwksUri: 'https://as.example.com/jwks' }),
      /issuer is required/,
    ],
    [
      'plain http JWKS',
      () => createTokenVerifier({ ...base, keys: undefined, jwksUri: 'http://as.example.com/jwks' }),
      /jwksUri must use https/,
    ],
    [
      'symmetric key',
      () => createTokenVerifier({ ...base, keys: [{ kty: 'oct', k: 'c2VjcmV0' }] }),
      /symmetric/,
    ],
    [
      'private key',
      () => createTokenVerifier({ ...base, keys: [{ kty: 'EC', crv: 'P-256', x: 'a', y: 'b', d: 'c' }] }),
      /private material/,
    ],
    [
      'resource fragment',
      () =>
        createTokenVerifier({
          ...base,
          resource: 'https://mcp.example.com/mcp#x',
          keys: undefined,
          jwksUri: 'https://as.example.com/jwks',
        }),
      /fragment/,
    ],
    [
      'unknown option',
      () =>
        createTokenVerifier({
          ...base,
          keys: undefined,
          jwksUri: 'https://as.example.com/jwks',
          audience: 'x',
        } as never),
      /audience/,
    ],
  ];
  it.each(cases)('%s', (_name, create, message) => {
    let error: unknown;
    try {
      create();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(message);
  });

  it('does not echo the introspection secret', () => {
    let error: unknown;
    try {
      createTokenVerifier({
        resource: RESOURCE,
        introspection: {
          endpoint: 'http://as.example.com/introspect',
          clientId: 'rs',
          clientSecret: 'TOPSECRET-123',
        },
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/introspection.endpoint must use https/);
    expect((error as Error).message).not.toContain('TOPSECRET');
  });
});
