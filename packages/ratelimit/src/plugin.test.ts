import { setTimeout as sleep } from 'node:timers/promises';
import {
  AuthenticationError,
  createPrincipal,
  JSON_RPC_ERROR_CODES,
  WARDEN_SPEC_VERSION,
  type WardenPlugin,
} from '@mcp-warden/core';
import {
  connectTestClient,
  fakePrincipal,
  postJsonRpc,
  runPluginContractTests,
  startTestHttpServer,
  type TestHttpServer,
} from '@mcp-warden/core/testing';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RATELIMIT_ERROR_CODES } from './errors.js';
import { RATE_LIMIT_SERVICE, rateLimit } from './plugin.js';
import { dedicatedRedis, deleteKeys, REDIS_URL, uniquePrefix } from './test-support/redis-server.js';

const prefix = uniquePrefix('plugin');
afterAll(() => deleteKeys(REDIS_URL, prefix));

function createServer(): McpServer {
  const server = new McpServer({ name: 'ratelimit-test', version: '1.0.0' });
  server.registerTool(
    'work',
    { description: 'Does some work', inputSchema: { n: z.number() } },
    async ({ n }) => ({
      content: [{ type: 'text', text: String(n * 2) }],
    }),
  );
  return server;
}

/** A stand-in authenticator: `x-test-key: good` authenticates, any other value is a bad credential. */
function testAuth(): WardenPlugin {
  return {
    specVersion: WARDEN_SPEC_VERSION,
    name: 'test-auth',
    authenticate(request) {
      const key = request.headers['x-test-key'];
      if (key === undefined) return undefined;
      if (key !== 'good') throw new AuthenticationError({ reason: 'unknown test key' });
      return createPrincipal({ id: 'good-user', kind: 'test' });
    },
    challenge: () => ({ scheme: 'TestKey', params: {} }),
  };
}

let nextId = 1;
/** One stateless Streamable HTTP `tools/call`, raw, so the status and headers are visible. */
async function callTool(server: TestHttpServer, headers: Record<string, string> = {}): Promise<Response> {
  return postJsonRpc(
    server.url,
    { jsonrpc: '2.0', id: nextId++, method: 'tools/call', params: { name: 'work', arguments: { n: 21 } } },
    headers,
  );
}

const toolCallsOnly = (points: number) => [
  { name: 'tool-calls', key: ['address' as const], points, duration: 60, match: { methods: ['tools/call'] } },
];

runPluginContractTests({
  name: 'ratelimit',
  create: (mode) =>
    rateLimit({
      mode,
      rules: [
        {
          name: 'contract',
          key: ['principal'],
          points: 3,
          duration: 60,
          match: { methods: ['tools/call'] },
        },
      ],
    }),
  invalidOptions: [
    () => rateLimit({ rules: [{ name: 'Bad Name', points: 1, duration: 1 }] }),
    () => rateLimit({ rules: [{ name: 'zero', points: 0, duration: 60 }] }),
    () =>
      rateLimit({
        rules: [
          { name: 'dup', points: 1, duration: 60 },
          { name: 'dup', points: 2, duration: 60 },
        ],
      }),
    () => rateLimit({ store: { type: 'redis' } } as never),
    () => rateLimit({ bruteForce: { slowAfter: 20, maxFailures: 10 } }),
  ],
  // Three calls spend the budget; the fourth is refused.
  refusal: {
    kind: 'request',
    method: 'tools/call',
    params: { name: 'contract_echo', arguments: { text: 'hi' } },
    prelude: Array.from({ length: 3 }, () => ({
      method: 'tools/call',
      params: { name: 'contract_echo', arguments: { text: 'hi' } },
    })),
  },
});

describe('rateLimit plugin over HTTP', () => {
  it('lets exactly the budget through among parallel requests, and answers the rest 429 with Retry-After and RateLimit fields', async () => {
    const server = await startTestHttpServer({
      plugins: [rateLimit({ rules: toolCallsOnly(20), bruteForce: false })],
      wardenOptions: { allowAnonymous: true },
      createServer,
      sessions: 'stateless',
    });
    try {
      const responses = await Promise.all(Array.from({ length: 60 }, () => callTool(server)));
      const ok = responses.filter((r) => r.status === 200);
      const limited = responses.filter((r) => r.status === 429);
      expect(ok).toHaveLength(20);
      expect(limited).toHaveLength(40);
      const refusal = limited[0]!;
      expect(Number(refusal.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(refusal.headers.get('ratelimit-policy')).toBe('"tool-calls";q=20;w=60');
      expect(refusal.headers.get('ratelimit')).toMatch(/^"tool-calls";r=0;t=\d+$/);
      const body = (await refusal.json()) as {
        error: { code: number; data: { code: string; retryAfterSeconds: number } };
      };
      expect(body.error.code).toBe(JSON_RPC_ERROR_CODES.RATE_LIMITED);
      expect(body.error.data.code).toBe(RATELIMIT_ERROR_CODES.RATE_LIMITED);
      await Promise.all(ok.map((r) => r.text()));
    } finally {
      await server.close();
    }
    // One summary for the flood, besides core's per-refusal records.
    const summaries = server.events.ofType('rate.limited').filter((e) => e.details?.summary === true);
    expect(summaries).toHaveLength(1);
    expect(summaries[0]?.details).toMatchObject({ rule: 'tool-calls', count: 40 });
  });

  it('two instances sharing one Redis share one budget', async () => {
    const make = () =>
      startTestHttpServer({
        plugins: [
          rateLimit({
            store: { type: 'redis', url: REDIS_URL, keyPrefix: prefix },
            rules: toolCallsOnly(15),
            bruteForce: false,
          }),
        ],
        wardenOptions: { allowAnonymous: true },
        createServer,
        sessions: 'stateless',
      });
    const [one, two] = await Promise.all([make(), make()]);
    try {
      const responses = await Promise.all(
        Array.from({ length: 50 }, (_, i) => callTool(i % 2 === 0 ? one : two)),
      );
      expect(responses.filter((r) => r.status === 200)).toHaveLength(15);
      expect(responses.filter((r) => r.status === 429)).toHaveLength(35);
      await Promise.all(responses.map((r) => r.text()));
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });

  it('keeps serving and limiting when Redis dies mid-test, and shares the budget again once it is back', async () => {
    const redis = await dedicatedRedis();
    const make = (rule: string) =>
      startTestHttpServer({
        plugins: [
          rateLimit({
            store: { type: 'redis', url: redis.url, keyPrefix: prefix, fallbackInstances: 2 },
            rules: [
              { name: rule, key: ['address'], points: 10, duration: 60, match: { methods: ['tools/call'] } },
            ],
            bruteForce: false,
          }),
        ],
        wardenOptions: { allowAnonymous: true },
        createServer,
        sessions: 'stateless',
      });
    const phase = async (servers: TestHttpServer[], n: number) => {
      const responses = await Promise.all(
        Array.from({ length: n }, (_, i) => callTool(servers[i % servers.length]!)),
      );
      await Promise.all(responses.map((r) => r.text()));
      return {
        ok: responses.filter((r) => r.status === 200).length,
        limited: responses.filter((r) => r.status === 429).length,
      };
    };
    const waitForEvent = async (servers: TestHttpServer[], type: string) => {
      const deadline = Date.now() + 20_000;
      while (!servers.every((s) => s.events.ofType(type).length > 0)) {
        if (Date.now() > deadline) throw new Error(`no ${type} event`);
        await sleep(50);
      }
    };
    // Each phase uses its own rule name, so it starts from a fresh budget.
    const [one, two] = await Promise.all([make('outage-http'), make('outage-http')]);
    try {
      expect(await phase([one, two], 30)).toEqual({ ok: 10, limited: 20 });
      await redis.stop();
      await waitForEvent([one, two], 'store.degraded');
      // No request fails because Redis is down: each instance limits in memory with its share (10 / 2).
      expect(await phase([one], 20)).toEqual({ ok: 5, limited: 15 });
      expect(await phase([two], 20)).toEqual({ ok: 5, limited: 15 });
      await redis.start();
      await waitForEvent([one, two], 'store.recovered');
      // Redis came back empty (no persistence): one shared budget again.
      expect(await phase([one, two], 30)).toEqual({ ok: 10, limited: 20 });
      expect(one.events.ofType('store.degraded')[0]).toMatchObject({
        plugin: 'ratelimit',
        severity: 'error',
      });
    } finally {
      await Promise.all([one.close(), two.close()]);
      await redis.stop();
    }
  });

  it('locks an address out after repeated bad credentials, and lets it back after the block', async () => {
    const server = await startTestHttpServer({
      plugins: [
        rateLimit({
          rules: [],
          bruteForce: { slowAfter: 3, maxFailures: 3, blockSeconds: 1, windowSeconds: 60 },
        }),
        testAuth(),
      ],
      createServer,
      sessions: 'stateless',
    });
    try {
      // A request without any credential is not a guess.
      expect((await callTool(server)).status).toBe(401);
      for (let i = 0; i < 3; i++)
        expect((await callTool(server, { 'x-test-key': `wrong-${i}` })).status).toBe(401);
      const blocked = await callTool(server, { 'x-test-key': 'good' });
      expect(blocked.status).toBe(429);
      const retryAfter = Number(blocked.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(((await blocked.json()) as { error: { data: { code: string } } }).error.data.code).toBe(
        RATELIMIT_ERROR_CODES.AUTH_BLOCKED,
      );
      await sleep(retryAfter * 1000 + 100);
      const released = await callTool(server, { 'x-test-key': 'good' });
      expect(released.status).toBe(200);
      await released.text();
    } finally {
      await server.close();
    }
    expect(server.events.ofType('auth.blocked')).toHaveLength(1);
    expect(server.events.ofType('auth.blocked')[0]?.details).toMatchObject({ failures: 3, blockSeconds: 1 });
  });

  it("forgets an address's failures after a successful authentication when resetOnSuccess is set", async () => {
    const server = await startTestHttpServer({
      plugins: [
        rateLimit({ rules: [], bruteForce: { slowAfter: 3, maxFailures: 3, resetOnSuccess: true } }),
        testAuth(),
      ],
      createServer,
      sessions: 'stateless',
    });
    try {
      const statuses: number[] = [];
      for (const key of ['bad-1', 'bad-2', 'good', 'bad-3', 'bad-4', 'good']) {
        const response = await callTool(server, { 'x-test-key': key });
        statuses.push(response.status);
        await response.text();
      }
      expect(statuses).toEqual([401, 401, 200, 401, 401, 200]);
    } finally {
      await server.close();
    }
  });

  it('slows an address down with cool-downs before blocking it', async () => {
    const server = await startTestHttpServer({
      plugins: [
        rateLimit({
          rules: [],
          bruteForce: { slowAfter: 1, maxFailures: 10, slowdownSeconds: 30, maxSlowdownSeconds: 60 },
        }),
        testAuth(),
      ],
      createServer,
      sessions: 'stateless',
    });
    try {
      expect((await callTool(server, { 'x-test-key': 'wrong' })).status).toBe(401);
      const slowed = await callTool(server, { 'x-test-key': 'wrong-again' });
      expect(slowed.status).toBe(429);
      expect(Number(slowed.headers.get('retry-after'))).toBeGreaterThan(1);
      expect(((await slowed.json()) as { error: { data: { code: string } } }).error.data.code).toBe(
        RATELIMIT_ERROR_CODES.AUTH_COOLDOWN,
      );
    } finally {
      await server.close();
    }
  });
});

describe('rateLimit plugin over an SDK transport (stdio-like)', () => {
  it('refuses with a JSON-RPC error carrying the retry time, per role', async () => {
    const plugin = rateLimit({
      rules: [
        {
          name: 'per-user',
          key: ['principal'],
          points: 2,
          duration: 60,
          match: { methods: ['tools/call'] },
          roles: { vip: 'unlimited' },
        },
      ],
    });
    const kit = await connectTestClient({
      plugins: [plugin],
      createServer,
      principal: fakePrincipal({ id: 'alice' }),
    });
    try {
      await kit.client.callTool({ name: 'work', arguments: { n: 1 } });
      await kit.client.callTool({ name: 'work', arguments: { n: 2 } });
      const error = await kit.client.callTool({ name: 'work', arguments: { n: 3 } }).then(
        () => undefined,
        (e: unknown) => e as { code: number; data?: { retryAfterSeconds?: number } },
      );
      expect(error?.code).toBe(JSON_RPC_ERROR_CODES.RATE_LIMITED);
      expect(error?.data?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(kit.warden.services.get(RATE_LIMIT_SERVICE)?.engine).toBeDefined();
    } finally {
      await kit.close();
    }
    const vip = await connectTestClient({
      plugins: [
        rateLimit({
          rules: [
            { name: 'per-user', key: ['principal'], points: 1, duration: 60, roles: { vip: 'unlimited' } },
          ],
        }),
      ],
      createServer,
      principal: fakePrincipal({ id: 'v', roles: ['vip'] }),
    });
    try {
      for (let i = 0; i < 5; i++) await vip.client.callTool({ name: 'work', arguments: { n: i } });
    } finally {
      await vip.close();
    }
  });

  it('never echoes a Redis password in a configuration error', async () => {
    const secret = 'hunter2-redis-password';
    const error = (() => {
      try {
        rateLimit({
          store: { type: 'redis', url: `redis://:${secret}@127.0.0.1:6379`, commandTimeoutMs: 1 },
        });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error?.message).toMatch(/commandTimeoutMs/);
    expect(error?.message).not.toContain(secret);
  });
});
