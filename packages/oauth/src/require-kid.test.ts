import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OAUTH_ERROR_CODES, TokenVerificationError } from './errors.js';
import { createTestKey, signAccessToken, signRaw, type TestKey } from './testing/keys.js';
import { startJwksServer } from './testing/servers.js';
import { createTokenVerifier, type TokenVerifierOptions } from './token-verifier.js';

/** Issue 13 item 7: a JWT without `kid` is refused unless `requireKid: false`. */
const RESOURCE = 'http://127.0.0.1:3000/mcp';
const ISSUER = 'https://as.example.test';
const ALGS = ['ES256', 'EdDSA', 'RS256', 'PS256'] as const;
const keys = new Map<string, TestKey>();
let jwks: Awaited<ReturnType<typeof startJwksServer>>;

beforeAll(async () => {
  for (const alg of ALGS) keys.set(alg, await createTestKey(alg));
  jwks = await startJwksServer([...keys.values()].map((k) => k.publicJwk));
});
afterAll(async () => {
  await jwks.stop();
});

function withoutKid(key: TestKey): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: ISSUER, aud: RESOURCE, sub: 'alice', iat: now, exp: now + 300 })
    .setProtectedHeader({ alg: key.alg, typ: 'at+jwt' })
    .sign(key.privateKey);
}

async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'accepted';
  } catch (error) {
    expect(error).toBeInstanceOf(TokenVerificationError);
    return (error as TokenVerificationError).code;
  }
}

// Every algorithm, against a single static key, all static keys, and the remote JWKS (where each alg has one key).
const sources: [string, (alg: (typeof ALGS)[number]) => Partial<TokenVerifierOptions>][] = [
  ['one static key', (alg) => ({ keys: [keys.get(alg)!.publicJwk] })],
  ['all static keys', () => ({ keys: [...keys.values()].map((k) => k.publicJwk) })],
  ['remote JWKS', () => ({ jwksUri: jwks.url, jwks: { cooldownSeconds: 0 } })],
];
const cases = ALGS.flatMap((alg) => sources.map(([name, source]) => [alg, name, source] as const));

describe('requireKid', () => {
  it.each(cases)(
    '%s with %s: refused without kid by default, accepted with requireKid: false',
    async (alg, _n, source) => {
      const key = keys.get(alg)!;
      const base = {
        resource: RESOURCE,
        issuer: ISSUER,
        tokenCache: false as const,
        algorithms: [...ALGS],
        ...source(alg),
      };
      const token = await withoutKid(key);
      expect(await outcome(createTokenVerifier(base).verify(token))).toBe(OAUTH_ERROR_CODES.KID_MISSING);
      expect(await outcome(createTokenVerifier({ ...base, requireKid: true }).verify(token))).toBe(
        OAUTH_ERROR_CODES.KID_MISSING,
      );
      expect(await outcome(createTokenVerifier({ ...base, requireKid: false }).verify(token))).toBe(
        'accepted',
      );
      // The same key with its kid is accepted either way.
      const named = await signAccessToken(key, { iss: ISSUER, aud: RESOURCE });
      expect(await outcome(createTokenVerifier(base).verify(named))).toBe('accepted');
    },
  );

  it.each([123, '', null, ['k'], { k: 1 }, true])(
    'refuses a kid that is not a non-empty string: %j',
    async (kid) => {
      const key = keys.get('ES256')!;
      const now = Math.floor(Date.now() / 1000);
      const token = signRaw(
        key,
        { alg: 'ES256', typ: 'at+jwt', kid },
        { iss: ISSUER, aud: RESOURCE, sub: 'alice', iat: now, exp: now + 300 },
      );
      for (const requireKid of [true, false]) {
        const v = createTokenVerifier({
          resource: RESOURCE,
          issuer: ISSUER,
          keys: [key.publicJwk],
          requireKid,
        });
        expect(await outcome(v.verify(token))).not.toBe('accepted');
      }
    },
  );
});
