import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { ReferenceServer } from './reference-server.js';
import { CLI, spawnServer, tempDataDir } from './test-support.js';

describe.each(['stateful', 'stateless'] as const)('reference server over HTTP (%s)', (sessions) => {
  let server: ReferenceServer;
  let client: Client;
  let url: URL;
  beforeAll(async () => {
    const config = loadConfig({ dataDir: tempDataDir(), port: 0 }, {});
    config.server.sessions = sessions;
    server = await ReferenceServer.create({ config, log: () => undefined });
    url = await server.listen();
    client = new Client({ name: 't', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(url));
  });
  afterAll(async () => {
    await client.close();
    await server.close();
  });

  it('lists the demo tools, resources and prompt', async () => {
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(['admin_stats', 'echo', 'list_notes', 'read_file', 'read_note', 'write_note']);
    expect((await client.listResources()).resources.map((r) => r.uri).sort()).toEqual(['file:///private/plans.txt', 'file:///public/welcome.txt']);
    expect((await client.listPrompts()).prompts.map((p) => p.name)).toEqual(['summarize_notes']);
  });

  it('runs the tools', async () => {
    expect((await client.callTool({ name: 'echo', arguments: { text: 'hi' } })).content).toEqual([{ type: 'text', text: 'hi' }]);
    expect((await client.callTool({ name: 'read_file', arguments: { path: 'hello.txt' } })).content).toEqual([
      { type: 'text', text: 'Hello from the MCP Warden sandbox.\n' },
    ]);
    await client.callTool({ name: 'write_note', arguments: { name: 'todo', body: 'buy milk' } });
    expect((await client.callTool({ name: 'read_note', arguments: { name: 'todo' } })).content).toEqual([{ type: 'text', text: 'buy milk' }]);
    expect((await client.readResource({ uri: 'file:///public/welcome.txt' })).contents[0]).toMatchObject({ text: 'Welcome! This document is public.\n' });
  });

  it('keeps read_file inside its sandbox', async () => {
    for (const path of ['../notes.db', '/etc/passwd', '../../../../etc/passwd', 'hello.txt\0.png']) {
      const result = await client.callTool({ name: 'read_file', arguments: { path } });
      expect(result.isError, path).toBe(true);
      expect(JSON.stringify(result.content)).not.toContain('root:');
    }
  });

  it('serves health and readiness probes', async () => {
    expect(await (await fetch(new URL('/healthz', url))).json()).toEqual({ status: 'ok' });
    expect((await fetch(new URL('/readyz', url))).status).toBe(200);
  });
});

describe('mcp-warden CLI', () => {
  it('serve: starts on the embedded default, creates the data directory, and shuts down gracefully on SIGTERM', async () => {
    const dataDir = tempDataDir();
    const spawned = await spawnServer(['--data-dir', dataDir]);
    expect(spawned.url.pathname).toBe('/mcp');
    expect(existsSync(join(dataDir, 'notes.db'))).toBe(true);
    const client = new Client({ name: 't', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(spawned.url));
    expect((await client.callTool({ name: 'echo', arguments: { text: 'cli' } })).content).toEqual([{ type: 'text', text: 'cli' }]);
    await client.close();
    expect(await spawned.stop()).toBe(0);
    expect(spawned.stderr()).toContain('SIGTERM received, shutting down');
  });

  it('serve --stdio: serves the real SDK client over stdin/stdout', async () => {
    const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, 'serve', '--stdio', '--data-dir', tempDataDir()], stderr: 'pipe' });
    let stderr = '';
    transport.stderr?.on('data', (d) => (stderr += d));
    const client = new Client({ name: 't', version: '1' });
    await client.connect(transport).catch((e: Error) => {
      throw new Error(`${e.message}; server stderr: ${stderr}`);
    });
    expect((await client.callTool({ name: 'echo', arguments: { text: 'over stdio' } })).content).toEqual([{ type: 'text', text: 'over stdio' }]);
    await client.close();
  });

  it('refuses an invalid configuration with a clear message and exit code 2', async () => {
    const { spawnSync } = await import('node:child_process');
    const run = spawnSync(process.execPath, [CLI, 'serve', '--data-dir', tempDataDir()], { env: { ...process.env, MCP_WARDEN_PORT: 'not-a-port' }, encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/mcp-warden: Invalid configuration[\s\S]*port/);
  });

  it('refuses to bind a non-loopback address without TLS', async () => {
    const { spawnSync } = await import('node:child_process');
    const run = spawnSync(process.execPath, [CLI, 'serve', '--host', '0.0.0.0', '--port', '0', '--data-dir', tempDataDir()], { encoding: 'utf8' });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/Refusing to serve plain HTTP on non-loopback address 0\.0\.0\.0/);
  });
});
