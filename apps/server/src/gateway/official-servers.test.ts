import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDataDir } from '../test-support.js';
import {
  ADMIN_ONLY_ACL,
  connectV1,
  errorOf,
  startTestGateway,
  type TestGateway,
  textOf,
} from './test-gateway.js';

// The official reference servers from npm (SDK 1.x), run as they are: the gateway's users front servers like these.
const require = createRequire(import.meta.url);
const serverBin = (name: string) =>
  join(dirname(require.resolve(`@modelcontextprotocol/server-${name}/package.json`)), 'dist', 'index.js');

describe('gateway in front of @modelcontextprotocol/server-filesystem (stdio)', () => {
  let gateway: TestGateway;
  let root: string;
  let admin: Client;
  let reader: Client;

  beforeAll(async () => {
    root = join(tempDataDir(), '..', 'files');
    mkdirSync(join(root, 'public'), { recursive: true });
    writeFileSync(join(root, 'public', 'hello.txt'), 'hello from the filesystem server\n');
    // A credential that ended up in a file: it must not reach the model through the gateway.
    writeFileSync(join(root, 'public', 'config.env'), 'AWS_ACCESS_KEY_ID=AKIAZ3MXQ7RT2VBN4K6P\n');
    gateway = await startTestGateway({
      upstreams: [{ name: 'fs', command: process.execPath, args: [serverBin('filesystem'), root] }],
      plugins: {
        acl: {
          policy: {
            version: 1,
            roles: { reader: {}, admin: { inherits: ['reader'] } },
            rules: [
              { effect: 'allow', subjects: ['authenticated'], actions: ['tools:list'] },
              {
                effect: 'allow',
                subjects: ['role:reader'],
                actions: ['tools:call'],
                targets: ['read_text_file', 'list_directory', 'list_allowed_directories'],
              },
              { effect: 'allow', subjects: ['role:admin'], actions: ['*'] },
            ],
          },
        },
      },
    });
    admin = await connectV1(gateway.url, await gateway.key(['admin']));
    reader = await connectV1(gateway.url, await gateway.key(['reader']));
  }, 60_000);
  afterAll(async () => {
    await admin?.close();
    await reader?.close();
    await gateway?.close();
  });

  it('refuses a client without a key before any upstream process starts', async () => {
    await expect(connectV1(gateway.url)).rejects.toThrow();
    expect(gateway.events.some((e) => e.type === 'auth.failed' || e.type === 'request.rejected')).toBe(true);
  });

  it('lists to each principal only the tools the ACL lets it call', async () => {
    const adminTools = (await admin.listTools()).tools.map((t) => t.name);
    const readerTools = (await reader.listTools()).tools.map((t) => t.name).sort();
    expect(adminTools).toContain('write_file');
    expect(readerTools).toEqual(['list_allowed_directories', 'list_directory', 'read_text_file']);
  });

  it("refuses a reader's write before the upstream sees it, and records it", async () => {
    const target = join(root, 'public', 'pwned.txt');
    const code = (
      await errorOf(reader.callTool({ name: 'write_file', arguments: { path: target, content: 'x' } }))
    )?.code;
    expect(code).toBe(-32003);
    expect(existsSync(target)).toBe(false);
    expect(gateway.events.some((e) => e.type === 'access.denied' && e.target === 'write_file')).toBe(true);
  });

  it('lets an admin write and a reader read it back', async () => {
    const target = join(root, 'public', 'note.txt');
    await admin.callTool({
      name: 'write_file',
      arguments: { path: target, content: 'written via the gateway' },
    });
    expect(readFileSync(target, 'utf8')).toBe('written via the gateway');
    const read = await reader.callTool({ name: 'read_text_file', arguments: { path: target } });
    expect(textOf(read)).toContain('written via the gateway');
  });

  it('validates arguments against the schema learned from the upstream tools/list', async () => {
    const before = gateway.events.length;
    const code = (await errorOf(reader.callTool({ name: 'read_text_file', arguments: { path: 42 } })))?.code;
    expect(code).toBe(-32602);
    expect(gateway.events.slice(before).some((e) => e.type === 'validation.rejected')).toBe(true);
  });

  it('redacts a credential in upstream output', async () => {
    const read = await reader.callTool({
      name: 'read_text_file',
      arguments: { path: join(root, 'public', 'config.env') },
    });
    expect(textOf(read)).not.toContain('AKIAZ3MXQ7RT2VBN4K6P');
    expect(textOf(read)).toContain('[REDACTED:');
  });
});

describe('gateway in front of @modelcontextprotocol/server-memory (stdio)', () => {
  let gateway: TestGateway;
  let client: Client;
  beforeAll(async () => {
    const memoryFile = join(tempDataDir(), '..', 'memory.jsonl');
    gateway = await startTestGateway({
      upstreams: [
        {
          name: 'memory',
          command: process.execPath,
          args: [serverBin('memory')],
          env: { MEMORY_FILE_PATH: memoryFile },
        },
      ],
      plugins: ADMIN_ONLY_ACL,
    });
    client = await connectV1(gateway.url, await gateway.key(['admin']));
  }, 60_000);
  afterAll(async () => {
    await client?.close();
    await gateway?.close();
  });

  it('relays a round trip of entities', async () => {
    await client.callTool({
      name: 'create_entities',
      arguments: { entities: [{ name: 'warden', entityType: 'project', observations: ['guards MCP'] }] },
    });
    const graph = await client.callTool({ name: 'read_graph', arguments: {} });
    expect(textOf(graph)).toContain('guards MCP');
  });
});

describe('gateway in front of @modelcontextprotocol/server-everything', () => {
  let stdioGateway: TestGateway;
  let httpGateway: TestGateway;
  let httpUpstream: ChildProcess;
  const canary = 'gateway-secret-canary-7d1f';

  beforeAll(async () => {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    httpUpstream = spawn(process.execPath, [serverBin('everything'), 'streamableHttp'], {
      env: { ...process.env, PORT: String(port) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('server-everything did not start')), 20_000);
      httpUpstream.stderr!.on('data', (d: Buffer) => {
        if (String(d).includes('listening')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const admin = ADMIN_ONLY_ACL;
    stdioGateway = await startTestGateway({
      upstreams: [
        { name: 'everything', command: process.execPath, args: [serverBin('everything'), 'stdio'] },
      ],
      plugins: admin,
      env: { GATEWAY_CANARY: canary, MCP_WARDEN_KEY_PASSPHRASE: canary },
    });
    httpGateway = await startTestGateway({
      upstreams: [{ name: 'everything', url: `http://127.0.0.1:${port}/mcp` }],
      plugins: admin,
    });
  }, 60_000);
  afterAll(async () => {
    await stdioGateway?.close();
    await httpGateway?.close();
    httpUpstream?.kill();
  });

  it('passes the stdio upstream only the environment its entry names', async () => {
    const client = await connectV1(stdioGateway.url, await stdioGateway.key(['admin']));
    const env = textOf(await client.callTool({ name: 'get-env', arguments: {} }));
    await client.close();
    expect(env).toContain('PATH');
    expect(env).not.toContain(canary);
    expect(env).not.toContain('MCP_WARDEN');
  });

  for (const mode of ['stdio', 'http'] as const)
    it(`relays tools, progress and server notifications over ${mode}`, async () => {
      const gateway = mode === 'stdio' ? stdioGateway : httpGateway;
      const client = await connectV1(gateway.url, await gateway.key(['admin']));
      const sum = await client.callTool({ name: 'get-sum', arguments: { a: 2, b: 3 } });
      expect(textOf(sum)).toContain('5');
      const progress: number[] = [];
      await client.callTool(
        { name: 'trigger-long-running-operation', arguments: { duration: 1, steps: 3 } },
        undefined,
        { onprogress: (p) => progress.push(p.progress), timeout: 10_000 },
      );
      expect(progress.length).toBeGreaterThanOrEqual(3);
      const resources = await client.listResources();
      expect(resources.resources.length).toBeGreaterThan(0);
      await client.close();
    });
});
