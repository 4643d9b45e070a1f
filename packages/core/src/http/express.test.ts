import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { demoServer } from '../__fixtures__/demo-server.js';
import { tokenAuth } from '../__fixtures__/plugins.js';
import { connectHttpClient } from '../testing/index.js';
import { createWarden, type Warden } from '../warden.js';

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

describe('the HTTP edge inside Express', () => {
  it('serves the MCP endpoint from app.use(), passes other paths on with next(), and needs no body parser', async () => {
    const warden: Warden = await createWarden({ plugins: [tokenAuth()] });
    const app = express();
    app.use(warden.httpHandler({ createServer: demoServer }));
    app.get('/status', (_req, res) => void res.json({ up: true }));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    close = async () => {
      await warden.close();
      await new Promise((resolve) => server.close(resolve));
    };
    const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
    const client = await connectHttpClient(url, { headers: { authorization: 'Bearer good:frank' } });
    expect((await client.callTool({ name: 'whoami', arguments: {} })).content).toEqual([
      { type: 'text', text: 'frank' },
    ]);
    await client.close();
    expect(
      (await fetch(url, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } }))
        .status,
    ).toBe(401);
    expect(await (await fetch(new URL('/status', url))).json()).toEqual({ up: true });
  });
});
