import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OAUTH_ERROR_CODES, TokenVerificationError } from './errors.js';
import { startIntrospectionServer } from './testing/servers.js';
import { createTokenVerifier } from './token-verifier.js';

const RESOURCE = 'http://127.0.0.1:3000/mcp';
const ISSUER = 'https://as.example.test';
const tokens = new Map<string, Record<string, unknown>>();
let server: Awaited<ReturnType<typeof startIntrospectionServer>>;

beforeAll(async () => {
  server = await startIntrospectionServer({ clientId: 'mcp rs', clientSecret: 'p@ss:word/&=+', tokens });
});
afterAll(() => server.close());

function verifier(cacheTtlSeconds = 60, clientSecret = 'p@ss:word/&=+') {
  return createTokenVerifier({
    resource: RESOURCE,
    issuer: ISSUER,
    clockToleranceSeconds: 0,
    introspection: { endpoint: server.endpoint, clientId: 'mcp rs', clientSecret, cacheTtlSeconds },
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

const now = () => Math.floor(Date.now() / 1000);

describe('RFC 7662 introspection', () => {
  it('authenticates with client_secret_basic (form-encoded id and secret) and maps the answer to a principal', async () => {
    tokens.set('t-basic', {
      active: true,
      sub: 'carol',
      client_id: 'app',
      aud: [RESOURCE],
      iss: ISSUER,
      exp: now() + 300,
      scope: 'notes:read notes:write',
      roles: 'editor',
    });
    const verified = await verifier().verify('t-basic');
    expect(verified.format).toBe('opaque');
    expect(verified.principal).toMatchObject({
      id: 'carol',
      clientId: 'app',
      scopes: ['notes:read', 'notes:write'],
      roles: ['editor'],
    });
    expect(await codeOf(verifier(60, 'wrong').verify('t-basic'))).toBe(
      OAUTH_ERROR_CODES.INTROSPECTION_FAILED,
    );
  });

  it('caches answers (one request for repeated tokens), never past exp', async () => {
    tokens.set('t-cache', { active: true, sub: 'dan', aud: RESOURCE, exp: now() + 300 });
    const v = verifier();
    const before = server.requests;
    await v.verify('t-cache');
    await v.verify('t-cache');
    await v.verify('t-cache');
    expect(server.requests - before).toBe(1);

    const exp = now() + 1;
    tokens.set('t-short', { active: true, sub: 'dan', aud: RESOURCE, exp });
    await v.verify('t-short');
    await new Promise((r) => setTimeout(r, exp * 1000 - Date.now() + 50));
    const mid = server.requests;
    // Past exp the cached answer is not used: the endpoint is asked again (and exp is then checked too).
    expect(await codeOf(v.verify('t-short'))).toBe(OAUTH_ERROR_CODES.TOKEN_EXPIRED);
    expect(server.requests - mid).toBe(1);
  });

  it('applies the audience rule: aud must contain this resource', async () => {
    tokens.set('t-noaud', { active: true, sub: 'eve', exp: now() + 300 });
    tokens.set('t-other', { active: true, sub: 'eve', exp: now() + 300, aud: 'http://127.0.0.1:3000/other' });
    expect(await codeOf(verifier().verify('t-noaud'))).toBe(OAUTH_ERROR_CODES.AUDIENCE_MISMATCH);
    expect(await codeOf(verifier().verify('t-other'))).toBe(OAUTH_ERROR_CODES.AUDIENCE_MISMATCH);
  });

  it('refuses a foreign issuer, "active": "true" (a string), and inactive tokens', async () => {
    tokens.set('t-iss', {
      active: true,
      sub: 'eve',
      exp: now() + 300,
      aud: RESOURCE,
      iss: 'https://evil.example',
    });
    tokens.set('t-string', { active: 'true', sub: 'eve', exp: now() + 300, aud: RESOURCE });
    expect(await codeOf(verifier().verify('t-iss'))).toBe(OAUTH_ERROR_CODES.ISSUER_MISMATCH);
    expect(await codeOf(verifier().verify('t-string'))).toBe(OAUTH_ERROR_CODES.TOKEN_INACTIVE);
    expect(await codeOf(verifier().verify('t-unknown'))).toBe(OAUTH_ERROR_CODES.TOKEN_INACTIVE);
  });

  it('fails closed when the endpoint errors', async () => {
    tokens.set('t-down', { active: true, sub: 'eve', exp: now() + 300, aud: RESOURCE });
    server.failWith(500);
    try {
      const error = await verifier(0)
        .verify('t-down')
        .catch((e: unknown) => e as TokenVerificationError);
      expect(error).toBeInstanceOf(TokenVerificationError);
      expect((error as TokenVerificationError).code).toBe(OAUTH_ERROR_CODES.INTROSPECTION_FAILED);
      expect((error as TokenVerificationError).reason).toContain('HTTP 500');
    } finally {
      server.failWith(undefined);
    }
  });
});
