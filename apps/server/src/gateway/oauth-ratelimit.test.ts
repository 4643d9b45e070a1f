import { postModernJsonRpc } from '@mcp-warden/core/testing';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../test-support.js';
import { type RecordingUpstream, startRecordingUpstream } from './fixtures/recording-upstream.js';
import { startTestGateway, type TestGateway } from './test-gateway.js';

// OAuth access tokens are what the MCP spec's "no token passthrough" is about: a token issued for the gateway must
// never reach the upstream. And rate limits apply to upstream calls like to any other.

const issuer = 'http://127.0.0.1/gateway-test-issuer';
let upstream: RecordingUpstream;
let gateway: TestGateway;
let sign: (claims: Record<string, unknown>, audience?: string) => Promise<string>;
let jwk: Record<string, unknown>;

beforeAll(async () => {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  upstream = await startRecordingUpstream();
  // The OAuth audience is the gateway's endpoint URL: the port must be known before the start.
  const port = await freePort();
  gateway = await startTestGateway({
    upstreams: [{ name: 'remote', url: upstream.url.href }],
    server: { port },
    plugins: {
      oauth: { enabled: true, issuer, keys: [jwk], rolesClaim: 'roles' },
      ratelimit: {
        enabled: true,
        rules: [
          { name: 'calls', key: ['principal'], points: 3, duration: 60, match: { methods: ['tools/call'] } },
        ],
      },
      acl: {
        policy: {
          version: 1,
          roles: { reader: {} },
          rules: [
            { effect: 'allow', subjects: ['authenticated'], actions: ['tools:list'] },
            { effect: 'allow', subjects: ['role:reader'], actions: ['tools:call'], targets: ['echo'] },
          ],
        },
      },
    },
  });
  sign = (claims, audience = gateway.url.href) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject('dana')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
}, 60_000);
afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
});

function call(authorization: string | undefined, id: number, url: URL = gateway.url) {
  return postModernJsonRpc(
    url,
    id,
    'tools/call',
    { name: 'echo', arguments: { text: `call ${id}` } },
    authorization ? { authorization } : {},
  );
}

describe('a gateway with OAuth and rate limits in front of an HTTP upstream', () => {
  it("challenges with the gateway's own protected-resource metadata", async () => {
    const refused = await call(undefined, 1);
    expect(refused.status).toBe(401);
    const challenge = refused.headers.get('www-authenticate') ?? '';
    expect(challenge).toContain(new URL('/.well-known/oauth-protected-resource/mcp', gateway.url).href);
    expect(upstream.requests).toHaveLength(0);
  });

  it('accepts a token for the gateway, never forwards it, and refuses one for another audience', async () => {
    const token = await sign({ roles: ['reader'] });
    const ok = await call(`Bearer ${token}`, 2);
    expect(await ok.text()).toContain('call 2');
    expect(upstream.requests.length).toBeGreaterThan(0);
    for (const request of upstream.requests) {
      expect(JSON.stringify(request)).not.toContain(token);
      expect(request.headers.authorization).toBeUndefined();
    }
    const other = await call(
      `Bearer ${await sign({ roles: ['reader'] }, 'https://upstream.example/mcp')}`,
      3,
    );
    expect(other.status).toBe(401);
  });

  it('rate-limits calls through the gateway per principal', async () => {
    const token = `Bearer ${await sign({ roles: ['reader'] })}`;
    const statuses: number[] = [];
    for (let i = 10; i < 14; i++) statuses.push((await call(token, i)).status);
    // One call of the budget of 3 went in the test above (same subject).
    expect(statuses).toEqual([200, 200, 429, 429]);
    expect(gateway.events.some((e) => e.type === 'rate.limited')).toBe(true);
  });
});

describe('a gateway with OAuth in front of several upstreams', () => {
  // Each endpoint is its own protected resource: a token the authorization server issued for one upstream's
  // endpoint must not open another's (RFC 8707 audience binding).
  let multi: TestGateway;
  beforeAll(async () => {
    multi = await startTestGateway({
      upstreams: [
        { name: 'alpha', url: upstream.url.href },
        { name: 'beta', url: upstream.url.href },
      ],
      server: { port: await freePort() },
      plugins: {
        oauth: { enabled: true, issuer, keys: [jwk], rolesClaim: 'roles' },
        acl: {
          policy: {
            version: 1,
            roles: { reader: {} },
            rules: [
              { effect: 'allow', subjects: ['role:reader'], actions: ['tools:call'], targets: ['echo'] },
            ],
          },
        },
      },
    });
  }, 60_000);
  afterAll(() => multi?.close());

  it('accepts a token only at the endpoint it was issued for, and challenges each with its own metadata', async () => {
    const [alpha, beta] = [multi.endpoint('alpha'), multi.endpoint('beta')];
    for (const [issuedFor, other] of [
      [alpha, beta],
      [beta, alpha],
    ] as const) {
      const token = `Bearer ${await sign({ roles: ['reader'] }, issuedFor.href)}`;
      expect(await (await call(token, 40, issuedFor)).text()).toContain('call 40');
      const refused = await call(token, 41, other);
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toContain(
        new URL(`/.well-known/oauth-protected-resource${other.pathname}`, other).href,
      );
      const metadata = await fetch(new URL(`/.well-known/oauth-protected-resource${other.pathname}`, other));
      expect(((await metadata.json()) as { resource: string }).resource).toBe(other.href);
    }
    // A token for the gateway's bare base path opens neither endpoint.
    const base = `Bearer ${await sign({ roles: ['reader'] }, new URL('/mcp', alpha).href)}`;
    expect((await call(base, 42, alpha)).status).toBe(401);
    expect((await call(base, 43, beta)).status).toBe(401);
  });
});
