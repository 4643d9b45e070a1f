import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { ReferenceServer } from './reference-server.js';
import { tempDataDir } from './test-support.js';

const initialize = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'c', version: '1' } },
});

describe('a bad API key with OAuth off (what mcp-remote shows)', () => {
  let server: ReferenceServer;
  let url: URL;
  beforeAll(async () => {
    const config = loadConfig({ dataDir: tempDataDir(), port: 0 }, {});
    config.logging.level = 'error';
    // Many failures from one address would trip the brute-force lockout (429): this test is about the 401 itself.
    config.plugins.ratelimit = { enabled: false };
    server = await ReferenceServer.create({ config, log: () => undefined });
    url = await server.listen();
  });
  afterAll(() => server.close());

  const post = (authorization: string) =>
    fetch(url, {
      method: 'POST',
      headers: {
        authorization,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: initialize,
    });

  it('any bearer token that is not a valid key gets a plain "API key is not valid" 401 without resource_metadata', async () => {
    const token = fc.oneof(
      fc.constant('mcpw_bogus'),
      fc.constant('mcpw_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG'),
      fc.constant('eyJhbGciOiJSUzI1NiJ9.e30.sig'),
      fc.constant('sk-wrong-product-key'),
      fc.stringMatching(/^[A-Za-z0-9._~+/-]{1,80}$/),
    );
    await fc.assert(
      fc.asyncProperty(token, async (value) => {
        const response = await post(`Bearer ${value}`);
        expect(response.status).toBe(401);
        const challenge = response.headers.get('www-authenticate') ?? '';
        expect(challenge).toMatch(/^Bearer /);
        expect(challenge).not.toMatch(/resource_metadata/);
        const body = (await response.json()) as { error: { message: string } };
        // One fixed message whatever was sent: nothing of the token is echoed (a short token such as "a" would
        // be found inside any sentence, so the message is compared whole).
        expect(body.error.message).toBe('The API key is not valid.');
        if (value.length >= 6) expect(challenge).not.toContain(value);
      }),
      { numRuns: 40 },
    );
  });

  it('no credential at all still says so, also without resource_metadata', async () => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: initialize,
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).not.toMatch(/resource_metadata/);
    await response.text();
  });
});
