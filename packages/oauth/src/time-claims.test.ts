import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { OAUTH_ERROR_CODES, TokenVerificationError } from './errors.js';
import { createTestKey, signAccessToken, signRaw, type TestKey } from './testing/keys.js';
import { startIntrospectionServer } from './testing/servers.js';
import { createTokenVerifier } from './token-verifier.js';

/** Issue 13 item 6: `iat` in the future and time claims that are not numbers. */
const RESOURCE = 'https://mcp.example.com/mcp';
const ISSUER = 'https://as.example.com';
let key: TestKey;

beforeAll(async () => {
  key = await createTestKey('ES256');
});

async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'accepted';
  } catch (error) {
    expect(error).toBeInstanceOf(TokenVerificationError);
    return (error as TokenVerificationError).code;
  }
}

const now = () => Math.floor(Date.now() / 1000);

describe('iat in the future', () => {
  // With and without a maximum age: jose checks a future iat only when maxTokenAge is set.
  const configurations = [
    { clockToleranceSeconds: 0 },
    { clockToleranceSeconds: 5 },
    { clockToleranceSeconds: 120 },
    { clockToleranceSeconds: 30, maxTokenAgeSeconds: 3600 },
  ];

  for (const config of configurations) {
    const tolerance = config.clockToleranceSeconds;
    const verifier = () =>
      createTokenVerifier({
        resource: RESOURCE,
        issuer: ISSUER,
        keys: [key.publicJwk],
        tokenCache: false,
        ...config,
      });

    it(`refuses iat beyond the tolerance, accepts it within (${JSON.stringify(config)})`, async () => {
      const v = verifier();
      await fc.assert(
        fc.asyncProperty(
          // Beyond: at least 30 s past the tolerance (a second ticking between signing and verifying cannot
          // bring it back), up to ten years ahead.
          fc.integer({ min: tolerance + 30, max: 10 * 365 * 86_400 }),
          async (ahead) => {
            const iat = now() + ahead;
            const token = await signAccessToken(key, { iss: ISSUER, aud: RESOURCE, iat, exp: iat + 300 });
            expect(await outcome(v.verify(token))).toBe(OAUTH_ERROR_CODES.TOKEN_ISSUED_IN_FUTURE);
          },
        ),
        { numRuns: 40 },
      );
      await fc.assert(
        fc.asyncProperty(
          // Within: from an hour ago (inside any maximum age above) to exactly the tolerance ahead.
          fc.integer({ min: -Math.min(3000, config.maxTokenAgeSeconds ?? 3000), max: tolerance }),
          async (offset) => {
            const iat = now() + offset;
            const token = await signAccessToken(key, { iss: ISSUER, aud: RESOURCE, iat, exp: now() + 300 });
            expect(await outcome(v.verify(token))).toBe('accepted');
          },
        ),
        { numRuns: 40 },
      );
    });
  }

  it('refuses a future iat reported by introspection too', async () => {
    const tokens = new Map<string, Record<string, unknown>>([
      ['future', { active: true, sub: 'a', aud: RESOURCE, iat: now() + 86_400, exp: now() + 90_000 }],
      ['fine', { active: true, sub: 'a', aud: RESOURCE, iat: now(), exp: now() + 300 }],
    ]);
    const server = await startIntrospectionServer({ clientId: 'rs', clientSecret: 'secret', tokens });
    try {
      const v = createTokenVerifier({
        resource: RESOURCE,
        introspection: {
          endpoint: server.endpoint,
          clientId: 'rs',
          clientSecret: 'secret',
          cacheTtlSeconds: 0,
        },
      });
      expect(await outcome(v.verify('future'))).toBe(OAUTH_ERROR_CODES.TOKEN_ISSUED_IN_FUTURE);
      expect(await outcome(v.verify('fine'))).toBe('accepted');
    } finally {
      await server.close();
    }
  });
});

describe('time claims that are not finite numbers', () => {
  const header = () => ({ alg: 'ES256', kid: key.kid, typ: 'at+jwt' });
  // JSON text of the claim value: strings, null, booleans, arrays, objects, and numbers JSON parses to Infinity.
  const values = ['"1700000000"', '""', 'null', 'true', '[1700000000]', '{}', '1e999', '-1e999', '-1'];

  for (const claim of ['iat', 'nbf', 'exp'] as const) {
    it.each(values)(`refuses "${claim}": %s`, async (value) => {
      const v = createTokenVerifier({
        resource: RESOURCE,
        issuer: ISSUER,
        keys: [key.publicJwk],
        tokenCache: false,
      });
      const t = now();
      const base: Record<string, string> = {
        iss: JSON.stringify(ISSUER),
        aud: JSON.stringify(RESOURCE),
        sub: '"alice"',
        iat: String(t),
        exp: String(t + 300),
      };
      base[claim] = value;
      const json = `{${Object.entries(base)
        .map(([k, v]) => `"${k}":${v}`)
        .join(',')}}`;
      const code = await outcome(v.verify(signRaw(key, header(), json)));
      // None may be accepted; a bad iat is refused as an invalid claim (jose refuses some exp/nbf forms itself).
      if (claim === 'iat') expect(code).toBe(OAUTH_ERROR_CODES.CLAIM_INVALID);
      else expect(code).not.toBe('accepted');
    });
  }
});
