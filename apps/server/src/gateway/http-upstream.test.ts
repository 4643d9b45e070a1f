import { postModernJsonRpc } from '@mcp-warden/core/testing';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type RecordingUpstream,
  startRecordingUpstream,
  UPSTREAM_AUTHORIZATION_SERVER,
} from './fixtures/recording-upstream.js';
import { REDIRECT_TARGET } from './fixtures/upstream-faults.js';
import { ADMIN_ONLY_ACL, errorOf, startTestGateway, type TestGateway, textOf } from './test-gateway.js';

// An HTTP upstream (SDK v2, both eras) that records every request it gets: what the gateway forwards, what it
// never forwards (the client's credential), and what it does when the upstream misbehaves.

const UPSTREAM_TOKEN = 'upstream-credential-5f2a9c';
const ERAS = [
  { era: 'legacy', mode: 'legacy' as const },
  { era: 'modern', mode: { pin: '2026-07-28' } as const },
] as const;

let upstream: RecordingUpstream;
let gateway: TestGateway;
let key: string;

beforeAll(async () => {
  upstream = await startRecordingUpstream();
  gateway = await startTestGateway({
    upstreams: [
      {
        name: 'remote',
        url: upstream.url.href,
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the gateway's own template syntax
        headers: { Authorization: 'Bearer ${UPSTREAM_TOKEN}', 'X-Upstream-Tenant': 'acme' },
      },
    ],
    env: { UPSTREAM_TOKEN },
    server: { requestTimeoutMs: 1500 },
    plugins: ADMIN_ONLY_ACL,
  });
  key = await gateway.key(['admin']);
}, 60_000);
afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
});
beforeEach(() => {
  upstream.setFault(undefined);
  upstream.requests.length = 0;
});

async function connect(mode: (typeof ERAS)[number]['mode'], extraHeaders: Record<string, string> = {}) {
  const client = new Client(
    { name: 'gateway-http-test', version: '1.0.0' },
    { versionNegotiation: { mode } },
  );
  await client.connect(
    new StreamableHTTPClientTransport(gateway.url, {
      requestInit: { headers: { authorization: `Bearer ${key}`, ...extraHeaders } },
    }),
  );
  return client;
}

/** A raw tools/call of the 2026-07-28 revision, so a test sees the HTTP answer itself. */
function modernCall(name: string, args: Record<string, unknown>): Promise<Response> {
  return postModernJsonRpc(
    gateway.url,
    7,
    'tools/call',
    { name, arguments: args },
    { authorization: `Bearer ${key}` },
  );
}

describe.each(ERAS)('no token passthrough ($era era)', ({ mode }) => {
  it("never forwards the client's credential; sends the gateway's own", async () => {
    const client = await connect(mode, {
      cookie: `session=${key}`,
      'x-api-key': key,
      'proxy-authorization': `Basic ${key}`,
    });
    const whoami = textOf(await client.callTool({ name: 'whoami', arguments: {} }));
    await client.close();
    // The upstream echoing its credential back: sanitize keeps it from the client too.
    expect(whoami).not.toContain(UPSTREAM_TOKEN);
    expect(whoami).toContain('[REDACTED:');
    expect(upstream.requests.length).toBeGreaterThan(0);
    for (const request of upstream.requests) {
      // Nowhere: not in any header, not in the body.
      expect(JSON.stringify(request)).not.toContain(key);
      expect(request.headers.authorization).toBe(`Bearer ${UPSTREAM_TOKEN}`);
      expect(request.headers['x-upstream-tenant']).toBe('acme');
      for (const name of ['cookie', 'x-api-key', 'proxy-authorization'])
        expect(request.headers[name], name).toBeUndefined();
    }
  });
});

describe('upstream faults', () => {
  it("an upstream 401 is not relayed: the client is never sent to the upstream's authorization server", async () => {
    upstream.setFault('html401');
    const response = await modernCall('echo', { text: 'x' });
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(response.headers.get('www-authenticate')).toBeNull();
    expect(text).not.toContain(UPSTREAM_AUTHORIZATION_SERVER);
    expect(JSON.parse(text).error.code).toBe(-32051);
    expect(
      gateway.events.some((e) => e.type === 'upstream.failed' && e.details?.kind === 'refused-credentials'),
    ).toBe(true);
  });

  for (const [fault, kind] of [
    ['garbage', 'bad-answer'],
    ['status500', 'bad-answer'],
    ['oversized', 'too-large'],
    ['redirect', 'bad-answer'],
    ['truncated', 'unavailable'],
    ['wrongType', 'bad-answer'],
  ] as const)
    it(`${fault}: a JSON-RPC error naming the upstream, no stack, an event`, async () => {
      upstream.setFault(fault);
      const before = gateway.events.length;
      const response = await modernCall('echo', { text: 'x' });
      const text = await response.text();
      expect(response.status).toBe(200);
      const body = JSON.parse(text);
      expect(body.id).toBe(7);
      expect(body.error.code).toBe(-32051);
      expect(body.error.message).toContain('"remote"');
      expect(text).not.toMatch(/at .*\.(js|ts):\d+/);
      // A redirect is an answer, never followed and never shown: it could lead the gateway's credentials away.
      expect(text).not.toContain(REDIRECT_TARGET);
      expect(text.length).toBeLessThan(500);
      expect(
        gateway.events.slice(before).some((e) => e.type === 'upstream.failed' && e.details?.kind === kind),
      ).toBe(true);
    });

  it('flood: the stream is cut off and the client gets an error event', async () => {
    upstream.setFault('flood');
    const before = gateway.events.length;
    const response = await modernCall('echo', { text: 'x' });
    const text = await response.text();
    expect(text.split('\n\n').length).toBeLessThan(5000);
    expect(text).toContain('"error"');
    expect(
      gateway.events.slice(before).some((e) => e.type === 'upstream.failed' && e.details?.kind === 'flood'),
    ).toBe(true);
  });

  it('down: a clear error, the gateway stays up, and recovers by itself when the upstream returns', async () => {
    const client = await connect({ pin: '2026-07-28' });
    await upstream.stop();
    let down: { code?: number; message?: string } | undefined;
    try {
      down = await errorOf(client.callTool({ name: 'echo', arguments: { text: 'x' } }));
      const health = await fetch(new URL('/healthz', gateway.url));
      expect(health.status).toBe(200);
    } finally {
      await upstream.start();
    }
    expect(down?.code).toBe(-32051);
    expect(down?.message).toContain('"remote" is unavailable');
    expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'back' } }))).toBe('back');
    await client.close();
    expect(
      gateway.events.some((e) => e.type === 'upstream.failed' && e.details?.kind === 'unavailable'),
    ).toBe(true);
  });

  describe.each(ERAS)('slow upstream ($era era)', ({ era, mode }) => {
    it('times out at the gateway and the upstream call is cancelled', async () => {
      const client = await connect(mode);
      const cancelledBefore = upstream.cancelled.length;
      const timedOut = await errorOf(
        client.callTool({ name: 'slow', arguments: { ms: 6000 } }, { timeout: 20_000 }),
      );
      expect(timedOut?.code).toBe(-32001);
      const end = Date.now() + 5000;
      while (upstream.cancelled.length === cancelledBefore && Date.now() < end)
        await new Promise((r) => setTimeout(r, 50));
      expect(upstream.cancelled.slice(cancelledBefore).map((c) => c.era)).toContain(era);
      await client.close();
    }, 30_000);
  });
});
