import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1Transport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { tokenAuth } from '../__fixtures__/plugins.js';
import { v2SessionfulEndpoint } from '../__fixtures__/v2-sessions.js';
import { ConfigError } from '../errors.js';
import { MemoryEventSink } from '../events.js';
import { sessionNotFoundBody } from '../http/sessions.js';
import type { RequestContext, WardenPlugin } from '../plugin.js';
import { createWarden, type Warden } from '../warden.js';
import type { WardenFetchHandler } from './handler.js';
import type { FetchHandlerOptions } from './options.js';

const URL_MCP = 'http://localhost/mcp';
const ALICE = 'Bearer good:alice:read';
const BOB = 'Bearer good:bob:read';
const ACCEPT = 'application/json, text/event-stream';

/** Records the context of every request a plugin sees. */
function recorder(seen: RequestContext[]): WardenPlugin {
  return { specVersion: 1, name: 'recorder', beforeRequest: (ctx) => void seen.push(ctx) };
}

interface Setup {
  warden: Warden;
  handler: WardenFetchHandler;
  upstream: ReturnType<typeof v2SessionfulEndpoint>;
  sink: MemoryEventSink;
  seen: RequestContext[];
}

const open: Setup[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const setup of open.splice(0)) {
    await setup.warden.close();
    await setup.upstream.close();
  }
});

async function setup(
  options: Omit<FetchHandlerOptions, 'upstream'> = {},
  allowAnonymous = false,
): Promise<Setup> {
  const sink = new MemoryEventSink();
  const seen: RequestContext[] = [];
  const warden = await createWarden({
    plugins: [tokenAuth(), recorder(seen)],
    sinks: [sink],
    allowAnonymous,
  });
  const upstream = v2SessionfulEndpoint();
  const handler = warden.fetchHandler({ upstream, ...options });
  const made = { warden, handler, upstream, sink, seen };
  open.push(made);
  return made;
}

function headers(auth: string | undefined, sessionId?: string): Record<string, string> {
  const out: Record<string, string> = { 'content-type': 'application/json', accept: ACCEPT };
  if (auth) out.authorization = auth;
  if (sessionId !== undefined) out['mcp-session-id'] = sessionId;
  return out;
}

let nextId = 1;
function rpc(method: string, params: Record<string, unknown> = {}) {
  return JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params });
}

const INIT_PARAMS = {
  protocolVersion: '2025-06-18',
  capabilities: { roots: { listChanged: true } },
  clientInfo: { name: 'raw-client', version: '1.0.0' },
};

/** A raw 2025-era initialize; resolves the response (its body read) and the session id it opened. */
async function initialize(s: Setup, auth: string | undefined, remoteAddress?: string) {
  const response = await s.handler.fetch(
    new Request(URL_MCP, { method: 'POST', headers: headers(auth), body: rpc('initialize', INIT_PARAMS) }),
    { remoteAddress },
  );
  const text = await response.text();
  return { response, text, sessionId: response.headers.get('mcp-session-id') ?? undefined };
}

/** One request on a session with each HTTP method a 2025 session knows. */
function onSession(method: 'POST' | 'GET' | 'DELETE', auth: string | undefined, sessionId: string) {
  const init: RequestInit = { method, headers: headers(auth, sessionId) };
  if (method === 'POST') init.body = rpc('tools/call', { name: 'whoami', arguments: {} });
  return new Request(URL_MCP, init);
}

/** A 2025-era client of the SDK, talking to the handler in process. */
async function v1Client(s: Setup, auth: string) {
  const transport = new V1Transport(new URL(URL_MCP), {
    requestInit: { headers: { authorization: auth } },
    fetch: (url, init) => s.handler.fetch(new Request(url, init)),
  });
  const client = new V1Client({ name: 'v1-client', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

const whoami = async (client: V1Client) =>
  ((await client.callTool({ name: 'whoami', arguments: {} })).content as { text: string }[])[0]?.text;

/**
 * The answer to a session that must look unknown: the node edge's 404, the upstream never asked. A binding that
 * expires on this very request is the exception: Warden then tells the upstream the session is over (one DELETE
 * of its own, `expired`), which is not the refused request.
 */
async function expectUnknown(s: Setup, request: Request, remoteAddress?: string, expired = false) {
  const calls = s.upstream.calls.length;
  const rejected = s.sink.ofType('session.rejected').length;
  const response = await s.handler.fetch(request, { remoteAddress });
  expect(response.status).toBe(404);
  expect(await response.json()).toEqual(sessionNotFoundBody());
  expect(response.headers.get('mcp-session-id')).toBeNull();
  const sessionId = request.headers.get('mcp-session-id');
  expect(s.upstream.calls.slice(calls)).toEqual(
    expired ? [{ method: 'DELETE', sessionId, principalId: expect.any(String) }] : [],
  );
  expect(s.sink.ofType('session.rejected').length).toBe(rejected + 1);
  return s.sink.ofType('session.rejected').at(-1)!;
}

/** Ways to name a session that is not the caller's: the id itself, near copies, and ids never handed out. */
function variantsOf(id: string): string[] {
  return [
    id,
    id.toUpperCase(),
    ` ${id}\t`, // optional whitespace: the Fetch API strips it, so this is the id itself again
    `${id} `,
    `${id}x`,
    id.slice(0, -1),
    `${id},${id}`, // sent twice, joined
    id.replace(/-/g, ''),
    crypto.randomUUID(),
    'x',
  ];
}

describe('2025-era sessions on the fetch face are bound to the principal that opened them', () => {
  it('another principal naming a session (any spelling, any method) gets the unknown-session 404', async () => {
    const s = await setup();
    const alice = await v1Client(s, ALICE);
    const id = alice.transport.sessionId!;
    expect(id).toBeTruthy();
    expect(s.handler.sessionCount).toBe(1);
    for (const variant of variantsOf(id))
      for (const method of ['POST', 'GET', 'DELETE'] as const) {
        const event = await expectUnknown(s, onSession(method, BOB, variant));
        expect(event).toMatchObject({ outcome: 'denied', principalId: 'bob' });
        expect(JSON.stringify(event)).not.toContain(id);
      }
    // The same answer whether the session exists or not: only the event says which it was.
    const known = s.sink.ofType('session.rejected').filter((e) => e.details?.sessionKnown === true);
    expect(known.length).toBe(3 * 3); // the id itself and two padded copies (the padding is stripped), per method
    // Alice's own session still works, and her near-copies of her own id are unknown to her too.
    expect(await whoami(alice.client)).toBe('alice');
    for (const variant of variantsOf(id).filter((v) => v.trim() !== id))
      await expectUnknown(s, onSession('POST', ALICE, variant));
    expect(await whoami(alice.client)).toBe('alice');
    expect(s.upstream.calls.some((c) => c.principalId === 'bob')).toBe(false);
    await alice.client.close();
  });

  it('a 2026-07-28 request’s Mcp-Session-Id is ignored, as that revision says, and never forwarded', async () => {
    const s = await setup();
    const alice = await initialize(s, ALICE);
    for (const sessionId of [alice.sessionId!, crypto.randomUUID()]) {
      const body = JSON.stringify({
        jsonrpc: '2.0',
        id: nextId++,
        method: 'tools/call',
        params: {
          name: 'whoami',
          arguments: {},
          _meta: {
            'io.modelcontextprotocol/protocolVersion': '2026-07-28',
            'io.modelcontextprotocol/clientCapabilities': {},
          },
        },
      });
      const request = new Request(URL_MCP, {
        method: 'POST',
        headers: {
          ...headers(BOB, sessionId),
          'mcp-protocol-version': '2026-07-28',
          'mcp-method': 'tools/call',
          'mcp-name': 'whoami',
        },
        body,
      });
      s.seen.length = 0;
      const response = await s.handler.fetch(request);
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('bob');
      expect(s.upstream.calls.at(-1)).toMatchObject({ method: 'tools/call', sessionId: null });
      expect(s.seen[0]).toMatchObject({ era: 'modern', sessionId: undefined });
    }
    expect(s.sink.ofType('session.rejected')).toEqual([]);
  });

  it('fills ctx.sessionId, protocolVersion, clientInfo and clientCapabilities on later requests', async () => {
    const s = await setup();
    const alice = await v1Client(s, ALICE);
    s.seen.length = 0;
    await whoami(alice.client);
    const call = s.seen.find((c) => c.method === 'tools/call');
    expect(call).toMatchObject({
      era: 'legacy',
      sessionId: alice.transport.sessionId,
      clientInfo: { name: 'v1-client', version: '1.0.0' },
    });
    expect(call?.protocolVersion).toMatch(/^2025-/);
    expect(call?.clientCapabilities).toBeTypeOf('object');

    const raw = await initialize(s, BOB);
    s.seen.length = 0;
    const later = await s.handler.fetch(onSession('POST', BOB, raw.sessionId!));
    expect(later.status).toBe(200);
    await later.text();
    expect(s.seen[0]).toMatchObject({
      sessionId: raw.sessionId,
      protocolVersion: '2025-06-18',
      clientInfo: INIT_PARAMS.clientInfo,
      clientCapabilities: INIT_PARAMS.capabilities,
    });
    await alice.client.close();
  });

  it('a DELETE ends the binding: the id is then unknown to its owner and everyone else', async () => {
    const s = await setup();
    const alice = await v1Client(s, ALICE);
    const id = alice.transport.sessionId!;
    await alice.transport.terminateSession();
    expect(s.handler.sessionCount).toBe(0);
    expect(s.upstream.sessions.size).toBe(0);
    await expectUnknown(s, onSession('POST', ALICE, id));
    await expectUnknown(s, onSession('GET', BOB, id));
    await alice.client.close();
  });

  it('an upstream 404 for a session ends the binding', async () => {
    const s = await setup();
    const { sessionId } = await initialize(s, ALICE);
    s.upstream.sessions.delete(sessionId!); // the upstream forgot it (restart, its own expiry)
    const response = await s.handler.fetch(onSession('POST', ALICE, sessionId!));
    expect(response.status).toBe(404);
    expect(s.handler.sessionCount).toBe(0);
    await expectUnknown(s, onSession('POST', ALICE, sessionId!));
  });

  it('idle bindings expire: on use past the timeout, and by the sweep', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'] });
    const s = await setup({ sessionIdleTimeoutMs: 5_000 });
    const first = await initialize(s, ALICE);
    const second = await initialize(s, ALICE);
    vi.setSystemTime(Date.now() + 4_000);
    const kept = await s.handler.fetch(onSession('POST', ALICE, second.sessionId!));
    expect(kept.status).toBe(200);
    await kept.text();
    vi.setSystemTime(Date.now() + 1_500); // the first is 5.5 s idle, the second 1.5 s
    const event = await expectUnknown(s, onSession('POST', ALICE, first.sessionId!), undefined, true);
    expect(event.reason).toBe('unknown or expired session');
    expect(s.handler.sessionCount).toBe(1);
    vi.advanceTimersByTime(5_000); // the sweep, with the second now 6.5 s idle
    expect(s.handler.sessionCount).toBe(0);
    await expectUnknown(s, onSession('GET', ALICE, second.sessionId!));
  });

  it('a session whose stream is still open is not idle; once the stream ends, the clock starts', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'] });
    const s = await setup({ sessionIdleTimeoutMs: 5_000 });
    const { sessionId } = await initialize(s, ALICE);
    const stream = await s.handler.fetch(onSession('GET', ALICE, sessionId!));
    expect(stream.status).toBe(200);
    vi.setSystemTime(Date.now() + 60_000);
    vi.advanceTimersByTime(5_000);
    expect(s.handler.sessionCount).toBe(1);
    await stream.body!.cancel();
    for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
    vi.advanceTimersByTime(5_000);
    expect(s.handler.sessionCount).toBe(1);
    vi.setSystemTime(Date.now() + 5_001);
    vi.advanceTimersByTime(5_000);
    expect(s.handler.sessionCount).toBe(0);
  });

  it('closeSessionsOf ends a principal’s sessions at once, open streams included, and no one else’s', async () => {
    const s = await setup();
    const alice = await v1Client(s, ALICE);
    const aliceRaw = await initialize(s, ALICE);
    const bob = await initialize(s, BOB);
    const stream = await s.handler.fetch(onSession('GET', ALICE, aliceRaw.sessionId!));
    expect(stream.status).toBe(200);
    const reader = stream.body!.getReader();
    expect(s.handler.closeSessionsOf('alice', 'other-authenticator')).toBe(0);
    expect(s.handler.closeSessionsOf('alice', 'token-auth')).toBe(2);
    await expect(
      (async () => {
        for (;;) if ((await reader.read()).done) return 'ended';
      })(),
    ).rejects.toThrow(/session ended/);
    expect(s.sink.ofType('session.closed').map((e) => e.sessionId)).toEqual([
      alice.transport.sessionId,
      aliceRaw.sessionId,
    ]);
    await expectUnknown(s, onSession('POST', ALICE, aliceRaw.sessionId!));
    await expect(whoami(alice.client)).rejects.toThrow();
    const bobs = await s.handler.fetch(onSession('POST', BOB, bob.sessionId!));
    expect(bobs.status).toBe(200);
    expect(await bobs.text()).toContain('bob');
    expect(s.handler.sessionCount).toBe(1);
    await alice.client.close();
  });

  it('anonymous sessions are bound to the client address as well', async () => {
    const s = await setup({}, true);
    const here = await initialize(s, undefined, '10.0.0.1');
    expect(here.sessionId).toBeTruthy();
    const same = await s.handler.fetch(onSession('POST', undefined, here.sessionId!), {
      remoteAddress: '10.0.0.1',
    });
    expect(same.status).toBe(200);
    await same.text();
    for (const address of ['10.0.0.2', '::ffff:10.0.0.3', undefined])
      await expectUnknown(s, onSession('POST', undefined, here.sessionId!), address);
    // Nor is an anonymous session an authenticated principal's, or the other way round.
    await expectUnknown(s, onSession('POST', ALICE, here.sessionId!), '10.0.0.1');
  });
});

describe('session caps on the fetch face', () => {
  it('refuses an initialize over the per-principal cap (429) and the global cap (503) before the upstream', async () => {
    const s = await setup({ maxSessionsPerPrincipal: 2, maxSessions: 3 });
    expect((await initialize(s, ALICE)).sessionId).toBeTruthy();
    const second = await initialize(s, ALICE);
    expect(second.sessionId).toBeTruthy();
    const calls = s.upstream.calls.length;
    const over = await initialize(s, ALICE);
    expect(over.response.status).toBe(429);
    expect(over.response.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(JSON.parse(over.text).error.data.code).toBe('SESSION_LIMIT');
    expect(s.upstream.calls.length).toBe(calls);
    expect((await initialize(s, BOB)).sessionId).toBeTruthy();
    const full = await initialize(s, 'Bearer good:carol:read');
    expect(full.response.status).toBe(503);
    expect(JSON.parse(full.text).error.data.code).toBe('SESSION_LIMIT');
    expect(s.sink.ofType('session.rejected').map((e) => e.details?.code)).toEqual([
      'SESSION_LIMIT',
      'SESSION_LIMIT',
    ]);
    // A DELETE frees the slot.
    const closed = await s.handler.fetch(onSession('DELETE', ALICE, second.sessionId!));
    expect(closed.status).toBe(200);
    expect((await initialize(s, 'Bearer good:carol:read')).sessionId).toBeTruthy();
    expect(s.handler.sessionCount).toBe(3);
  });

  it('holds concurrent initializes to the caps (the table never passes maxSessions)', async () => {
    const s = await setup({ maxSessionsPerPrincipal: 3, maxSessions: 5 });
    const tokens = ['alice', 'bob', 'carol', 'dave'].flatMap((p) =>
      Array.from({ length: 4 }, () => `Bearer good:${p}:read`),
    );
    const results = await Promise.all(tokens.map((t) => initialize(s, t)));
    const opened = results.filter((r) => r.sessionId !== undefined);
    expect(opened.length).toBe(5);
    expect(results.every((r) => r.sessionId !== undefined || [429, 503].includes(r.response.status))).toBe(
      true,
    );
    expect(s.handler.sessionCount).toBe(5);
    expect(s.upstream.sessions.size).toBe(5);
  });
});

describe('what the upstream answers an initialize with', () => {
  async function scripted(sessionIds: (string | null)[]) {
    const sink = new MemoryEventSink();
    const warden = await createWarden({ plugins: [tokenAuth()], sinks: [sink] });
    const handler = warden.fetchHandler({
      upstream: async (_request, options) => {
        const id = (options?.parsedBody as { id?: number } | undefined)?.id ?? null;
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        const sessionId = sessionIds.shift();
        if (sessionId) headers['mcp-session-id'] = sessionId;
        return new Response(JSON.stringify({ jsonrpc: '2.0', id, result: {} }), { headers });
      },
    });
    const init = (auth: string) =>
      handler.fetch(
        new Request(URL_MCP, {
          method: 'POST',
          headers: headers(auth),
          body: rpc('initialize', INIT_PARAMS),
        }),
      );
    return { warden, handler, sink, init };
  }

  it('withholds a session id it cannot bind: malformed, or already another principal’s', async () => {
    const t = await scripted(['same-id', 'same-id', 'bad id', 'é', 'x'.repeat(257)]);
    expect((await t.init(ALICE)).status).toBe(200);
    for (const _ of [1, 2, 3, 4]) {
      const response = await t.init(BOB);
      expect(response.status).toBe(502);
      expect(response.headers.get('mcp-session-id')).toBeNull();
    }
    expect(t.handler.sessionCount).toBe(1);
    expect(t.sink.ofType('plugin.error').length).toBe(4);
    await t.warden.close();
  });
});

describe('session options', () => {
  it('are validated at setup', async () => {
    const warden = await createWarden({ plugins: [tokenAuth()] });
    const upstream = async () => new Response(null, { status: 202 });
    for (const name of ['sessionIdleTimeoutMs', 'maxSessions', 'maxSessionsPerPrincipal'] as const)
      for (const value of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])
        expect(() => warden.fetchHandler({ upstream, [name]: value })).toThrow(ConfigError);
    await warden.close();
  });
});

describe('a principal recheck and the upstream told on the fetch face', () => {
  /** Waits (bounded) until the upstream no longer holds a session. */
  const untilUpstreamForgets = (s: Setup, sessionId: string) =>
    expect.poll(() => s.upstream.sessions.has(sessionId), { timeout: 5000 }).toBe(false);
  const deletes = (s: Setup, sessionId: string) =>
    s.upstream.calls.filter((c) => c.method === 'DELETE' && c.sessionId === sessionId).length;

  it('drops the sessions of a principal that no longer authenticates, streams included, and no one else’s', async () => {
    const revoked = new Set<string>();
    const s = await setup({ principalStillValid: (p) => !revoked.has(p.id), principalRecheckMs: 25 });
    const alice = await initialize(s, ALICE);
    const bob = await initialize(s, BOB);
    const stream = await s.handler.fetch(onSession('GET', ALICE, alice.sessionId!));
    const reader = stream.body!.getReader();
    revoked.add('alice');
    await expect(
      (async () => {
        for (;;) if ((await reader.read()).done) return 'ended';
      })(),
    ).rejects.toThrow(/session ended/);
    expect(s.sink.ofType('session.closed').at(-1)).toMatchObject({
      sessionId: alice.sessionId,
      reason: 'the credential no longer authenticates',
    });
    await untilUpstreamForgets(s, alice.sessionId!);
    expect(deletes(s, alice.sessionId!)).toBe(1);
    await expectUnknown(s, onSession('POST', ALICE, alice.sessionId!));
    const bobs = await s.handler.fetch(onSession('POST', BOB, bob.sessionId!));
    expect(await bobs.text()).toContain('bob');
    expect(s.upstream.sessions.has(bob.sessionId!)).toBe(true);
  });

  it('keeps the sessions when the recheck fails, and records it', async () => {
    const s = await setup({
      principalStillValid: () => {
        throw new Error('key store unreachable');
      },
      principalRecheckMs: 25,
    });
    const alice = await initialize(s, ALICE);
    await expect
      .poll(() =>
        s.sink.ofType('plugin.error').some((e) => e.reason?.startsWith('principalStillValid failed')),
      )
      .toBe(true);
    const still = await s.handler.fetch(onSession('POST', ALICE, alice.sessionId!));
    expect(await still.text()).toContain('alice');
  });

  it('tells the upstream when Warden drops a binding (closeSessionsOf, expiry, close), never twice', async () => {
    const s = await setup({ sessionIdleTimeoutMs: 60_000 });
    const closed = await initialize(s, ALICE);
    s.handler.closeSessionsOf('alice');
    await untilUpstreamForgets(s, closed.sessionId!);
    // The client's own DELETE and the upstream's 404 need no word from Warden.
    const ended = await initialize(s, ALICE);
    expect((await s.handler.fetch(onSession('DELETE', ALICE, ended.sessionId!))).status).toBe(200);
    expect(s.upstream.sessions.has(ended.sessionId!)).toBe(false);
    const left = await initialize(s, BOB);
    await s.handler.close();
    expect(s.upstream.sessions.has(left.sessionId!)).toBe(false);
    expect([closed, ended, left].map((x) => deletes(s, x.sessionId!))).toEqual([1, 1, 1]);
  });

  it('tells the upstream about an expired binding', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'] });
    const s = await setup({ sessionIdleTimeoutMs: 5_000 });
    const idle = await initialize(s, ALICE);
    vi.setSystemTime(Date.now() + 5_001);
    vi.advanceTimersByTime(5_000);
    expect(s.handler.sessionCount).toBe(0);
    vi.useRealTimers();
    await untilUpstreamForgets(s, idle.sessionId!);
    expect(deletes(s, idle.sessionId!)).toBe(1);
  });
});
