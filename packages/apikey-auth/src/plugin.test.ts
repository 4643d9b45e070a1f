import {
  AuthenticationError,
  ConfigError,
  type EdgeContext,
  type EdgeRequest,
  type PluginSetupContext,
  type SecurityEventInput,
  WardenError,
} from '@mcp-warden/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { APIKEY_AUTH_ERROR_CODES } from './errors.js';
import { generateApiKey } from './key-format.js';
import { ApiKeyManager } from './manager.js';
import { apiKeyAuth, INVALID_API_KEY_MESSAGE } from './plugin.js';
import { MemoryApiKeyStore } from './stores/memory.js';
import { fakeClock, PEPPER_1 } from './test-helpers.js';
import type { ApiKeyStore } from './types.js';

/** A store that records every lookup, to prove refusals happen before any. */
class CountingStore extends MemoryApiKeyStore {
  lookups = 0;
  override async getByHash(hash: string) {
    this.lookups++;
    return super.getByHash(hash);
  }
}

function services() {
  const map = new Map<string, unknown>();
  return {
    provide: (k: { id: string }, v: unknown) => void map.set(k.id, v),
    get: (k: { id: string }) => map.get(k.id),
    require: (k: { id: string }) => map.get(k.id),
  } as unknown as PluginSetupContext['services'];
}

async function start(
  options: Parameters<typeof apiKeyAuth>[0] = {},
  store: ApiKeyStore = new CountingStore(),
) {
  const clock = fakeClock();
  const emitted: Omit<SecurityEventInput, 'plugin'>[] = [];
  const manager = new ApiKeyManager({ store, peppers: [PEPPER_1], now: clock.now });
  const plugin = apiKeyAuth({ manager, ...options });
  await plugin.setup?.({
    services: services(),
    plugins: [],
    resourceUrl: undefined,
    emit: (e) => emitted.push(e),
  });
  const ctx: EdgeContext = { services: services(), emit: (e) => emitted.push(e) };
  const http = (headers: Record<string, string>, extra: Partial<EdgeRequest> = {}): EdgeRequest => ({
    transport: 'http',
    method: 'POST',
    url: new URL('http://127.0.0.1/mcp'),
    headers,
    remoteAddress: '127.0.0.1',
    ...extra,
  });
  const auth = (request: EdgeRequest) => plugin.authenticate?.(request, ctx);
  return { plugin, manager, store: store as CountingStore, emitted, http, auth, clock };
}

async function refusal(promise: unknown): Promise<AuthenticationError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AuthenticationError);
    return error as AuthenticationError;
  }
  throw new Error('expected a refusal');
}

describe('apiKeyAuth plugin', () => {
  it('authenticates a bearer key and the configured header', async () => {
    const { manager, http, auth } = await start();
    const { key, info } = await manager.create({
      name: 'ci',
      owner: 'alice',
      scopes: ['tools:call'],
      roles: ['dev'],
    });
    const principal = await auth(http({ authorization: `Bearer ${key}` }));
    expect(principal).toMatchObject({
      id: info.id,
      kind: 'apikey',
      scopes: ['tools:call'],
      roles: ['dev'],
      claims: { owner: 'alice' },
    });
    expect((await auth(http({ authorization: `bearer   ${key}` })))?.id).toBe(info.id);
    expect((await auth(http({ 'x-api-key': key })))?.id).toBe(info.id);
  });

  it('leaves other bearer tokens and requests without a credential to other authenticators', async () => {
    const { http, auth, store } = await start();
    expect(await auth(http({ authorization: 'Bearer eyJhbGciOiJSUzI1NiJ9.e30.sig' }))).toBeUndefined();
    expect(
      await auth(http({ authorization: `Basic ${Buffer.from('a:b').toString('base64')}` })),
    ).toBeUndefined();
    expect(await auth(http({}))).toBeUndefined();
    expect(store.lookups).toBe(0);
  });

  it('can turn the extra header off', async () => {
    const { manager, http, auth } = await start({ header: false });
    const { key } = await manager.create({ name: 'ci' });
    expect(await auth(http({ 'x-api-key': key }))).toBeUndefined();
  });

  it('refuses every bad key with the same client error and records the real reason and key id', async () => {
    const { manager, http, auth, clock } = await start();
    const expired = await manager.create({ name: 'e', expiresIn: 60 });
    const revoked = await manager.create({ name: 'r' });
    const exhausted = await manager.create({ name: 'x', remainingUses: 1 });
    const fenced = await manager.create({ name: 'f', allowedCidrs: ['10.0.0.0/8'] });
    await manager.revoke(revoked.info.id);
    await manager.verify(exhausted.key);
    clock.advance(61_000);
    const wellFormedUnknown = generateApiKey();
    const cases: [string, string, string | undefined][] = [
      [`mcpw_${'A'.repeat(38)}`, 'malformed', undefined],
      [wellFormedUnknown, 'unknown', undefined],
      [expired.key, 'expired', expired.info.id],
      [revoked.key, 'revoked', revoked.info.id],
      [exhausted.key, 'exhausted', exhausted.info.id],
      [fenced.key, 'address_not_allowed', fenced.info.id],
    ];
    const clientViews = new Set<string>();
    for (const [key, failure, keyId] of cases) {
      const error = await refusal(auth(http({ authorization: `Bearer ${key}` })));
      clientViews.add(
        JSON.stringify({
          status: error.httpStatus,
          body: error.toJsonRpcError(),
          oauth: error.oauthError,
          headers: error.headers,
        }),
      );
      expect(error.message).toBe(INVALID_API_KEY_MESSAGE);
      expect(error.oauthError).toBe('invalid_token');
      expect(error.reason).toContain(failure);
      expect(error.details).toMatchObject({ failure, ...(keyId ? { keyId } : {}) });
      expect(
        JSON.stringify({ reason: error.reason, details: error.details, message: error.message }),
      ).not.toContain(key.slice(9, 30));
    }
    expect(clientViews.size).toBe(1);
  });

  it('refuses keys in the query string with a clear message', async () => {
    const { manager, http, auth } = await start();
    const { key } = await manager.create({ name: 'ci' });
    for (const query of [`?api_key=${key}`, `?foo=bar&x=${key}`, '?apikey=whatever']) {
      const error = await refusal(
        auth(http({ authorization: `Bearer ${key}` }, { url: new URL(`http://127.0.0.1/mcp${query}`) })),
      );
      expect(error.code).toBe(APIKEY_AUTH_ERROR_CODES.KEY_IN_QUERY);
      expect(error.message).toMatch(/query string/);
      expect(error.message).not.toContain(key);
    }
    expect(
      (
        await auth(
          http({ authorization: `Bearer ${key}` }, { url: new URL('http://127.0.0.1/mcp?session=1') }),
        )
      )?.kind,
    ).toBe('apikey');
  });

  it('refuses empty, over-long, whitespace and non-ASCII credentials without a store lookup', async () => {
    const { http, auth, store } = await start();
    const bad = ['', ' ', `mcpw_${'a'.repeat(300)}`, 'mcpw_abc def', 'mcpw_ключ', 'mcpw_\tx', 'mcpw_x\u200b'];
    for (const value of bad) {
      const error = await refusal(auth(http({ 'x-api-key': value })));
      expect(error.code).toBe(APIKEY_AUTH_ERROR_CODES.BAD_CREDENTIAL_SYNTAX);
      expect(error.oauthError).toBe('invalid_request');
    }
    const bearer = await refusal(auth(http({ authorization: `Bearer mcpw_${'x'.repeat(5000)}` })));
    expect(bearer.message).toMatch(/too long/);
    expect(store.lookups).toBe(0);
  });

  it('property: arbitrary header values never authenticate and never throw anything but AuthenticationError', async () => {
    const { manager, http, auth } = await start();
    await manager.create({ name: 'real' });
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'binary', maxLength: 300 }),
        fc.boolean(),
        async (value, asBearer) => {
          const request = http(asBearer ? { authorization: `Bearer mcpw_${value}` } : { 'x-api-key': value });
          try {
            expect(await auth(request)).toBeUndefined();
          } catch (error) {
            expect(WardenError.isInstance(error) && error instanceof AuthenticationError).toBe(true);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('reads the key from the environment under stdio', async () => {
    const { manager, auth } = await start({ envVar: 'MY_KEY' });
    const { key, info } = await manager.create({ name: 'local' });
    expect((await auth({ transport: 'stdio', headers: {}, env: { MY_KEY: key } }))?.id).toBe(info.id);
    expect(await auth({ transport: 'stdio', headers: {}, env: {} })).toBeUndefined();
    const error = await refusal(auth({ transport: 'stdio', headers: {}, env: { MY_KEY: generateApiKey() } }));
    expect(error.message).toBe(INVALID_API_KEY_MESSAGE);
  });

  it('challenges with Bearer realm', async () => {
    const { plugin } = await start();
    expect(plugin.challenge?.({ transport: 'http', headers: {} })).toEqual({
      scheme: 'Bearer',
      params: { realm: 'mcp-warden' },
    });
  });

  it('forwards key lifecycle events to the warden', async () => {
    const { manager, emitted } = await start();
    const { info } = await manager.create({ name: 'ci' }, { actor: 'admin' });
    await manager.revoke(info.id);
    expect(emitted.map((e) => e.type)).toEqual(['key.created', 'key.revoked']);
  });

  it('validates options when apiKeyAuth() is called, with a ConfigError that never echoes a secret', async () => {
    const setupCtx: PluginSetupContext = {
      services: services(),
      plugins: [],
      resourceUrl: undefined,
      emit: () => undefined,
    };
    const secret = 'too-short-pepper';
    const error = (() => {
      try {
        apiKeyAuth({ peppers: [{ id: 'p1', secret }] });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(String((error as Error).message)).toMatch(/peppers\[0\]\.secret/);
    expect(String((error as Error).message)).not.toContain(secret);
    expect(() => apiKeyAuth({ prefix: 'Bad_' })).toThrow(ConfigError);
    const saved = process.env.MCP_WARDEN_APIKEY_PEPPER;
    delete process.env.MCP_WARDEN_APIKEY_PEPPER;
    try {
      expect(() => apiKeyAuth({}).setup?.(setupCtx)).toThrow(/no pepper configured/);
    } finally {
      if (saved !== undefined) process.env.MCP_WARDEN_APIKEY_PEPPER = saved;
    }
  });

  it('builds its own manager and memory store from peppers', async () => {
    const plugin = apiKeyAuth({ peppers: [PEPPER_1], prefix: 'acme' });
    await plugin.setup?.({
      services: services(),
      plugins: [],
      resourceUrl: undefined,
      emit: () => undefined,
    });
    const { key } = await (plugin.manager as ApiKeyManager).create({ name: 'x' });
    expect(key.startsWith('acme_')).toBe(true);
    const principal = await plugin.authenticate?.(
      { transport: 'http', headers: { authorization: `Bearer ${key}` } },
      { services: services(), emit: () => undefined },
    );
    expect(principal?.kind).toBe('apikey');
    await plugin.close?.();
  });
});
