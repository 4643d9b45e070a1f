import { connect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { demoServer } from '../__fixtures__/demo-server.js';
import { adminScope, alwaysLimited, denyTools, tokenAuth } from '../__fixtures__/plugins.js';
import { connectHttpClient, startTestHttpServer, type TestHttpServer } from '../testing/index.js';
import { listen } from './listen.js';

const INIT = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};
const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

let srv: TestHttpServer;

async function post(body: unknown, headers: Record<string, string> = {}, raw = false): Promise<Response> {
  return fetch(srv.url, {
    method: 'POST',
    headers: { ...JSON_HEADERS, authorization: 'Bearer good:alice', ...headers },
    body: raw ? (body as string) : JSON.stringify(body),
  });
}

/** Reads a JSON-RPC message from a JSON or SSE response. */
async function message(response: Response): Promise<Record<string, unknown>> {
  const text = await response.text();
  if (response.headers.get('content-type')?.includes('text/event-stream')) {
    const data = text.split('\n').find((l) => l.startsWith('data: '));
    return JSON.parse(data!.slice(6));
  }
  return JSON.parse(text);
}

async function initSession(token = 'good:alice'): Promise<string> {
  const response = await post(INIT, { authorization: `Bearer ${token}` });
  expect(response.status).toBe(200);
  await response.text();
  const id = response.headers.get('mcp-session-id');
  expect(id).toBeTruthy();
  return id!;
}

async function expectStillServing(): Promise<void> {
  const client = await connectHttpClient(srv.url, { headers: { authorization: 'Bearer good:alice' } });
  const result = await client.callTool({ name: 'whoami', arguments: {} });
  expect(result.content).toEqual([{ type: 'text', text: 'alice' }]);
  await client.close();
}

describe.each(['stateful', 'stateless'] as const)('HTTP edge (%s)', (sessions) => {
  beforeEach(async () => {
    srv = await startTestHttpServer({
      plugins: [tokenAuth(), adminScope(), denyTools(['stall'])],
      createServer: demoServer,
      sessions,
      handlerOptions: { maxBodyBytes: 4096, bodyTimeoutMs: 300 },
    });
  });
  afterEach(async () => srv.close());

  it('serves the real SDK client and hands tools the authenticated principal', async () => {
    await expectStillServing();
    expect(srv.events.ofType('auth.succeeded').length).toBeGreaterThan(0);
  });

  it('answers a missing credential with 401 and the challenge, without an error code', async () => {
    const response = await post(INIT, { authorization: '' });
    expect(response.status).toBe(401);
    const header = response.headers.get('www-authenticate')!;
    expect(header).toContain(
      'Bearer resource_metadata="http://127.0.0.1/.well-known/oauth-protected-resource/mcp"',
    );
    expect(header).not.toContain('error=');
    expect(srv.events.ofType('auth.failed')[0]).toMatchObject({
      reason: 'no credential presented',
      outcome: 'denied',
    });
  });

  it('answers an invalid credential with 401 invalid_token and records the real reason', async () => {
    const response = await post(INIT, { authorization: 'Bearer forged-token-value' });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
    const body = await response.text();
    expect(body).not.toContain('forged-token-value');
    expect(srv.events.ofType('auth.failed')[0]).toMatchObject({
      plugin: 'token-auth',
      reason: 'token not recognised',
    });
    expect(JSON.stringify(srv.events.events)).not.toContain('forged-token-value');
  });

  it('refuses credentials in the query string', async () => {
    const response = await fetch(`${srv.url}?access_token=abc`, {
      method: 'POST',
      headers: JSON_HEADERS,
      body: JSON.stringify(INIT),
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_request"');
    expect((await message(response)).error).toMatchObject({
      message: expect.stringContaining('Authorization header'),
    });
  });

  it('answers missing scopes with 403 insufficient_scope naming every needed scope (step-up)', async () => {
    const sid = sessions === 'stateful' ? await initSession() : undefined;
    const call = {
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'admin_stats', arguments: {} },
    };
    const headers: Record<string, string> = sid
      ? { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18' }
      : {};
    const denied = await post(call, headers);
    expect(denied.status).toBe(403);
    expect(denied.headers.get('www-authenticate')).toMatch(/error="insufficient_scope".*scope="admin"/);
    // The same principal with the scope gets through (a fresh credential, same id: the session still matches).
    const allowed = await post(call, { ...headers, authorization: 'Bearer good:alice:admin' });
    expect(allowed.status).toBe(200);
    expect((await message(allowed)).result).toMatchObject({ content: [{ type: 'text', text: 'stats' }] });
  });

  it('answers a policy refusal as a JSON-RPC error with HTTP 200', async () => {
    const client = await connectHttpClient(srv.url, { headers: { authorization: 'Bearer good:alice' } });
    await expect(client.callTool({ name: 'stall', arguments: {} })).rejects.toThrow(
      /Access denied: tools:call stall/,
    );
    expect((await client.listTools()).tools.map((t) => t.name)).not.toContain('stall');
    await client.close();
  });

  it('refuses a foreign Host or Origin with 403 (DNS rebinding) and allows loopback origins with CORS', async () => {
    // fetch() cannot set Host, so this one goes out raw (the conformance suite's dns-rebinding check does the same).
    const body = JSON.stringify(INIT);
    const evilHost = await rawRequest(
      `POST /mcp HTTP/1.1\r\nHost: evil.example.com\r\nConnection: close\r\nAuthorization: Bearer good:alice\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    expect(evilHost).toMatch(/^HTTP\/1\.1 403/);
    const evil = await post(INIT, { origin: 'http://evil.example.com' });
    expect(evil.status).toBe(403);
    expect(srv.events.ofType('request.rejected').length).toBe(2);
    const ok = await post(INIT, { origin: srv.origin });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(srv.origin);
    const preflight = await fetch(srv.url, {
      method: 'OPTIONS',
      headers: { origin: srv.origin, 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toContain('Mcp-Session-Id');
  });

  it('serves plugin routes without authentication', async () => {
    const response = await fetch(new URL('/.well-known/test-route', srv.url));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
  });

  describe('bad input: a clear 4xx or JSON-RPC error, and the server keeps serving', () => {
    const cases: Array<[string, () => Promise<Response>, number, RegExp]> = [
      ['invalid JSON', () => post('{"jsonrpc": "2.0", "id": 1, "meth', {}, true), 400, /Parse error/],
      ['JSON that is not JSON-RPC', () => post({ hello: 'world' }), 400, /jsonrpc/],
      ['a JSON string', () => post('"just a string"', {}, true), 400, /JSON-RPC 2.0 message object/],
      ['wrong jsonrpc version', () => post({ ...INIT, jsonrpc: '1.0' }), 400, /exactly ..2\.0/],
      ['an object id', () => post({ ...INIT, id: { a: 1 } }), 400, /id.. must be a string or a number/],
      ['array params', () => post({ ...INIT, params: [1, 2] }), 400, /params.. must be an object/],
      ['a batch', () => post([INIT, INIT]), 400, /batches are not supported/],
      ['an empty batch', () => post([]), 400, /batches are not supported/],
      [
        'wrong Content-Type',
        () => post(INIT, { 'content-type': 'text/plain' }),
        415,
        /Content-Type must be application\/json/,
      ],
      ['wrong Accept', () => post(INIT, { accept: 'text/html' }), 406, /Accept header/],
      ['a body over the limit', () => post({ ...INIT, pad: 'x'.repeat(10_000) }), 413, /too large/],
      [
        'an unsupported HTTP method',
        () =>
          fetch(srv.url, { method: 'PUT', headers: { ...JSON_HEADERS, authorization: 'Bearer good:alice' } }),
        405,
        /not allowed/,
      ],
    ];
    for (const [name, send, status, pattern] of cases) {
      it(name, async () => {
        const response = await send();
        expect(response.status).toBe(status);
        expect(JSON.stringify(await message(response))).toMatch(pattern);
        await expectStillServing();
      });
    }

    it('an unknown method gets JSON-RPC method-not-found', async () => {
      const sid = sessions === 'stateful' ? await initSession() : undefined;
      const headers: Record<string, string> = sid
        ? { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18' }
        : {};
      const response = await post({ jsonrpc: '2.0', id: 9, method: 'no/such/method', params: {} }, headers);
      expect((await message(response)).error).toMatchObject({ code: -32601 });
      await expectStillServing();
    });

    it('a body over the limit without Content-Length (chunked)', async () => {
      const stream = new ReadableStream({
        start(controller) {
          for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode('x'.repeat(1000)));
          controller.close();
        },
      });
      const response = await fetch(srv.url, {
        method: 'POST',
        headers: { ...JSON_HEADERS, authorization: 'Bearer good:alice' },
        body: stream,
        duplex: 'half',
      } as RequestInit);
      expect(response.status).toBe(413);
      await expectStillServing();
    });

    it('a slow body times out with 408', async () => {
      const status = await rawRequest(
        `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer good:alice\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: 500\r\n\r\n{"jsonrpc":`,
      );
      expect(status).toContain('408');
      await expectStillServing();
    });

    it('a truncated body (client hangs up) does not disturb the server', async () => {
      await rawRequest(
        `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer good:alice\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: 500\r\n\r\n{"jsonrpc":`,
        { hangUpAfterMs: 50 },
      );
      await expectStillServing();
    });

    it('hostile header values: over-long credentials, control bytes, non-ASCII', async () => {
      expect((await post(INIT, { authorization: `Bearer ${'A'.repeat(8000)}` })).status).toBe(401);
      expect((await post(INIT, { authorization: 'Bearer gööd:alice' })).status).toBe(401);
      const status = await rawRequest(
        `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Evil: a\u0001b\r\nContent-Length: 0\r\n\r\n`,
      );
      expect(status).toMatch(/^HTTP\/1\.1 400/);
      const huge = await rawRequest(
        `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'b'.repeat(40_000)}\r\nContent-Length: 0\r\n\r\n`,
      );
      expect(huge).toMatch(/^HTTP\/1\.1 431/);
      await expectStillServing();
    });
  });
});

/** Sends raw bytes and returns the status line (or '' when the server closed without answering). */
function rawRequest(text: string, options: { hangUpAfterMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(srv.url.port), '127.0.0.1', () => socket.write(text));
    let data = '';
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
    });
    socket.on('error', () => resolve(data.split('\r\n')[0] ?? ''));
    socket.on('close', () => resolve(data.split('\r\n')[0] ?? ''));
    if (options.hangUpAfterMs !== undefined) setTimeout(() => socket.destroy(), options.hangUpAfterMs);
    setTimeout(() => reject(new Error('raw request got no answer')), 5000).unref();
  });
}

describe('HTTP edge sessions', () => {
  beforeEach(async () => {
    srv = await startTestHttpServer({
      plugins: [tokenAuth()],
      createServer: demoServer,
      sessions: 'stateful',
    });
  });
  afterEach(async () => srv.close());

  it("refuses another principal's session id exactly like an unknown one", async () => {
    const sid = await initSession('good:alice');
    const headers = { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18' };
    const list = { jsonrpc: '2.0', id: 3, method: 'tools/list', params: {} };
    const stolen = await post(list, { ...headers, authorization: 'Bearer good:mallory' });
    const unknown = await post(list, { ...headers, 'mcp-session-id': 'no-such-session' });
    expect(stolen.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(await stolen.text()).toBe(await unknown.text());
    expect(srv.events.ofType('session.rejected')[0]).toMatchObject({
      reason: 'session belongs to another principal',
      principalId: 'mallory',
    });
    // The owner still uses it.
    expect((await post(list, headers)).status).toBe(200);
  });

  it('re-authenticates every request: a session without a credential is refused', async () => {
    const sid = await initSession('good:alice');
    const response = await post(
      { jsonrpc: '2.0', id: 4, method: 'tools/list' },
      { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18', authorization: '' },
    );
    expect(response.status).toBe(401);
  });

  it('requires a session id after initialize, and closes a session on DELETE', async () => {
    const noSession = await post({ jsonrpc: '2.0', id: 5, method: 'tools/list' });
    expect(noSession.status).toBe(400);
    const sid = await initSession();
    expect(srv.handler.sessionCount).toBe(1);
    const del = await fetch(srv.url, {
      method: 'DELETE',
      headers: {
        authorization: 'Bearer good:alice',
        'mcp-session-id': sid,
        'mcp-protocol-version': '2025-06-18',
      },
    });
    expect(del.status).toBe(200);
    expect(srv.handler.sessionCount).toBe(0);
  });

  it('answers rate-limit refusals with 429 and Retry-After', async () => {
    await srv.close();
    srv = await startTestHttpServer({
      plugins: [tokenAuth(), alwaysLimited()],
      createServer: demoServer,
      sessions: 'stateless',
    });
    const response = await post({
      jsonrpc: '2.0',
      id: 6,
      method: 'tools/call',
      params: { name: 'echo', arguments: { text: 'x' } },
    });
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('7');
    expect((await message(response)).error).toMatchObject({ code: -32029, data: { retryAfterSeconds: 7 } });
  });
});

describe('listen', () => {
  it('refuses plain HTTP on a non-loopback address unless told', async () => {
    await expect(listen(() => undefined, { host: '0.0.0.0', port: 0 })).rejects.toThrow(
      /Refusing to serve plain HTTP on non-loopback address/,
    );
  });
});

describe('resumable streams', () => {
  it('gives every session its own event store, so a stream can be resumed but never crosses sessions', async () => {
    const { InMemoryEventStore } = await import('../__fixtures__/event-store.js');
    const stores: InstanceType<typeof InMemoryEventStore>[] = [];
    srv = await startTestHttpServer({
      plugins: [tokenAuth()],
      createServer: demoServer,
      handlerOptions: {
        eventStore: () => {
          const store = new InMemoryEventStore();
          stores.push(store);
          return store;
        },
        retryInterval: 1000,
      },
    });
    const init = { ...INIT, params: { ...INIT.params, protocolVersion: '2025-11-25' } };
    const first = await post(init, { authorization: 'Bearer good:alice' });
    const body = await first.text();
    expect(body).toMatch(/^id: \S+\nretry: 1000\n/m); // the priming event a client resumes from
    await (await post(init, { authorization: 'Bearer good:bob' })).text();
    expect(stores).toHaveLength(2);
    expect(stores[0]!.size).toBeGreaterThan(0);
    await srv.close();
  });
});
