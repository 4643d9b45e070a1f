import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoServer } from '../__fixtures__/demo-server.js';
import { tokenAuth } from '../__fixtures__/plugins.js';
import { startTestHttpServer, type TestHttpServer } from '../testing/index.js';
import { jsonNestingExceeds } from './body.js';
import { guardResponse } from './response-guard.js';

const HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  authorization: 'Bearer good:alice',
};
const INTERNALS = /RangeError|Maximum call stack|TypeError|SyntaxError|\bat \S+ \(|node:internal|\.js:\d+/;

function deep(kind: 'array' | 'object' | 'mixed', depth: number): string {
  if (kind === 'array') return `${'['.repeat(depth)}${']'.repeat(depth)}`;
  if (kind === 'object') return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
  let open = '';
  let close = '';
  for (let i = 0; i < depth; i++) {
    open += i % 2 ? '[' : '{"k":';
    close = (i % 2 ? ']' : '}') + close;
  }
  return `${open}0${close}`;
}

/** Where a deep value sits in an otherwise valid JSON-RPC message. */
const PLACES: Record<string, (value: string) => string> = {
  'initialize params': (v) =>
    `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"x","version":"1"},"x":${v}}}`,
  'tool arguments': (v) =>
    `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"text":${v}}}}`,
  _meta: (v) => `{"jsonrpc":"2.0","id":3,"method":"ping","params":{"_meta":${v}}}`,
  notification: (v) => `{"jsonrpc":"2.0","method":"notifications/x","params":{"x":${v}}}`,
  'response result': (v) => `{"jsonrpc":"2.0","id":4,"result":{"x":${v}}}`,
  'response error data': (v) => `{"jsonrpc":"2.0","id":5,"error":{"code":1,"message":"m","data":${v}}}`,
};

/** Every error body: a JSON-RPC error whose `data` is at most our own `{ code }`, and no internal text. */
interface ErrorBody {
  error?: { code?: number; message?: string; data?: Record<string, unknown> };
}

async function expectNoInternals(response: Response): Promise<ErrorBody> {
  const text = await response.text();
  expect(text).not.toMatch(INTERNALS);
  const body = JSON.parse(text) as ErrorBody;
  expect(body.error?.message).toEqual(expect.any(String));
  if (body.error?.data !== undefined) expect(Object.keys(body.error.data)).toEqual(['code']);
  return body;
}

describe.each(['stateless', 'stateful'] as const)(
  'no internal error text reaches the client (%s)',
  (sessions) => {
    let srv: TestHttpServer;
    let lax: TestHttpServer;
    beforeAll(async () => {
      srv = await startTestHttpServer({ plugins: [tokenAuth()], createServer: demoServer, sessions });
      // Depth limit lifted: whatever the SDK does with a deep body, the guard keeps its internals in.
      lax = await startTestHttpServer({
        plugins: [tokenAuth()],
        createServer: demoServer,
        sessions,
        handlerOptions: { maxJsonDepth: 1_000_000 },
      });
    });
    afterAll(async () => {
      await srv.close();
      await lax.close();
    });

    async function sessionHeaders(server: TestHttpServer): Promise<Record<string, string>> {
      if (sessions === 'stateless') return HEADERS;
      const init = await fetch(server.url, {
        method: 'POST',
        headers: HEADERS,
        body: PLACES['initialize params']!('{}'),
      });
      await init.text();
      return {
        ...HEADERS,
        'mcp-session-id': init.headers.get('mcp-session-id')!,
        'mcp-protocol-version': '2025-06-18',
      };
    }

    for (const depth of [1_000, 10_000, 100_000]) {
      for (const kind of ['array', 'object', 'mixed'] as const) {
        it(`depth ${depth} (${kind}) at every place: refused with a fixed message, nothing internal`, async () => {
          const headers = await sessionHeaders(srv);
          for (const [place, build] of Object.entries(PLACES)) {
            const response = await fetch(srv.url, {
              method: 'POST',
              headers,
              body: build(deep(kind, depth)),
            });
            expect(response.status, place).toBe(400);
            const body = await expectNoInternals(response);
            expect(body.error).toEqual({
              code: -32600,
              message: 'Invalid Request: the body nests arrays and objects deeper than 64 levels.',
              data: { code: 'BAD_REQUEST' },
            });
          }
          // The top-level body itself nested deep.
          const top = await fetch(srv.url, { method: 'POST', headers, body: deep(kind, depth) });
          expect(top.status).toBe(400);
          await expectNoInternals(top);
        });

        it(`depth ${depth} (${kind}) with the limit lifted: the SDK's own errors carry no internals`, async () => {
          const headers = await sessionHeaders(lax);
          for (const [place, build] of Object.entries(PLACES)) {
            const response = await fetch(lax.url, {
              method: 'POST',
              headers,
              body: build(deep(kind, depth)),
            });
            if (response.status >= 400) await expectNoInternals(response);
            else expect(await response.text(), place).not.toMatch(INTERNALS);
          }
          for (const event of lax.events.ofType('plugin.error'))
            expect(event.reason).toMatch(/^MCP SDK error response, internal detail withheld/);
        });
      }
    }

    it('bodies at the limit are accepted', async () => {
      const ok = await fetch(srv.url, {
        method: 'POST',
        headers: await sessionHeaders(srv),
        // params + x + 61 levels = 64 with the message object
        body: `{"jsonrpc":"2.0","id":7,"method":"ping","params":{"x":${deep('array', 61)}}}`,
      });
      expect(ok.status).toBe(200);
      await ok.text();
    });

    it('malformed JSON of every kind answers one fixed Parse error and nothing else', async () => {
      const valid = PLACES['tool arguments']!('"hello"');
      const malformed = fc.oneof(
        fc.integer({ min: 1, max: valid.length - 1 }).map((n) => valid.slice(0, n)),
        fc
          .tuple(
            fc.integer({ min: 0, max: valid.length - 1 }),
            fc.constantFrom('}', ']', ',', ':', '"', '\\', '\u0000'),
          )
          .map(([i, c]) => valid.slice(0, i) + c + valid.slice(i)),
        fc.constantFrom(
          '',
          '{',
          '{"jsonrpc":"2.0",}',
          "{'jsonrpc':'2.0'}",
          '{"a":1}{"b":2}',
          'NaN',
          '\ufeff{}',
          '{"jsonrpc":"2.0","id":1,"method":"x","params":{"a":01}}',
          '{"jsonrpc":"2.0","id":1,"method":"x\u0001"}',
          `${'['.repeat(100_000)}`,
          `${'{"a":'.repeat(100_000)}`,
        ),
      );
      const headers = await sessionHeaders(srv);
      await fc.assert(
        fc.asyncProperty(malformed, async (text) => {
          let isJson = true;
          try {
            JSON.parse(text);
          } catch {
            isJson = false;
          }
          fc.pre(!isJson);
          const response = await fetch(srv.url, { method: 'POST', headers, body: text });
          expect(response.status).toBe(400);
          const body = await expectNoInternals(response);
          // A deep unterminated body fails the depth check first; everything else is the parse error.
          expect([
            'Parse error: the body is not valid JSON.',
            'Invalid Request: the body nests arrays and objects deeper than 64 levels.',
          ]).toContain(body.error?.message);
        }),
        { numRuns: 60 },
      );
    });
  },
);

describe('jsonNestingExceeds', () => {
  it('agrees with the real nesting depth of generated JSON, brackets in strings ignored', () => {
    const depthOf = (value: unknown): number =>
      typeof value === 'object' && value !== null ? 1 + Math.max(0, ...Object.values(value).map(depthOf)) : 0;
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 0, max: 10 }), (value, max) => {
        const text = JSON.stringify(value);
        expect(jsonNestingExceeds(text, max)).toBe(depthOf(value) > max);
      }),
      { numRuns: 500 },
    );
    expect(jsonNestingExceeds('{"a":"[[[[[[\\"[[[["}', 1)).toBe(false);
  });
});

describe('guardResponse', () => {
  let server: Server;
  let base: string;
  const withheld: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      guardResponse(res, (detail) => withheld.push(detail));
      const path = req.url ?? '';
      if (path === '/data') {
        res.writeHead(400, { 'Content-Type': 'application/json', 'Content-Length': '999' });
        res.end(
          JSON.stringify({
            jsonrpc: '2.0',
            error: {
              code: -32700,
              message: 'Parse error',
              data: 'RangeError: Maximum call stack size exceeded',
            },
            id: null,
          }),
        );
      } else if (path === '/text') {
        res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end('Error: ENOENT: no such file /srv/secret/path.js:12');
      } else if (path === '/chunks') {
        res.writeHead(503, ['Content-Type', 'application/json', 'Retry-After', '3']);
        res.write('{"jsonrpc":"2.0","id":7,');
        res.end(Buffer.from('"error":{"code":-32000,"message":"Busy","data":{"stack":"at x (y.js:1)"}}}'));
      } else if (path === '/sse') {
        res.writeHead(200, { 'Content-Type': 'text/event-stream' });
        res.write(new TextEncoder().encode('event: message\ndata: {}\n\n'));
        res.end('Error: TypeError: cannot read properties of undefined at f (a.js:3)');
      } else {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end('{"jsonrpc":"2.0","id":1,"result":{"data":"RangeError is fine in a result"}}');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => new Promise<void>((r) => server.close(() => r())));

  it('drops data from JSON-RPC error bodies and keeps status, code, message and headers', async () => {
    const response = await fetch(`${base}/data`);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32700, message: 'Parse error' },
    });
    const chunked = await fetch(`${base}/chunks`);
    expect(chunked.status).toBe(503);
    expect(chunked.headers.get('retry-after')).toBe('3');
    expect(await chunked.json()).toEqual({ jsonrpc: '2.0', id: 7, error: { code: -32000, message: 'Busy' } });
    expect(withheld.join('\n')).toContain('RangeError');
  });

  it('replaces a non-JSON error body with the generic internal error', async () => {
    const response = await fetch(`${base}/text`);
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32603, message: 'Internal error.' },
    });
  });

  it('drops error text appended to an event stream, and leaves successful responses alone', async () => {
    const sse = await (await fetch(`${base}/sse`)).text();
    expect(sse).toBe('event: message\ndata: {}\n\n');
    expect(await (await fetch(`${base}/ok`)).json()).toEqual({
      jsonrpc: '2.0',
      id: 1,
      result: { data: 'RangeError is fine in a result' },
    });
  });
});
