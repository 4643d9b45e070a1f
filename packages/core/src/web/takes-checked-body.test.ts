import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenAuth } from '../__fixtures__/plugins.js';
import type { WardenPlugin } from '../plugin.js';
import { createWarden, type Warden } from '../warden.js';
import type { WardenFetchHandler } from './handler.js';
import type { UpstreamRequestOptions } from './options.js';

// `takesCheckedBody`: a forwarder (the gateway) gets the client's Request as it came and the checked body,
// headers and signal in the options. What it receives must be exactly what a re-made Request would have carried.

const CLAIM = 'io.modelcontextprotocol/protocolVersion';
const CAPS = 'io.modelcontextprotocol/clientCapabilities';

/** Replaces the arguments of every call: the upstream must see the replaced ones, never the client's. */
const rewrite: WardenPlugin = {
  specVersion: 1,
  name: 'rewrite',
  beforeRequest: (ctx) => (ctx.method === 'tools/call' ? { arguments: { text: 'checked' } } : undefined),
};

interface Received {
  request: Request;
  options: UpstreamRequestOptions;
}

let warden: Warden;
let handler: WardenFetchHandler;
const received: Received[] = [];
let hang = false;

beforeAll(async () => {
  warden = await createWarden({ plugins: [tokenAuth(), rewrite], requestTimeoutMs: 200 });
  handler = warden.fetchHandler({
    takesCheckedBody: true,
    upstream: (request, options = {}) => {
      received.push({ request, options });
      const id = (options.parsedBody as { id: number }).id;
      const answer = () =>
        new Response(JSON.stringify({ jsonrpc: '2.0', id, result: { content: [] } }), {
          headers: { 'content-type': 'application/json' },
        });
      if (!hang) return Promise.resolve(answer());
      return new Promise((_, reject) =>
        options.signal?.addEventListener('abort', () => reject(options.signal?.reason), { once: true }),
      );
    },
  });
});
afterAll(() => warden.close());

function modernCall(id: number, extra: Record<string, string> = {}): Request {
  const body = JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: {
      name: 'echo',
      arguments: { text: 'from the client' },
      _meta: { [CLAIM]: '2026-07-28', [CAPS]: {} },
    },
  });
  return new Request('http://localhost/mcp', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      authorization: 'Bearer good:alice:read',
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'tools/call',
      'mcp-name': 'echo',
      'content-length': String(Buffer.byteLength(body)),
      ...extra,
    },
    body,
  });
}

describe('fetchHandler({ takesCheckedBody })', () => {
  it('hands over the checked body, the forwarded headers and a live signal with the Request as it came', async () => {
    const request = modernCall(1, { 'mcp-session-id': 'not-for-2026' });
    const response = await handler.fetch(request, { remoteAddress: '127.0.0.1' });
    expect(response.status).toBe(200);
    const [call] = received.splice(0);
    expect(call!.request).toBe(request);
    expect(JSON.parse(call!.options.bodyText!).params.arguments).toEqual({ text: 'checked' });
    expect(call!.options.parsedBody).toMatchObject({ params: { arguments: { text: 'checked' } } });
    // A 2026-07-28 request has no session: the header Warden did not check is not forwarded, nor a stale length.
    expect(call!.options.headers!.get('mcp-session-id')).toBeNull();
    expect(call!.options.headers!.get('content-length')).toBeNull();
    expect(call!.options.headers!.get('mcp-name')).toBe('echo');
    expect(call!.options.signal!.aborted).toBe(false);
  });

  it('aborts the signal it handed over when the request times out', async () => {
    hang = true;
    try {
      const response = await handler.fetch(modernCall(2), { remoteAddress: '127.0.0.1' });
      expect(((await response.json()) as { error: { code: number } }).error.code).toBe(-32001);
      const [call] = received.splice(0);
      expect(call!.options.signal!.aborted).toBe(true);
    } finally {
      hang = false;
    }
  });
});
