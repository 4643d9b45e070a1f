import { startTestHttpServer, type TestHttpServer } from '@mcp-warden/core/testing';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INVALID_TOKEN_MESSAGE, OAUTH_ERROR_CODES } from './errors.js';
import { oauth } from './plugin.js';
import { createTestKey, rawJws, signAccessToken, signRaw, type TestKey } from './testing/keys.js';
import { startIntrospectionServer, startJwksServer } from './testing/servers.js';

/**
 * Issue 13 item 8: no verification oracle. Every way a bearer token can fail verification gets the same 401 (status,
 * body bytes, headers, WWW-Authenticate) through core's real HTTP edge; only the security event tells them apart.
 */
const ISSUER = 'https://as.example.test';
let resource: string;
let key: TestKey;
let attacker: TestKey;
let es384: TestKey;
let jwks: Awaited<ReturnType<typeof startJwksServer>>;
let introspection: Awaited<ReturnType<typeof startIntrospectionServer>>;
let server: TestHttpServer;
const opaque = new Map<string, Record<string, unknown>>();

function post(token: string): Promise<Response> {
  return fetch(server.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      authorization: `Bearer ${token}`,
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
  key = await createTestKey('ES256');
  attacker = await createTestKey('ES256', key.kid); // same kid, other key: a forged signature
  es384 = await createTestKey('ES384');
  jwks = await startJwksServer([key.publicJwk, es384.publicJwk]);
  introspection = await startIntrospectionServer({
    clientId: 'rs',
    clientSecret: 'rs-secret',
    tokens: opaque,
  });
  server = await startTestHttpServer({
    plugins: (url) => {
      resource = url.href;
      return [
        oauth({
          resource: url.href,
          issuer: ISSUER,
          jwksUri: jwks.url,
          jwks: { cooldownSeconds: 0 },
          requireTyp: true,
          requiredScopes: ['notes:read'],
          introspection: {
            endpoint: introspection.endpoint,
            clientId: 'rs',
            clientSecret: 'rs-secret',
            cacheTtlSeconds: 0,
          },
          tokenCache: false,
          maxTokenLength: 4096,
        }),
      ];
    },
    createServer: () => new McpServer({ name: 'oracle-test', version: '1.0.0' }),
    sessions: 'stateless',
    handlerOptions: { responseMode: 'json' },
  });
});

afterAll(async () => {
  await server.close();
  await jwks.stop();
  await introspection.close();
});

type Case = [name: string, code: string, token: () => Promise<string> | string, before?: () => void];

const now = () => Math.floor(Date.now() / 1000);
const good = (claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}) =>
  signAccessToken(key, { iss: ISSUER, aud: resource, ...claims }, header);

const cases: Case[] = [
  [
    'audience of another server',
    OAUTH_ERROR_CODES.AUDIENCE_MISMATCH,
    () => good({ aud: 'https://other.example/mcp' }),
  ],
  ['foreign issuer', OAUTH_ERROR_CODES.ISSUER_MISMATCH, () => good({ iss: 'https://evil.example' })],
  ['expired', OAUTH_ERROR_CODES.TOKEN_EXPIRED, () => good({ iat: now() - 900, exp: now() - 600 })],
  ['not yet valid', OAUTH_ERROR_CODES.TOKEN_NOT_YET_VALID, () => good({ nbf: now() + 600 })],
  ['issued in the future', OAUTH_ERROR_CODES.TOKEN_ISSUED_IN_FUTURE, () => good({ iat: now() + 86_400 })],
  [
    'forged signature',
    OAUTH_ERROR_CODES.SIGNATURE_INVALID,
    () => signAccessToken(attacker, { iss: ISSUER, aud: resource }),
  ],
  ['unknown kid', OAUTH_ERROR_CODES.KEY_NOT_FOUND, () => good({}, { kid: 'no-such-key' })],
  [
    'algorithm not allowed',
    OAUTH_ERROR_CODES.ALGORITHM_NOT_ALLOWED,
    () => signAccessToken(es384, { iss: ISSUER, aud: resource }),
  ],
  [
    'alg none',
    OAUTH_ERROR_CODES.ALGORITHM_NOT_ALLOWED,
    () => rawJws({ alg: 'none', kid: key.kid, typ: 'at+jwt' }, { iss: ISSUER, aud: resource, sub: 'x' }),
  ],
  [
    'embedded jwk header',
    OAUTH_ERROR_CODES.FORBIDDEN_HEADER,
    () =>
      signRaw(
        key,
        { alg: 'ES256', kid: key.kid, typ: 'at+jwt', jwk: key.publicJwk },
        { iss: ISSUER, aud: resource, sub: 'x', iat: now(), exp: now() + 60 },
      ),
  ],
  [
    'no kid',
    OAUTH_ERROR_CODES.KID_MISSING,
    () =>
      new SignJWT({ iss: ISSUER, aud: resource, sub: 'x', iat: now(), exp: now() + 60 })
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt' })
        .sign(key.privateKey),
  ],
  ['wrong typ (an ID token)', OAUTH_ERROR_CODES.TYPE_MISMATCH, () => good({}, { typ: 'JWT' })],
  ['no subject', OAUTH_ERROR_CODES.CLAIM_INVALID, () => good({ sub: undefined, client_id: undefined })],
  ['header not JSON', OAUTH_ERROR_CODES.TOKEN_MALFORMED, () => 'bm90LWpzb24.e30.c2ln'],
  ['too long', OAUTH_ERROR_CODES.TOKEN_MALFORMED, () => 'x'.repeat(5000)],
  ['opaque, inactive', OAUTH_ERROR_CODES.TOKEN_INACTIVE, () => 'opaque-unknown'],
  [
    'opaque, other audience',
    OAUTH_ERROR_CODES.AUDIENCE_MISMATCH,
    () => {
      opaque.set('opaque-foreign', {
        active: true,
        sub: 'a',
        aud: 'https://other.example/mcp',
        exp: now() + 60,
      });
      return 'opaque-foreign';
    },
  ],
  [
    'introspection endpoint failing',
    OAUTH_ERROR_CODES.INTROSPECTION_FAILED,
    () => 'opaque-while-down',
    () => introspection.failWith(503),
  ],
];

describe('no verification oracle', () => {
  it('answers every kind of bad token identically; only the security events differ', async () => {
    // Control: a genuine token passes.
    expect((await post(await good())).status).toBe(200);

    const seen: { name: string; status: number; body: string; headers: [string, string][]; token: string }[] =
      [];
    const reasons = new Map<string, string>();
    for (const [name, code, token, before] of cases) {
      before?.();
      const value = await token();
      const failuresBefore = server.events.ofType('auth.failed').length;
      const response = await post(value);
      introspection.failWith(undefined);
      const headers = [...response.headers.entries()].filter(
        ([k]) => !['date', 'connection', 'keep-alive'].includes(k),
      ); // transport, not the check
      seen.push({ name, status: response.status, body: await response.text(), headers, token: value });
      const failures = server.events.ofType('auth.failed');
      expect(failures.length, name).toBe(failuresBefore + 1);
      const event = failures.at(-1);
      expect(event?.plugin, name).toBe('oauth');
      expect(event?.details?.code, name).toBe(code);
      reasons.set(name, event?.reason ?? '');
    }

    const [first] = seen;
    expect(first?.status).toBe(401);
    for (const answer of seen) {
      expect({
        name: answer.name,
        status: answer.status,
        body: answer.body,
        headers: answer.headers,
      }).toEqual({
        name: answer.name,
        status: first?.status,
        body: first?.body,
        headers: first?.headers,
      });
    }
    // What the client does get: RFC 6750 invalid_token, the resource metadata, one generic message and code.
    const challenge = new Map(first?.headers).get('www-authenticate');
    expect(challenge).toContain('error="invalid_token"');
    expect(challenge).toContain('resource_metadata="');
    const body = JSON.parse(first?.body ?? '{}') as {
      error: { message: string; data: Record<string, unknown> };
    };
    expect(body.error.message).toBe(INVALID_TOKEN_MESSAGE);
    expect(body.error.data).toEqual({ code: 'INVALID_CREDENTIALS' });
    for (const code of Object.values(OAUTH_ERROR_CODES)) expect(first?.body).not.toContain(code);

    // The operator's side: a distinct reason per case, never the token.
    expect(new Set(reasons.values()).size).toBe(cases.length);
    const recorded = JSON.stringify(server.events.events);
    for (const answer of seen)
      if (answer.token.length > 20) expect(recorded).not.toContain(answer.token.slice(-20));
  });
});
