import { afterEach, describe, expect, it } from 'vitest';
import { demoServer } from '../__fixtures__/demo-server.js';
import { ConfigError } from '../errors.js';
import { startTestHttpServer, type TestHttpServer } from '../testing/index.js';
import { createWarden } from '../warden.js';

const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
let srv: TestHttpServer | undefined;
afterEach(async () => {
  await srv?.close();
  srv = undefined;
});

function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc (vitest.shared.ts sets it)');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

async function calls(url: URL, headers: Record<string, string>, from: number, count: number): Promise<void> {
  let next = from;
  const end = from + count;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < end) {
        const id = next++;
        const response = await fetch(url, {
          method: 'POST',
          headers: { ...HEADERS, ...headers },
          body: JSON.stringify({
            jsonrpc: '2.0',
            id,
            method: 'tools/call',
            params: { name: 'echo', arguments: { text: `n${id}` } },
          }),
        });
        expect(await response.text()).toContain(`n${id}`);
      }
    }),
  );
}

describe('memory retention per request (typescript-sdk #2559)', () => {
  it('refuses JSON responses for stateful sessions, where the SDK 1.x keeps every response until the session ends', async () => {
    const warden = await createWarden();
    expect(() =>
      warden.httpHandler({ createServer: demoServer, sessions: 'stateful', responseMode: 'json' }),
    ).toThrow(ConfigError);
    expect(() =>
      warden.httpHandler({ createServer: demoServer, sessions: 'stateful', responseMode: 'json' }),
    ).toThrow(/#2559/);
    await warden.close();
  });

  for (const sessions of ['stateful', 'stateless'] as const) {
    it(`retains (almost) nothing per tools/call in ${sessions} mode`, async () => {
      srv = await startTestHttpServer({ createServer: demoServer, sessions });
      const init = await fetch(srv.url, {
        method: 'POST',
        headers: HEADERS,
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 0,
          method: 'initialize',
          params: {
            protocolVersion: '2025-06-18',
            capabilities: {},
            clientInfo: { name: 'r', version: '1' },
          },
        }),
      });
      await init.text();
      const sessionId = init.headers.get('mcp-session-id');
      const headers: Record<string, string> = sessionId
        ? { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' }
        : {};
      await calls(srv.url, headers, 1, 2000);
      const before = heapAfterGc();
      await calls(srv.url, headers, 2001, 4000);
      const perRequest = (heapAfterGc() - before) / 4000;
      // With the SDK's JSON mode forced on for sessions this measures ~5,800 bytes per request (checked by hand);
      // a few hundred bytes of JIT and allocator noise is not a leak.
      expect(perRequest).toBeLessThan(1000);
    }, 120_000); // 6,000 requests: about 10 s here, several times that on a loaded machine
  }
});
