import {
  Client as V2Client,
  StreamableHTTPClientTransport as V2Transport,
} from '@modelcontextprotocol/client';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1Transport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { type ServedWarden, serveFetchFace } from '../__fixtures__/fetch-server.js';
import { tokenAuth } from '../__fixtures__/plugins.js';
import { v2Endpoint } from '../__fixtures__/v2-server.js';
import { MemoryEventSink } from '../events.js';
import { createWarden, type Warden } from '../warden.js';

// warden.drain() on the fetch face: requests still waiting for their upstream's answer are waited for, and
// those left at the deadline are answered with SHUTTING_DOWN (-32050) and cancelled upstream, in both eras and
// whether the answer streams (progress first) or not.

const AUTH = { Authorization: 'Bearer good:alice:read' };
let warden: Warden | undefined;
let served: ServedWarden | undefined;

afterEach(async () => {
  await served?.close();
  served = undefined;
  warden = undefined;
});

async function start(hooks: Parameters<typeof v2Endpoint>[0]) {
  const sink = new MemoryEventSink();
  warden = await createWarden({ plugins: [tokenAuth()], sinks: [sink], requestTimeoutMs: 0 });
  served = await serveFetchFace(warden, { upstream: v2Endpoint(hooks) });
  return { url: served.url, sink };
}

async function connect(era: 'modern' | 'legacy', url: URL) {
  if (era === 'modern') {
    const client = new V2Client({ name: 'v2', version: '1' }, { versionNegotiation: { mode: 'auto' } });
    await client.connect(new V2Transport(url, { requestInit: { headers: AUTH } }));
    return client;
  }
  const client = new V1Client({ name: 'v1', version: '1' });
  await client.connect(new V1Transport(url, { requestInit: { headers: AUTH } }));
  return client;
}

describe.each(['modern', 'legacy'] as const)('warden.drain() on the fetch face (%s era)', (era) => {
  it('answers a streaming request left at the deadline with SHUTTING_DOWN and cancels it upstream', async () => {
    let aborted = 0;
    let entered!: () => void;
    const progress = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const { url, sink } = await start({
      // Called once the progress notification went out: the answer is streaming. Never lets go.
      slowGate: () => {
        entered();
        return new Promise(() => undefined);
      },
      onSlowAborted: () => aborted++,
    });
    const client = await connect(era, url);
    const call = client.callTool({ name: 'slow', arguments: {} }, undefined, { timeout: 30_000 }).then(
      () => 'answered',
      (error: { code?: number; message?: string }) => `${error.code}:${error.message}`,
    );
    await progress; // the answer is streaming: progress came, the result is not there
    expect(await warden!.drain({ timeoutMs: 100 })).toBe(1);
    expect(await call).toMatch(/^-32050:.*shutting down/);
    await expect.poll(() => aborted, { timeout: 5000 }).toBe(1);
    expect(sink.events.some((e) => e.type === 'request.timeout' && e.details?.shutdown === true)).toBe(true);
    await client.close();
  });

  it('waits for a request that finishes within the drain time', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const { url } = await start({
      slowGate: () => {
        entered();
        return gate;
      },
    });
    const client = await connect(era, url);
    const call = client.callTool({ name: 'slow', arguments: {} }, undefined, { timeout: 30_000 });
    await inside;
    setTimeout(release, 100);
    expect(await warden!.drain({ timeoutMs: 10_000 })).toBe(0);
    expect((await call).content).toEqual([{ type: 'text', text: 'done' }]);
    await client.close();
  });
});
