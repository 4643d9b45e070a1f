import {
  AuthenticationError,
  CORE_ERROR_CODES,
  createWarden,
  type EdgeRequest,
  type WardenPlugin,
} from '@mcp-warden/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ApiKeyManager } from './manager.js';
import { apiKeyAuth, INVALID_API_KEY_MESSAGE } from './plugin.js';
import { MemoryApiKeyStore } from './stores/memory.js';
import { PEPPER_1 } from './test-helpers.js';

const request = (authorization: string): EdgeRequest => ({
  transport: 'http',
  method: 'POST',
  url: new URL('http://127.0.0.1/mcp'),
  headers: { authorization },
  remoteAddress: '127.0.0.1',
});

/** Another authenticator (an OAuth resource server, say) that recognises nothing. */
const otherAuthenticator: WardenPlugin = {
  specVersion: 1,
  name: 'other-auth',
  authenticate: async () => undefined,
};

async function wardenWith(extra: WardenPlugin[]) {
  const manager = new ApiKeyManager({ store: new MemoryApiKeyStore(), peppers: [PEPPER_1] });
  const warden = await createWarden({ plugins: [apiKeyAuth({ manager }), ...extra] });
  const outcome = (authorization: string) =>
    warden.pipeline.authenticate(request(authorization)).then(
      () => undefined,
      (error: unknown) => error,
    );
  return { warden, manager, outcome };
}

/** Bearer tokens that are not ours by prefix: a JWT, another vendor's key, a key with a typo in its prefix. */
const foreignToken = fc.oneof(
  fc.constant('eyJhbGciOiJSUzI1NiJ9.e30.sig'),
  fc.constant('sk-live-0123456789abcdef'),
  fc.constant('mcwp_0123456789abcdefghijABCDEFGHIJ012345'),
  fc.stringMatching(/^[A-Za-z0-9._~+/-]{1,120}=*$/).filter((t) => !t.startsWith('mcpw_')),
);

describe('apiKeyAuth as the only authenticator (OAuth off)', () => {
  it('refuses any other bearer token plainly as an invalid API key, not as "no credential"', async () => {
    const { warden, outcome } = await wardenWith([]);
    await fc.assert(
      fc.asyncProperty(foreignToken, async (token) => {
        const error = await outcome(`Bearer ${token}`);
        expect(error).toBeInstanceOf(AuthenticationError);
        expect((error as AuthenticationError).code).toBe(CORE_ERROR_CODES.INVALID_CREDENTIALS);
        // The fixed message, compared whole, is what shows nothing of the token is echoed.
        expect((error as AuthenticationError).message).toBe(INVALID_API_KEY_MESSAGE);
      }),
      { numRuns: 100 },
    );
    await warden.close();
  });

  it('still passes foreign bearer tokens on when another authenticator is registered', async () => {
    const { warden, outcome } = await wardenWith([otherAuthenticator]);
    await fc.assert(
      fc.asyncProperty(foreignToken, async (token) => {
        const error = await outcome(`Bearer ${token}`);
        expect((error as AuthenticationError).code).toBe(CORE_ERROR_CODES.UNAUTHENTICATED);
      }),
      { numRuns: 50 },
    );
    await warden.close();
  });

  it('a real key still works, and no credential is still "no credential"', async () => {
    const { warden, manager, outcome } = await wardenWith([]);
    const { key } = await manager.create({ name: 'ok' });
    expect(await outcome(`Bearer ${key}`)).toBeUndefined();
    expect(((await outcome('')) as AuthenticationError).code).toBe(CORE_ERROR_CODES.UNAUTHENTICATED);
    await warden.close();
  });
});
