import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { ReferenceServer } from './reference-server.js';
import { freePort, tempDataDir } from './test-support.js';

const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

async function call(
  url: URL,
  authorization: string | undefined,
  name: string,
  args: Record<string, unknown> = {},
) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { ...HEADERS, ...(authorization ? { authorization } : {}) },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } }),
  });
  return {
    status: response.status,
    challenge: response.headers.get('www-authenticate'),
    body: await response.text(),
  };
}

describe('reference server with OAuth configured', () => {
  const issuer = 'http://127.0.0.1/test-issuer';
  let server: ReferenceServer;
  let url: URL;
  let sign: (claims: Record<string, unknown>, audience?: string) => Promise<string>;
  let apiKey: string;
  beforeAll(async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const port = await freePort();
    const config = loadConfig({ dataDir: tempDataDir(), port }, {});
    config.server.sessions = 'stateless';
    config.logging.level = 'error';
    config.plugins.oauth = {
      enabled: true,
      issuer,
      keys: [jwk],
      rolesClaim: 'roles',
      tools: { admin_stats: ['stats:read'] },
    };
    const logs: string[] = [];
    server = await ReferenceServer.create({ config, log: (line) => logs.push(line) });
    url = await server.listen();
    apiKey = /\n\s+(mcpw_\S+)\n/.exec(logs.join('\n'))![1]!;
    sign = (claims, audience = url.href) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject('carol')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(privateKey);
  });
  afterAll(async () => server.close());

  it('challenges with the protected-resource metadata it serves (RFC 9728)', async () => {
    const refused = await call(url, undefined, 'echo', { text: 'x' });
    expect(refused.status).toBe(401);
    const metadataUrl = /resource_metadata="([^"]+)"/.exec(refused.challenge ?? '')?.[1];
    expect(metadataUrl).toBe(new URL('/.well-known/oauth-protected-resource/mcp', url).href);
    const metadata = await (await fetch(metadataUrl!)).json();
    expect(metadata).toMatchObject({
      resource: url.href,
      authorization_servers: [issuer],
      bearer_methods_supported: ['header'],
    });
  });

  it('accepts tokens for this resource, steps up for missing scopes, and refuses other audiences', async () => {
    const reader = `Bearer ${await sign({ scope: 'notes:read', roles: ['reader'] })}`;
    expect((await call(url, reader, 'echo', { text: 'hi' })).body).toContain('"text":"hi"');
    const stepUp = await call(url, reader, 'admin_stats');
    expect(stepUp.status).toBe(403);
    expect(stepUp.challenge).toMatch(/error="insufficient_scope".*scope="stats:read"/);
    const admin = `Bearer ${await sign({ scope: 'stats:read', roles: ['admin'] })}`;
    expect((await call(url, admin, 'admin_stats')).body).toContain('uptimeSeconds');
    const elsewhere = `Bearer ${await sign({ scope: 'stats:read', roles: ['admin'] }, 'https://other.example/mcp')}`;
    const refused = await call(url, elsewhere, 'echo', { text: 'x' });
    expect(refused.status).toBe(401);
    expect(refused.challenge).toContain('error="invalid_token"');
  });

  it('keeps API keys working beside OAuth', async () => {
    expect((await call(url, `Bearer ${apiKey}`, 'echo', { text: 'key' })).body).toContain('"text":"key"');
  });
});

describe('two reference server instances sharing one Redis', () => {
  const servers: ReferenceServer[] = [];
  afterAll(async () => {
    for (const s of servers) await s.close();
  });

  it('share one rate-limit budget', async () => {
    const dataDir = tempDataDir();
    const keyPrefix = `warden-test:${randomUUID()}`;
    const logs: string[] = [];
    const urls: URL[] = [];
    for (let i = 0; i < 2; i++) {
      const config = loadConfig({ dataDir, port: 0 }, {});
      config.server.sessions = 'stateless';
      config.logging.level = 'error';
      config.plugins.ratelimit = {
        store: { type: 'redis', url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', keyPrefix },
        rules: [
          { name: 'shared', key: ['identity'], points: 10, duration: 60, match: { targets: ['tool:echo'] } },
        ],
      };
      const server = await ReferenceServer.create({ config, log: (line) => logs.push(line) });
      servers.push(server);
      urls.push(await server.listen());
    }
    const key = /\n\s+(mcpw_\S+)\n/.exec(logs.join('\n'))![1]!;
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => call(urls[i % 2]!, `Bearer ${key}`, 'echo', { text: `n${i}` })),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(10);
    expect(results.filter((r) => r.status === 429)).toHaveLength(20);
  });
});
