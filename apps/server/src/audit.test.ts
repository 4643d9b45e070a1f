import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StoredAuditRecord } from '@mcp-warden/audit';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { ReferenceServer } from './reference-server.js';
import { CLI, tempDataDir } from './test-support.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

async function connect(url: URL, key: string, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: 't', version: '1' });
  await client.connect(
    new StreamableHTTPClientTransport(url, {
      requestInit: { headers: { authorization: `Bearer ${key}`, ...headers } },
    }),
  );
  return client;
}

/** Runs the CLI without blocking the event loop (the server under test runs in this process; see tools-cli.test.ts). */
function cli(
  dataDir: string,
  args: string[],
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args, '--data-dir', dataDir],
      { encoding: 'utf8', env: { ...process.env, MCP_WARDEN_CONFIG: '' } },
      (error, stdout, stderr) =>
        resolve({ status: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });
}

describe('the audit trail of the reference server', () => {
  let server: ReferenceServer;
  let dataDir: string;
  let readerId: string;
  const secrets = fc.sample(fc.string({ minLength: 10, maxLength: 30, unit: 'grapheme-ascii' }), 8);

  beforeAll(async () => {
    dataDir = tempDataDir();
    const config = loadConfig({ dataDir, port: 0 }, {});
    config.logging.level = 'error';
    const logs: string[] = [];
    server = await ReferenceServer.create({ config, log: (line) => logs.push(line) });
    const url = await server.listen();
    const issued = await server.services.keys!.create({ name: 'reader', owner: 'rita', roles: ['reader'] });
    readerId = issued.info.id;
    const reader = await connect(url, issued.key, {
      traceparent: `00-${TRACE}-00f067aa0ba902b7-01`,
    });
    for (const [i, secret] of secrets.entries())
      await reader.callTool({ name: 'echo', arguments: { text: `S${i}|${secret}` } });
    await reader.callTool({ name: 'read_file', arguments: { path: 'public/welcome.txt' } });
    await reader.readResource({ uri: 'file:///public/hello.txt' });
    await expect(reader.callTool({ name: 'admin_stats', arguments: {} })).rejects.toThrow(/Access denied/);
    await reader.close();
    server.audit!.flush();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('records allowed calls with principal, authenticator, target, digest, outcome, latency and trace', async () => {
    const calls = server.audit!.query({ principal: readerId, method: 'tools/call', limit: 1000 });
    expect(calls.map((c) => c.target).sort()).toEqual([...secrets.map(() => 'echo'), 'read_file'].sort());
    for (const call of calls) {
      expect(call).toMatchObject({
        authenticator: 'apikey-auth',
        outcome: 'ok',
        errorCode: null,
        traceId: TRACE,
        transport: 'http',
      });
      expect(call.argsDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(call.latencyMs).toBeGreaterThanOrEqual(0);
      expect(call).not.toHaveProperty('arguments');
    }
    // The refused admin_stats is a security event, not an audit record.
    expect(server.audit!.query({ target: 'admin_stats' })).toEqual([]);
    expect(server.audit!.query({ method: 'resources/read' })[0]?.target).toBe('file:///public/hello.txt');
  });

  it('never writes argument values to the database files', async () => {
    const bytes = readdirSync(dataDir)
      .filter((f) => f.startsWith('audit.db'))
      .map((f) => readFileSync(join(dataDir, f)).toString('latin1'))
      .join('');
    expect(bytes.length).toBeGreaterThan(0);
    for (const [i, secret] of secrets.entries()) expect(bytes).not.toContain(`S${i}|${secret}`);
    expect(bytes).not.toContain('public/welcome.txt'); // read_file's argument, as opposed to its digest
  });

  it('audit query --json filters by principal, target and time (built CLI)', async () => {
    server.audit!.flush();
    const run = async (args: string[]) => {
      const out = await cli(dataDir, ['audit', 'query', ...args, '--json']);
      expect(out.status, out.stderr).toBe(0);
      return JSON.parse(out.stdout) as StoredAuditRecord[];
    };
    const variants: Array<{ args: string[]; expected: (r: StoredAuditRecord) => boolean }> = [
      { args: ['--principal', readerId], expected: (r) => r.principalId === readerId },
      { args: ['--target', 'echo'], expected: (r) => r.target === 'echo' },
      {
        args: ['--principal', readerId, '--target', 'read_file', '--since', '1h'],
        expected: (r) => r.target === 'read_file',
      },
      {
        args: ['--target', 'file:///public/**'],
        expected: (r) => r.target?.startsWith('file:///public/') === true,
      },
      { args: ['--principal', 'nobody'], expected: () => false },
      { args: ['--since', '2000-01-01', '--until', '2000-01-02'], expected: () => false },
      { args: ['--method', 'tools/call', '--outcome', 'ok'], expected: (r) => r.method === 'tools/call' },
    ];
    const all = server.audit!.query({ limit: 100_000 });
    for (const { args, expected } of variants) {
      const got = await run([...args, '--limit', '100000']);
      expect(
        got.map((r) => r.id),
        args.join(' '),
      ).toEqual(all.filter(expected).map((r) => r.id));
    }
    const tail = await cli(dataDir, ['audit', 'tail', '-n', '2']);
    expect(tail.status, tail.stderr).toBe(0);
    expect(tail.stdout.trim().split('\n')).toHaveLength(2);
    const bad = await cli(dataDir, ['audit', 'query', '--since', 'yesterday']);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/duration ago/);
  });

  it('applies the configured retention', async () => {
    const config = loadConfig({ dataDir: tempDataDir(), port: 0 }, {});
    config.logging.level = 'error';
    config.audit.maxRows = 3;
    const small = await ReferenceServer.create({ config, log: () => undefined });
    const store = small.audit!;
    for (let i = 0; i < 5; i++)
      store.write({ ...server.audit!.query({ limit: 1 })[0]!, requestId: String(i) });
    store.flush();
    expect(store.count()).toBe(5);
    store.prune();
    expect(store.query({ limit: 10 }).map((r) => r.requestId)).toEqual(['4', '3', '2']);
    await small.close();
  });
});
