import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type RequestHandler } from 'express';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { demoServer } from '../__fixtures__/demo-server.js';
import { denyTools, tokenAuth } from '../__fixtures__/plugins.js';
import { MemoryEventSink } from '../events.js';
import type { WardenPlugin } from '../plugin.js';
import { connectHttpClient } from '../testing/index.js';
import { createWarden } from '../warden.js';
import type { HttpHandlerOptions } from './edge.js';

const HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  authorization: 'Bearer good:frank',
};
const INIT = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
};

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

/** An Express app with `front` mounted before the warden's handler; a bodyTimeoutMs long enough that a hang fails the test. */
async function serve(
  front: RequestHandler[],
  handlerOptions: Partial<HttpHandlerOptions> = {},
  extra: WardenPlugin[] = [],
): Promise<{ url: URL; sink: MemoryEventSink }> {
  const sink = new MemoryEventSink();
  const warden = await createWarden({
    plugins: [tokenAuth(), denyTools(['admin_stats']), ...extra],
    sinks: [sink],
  });
  const app = express();
  for (const middleware of front) app.use(middleware);
  app.use(warden.httpHandler({ createServer: demoServer, bodyTimeoutMs: 60_000, ...handlerOptions }));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  cleanups.push(async () => {
    await warden.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return { url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`), sink };
}

async function post(url: URL, body: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { method: 'POST', headers: { ...HEADERS, ...headers }, body });
  const text = await response.text();
  return { status: response.status, text, sessionId: response.headers.get('mcp-session-id') };
}

function errorOf(text: string): { code?: number; message?: string } | undefined {
  return (JSON.parse(text) as { error?: { code?: number; message?: string } }).error;
}

/** `depth` arrays nested in each other, built without recursion. */
function nested(depth: number): unknown {
  let value: unknown = [];
  for (let i = 1; i < depth; i++) value = [value];
  return value;
}

function toolCall(id: number, args: Record<string, unknown>, name = 'echo') {
  return { jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } };
}

/** Drains the request without leaving a body, as a logging or signing middleware might. */
const drain: RequestHandler = (req, _res, next) => {
  req.resume();
  req.on('end', () => next());
};

describe('the HTTP edge behind a body parser', () => {
  for (const sessions of ['stateful', 'stateless'] as const) {
    it(`serves the SDK client end to end behind express.json() (${sessions})`, async () => {
      const { url } = await serve([express.json()], { sessions });
      const client = await connectHttpClient(url, { headers: { authorization: 'Bearer good:frank' } });
      expect((await client.callTool({ name: 'whoami', arguments: {} })).content).toEqual([
        { type: 'text', text: 'frank' },
      ]);
      expect((await client.callTool({ name: 'echo', arguments: { text: 'héllo' } })).content).toEqual([
        { type: 'text', text: 'héllo' },
      ]);
      // The pipeline still decides: a denied tool is refused and hidden.
      await expect(client.callTool({ name: 'admin_stats', arguments: {} })).rejects.toThrow(/Access denied/);
      const names = (await client.listTools()).tools.map((t) => t.name);
      expect(names).toContain('echo');
      expect(names).not.toContain('admin_stats');
      expect((await client.readResource({ uri: 'file:///public/readme.txt' })).contents).toMatchObject([
        { uri: 'file:///public/readme.txt', text: 'public' },
      ]);
      await client.close();
    });
  }

  it('opens a session with a parsed initialize and refuses parsed batches and deep bodies', async () => {
    const { url, sink } = await serve([express.json({ limit: '10mb' })]);
    const init = await post(url, JSON.stringify(INIT));
    expect(init.status).toBe(200);
    expect(init.sessionId).toMatch(/^[0-9a-f-]{36}$/);

    const batch = await post(url, JSON.stringify([toolCall(2, { text: 'a' }), toolCall(3, { text: 'b' })]), {
      'mcp-session-id': init.sessionId!,
    });
    expect(batch.status).toBe(400);
    expect(errorOf(batch.text)?.message).toMatch(/batches are not supported/);

    // Deep enough to overflow a recursive walker: refused by the iterative check, not by a stack overflow.
    for (const depth of [65, 1_000, 100_000]) {
      // Written as text: JSON.stringify itself recurses.
      const text = `{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"echo","arguments":{"text":"x","extra":${'['.repeat(depth)}${']'.repeat(depth)}}}}`;
      const deep = await post(url, text, { 'mcp-session-id': init.sessionId! });
      expect(deep.status).toBe(400);
      expect(errorOf(deep.text)?.message).toMatch(/deeper than 64 levels/);
    }
    expect(sink.ofType('request.rejected').map((e) => e.reason)).toContain('JSON nesting over maxJsonDepth');
  });

  it('answers a parsed body exactly as it answers the same bytes read from the stream', async () => {
    const bare = await serve([], { sessions: 'stateless', responseMode: 'json' });
    const parsed = await serve([express.json({ limit: '10mb' })], {
      sessions: 'stateless',
      responseMode: 'json',
    });
    const message = fc.oneof(
      fc
        .record({ id: fc.integer({ min: 0, max: 1e6 }), text: fc.string({ maxLength: 30 }) })
        .map(({ id, text }) => toolCall(id, { text })),
      // Around the depth limit: 3 levels of envelope plus `depth` arrays.
      fc.integer({ min: 58, max: 66 }).map((depth) => toolCall(7, { text: 'd', extra: nested(depth) })),
      fc.constant({ jsonrpc: '2.0', id: 'l', method: 'tools/list' }),
      fc.constant({ jsonrpc: '2.0', method: 'notifications/initialized' }),
      fc.record({ jsonrpc: fc.constantFrom('1.0', 2, null), id: fc.integer(), method: fc.constant('ping') }),
      fc.record({
        jsonrpc: fc.constant('2.0'),
        id: fc.oneof(fc.constant(null), fc.boolean(), fc.constant({}), fc.constant([])),
        method: fc.constant('ping'),
      }),
      fc.record({
        jsonrpc: fc.constant('2.0'),
        id: fc.integer(),
        method: fc.constantFrom('', 'ping'),
        params: fc.array(fc.integer()),
      }),
      fc.constant({ jsonrpc: '2.0', id: 9, result: {} }),
    );
    const body = fc.oneof(
      message,
      fc.array(message, { minLength: 1, maxLength: 3 }),
      fc.jsonValue().filter((value) => typeof value === 'object' && value !== null),
    );
    await fc.assert(
      fc.asyncProperty(body, async (value) => {
        const text = JSON.stringify(value);
        const [fromStream, fromParser] = await Promise.all([post(bare.url, text), post(parsed.url, text)]);
        expect(fromParser.status).toBe(fromStream.status);
        expect(fromParser.text).toBe(fromStream.text);
        expect(fromParser.status).toBeLessThan(500);
      }),
      { numRuns: 60 },
    );
  });

  for (const [name, parser] of [
    ['express.text()', express.text({ type: 'application/json' })],
    ['express.raw()', express.raw({ type: 'application/json' })],
  ] as const) {
    it(`reads the body ${name} left as text, with the edge's size and depth limits`, async () => {
      const { url, sink } = await serve([parser], { sessions: 'stateless', maxBodyBytes: 4096 });
      const ok = await post(url, JSON.stringify(toolCall(1, { text: 'raw' })));
      expect(ok.status).toBe(200);
      expect(ok.text).toContain('"text":"raw"');
      const big = await post(url, JSON.stringify(toolCall(2, { text: 'x'.repeat(5000) })));
      expect(big.status).toBe(413);
      const deep = await post(url, JSON.stringify(toolCall(3, { text: 'x', extra: nested(100) })));
      expect(deep.status).toBe(400);
      const invalid = await post(url, '{"jsonrpc":"2.0",');
      expect(invalid.status).toBe(400);
      expect(errorOf(invalid.text)?.code).toBe(-32700);
      expect(sink.ofType('request.rejected')).toHaveLength(3);
    });
  }

  it('refuses at once a body that a middleware read without leaving req.body (no 10 s wait, no 408)', async () => {
    const partly: RequestHandler = (req, _res, next) => {
      req.once('data', () => {
        req.pause();
        next();
      });
    };
    for (const front of [drain, partly]) {
      const { url, sink } = await serve([front]);
      const response = await post(url, JSON.stringify(INIT));
      expect(response.status).toBe(500);
      // Nothing about the server's middleware goes to the client; the event says what to fix.
      expect(errorOf(response.text)).toMatchObject({
        code: -32603,
        message: 'Internal error: the request body was read before it reached the MCP endpoint.',
      });
      expect(sink.ofType('request.rejected').at(-1)?.reason).toMatch(
        /mount the MCP handler before body parsers/,
      );
    }
  });

  it("reads the stream itself when req.body is only a placeholder (Express 4's body-parser sets {} unread)", async () => {
    const placeholder: RequestHandler = (req, _res, next) => {
      (req as IncomingMessage & { body?: unknown }).body = {};
      next();
    };
    const { url } = await serve([placeholder], { sessions: 'stateless' });
    const response = await post(url, JSON.stringify(toolCall(1, { text: 'streamed' })));
    expect(response.status).toBe(200);
    expect(response.text).toContain('"text":"streamed"');
  });

  it('refuses a req.body that is not JSON data (cycles, shared objects, no JSON form) with 400 and an event', async () => {
    const cyclic: Record<string, unknown> = { ...toolCall(1, { text: 'c' }) };
    cyclic.self = cyclic;
    const shared = { text: 's' };
    const sharing = {
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'echo', arguments: shared, again: shared },
    };
    const bigint = toolCall(3, { text: 'b', n: 1n });
    const throwing = {
      ...toolCall(4, { text: 't' }),
      toJSON: () => {
        throw new Error('no');
      },
    };
    const bodies: unknown[] = [cyclic, sharing, bigint, throwing, () => undefined];
    let next = 0;
    const setBody: RequestHandler = (req, _res, done) => {
      req.resume();
      req.on('end', () => {
        (req as IncomingMessage & { body?: unknown }).body = bodies[next++];
        done();
      });
    };
    const { url, sink } = await serve([setBody], { sessions: 'stateless' });
    for (let i = 0; i < bodies.length; i++) {
      const response = await post(url, '{}');
      expect(response.status).toBe(400);
      expect(errorOf(response.text)?.message).toBe('Invalid Request: the body is not JSON data.');
    }
    expect(sink.ofType('request.rejected')).toHaveLength(bodies.length);
  });

  it('gives the policy and the server the same plain data, however the parsed body behaves when read', async () => {
    // A getter answering differently on each read: without one copy, checked on one reading, run on another.
    let reads = 0;
    const args = {
      get text() {
        reads++;
        return `read ${reads}`;
      },
    };
    const setBody: RequestHandler = (req, _res, done) => {
      req.resume();
      req.on('end', () => {
        (req as IncomingMessage & { body?: unknown }).body = toolCall(1, args);
        done();
      });
    };
    const seen: unknown[] = [];
    const recorder: WardenPlugin = {
      specVersion: 1,
      name: 'recorder',
      stage: 'authorize',
      beforeRequest(ctx) {
        seen.push(ctx.arguments?.text);
      },
    };
    const { url } = await serve([setBody], { sessions: 'stateless', responseMode: 'json' }, [recorder]);
    const response = await post(url, '{}');
    expect(response.status).toBe(200);
    const echoed = (JSON.parse(response.text) as { result: { content: Array<{ text: string }> } }).result
      .content[0]?.text;
    expect(seen).toEqual([echoed]);
  });
});
