import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import express from 'express';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenAuth } from '../__fixtures__/plugins.js';
import { v2Endpoint } from '../__fixtures__/v2-server.js';
import { MemoryEventSink } from '../events.js';
import { createWarden, type Warden } from '../warden.js';
import type { WardenFetchHandler } from './handler.js';
import { toNodeHandler } from './node.js';

const CLAIM = 'io.modelcontextprotocol/protocolVersion';
const CAPS = 'io.modelcontextprotocol/clientCapabilities';
const AUTH = 'Bearer good:alice:read';
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

let gate: () => void = () => undefined;
let aborted = 0;
let warden: Warden;
let handler: WardenFetchHandler;
const sink = new MemoryEventSink();

type Host = { name: string; start(): Promise<{ url: string; stop(): Promise<void> }> };

async function listenNode(server: Server): Promise<{ url: string; stop(): Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const HOSTS: Host[] = [
  { name: 'node:http', start: () => listenNode(createServer(toNodeHandler(handler))) },
  {
    name: 'express (express.json() in front)',
    start: () => {
      const app = express();
      app.use(express.json());
      app.use(toNodeHandler(handler));
      return listenNode(createServer(app));
    },
  },
  {
    name: 'fastify',
    start: async () => {
      const app = Fastify();
      const node = toNodeHandler(handler);
      app.all('/mcp', (request, reply) => {
        reply.hijack();
        // Fastify parsed the JSON body: hand it over like express.json() does.
        Object.assign(request.raw, { body: request.body });
        node(request.raw, reply.raw);
      });
      await app.listen({ port: 0, host: '127.0.0.1' });
      const port = (app.server.address() as AddressInfo).port;
      return { url: `http://127.0.0.1:${port}/mcp`, stop: () => app.close() };
    },
  },
];

beforeAll(async () => {
  warden = await createWarden({ plugins: [tokenAuth()], sinks: [sink] });
  handler = warden.fetchHandler({
    upstream: v2Endpoint({
      slowGate: () => new Promise<void>((resolve) => (gate = resolve)),
      onSlowAborted: () => aborted++,
    }),
  });
});
afterAll(() => warden.close());

function slowCall(meta: Record<string, unknown> = {}) {
  return JSON.stringify({
    jsonrpc: '2.0',
    id: 9,
    method: 'tools/call',
    params: {
      name: 'slow',
      arguments: {},
      _meta: { [CLAIM]: '2026-07-28', [CAPS]: {}, progressToken: 'p1', ...meta },
    },
  });
}
const modernHeaders = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  authorization: AUTH,
  'mcp-protocol-version': '2026-07-28',
  'mcp-method': 'tools/call',
  'mcp-name': 'slow',
};

/** Reads the stream until `pattern` shows up; returns everything read so far. */
async function readUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  pattern: RegExp,
  text = '',
): Promise<string> {
  const decoder = new TextDecoder();
  while (!pattern.test(text)) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  return text;
}

for (const host of HOSTS) {
  describe(`toNodeHandler on ${host.name}`, () => {
    let url: string;
    let stop: () => Promise<void>;
    beforeAll(async () => ({ url, stop } = await host.start()));
    afterAll(() => stop());

    it('serves the SDK v2 client', async () => {
      const client = new Client(
        { name: 'adapter-client', version: '1.0.0' },
        { versionNegotiation: { mode: 'auto' } },
      );
      await client.connect(
        new StreamableHTTPClientTransport(new URL(url), {
          requestInit: { headers: { Authorization: AUTH } },
        }),
      );
      const result = await client.callTool({ name: 'echo', arguments: { text: 'over the adapter' } });
      expect(result.content).toEqual([{ type: 'text', text: 'over the adapter' }]);
      await client.close();
    });

    it('streams SSE: the progress notification arrives while the tool is still running', async () => {
      const response = await fetch(url, { method: 'POST', headers: modernHeaders, body: slowCall() });
      expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const reader = response.body!.getReader();
      const before = await readUntil(reader, /notifications\/progress/);
      expect(before).toMatch(/notifications\/progress/);
      expect(before).not.toMatch(/"result"/);
      gate();
      const all = await readUntil(reader, /"result"/, before);
      expect(all).toMatch(/"text":"done"/);
    });

    it('cancels the upstream when the client goes away mid-stream', async () => {
      const controller = new AbortController();
      const seen = aborted;
      const response = await fetch(url, {
        method: 'POST',
        headers: modernHeaders,
        body: slowCall(),
        signal: controller.signal,
      });
      await readUntil(response.body!.getReader(), /notifications\/progress/);
      controller.abort();
      await expect.poll(() => aborted, { timeout: 5000 }).toBeGreaterThan(seen);
      gate();
    });
  });
}

describe('toNodeHandler and the standard headers', () => {
  let url: string;
  let stop: () => Promise<void>;
  beforeAll(async () => ({ url, stop } = await HOSTS[0]!.start()));
  afterAll(() => stop());

  it('refuses a standard header sent twice even when the copies join into the body value', async () => {
    const target = new URL(url);
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'echo, whoami', arguments: {}, _meta: { [CLAIM]: '2026-07-28', [CAPS]: {} } },
    });
    const events = sink.events.length;
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          headers: { ...modernHeaders, 'mcp-name': ['echo', 'whoami'] },
        },
        (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    expect(status).toBe(400);
    expect(JSON.parse(text).error.code).toBe(-32020);
    expect(sink.events.slice(events).find((e) => e.type === 'request.rejected')?.details?.cell).toBe(
      'header-repeated',
    );
  });

  it('reads a body sent in pieces, and records a body cut off mid-way without dispatching it', async () => {
    const target = new URL(url);
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 3,
      method: 'tools/call',
      params: {
        name: 'echo',
        arguments: { text: 'x'.repeat(3000) },
        _meta: { [CLAIM]: '2026-07-28', [CAPS]: {} },
      },
    });
    const send = (cut: boolean) =>
      new Promise<{ status: number; text: string } | 'cut'>((resolve, reject) => {
        const req = httpRequest(
          {
            host: target.hostname,
            port: target.port,
            path: target.pathname,
            method: 'POST',
            headers: { ...modernHeaders, 'mcp-name': 'echo', 'content-length': Buffer.byteLength(body) },
          },
          (res) => {
            let text = '';
            res.on('data', (c) => (text += c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
          },
        );
        req.on('error', (error) => (cut ? resolve('cut') : reject(error)));
        const pieces = [body.slice(0, 100), body.slice(100, 2000), body.slice(2000)];
        let i = 0;
        const next = () => {
          if (cut && i === 2) {
            setTimeout(() => req.destroy(), 20);
            return;
          }
          if (i === pieces.length) return void req.end();
          req.write(pieces[i++]);
          setTimeout(next, 10);
        };
        next();
      });
    const whole = await send(false);
    expect(whole).not.toBe('cut');
    expect((whole as { status: number }).status).toBe(200);
    expect((whole as { text: string }).text).toContain('x'.repeat(3000));
    const events = sink.events.length;
    expect(await send(true)).toBe('cut');
    await expect
      .poll(() => sink.events.slice(events).find((e) => e.type === 'request.rejected')?.reason, {
        timeout: 5000,
      })
      .toBe('body stream failed');
  });

  it('puts the request traceparent (from _meta, else the header) on its security events', async () => {
    const events = sink.events.length;
    const spoiled = { ...modernHeaders, 'mcp-name': 'SLOW' };
    await fetch(url, { method: 'POST', headers: spoiled, body: slowCall({ traceparent: TRACEPARENT }) });
    const rejected = sink.events.slice(events).find((e) => e.type === 'request.rejected');
    expect(rejected?.traceparent).toBe(TRACEPARENT);
    const fromHeader = '00-1af7651916cd43dd8448eb211c80319c-c7ad6b7169203331-01';
    const mark = sink.events.length;
    const response = await fetch(url, {
      method: 'POST',
      headers: { ...modernHeaders, 'mcp-name': 'echo', traceparent: fromHeader },
      body: slowCall().replace('"slow"', '"echo"').replace('"arguments":{}', '"arguments":{"text":"t"}'),
    });
    await response.text();
    const authenticated = sink.events.slice(mark).find((e) => e.type === 'auth.succeeded');
    expect(authenticated?.traceparent).toBe(fromHeader);
  });
});

describe('Hono (the README example)', () => {
  it('serves the SDK v2 client through c.req.raw', async () => {
    const { Hono } = await import('hono');
    const app = new Hono();
    app.all('/mcp', (c) => handler.fetch(c.req.raw));
    const client = new Client(
      { name: 'hono-client', version: '1.0.0' },
      { versionNegotiation: { mode: 'auto' } },
    );
    const viaHono = ((input: string | URL | Request, init?: RequestInit) =>
      app.request(input instanceof Request ? input : String(input), init)) as typeof fetch;
    await client.connect(
      new StreamableHTTPClientTransport(new URL('http://localhost/mcp'), {
        requestInit: { headers: { Authorization: AUTH } },
        fetch: viaHono,
      }),
    );
    const result = await client.callTool({ name: 'echo', arguments: { text: 'via hono' } });
    expect(result.content).toEqual([{ type: 'text', text: 'via hono' }]);
    await client.close();
  });
});
