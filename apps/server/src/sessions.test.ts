import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { ReferenceServer } from './reference-server.js';
import { tempDataDir } from './test-support.js';

const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const INIT = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
});

let server: ReferenceServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(sessions: Record<string, number> = {}): Promise<URL> {
  const config = loadConfig({ dataDir: tempDataDir(), port: 0 }, {});
  config.logging.level = 'error';
  Object.assign(config.server, sessions);
  server = await ReferenceServer.create({ config, log: () => undefined });
  return server.listen();
}

async function key(name: string): Promise<{ id: string; key: string }> {
  const created = await server!.services.keys!.create({ name, roles: ['reader'] });
  return { id: created.info.id, key: created.key };
}

async function open(url: URL, secret: string): Promise<{ status: number; id: string | null; code: unknown }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { ...HEADERS, authorization: `Bearer ${secret}` },
    body: INIT,
  });
  const text = await response.text();
  const code =
    response.status === 200
      ? undefined
      : (JSON.parse(text) as { error?: { data?: { code?: unknown } } }).error?.data?.code;
  return { status: response.status, id: response.headers.get('mcp-session-id'), code };
}

async function stream(url: URL, secret: string, sessionId: string): Promise<{ ended: Promise<void> }> {
  const response = await fetch(url, {
    headers: {
      accept: 'text/event-stream',
      authorization: `Bearer ${secret}`,
      'mcp-session-id': sessionId,
      'mcp-protocol-version': '2025-06-18',
    },
  });
  expect(response.status).toBe(200);
  const reader = response.body!.getReader();
  const ended = (async () => {
    for (;;) if ((await reader.read().catch(() => ({ done: true }))).done) return;
  })();
  return { ended };
}

const within = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([
    promise,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`not within ${ms} ms`)), ms).unref()),
  ]);

describe('reference server sessions', () => {
  it('caps sessions per key from the config; another key still opens sessions', async () => {
    const url = await start({ maxSessionsPerPrincipal: 2 });
    const a = await key('a');
    const b = await key('b');
    expect((await open(url, a.key)).status).toBe(200);
    expect((await open(url, a.key)).status).toBe(200);
    expect(await open(url, a.key)).toMatchObject({ status: 429, code: 'SESSION_LIMIT' });
    expect((await open(url, b.key)).status).toBe(200);
  });

  it('revoking a key ends its open SSE streams at once; other keys keep theirs', async () => {
    const url = await start();
    const a = await key('a');
    const b = await key('b');
    const sa = await open(url, a.key);
    const sb = await open(url, b.key);
    const { ended: aEnded } = await stream(url, a.key, sa.id!);
    const { ended: bEnded } = await stream(url, b.key, sb.id!);
    await server!.services.keys!.revoke(a.id);
    await within(aEnded, 3000);
    const bState = await Promise.race([
      bEnded.then(() => 'ended'),
      new Promise((r) => setTimeout(() => r('open'), 200)),
    ]);
    expect(bState).toBe('open');
    expect(server!.sessionCount).toBe(1);
  });
});
