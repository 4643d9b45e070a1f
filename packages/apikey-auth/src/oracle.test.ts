import { postJsonRpc, startTestHttpServer, type TestHttpServer } from '@mcp-warden/core/testing';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APIKEY_AUTH_ERROR_CODES } from './errors.js';
import { generateApiKey } from './key-format.js';
import { ApiKeyManager } from './manager.js';
import { apiKeyAuth, INVALID_API_KEY_MESSAGE } from './plugin.js';
import { MemoryApiKeyStore } from './stores/memory.js';
import { fakeClock, PEPPER_1 } from './test-helpers.js';

/**
 * Issue 13 item 8: no verification oracle. Unknown, revoked, expired, used-up, address-bound and badly
 * checksummed keys get the same 401 (status, body bytes, headers) through core's real HTTP edge, whether the key
 * came in `Authorization` or `x-api-key`; only the security event tells them apart.
 */
const clock = fakeClock(Date.now());
let manager: ApiKeyManager;
let server: TestHttpServer;
const keys: Record<string, string> = {};

function post(headers: Record<string, string>): Promise<Response> {
  return postJsonRpc(
    server.url,
    {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
    },
    headers,
  );
}

/** The same character set, another character: the checksum no longer matches. */
function flipLast(key: string): string {
  const last = key.at(-1);
  return key.slice(0, -1) + (last === 'a' ? 'b' : 'a');
}

beforeAll(async () => {
  manager = new ApiKeyManager({ store: new MemoryApiKeyStore(), peppers: [PEPPER_1], now: clock.now });
  server = await startTestHttpServer({
    plugins: [apiKeyAuth({ manager })],
    createServer: () => new McpServer({ name: 'apikey-oracle', version: '1.0.0' }),
    sessions: 'stateless',
    handlerOptions: { responseMode: 'json' },
  });
  keys.valid = (await manager.create({ name: 'valid' })).key;
  const revoked = await manager.create({ name: 'revoked' });
  await manager.revoke(revoked.info.id, { actor: 'test' });
  keys.revoked = revoked.key;
  keys.expired = (await manager.create({ name: 'expired', expiresIn: 60 })).key;
  keys.exhausted = (await manager.create({ name: 'exhausted', remainingUses: 1 })).key;
  keys.foreignAddress = (await manager.create({ name: 'bound', allowedCidrs: ['10.0.0.0/8'] })).key;
  keys.unknown = generateApiKey();
  keys.badChecksum = flipLast(generateApiKey());
  keys.wrongLength = `${generateApiKey()}x`;
  // Use up the single use, then let the expiring key expire.
  expect((await post({ authorization: `Bearer ${keys.exhausted}` })).status).toBe(200);
  clock.advance(61_000);
});

afterAll(async () => {
  await server.close();
  await manager.close();
});

const failures: [name: string, failure: string, code: string][] = [
  ['unknown', 'unknown', APIKEY_AUTH_ERROR_CODES.UNKNOWN],
  ['revoked', 'revoked', APIKEY_AUTH_ERROR_CODES.REVOKED],
  ['expired', 'expired', APIKEY_AUTH_ERROR_CODES.EXPIRED],
  ['exhausted', 'exhausted', APIKEY_AUTH_ERROR_CODES.EXHAUSTED],
  ['foreignAddress', 'address_not_allowed', APIKEY_AUTH_ERROR_CODES.ADDRESS_NOT_ALLOWED],
  ['badChecksum', 'malformed', APIKEY_AUTH_ERROR_CODES.MALFORMED],
  ['wrongLength', 'malformed', APIKEY_AUTH_ERROR_CODES.MALFORMED],
];
const sources: [string, (key: string) => Record<string, string>][] = [
  ['authorization', (key) => ({ authorization: `Bearer ${key}` })],
  ['header', (key) => ({ 'x-api-key': key })],
];

describe('no verification oracle', () => {
  it('answers every refused key identically, through either header; only the security events differ', async () => {
    expect((await post({ authorization: `Bearer ${keys.valid}` })).status).toBe(200);
    const answers: { name: string; status: number; body: string; headers: [string, string][] }[] = [];
    for (const [sourceName, headers] of sources) {
      for (const [name, failure, code] of failures) {
        const before = server.events.ofType('auth.failed').length;
        const response = await post(headers(keys[name] as string));
        answers.push({
          name: `${name} via ${sourceName}`,
          status: response.status,
          body: await response.text(),
          headers: [...response.headers.entries()].filter(
            ([k]) => !['date', 'connection', 'keep-alive'].includes(k),
          ),
        });
        const recorded = server.events.ofType('auth.failed');
        expect(recorded.length, name).toBe(before + 1);
        expect(recorded.at(-1)?.details, name).toMatchObject({
          failure,
          failureCode: code,
          source: sourceName,
        });
      }
    }
    const [first] = answers;
    expect(first?.status).toBe(401);
    for (const answer of answers) {
      expect({ ...answer, name: undefined }).toEqual({ ...first, name: undefined });
    }
    const body = JSON.parse(first?.body ?? '{}') as { error: { message: string; data: unknown } };
    expect(body.error.message).toBe(INVALID_API_KEY_MESSAGE);
    expect(body.error.data).toEqual({ code: 'INVALID_CREDENTIALS' });
    expect(new Map(first?.headers).get('www-authenticate')).toBe(
      'Bearer realm="mcp-warden", error="invalid_token"',
    );
    const events = JSON.stringify(server.events.events);
    for (const key of Object.values(keys)) expect(events).not.toContain(key);
  });
});
