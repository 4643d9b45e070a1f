import { type ChildProcess, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Client as V2Client,
  StreamableHTTPClientTransport as V2Transport,
} from '@modelcontextprotocol/client';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1Transport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueKey } from './issue-key.js';
import { NOTE } from './my-server.js';
import { startExample } from './start-example.js';

// The SDK v2 examples, each started as its own process and driven by the real clients: the SDK v2 client in the
// 2026-07-28 era, and the SDK 1.x client in the 2025 era at the same endpoint.
const pepper = randomBytes(32).toString('base64');
const keysDb = join(mkdtempSync(join(tmpdir(), 'warden-examples-v2-')), 'keys.db');
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill();
});

const bearer = (key: string) => ({ requestInit: { headers: { authorization: `Bearer ${key}` } } });
const TAG_CHARS = /[\u{E0000}-\u{E007F}]/u;

/** What sanitize must have made of the note: the visible text kept, the smuggled text gone, the key redacted. */
function expectCleanNote(content: unknown) {
  const text = (content as { type: string; text: string }[])[0]?.text ?? '';
  expect(NOTE).toMatch(TAG_CHARS); // the server really sends both
  expect(NOTE).toContain('AKIAIOSFODNN7EXAMPLE');
  expect(text).toMatch(/^Deploy at 10:00\./);
  expect(text).not.toMatch(TAG_CHARS);
  expect(text).not.toContain('AKIAIOSFODNN7EXAMPLE');
  expect(text).toContain('[REDACTED:aws-access-key-id]');
}

/** POSTs with Node's client, which (unlike fetch) can send a header more than once. */
function rawPost(url: URL, headers: Record<string, string | string[]>, body: string) {
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers }, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * A 2026-07-28 tools/call whose standard headers are each sent twice, the copies joining (", ") into exactly the
 * body's values. Only a host that passes Node's repeated-header count on to Warden can refuse them.
 */
function repeatedHeaderCalls(key: string) {
  const version = '2026-07-28';
  const name = 'add, read_note';
  const body = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'tools/call',
    params: {
      name,
      arguments: {},
      _meta: {
        'io.modelcontextprotocol/protocolVersion': version,
        'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
        'io.modelcontextprotocol/clientCapabilities': {},
      },
    },
  });
  const base = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    authorization: `Bearer ${key}`,
    'mcp-protocol-version': version,
    'mcp-method': 'tools/call',
    'mcp-name': name,
  };
  return [
    { ...base, 'mcp-name': ['add', 'read_note'] },
    { ...base, 'mcp-method': ['tools/call', 'tools/call'] },
    { ...base, 'mcp-protocol-version': [version, version] },
  ].map((headers) => ({ headers, body }));
}

describe.each(['http-server.ts', 'hono-server.ts'])('SDK v2 example %s', (file) => {
  let url: URL;
  let userKey: string;
  let adminKey: string;

  beforeAll(async () => {
    userKey = await issueKey(keysDb, pepper);
    // The admin key comes from the script a reader runs: `tsx src/issue-key.ts admin`.
    adminKey = execFileSync(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'issue-key.ts'), 'admin'],
      { env: { ...process.env, PEPPER: pepper, KEYS_DB: keysDb }, encoding: 'utf8' },
    ).trim();
    const running = await startExample(file, { PEPPER: pepper, KEYS_DB: keysDb });
    children.push(running.child);
    url = running.url;
  });

  it('SDK v2 client (2026-07-28): allowed calls work, the ACL refuses and hides the rest, output is sanitized', async () => {
    const client = new V2Client(
      { name: 'example-test', version: '2' },
      { versionNegotiation: { mode: 'auto' } },
    );
    await client.connect(new V2Transport(url, bearer(userKey)));
    expect(client.getProtocolEra()).toBe('modern');
    expect(client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name).sort()).toEqual(['add', 'read_note']);
    const sum = await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
    expect(sum.content).toEqual([{ type: 'text', text: '5' }]);
    await expect(client.callTool({ name: 'delete_notes', arguments: {} })).rejects.toThrow(/Access denied/);
    expectCleanNote((await client.callTool({ name: 'read_note', arguments: {} })).content);
    await client.close();
  });

  it('SDK v2 client: a key with the admin role may call what the ACL refused the other', async () => {
    const client = new V2Client(
      { name: 'example-test', version: '2' },
      { versionNegotiation: { mode: 'auto' } },
    );
    await client.connect(new V2Transport(url, bearer(adminKey)));
    const done = await client.callTool({ name: 'delete_notes', arguments: {} });
    expect(done.content).toEqual([{ type: 'text', text: 'deleted' }]);
    await client.close();
  });

  it('SDK 1.x client (2025 era) at the same endpoint: the same keys, ACL and sanitize', async () => {
    const client = new V1Client({ name: 'example-test', version: '1' });
    const transport = new V1Transport(url, bearer(userKey));
    await client.connect(transport);
    expect(transport.protocolVersion).toMatch(/^2025-/);
    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name).sort()).toEqual(['add', 'read_note']);
    const sum = await client.callTool({ name: 'add', arguments: { a: 40, b: 2 } });
    expect(sum.content).toEqual([{ type: 'text', text: '42' }]);
    await expect(client.callTool({ name: 'delete_notes', arguments: {} })).rejects.toThrow(/Access denied/);
    expectCleanNote((await client.callTool({ name: 'read_note', arguments: {} })).content);
    await client.close();
  });

  it('a standard MCP header sent twice gets 400 / -32020, even when the copies join into the body value', async () => {
    for (const { headers, body } of repeatedHeaderCalls(userKey)) {
      const { status, text } = await rawPost(url, headers, body);
      expect(status).toBe(400);
      expect(JSON.parse(text).error.code).toBe(-32020);
    }
  });

  it('no key or a wrong key: 401 with a Bearer challenge, in both eras', async () => {
    for (const authorization of [undefined, 'Bearer mcpw_notarealkey']) {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...(authorization ? { authorization } : {}),
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
      });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
    const v2 = new V2Client({ name: 'example-test', version: '2' }, { versionNegotiation: { mode: 'auto' } });
    await expect(v2.connect(new V2Transport(url))).rejects.toThrow();
    const v1 = new V1Client({ name: 'example-test', version: '1' });
    await expect(v1.connect(new V1Transport(url))).rejects.toThrow();
  });
});

describe('hono-server.ts: the rest of the app', () => {
  it('serves its other routes itself; only /mcp goes through Warden', async () => {
    const { url, child } = await startExample('hono-server.ts', { PEPPER: pepper, KEYS_DB: keysDb });
    children.push(child);
    const health = await fetch(new URL('/healthz', url));
    expect(await health.text()).toBe('ok');
    expect((await fetch(new URL('/elsewhere', url))).status).toBe(404);
  });
});
