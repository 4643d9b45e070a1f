import {
  Client as V2Client,
  StreamableHTTPClientTransport as V2Transport,
} from '@modelcontextprotocol/client';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1Transport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { type ServedWarden, serveFetchFace } from '../__fixtures__/fetch-server.js';
import { recorder, type Seen } from '../__fixtures__/observer-recorder.js';
import { denyTools, tokenAuth } from '../__fixtures__/plugins.js';
import { v2Endpoint } from '../__fixtures__/v2-server.js';
import { v2SessionfulEndpoint } from '../__fixtures__/v2-sessions.js';
import type { RequestObserver } from '../observe/observer.js';
import { postModernJsonRpc } from '../testing/post-json-rpc.js';
import { createWarden } from '../warden.js';
import type { FetchUpstream } from './options.js';

// Request observers (the audit trail, metrics, traces) see every request through the fetch face exactly once,
// with its outcome, in both eras, as they do through the Node edge and stdio.

const AUTH = { Authorization: 'Bearer good:alice:read' };
let served: ServedWarden | undefined;

afterEach(async () => {
  await served?.close();
  served = undefined;
});

async function serve(upstream: FetchUpstream, observer: RequestObserver, requestTimeoutMs = 0): Promise<URL> {
  const warden = await createWarden({
    plugins: [tokenAuth(), denyTools(['admin_stats'])],
    observers: [observer],
    requestTimeoutMs,
  });
  served = await serveFetchFace(warden, { upstream });
  return served.url;
}

/** Waits (bounded) until every observed request ended, then returns the tools/call ones. */
async function toolCalls(seen: Seen[]) {
  await expect.poll(() => seen.every((s) => s.ends > 0), { timeout: 5000 }).toBe(true);
  return seen.filter((s) => s.request.method === 'tools/call');
}

describe('request observers through the fetch face', () => {
  it.each([
    ['2026-07-28', 'stateless upstream'],
    ['2025', 'stateless upstream'],
    ['2025', 'sessionful upstream'],
  ] as const)('see each %s request once, with its outcome (%s)', async (era, kind) => {
    const { observer, seen } = recorder();
    const upstream = kind === 'sessionful upstream' ? v2SessionfulEndpoint() : v2Endpoint();
    const url = await serve(upstream, observer);
    const client =
      era === '2026-07-28'
        ? new V2Client({ name: 'v2', version: '1' }, { versionNegotiation: { mode: 'auto' } })
        : new V1Client({ name: 'v1', version: '1' });
    await client.connect(
      era === '2026-07-28'
        ? new V2Transport(url, { requestInit: { headers: AUTH } })
        : new V1Transport(url, { requestInit: { headers: AUTH } }),
    );
    await client.callTool({ name: 'echo', arguments: { text: 'hi' } });
    await expect(client.callTool({ name: 'admin_stats', arguments: {} })).rejects.toThrow(/Access denied/);
    await client.callTool({ name: 'nope', arguments: {} }).catch(() => undefined);
    await client.close();
    const calls = await toolCalls(seen);
    expect(calls.map((s) => [s.request.targetName, s.end?.outcome])).toEqual([
      ['echo', 'ok'],
      ['admin_stats', 'refused'],
      ['nope', 'error'],
    ]);
    expect(calls[0]!.end).toMatchObject({ delivered: true });
    expect(calls[0]!.request).toMatchObject({ transport: 'http', principal: { id: 'alice' } });
    expect(calls[0]!.request.sessionId !== undefined).toBe(kind === 'sessionful upstream' && era === '2025');
    for (const s of seen) expect(s.ends, s.request.method).toBe(1);
    if ('close' in upstream) await upstream.close();
  });

  it('record a timeout, an upstream failure and a cancelled request', async () => {
    const { observer, seen } = recorder();
    let mode: 'hang' | 'garbage' | 'html' = 'hang';
    const upstream = async (_request: Request, options?: { signal?: AbortSignal }) => {
      if (mode === 'garbage')
        return new Response('{not json', { headers: { 'content-type': 'application/json' } });
      if (mode === 'html')
        return new Response('<h1>down</h1>', { status: 503, headers: { 'content-type': 'text/html' } });
      return new Promise<Response>((_resolve, reject) =>
        options?.signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true }),
      );
    };
    const url = await serve(upstream, observer, 300);
    const call = (id: number, signal?: AbortSignal) =>
      postModernJsonRpc(url, id, 'tools/call', { name: 'echo', arguments: { text: 'x' } }, AUTH, signal);
    expect((await call(1)).status).toBe(200); // the timeout's JSON-RPC error
    mode = 'garbage';
    expect((await call(2)).status).toBe(502);
    mode = 'html';
    expect((await call(3)).status).toBe(503);
    mode = 'hang';
    const gone = new AbortController();
    const pending = call(4, gone.signal).catch(() => 'aborted');
    await expect.poll(() => seen.length, { timeout: 5000 }).toBe(4);
    gone.abort();
    expect(await pending).toBe('aborted');
    const calls = await toolCalls(seen);
    expect(calls.map((s) => [s.request.requestId, s.end?.outcome, s.end?.errorCode])).toEqual([
      [1, 'timeout', 'REQUEST_TIMEOUT'],
      [2, 'error', 'PLUGIN_FAILED'],
      [3, 'error', 'http_503'],
      [4, 'cancelled', undefined],
    ]);
    for (const s of seen) expect(s.ends).toBe(1);
  });
});
