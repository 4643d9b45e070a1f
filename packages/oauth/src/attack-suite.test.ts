import { createHmac, createPublicKey } from 'node:crypto';
import { AuthenticationError, type EdgeRequest } from '@mcp-warden/core';
import { pluginSetupContext } from '@mcp-warden/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OAUTH_ERROR_CODES } from './errors.js';
import { oauth } from './plugin.js';
import { b64url, createTestKey, rawJws, signAccessToken, signRaw, type TestKey } from './testing/keys.js';
import { listenLocal, startIntrospectionServer, startJwksServer } from './testing/servers.js';

/**
 * The attack suite of issue 4: every case is a request the OAuth plugin must refuse with HTTP 401
 * (`AuthenticationError`), each with its precise reason code.
 */
const RESOURCE = 'http://127.0.0.1:3000/mcp';
const ISSUER = 'https://as.example.test';

let rsa: TestKey;
let ec: TestKey;
let attacker: TestKey;
let jwks: Awaited<ReturnType<typeof startJwksServer>>;
let introspection: Awaited<ReturnType<typeof startIntrospectionServer>>;
let plugin: ReturnType<typeof oauth>;
const opaque = new Map<string, Record<string, unknown>>();

function edge(headers: Record<string, string>, url = RESOURCE): EdgeRequest {
  return { transport: 'http', method: 'POST', url: new URL(url), headers };
}

const edgeCtx = { services: pluginSetupContext().services, emit() {} };

async function refused(
  token: string,
  code: string,
  oauthError: 'invalid_token' | 'invalid_request' = 'invalid_token',
): Promise<AuthenticationError> {
  const error = await plugin.authenticate(edge({ authorization: `Bearer ${token}` }), edgeCtx).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AuthenticationError);
  const auth = error as AuthenticationError;
  expect(auth.httpStatus).toBe(401);
  expect(auth.oauthError).toBe(oauthError);
  expect(auth.code).toBe(code);
  // Neither the client message nor the recorded reason carries the token.
  expect(auth.message).not.toContain(token.slice(-20));
  expect(auth.reason ?? '').not.toContain(token.slice(-20));
  return auth;
}

function claims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: ISSUER,
    aud: RESOURCE,
    sub: 'mallory',
    iat: now,
    exp: now + 300,
    scope: 'notes:read',
    ...extra,
  };
}

beforeAll(async () => {
  rsa = await createTestKey('RS256');
  ec = await createTestKey('ES256');
  attacker = await createTestKey('ES256');
  jwks = await startJwksServer([rsa.publicJwk, ec.publicJwk]);
  introspection = await startIntrospectionServer({
    clientId: 'mcp-server',
    clientSecret: 's3cret value',
    tokens: opaque,
  });
  plugin = oauth({
    resource: RESOURCE,
    issuer: ISSUER,
    jwksUri: jwks.url,
    introspection: {
      endpoint: introspection.endpoint,
      clientId: 'mcp-server',
      clientSecret: 's3cret value',
      cacheTtlSeconds: 0,
    },
    tokenCache: false,
  });
  await plugin.setup(pluginSetupContext());
});

afterAll(async () => {
  await jwks.stop();
  await introspection.close();
});

describe('attack suite: every forged or misdirected token gets 401', () => {
  it('accepts a genuine token (control case)', async () => {
    const token = await signAccessToken(ec, { iss: ISSUER, aud: RESOURCE });
    const principal = await plugin.authenticate(edge({ authorization: `Bearer ${token}` }), edgeCtx);
    expect(principal?.id).toBe('alice');
    expect(principal?.authenticatedBy).toBe('oauth');
  });

  it.each(['none', 'None', 'NONE', 'nOnE'])('refuses alg "%s"', async (alg) => {
    await refused(
      rawJws({ alg, kid: ec.kid, typ: 'at+jwt' }, claims()),
      OAUTH_ERROR_CODES.ALGORITHM_NOT_ALLOWED,
    );
    await refused(rawJws({ alg, typ: 'at+jwt' }, claims()), OAUTH_ERROR_CODES.ALGORITHM_NOT_ALLOWED);
  });

  it('refuses HS256 signed with the RSA public key as HMAC secret (algorithm confusion)', async () => {
    const header = { alg: 'HS256', kid: rsa.kid, typ: 'at+jwt' };
    const pem = createPublicKey({ key: rsa.publicJwk as never, format: 'jwk' }).export({
      type: 'spki',
      format: 'pem',
    });
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims()))}`;
    for (const secret of [pem, Buffer.from(JSON.stringify(rsa.publicJwk))]) {
      const sig = createHmac('sha256', secret).update(input).digest();
      await refused(`${input}.${b64url(sig)}`, OAUTH_ERROR_CODES.ALGORITHM_NOT_ALLOWED);
    }
  });

  it('refuses a wrong audience', async () => {
    await refused(
      await signAccessToken(ec, { iss: ISSUER, aud: 'https://other.example' }),
      OAUTH_ERROR_CODES.AUDIENCE_MISMATCH,
    );
  });

  it('refuses a token issued for another resource on the same host', async () => {
    await refused(
      await signAccessToken(ec, { iss: ISSUER, aud: 'http://127.0.0.1:3000/other-mcp' }),
      OAUTH_ERROR_CODES.AUDIENCE_MISMATCH,
    );
    await refused(
      await signAccessToken(ec, { iss: ISSUER, aud: 'http://127.0.0.1:3001/mcp' }),
      OAUTH_ERROR_CODES.AUDIENCE_MISMATCH,
    );
    await refused(
      await signAccessToken(ec, { iss: ISSUER, aud: undefined }),
      OAUTH_ERROR_CODES.AUDIENCE_MISMATCH,
    );
  });

  it('refuses a wrong issuer', async () => {
    await refused(
      await signAccessToken(ec, { iss: 'https://evil.example', aud: RESOURCE }),
      OAUTH_ERROR_CODES.ISSUER_MISMATCH,
    );
  });

  it('refuses an expired token', async () => {
    const now = Math.floor(Date.now() / 1000);
    await refused(
      await signAccessToken(ec, { iss: ISSUER, aud: RESOURCE, iat: now - 3600, exp: now - 60 }),
      OAUTH_ERROR_CODES.TOKEN_EXPIRED,
    );
  });

  it('refuses a token whose nbf is in the future', async () => {
    const now = Math.floor(Date.now() / 1000);
    await refused(
      await signAccessToken(ec, { iss: ISSUER, aud: RESOURCE, nbf: now + 600 }),
      OAUTH_ERROR_CODES.TOKEN_NOT_YET_VALID,
    );
  });

  it('refuses a token without exp', async () => {
    await refused(
      await signAccessToken(ec, { iss: ISSUER, aud: RESOURCE, exp: undefined }),
      OAUTH_ERROR_CODES.CLAIM_INVALID,
    );
  });

  it('refuses an unknown kid (after one bounded refresh)', async () => {
    const before = jwks.requests;
    await refused(
      await signAccessToken(attacker, { iss: ISSUER, aud: RESOURCE }),
      OAUTH_ERROR_CODES.KEY_NOT_FOUND,
    );
    // A second unknown kid within the cooldown does not hit the JWKS endpoint again.
    await refused(
      await signAccessToken(attacker, { iss: ISSUER, aud: RESOURCE }, { kid: 'another-unknown' }),
      OAUTH_ERROR_CODES.KEY_NOT_FOUND,
    );
    expect(jwks.requests - before).toBeLessThanOrEqual(1);
  });

  it('refuses an embedded jwk header (attacker key, with and without a known kid)', async () => {
    await refused(
      await signAccessToken(attacker, { iss: ISSUER, aud: RESOURCE }, { jwk: attacker.publicJwk }),
      OAUTH_ERROR_CODES.FORBIDDEN_HEADER,
    );
    await refused(
      await signAccessToken(
        attacker,
        { iss: ISSUER, aud: RESOURCE },
        { jwk: attacker.publicJwk, kid: ec.kid },
      ),
      OAUTH_ERROR_CODES.FORBIDDEN_HEADER,
    );
  });

  it('refuses jku and x5u headers pointing elsewhere, without fetching them', async () => {
    let fetched = 0;
    const evil = await listenLocal((_req, res) => {
      fetched++;
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ keys: [attacker.publicJwk] }));
    });
    try {
      await refused(
        await signAccessToken(attacker, { iss: ISSUER, aud: RESOURCE }, { jku: `${evil.origin}/jwks` }),
        OAUTH_ERROR_CODES.FORBIDDEN_HEADER,
      );
      await refused(
        await signAccessToken(attacker, { iss: ISSUER, aud: RESOURCE }, { x5u: `${evil.origin}/cert.pem` }),
        OAUTH_ERROR_CODES.FORBIDDEN_HEADER,
      );
      await refused(
        await signAccessToken(ec, { iss: ISSUER, aud: RESOURCE }, { x5c: ['MIIB'] }),
        OAUTH_ERROR_CODES.FORBIDDEN_HEADER,
      );
      expect(fetched).toBe(0);
    } finally {
      await evil.close();
    }
  });

  it('refuses an unknown crit header (and b64)', async () => {
    const header = { alg: 'ES256', kid: ec.kid, typ: 'at+jwt' };
    const crit = signRaw(ec, { ...header, crit: ['urn:example:policy'], 'urn:example:policy': 1 }, claims());
    await refused(crit, OAUTH_ERROR_CODES.FORBIDDEN_HEADER);
    await refused(
      signRaw(ec, { ...header, crit: ['b64'], b64: true }, claims()),
      OAUTH_ERROR_CODES.FORBIDDEN_HEADER,
    );
    // Control: the same hand-signed header without crit verifies, so the refusal is about crit alone.
    const control = await plugin.authenticate(
      edge({ authorization: `Bearer ${signRaw(ec, header, claims())}` }),
      edgeCtx,
    );
    expect(control?.id).toBe('mallory');
  });

  it('refuses a tampered payload', async () => {
    const token = await signAccessToken(ec, { iss: ISSUER, aud: RESOURCE, scope: 'notes:read' });
    const [h, , s] = token.split('.');
    const forged = `${h}.${b64url(JSON.stringify(claims({ sub: 'alice', scope: 'notes:read notes:write admin' })))}.${s}`;
    await refused(forged, OAUTH_ERROR_CODES.SIGNATURE_INVALID);
  });

  it('refuses an empty signature', async () => {
    const token = await signAccessToken(ec, { iss: ISSUER, aud: RESOURCE });
    const [h, p] = token.split('.');
    await refused(`${h}.${p}.`, OAUTH_ERROR_CODES.SIGNATURE_INVALID);
  });

  it('refuses an ECDSA signature with r = s = 0 ("psychic signature")', async () => {
    const header = { alg: 'ES256', kid: ec.kid, typ: 'at+jwt' };
    await refused(rawJws(header, claims(), new Uint8Array(64)), OAUTH_ERROR_CODES.SIGNATURE_INVALID);
    // DER-looking zero signature too.
    await refused(
      rawJws(header, claims(), Uint8Array.from([0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00])),
      OAUTH_ERROR_CODES.SIGNATURE_INVALID,
    );
  });

  it('refuses garbage and oversized tokens', async () => {
    await refused('not-a-jwt-and-no-dots', OAUTH_ERROR_CODES.TOKEN_INACTIVE); // opaque → introspection says inactive
    await refused(`${b64url('{not json')}.${b64url('{}')}.abc`, OAUTH_ERROR_CODES.TOKEN_MALFORMED);
    await refused('a'.repeat(20_000), OAUTH_ERROR_CODES.TOKEN_MALFORMED);
  });

  it('refuses a token in the query string, even with a valid header', async () => {
    const token = await signAccessToken(ec, { iss: ISSUER, aud: RESOURCE });
    const error = await plugin
      .authenticate(edge({ authorization: `Bearer ${token}` }, `${RESOURCE}?access_token=${token}`), edgeCtx)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).httpStatus).toBe(401);
    expect((error as AuthenticationError).oauthError).toBe('invalid_request');
    const bare = await plugin
      .authenticate(edge({}, `${RESOURCE}?access_token=${token}`), edgeCtx)
      .catch((e: unknown) => e);
    expect((bare as AuthenticationError).oauthError).toBe('invalid_request');
  });

  it('refuses a token for the right audience that introspection reports revoked/inactive', async () => {
    const now = Math.floor(Date.now() / 1000);
    opaque.set('opaque-revoked', { active: false });
    opaque.set('opaque-active', {
      active: true,
      sub: 'bob',
      aud: RESOURCE,
      iss: ISSUER,
      exp: now + 300,
      scope: 'notes:read',
    });
    const ok = await plugin.authenticate(edge({ authorization: 'Bearer opaque-active' }), edgeCtx);
    expect(ok?.id).toBe('bob');
    await refused('opaque-revoked', OAUTH_ERROR_CODES.TOKEN_INACTIVE);
    // Revoked after first use: with the introspection cache off, the next request sees it at once.
    opaque.set('opaque-active', { active: false });
    await refused('opaque-active', OAUTH_ERROR_CODES.TOKEN_INACTIVE);
  });

  it('refuses a malformed Bearer header with invalid_request, and ignores other schemes', async () => {
    const error = await plugin
      .authenticate(edge({ authorization: 'Bearer a b' }), edgeCtx)
      .catch((e: unknown) => e);
    expect((error as AuthenticationError).oauthError).toBe('invalid_request');
    await expect(
      plugin.authenticate(edge({ authorization: 'Basic dXNlcjpwYXNz' }), edgeCtx),
    ).resolves.toBeUndefined();
    await expect(plugin.authenticate(edge({}), edgeCtx)).resolves.toBeUndefined();
  });
});
