import { afterEach, describe, expect, it } from 'vitest';
import { demoServer } from '../__fixtures__/demo-server.js';
import { tokenAuth } from '../__fixtures__/plugins.js';
import { CORE_ERROR_CODES } from '../errors.js';
import type { Principal } from '../principal.js';
import { startTestHttpServer, type TestHttpServer } from '../testing/index.js';
import type { HttpHandlerOptions } from './edge.js';

const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const INIT = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
};

let srv: TestHttpServer | undefined;
afterEach(async () => {
  await srv?.close();
  srv = undefined;
});

async function start(
  handlerOptions: Omit<HttpHandlerOptions, 'createServer' | 'sessions'>,
): Promise<TestHttpServer> {
  srv = await startTestHttpServer({ plugins: [tokenAuth()], createServer: demoServer, handlerOptions });
  return srv;
}

/** Opens a session; returns the HTTP status, the session id and the error body when refused. */
async function open(
  who: string,
): Promise<{ status: number; id: string | null; retryAfter: string | null; body: string }> {
  const response = await fetch(srv!.url, {
    method: 'POST',
    headers: { ...HEADERS, authorization: `Bearer good:${who}` },
    body: JSON.stringify(INIT),
  });
  return {
    status: response.status,
    id: response.headers.get('mcp-session-id'),
    retryAfter: response.headers.get('retry-after'),
    body: await response.text(),
  };
}

function codeOf(body: string): unknown {
  return (JSON.parse(body) as { error?: { data?: { code?: unknown } } }).error?.data?.code;
}

describe('session caps', () => {
  for (const cap of [1, 2, 5]) {
    it(`principal at its cap (${cap}) gets 429 SESSION_LIMIT with Retry-After; others still open sessions`, async () => {
      await start({ maxSessionsPerPrincipal: cap });
      for (let i = 0; i < cap; i++) expect((await open('alice')).status).toBe(200);
      const refused = await open('alice');
      expect(refused.status).toBe(429);
      expect(codeOf(refused.body)).toBe(CORE_ERROR_CODES.SESSION_LIMIT);
      expect(Number(refused.retryAfter)).toBeGreaterThan(0);
      for (const other of ['bob', 'carol']) expect((await open(other)).status).toBe(200);
      expect(srv!.events.ofType('session.rejected').at(-1)).toMatchObject({
        reason: `per-principal session limit ${cap} reached by alice`,
      });
    });
  }

  it('the server full: 503 SESSION_LIMIT with Retry-After, not BAD_REQUEST', async () => {
    await start({ maxSessions: 4, maxSessionsPerPrincipal: 2 });
    for (const who of ['r1', 'r1', 'r2', 'r2']) expect((await open(who)).status).toBe(200);
    const refused = await open('admin');
    expect(refused.status).toBe(503);
    expect(codeOf(refused.body)).toBe(CORE_ERROR_CODES.SESSION_LIMIT);
    expect(refused.retryAfter).toMatch(/^\d+$/);
  });

  it('by default one principal cannot hold more than a small share of the server', async () => {
    await start({});
    let opened = 0;
    for (let i = 0; i < 40; i++) if ((await open('reader')).status === 200) opened++;
    expect(opened).toBe(16);
    expect((await open('admin')).status).toBe(200);
  });

  it('anonymous sessions are capped per client address, not for all unauthenticated clients together', async () => {
    srv = await startTestHttpServer({
      wardenOptions: { allowAnonymous: true },
      createServer: demoServer,
      handlerOptions: { maxSessionsPerPrincipal: 2, trustedProxies: ['127.0.0.1'] },
    });
    const openFrom = async (address: string) =>
      (
        await fetch(srv!.url, {
          method: 'POST',
          headers: { ...HEADERS, 'x-forwarded-for': address },
          body: JSON.stringify(INIT),
        })
      ).status;
    for (const address of ['203.0.113.1', '203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.3'])
      expect(await openFrom(address)).toBe(200);
    expect(await openFrom('203.0.113.1')).toBe(429);
    expect(await openFrom('203.0.113.2')).toBe(200);
    expect(await openFrom('203.0.113.2')).toBe(429);
    expect(srv.events.ofType('session.rejected').at(-1)).toMatchObject({
      reason: 'per-principal session limit 2 reached by anonymous',
    });
  });

  it('refuses invalid caps at setup', async () => {
    await expect(start({ maxSessionsPerPrincipal: 0 })).rejects.toThrow(
      /maxSessionsPerPrincipal must be a positive integer/,
    );
  });
});

/** Opens the standalone GET SSE stream of a session; resolves `ended` when the server closes it. */
async function openStream(who: string, sessionId: string): Promise<{ ended: Promise<void> }> {
  const response = await fetch(srv!.url, {
    headers: {
      accept: 'text/event-stream',
      authorization: `Bearer good:${who}`,
      'mcp-session-id': sessionId,
      'mcp-protocol-version': '2025-06-18',
    },
  });
  expect(response.status).toBe(200);
  const reader = response.body!.getReader();
  const ended = (async () => {
    for (;;) {
      const { done } = await reader.read().catch(() => ({ done: true }));
      if (done) return;
    }
  })();
  return { ended };
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) =>
      setTimeout(() => reject(new Error(`${what} not within ${ms} ms`)), ms).unref(),
    ),
  ]);
}

describe('closing the sessions of a revoked principal', () => {
  it('closeSessionsOf ends that principal’s open SSE streams at once, and nobody else’s', async () => {
    await start({});
    const a = [await open('alice'), await open('alice')];
    const b = await open('bob');
    const streams = await Promise.all(a.map((s) => openStream('alice', s.id!)));
    const bobStream = await openStream('bob', b.id!);
    expect(srv!.handler.closeSessionsOf('alice')).toBe(2);
    await within(Promise.all(streams.map((s) => s.ended)), 3000, 'alice’s streams ending');
    expect(srv!.handler.sessionCount).toBe(1);
    expect(srv!.events.ofType('session.closed').map((e) => e.principalId)).toEqual(['alice', 'alice']);
    // Bob's stream is still open and his session still serves.
    const still = await Promise.race([
      bobStream.ended.then(() => 'ended'),
      new Promise((r) => setTimeout(() => r('open'), 200)),
    ]);
    expect(still).toBe('open');
    const list = await fetch(srv!.url, {
      method: 'POST',
      headers: {
        ...HEADERS,
        authorization: 'Bearer good:bob',
        'mcp-session-id': b.id!,
        'mcp-protocol-version': '2025-06-18',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    });
    expect(list.status).toBe(200);
    await list.text();
    // Alice's old session ids are gone.
    const gone = await fetch(srv!.url, {
      method: 'POST',
      headers: {
        ...HEADERS,
        authorization: 'Bearer good:alice',
        'mcp-session-id': a[0]!.id!,
        'mcp-protocol-version': '2025-06-18',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    });
    expect(gone.status).toBe(404);
  });

  it('principalStillValid: a principal whose credential stopped authenticating loses its streams on the next check', async () => {
    const revoked = new Set<string>();
    const asked: string[] = [];
    await start({
      principalRecheckMs: 50,
      principalStillValid: (p: Principal) => {
        asked.push(p.id);
        if (p.id === 'flaky') throw new Error('store unavailable');
        return !revoked.has(p.id);
      },
    });
    const a = await open('alice');
    const f = await open('flaky');
    const aliceStream = await openStream('alice', a.id!);
    await openStream('flaky', f.id!);
    revoked.add('alice');
    await within(aliceStream.ended, 3000, 'the revoked principal’s stream ending');
    expect(srv!.events.ofType('session.closed')[0]).toMatchObject({
      principalId: 'alice',
      reason: 'the credential no longer authenticates',
    });
    // A failing check keeps the sessions (and is recorded).
    await expect.poll(() => srv!.events.ofType('plugin.error').length).toBeGreaterThan(0);
    expect(srv!.handler.sessionCount).toBe(1);
    expect(asked).toContain('flaky');
  });
});
