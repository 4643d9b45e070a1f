import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, describe, expect, it } from 'vitest';
import { issueKey } from './issue-key.js';
import { startExample } from './start-example.js';

// The SDK 1.x example, driven by the SDK 1.x client (2025 era).
const pepper = randomBytes(32).toString('base64');
const keysDb = join(mkdtempSync(join(tmpdir(), 'warden-examples-')), 'keys.db');
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill();
});

describe('SDK 1.x example: secure an existing McpServer', () => {
  it('sdk1-http-server.ts over Streamable HTTP: a valid key calls the tool, no key gets 401', async () => {
    const key = await issueKey(keysDb, pepper);
    const { url, child } = await startExample('sdk1-http-server.ts', { PEPPER: pepper, KEYS_DB: keysDb });
    children.push(child);
    const client = new Client({ name: 'example-test', version: '1' });
    await client.connect(
      new StreamableHTTPClientTransport(url, {
        requestInit: { headers: { authorization: `Bearer ${key}` } },
      }),
    );
    expect((await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } })).content).toEqual([
      { type: 'text', text: '5' },
    ]);
    await client.close();
    const anonymous = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: '{}',
    });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });
});
