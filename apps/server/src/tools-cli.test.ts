import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fingerprintTool, PinStore } from '@mcp-warden/tool-pinning';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type ServerConfig } from './config.js';
import { ReferenceServer } from './reference-server.js';
import { DATA_FILES } from './services.js';
import { CLI, tempDataDir } from './test-support.js';

const UPSTREAM = 'mcp-warden-reference';

async function connect(url: URL, key: string): Promise<Client> {
  const client = new Client({ name: 't', version: '1' });
  await client.connect(
    new StreamableHTTPClientTransport(url, { requestInit: { headers: { authorization: `Bearer ${key}` } } }),
  );
  return client;
}

/**
 * Runs the CLI without blocking the event loop: the reference server under test runs in this process, and a
 * loop blocked for seconds by spawnSync let its keep-alive timer close the client's socket just as it was reused.
 */
function cli(
  dataDir: string,
  args: string[],
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, 'tools', ...args, '--data-dir', dataDir],
      { encoding: 'utf8', env: { ...process.env, MCP_WARDEN_CONFIG: '' } },
      (error, stdout, stderr) => {
        const status = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ status, stdout, stderr });
      },
    );
  });
}

function pinningConfig(dataDir: string, toolPinning: Record<string, unknown>): ServerConfig {
  const config = loadConfig({ dataDir, port: 0 }, {});
  config.logging.level = 'error';
  config.plugins = { ...config.plugins, toolPinning: { enabled: true, ...toolPinning } };
  return config;
}

async function refusalOf(call: Promise<unknown>): Promise<{ code?: number; data?: unknown }> {
  return call.then(
    () => ({}),
    (error: { code?: number; data?: unknown }) => error,
  );
}

describe('mcp-warden tools pending | diff | approve | reject', () => {
  let server: ReferenceServer;
  let client: Client;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = tempDataDir();
    // Nothing trusted on first use: every demo tool waits for the operator.
    server = await ReferenceServer.create({
      config: pinningConfig(dataDir, { trustOnFirstUse: false }),
      log: () => undefined,
    });
    const url = await server.listen();
    const admin = await server.services.keys!.create({ name: 'admin', owner: 'ada', roles: ['admin'] });
    client = await connect(url, admin.key);
  });
  afterAll(async () => {
    await client?.close();
    await server?.close();
  });

  it('shows held tools, approves the reviewed hash, and the running server lists and calls the tool', async () => {
    expect((await client.listTools()).tools).toEqual([]);
    const pending = await cli(dataDir, ['pending']);
    expect(pending.status).toBe(0);
    expect(pending.stdout).toMatch(new RegExp(`^${UPSTREAM}/echo +new +hash=[0-9a-f]{16}`, 'm'));
    const asJson = JSON.parse((await cli(dataDir, ['pending', '--json'])).stdout) as Array<{
      tool: string;
      pending: { hash: string };
    }>;
    const echo = asJson.find((p) => p.tool === 'echo')!;
    expect(asJson.map((p) => p.tool)).toContain('read_file');

    const diff = await cli(dataDir, ['diff', 'echo']);
    expect(diff.status).toBe(0);
    expect(diff.stdout).toContain(`--- ${UPSTREAM}/echo (not pinned before)`);
    expect(diff.stdout).toContain(`+++ ${UPSTREAM}/echo pending ${echo.pending.hash}`);
    expect(diff.stdout).toContain('+  "name": "echo"');

    const stale = await cli(dataDir, ['approve', 'echo', '--hash', 'abcdef0123456789']);
    expect(stale.status).toBe(1);
    expect(stale.stderr).toContain('changed since it was reviewed');

    const approved = await cli(dataDir, ['approve', 'echo', '--hash', echo.pending.hash.slice(0, 12)]);
    expect(approved.status).toBe(0);
    expect(approved.stdout).toBe(`Approved ${UPSTREAM}/echo at ${echo.pending.hash}.\n`);
    expect(approved.stderr).toContain('"type":"tool.approved"');

    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['echo']);
    expect(await client.callTool({ name: 'echo', arguments: { text: 'hi' } })).toMatchObject({
      content: [{ type: 'text', text: 'hi' }],
    });
    const refused = await refusalOf(client.callTool({ name: 'read_file', arguments: { path: 'public/x' } }));
    expect(refused.data).toEqual({ code: 'TOOL_HELD' });
  });

  it('rejects a definition: it stays held and leaves the pending list', async () => {
    const rejected = await cli(dataDir, ['reject', 'read_file']);
    expect(rejected.status).toBe(0);
    expect(rejected.stdout).toContain(`Rejected ${UPSTREAM}/read_file`);
    await client.listTools();
    expect((await cli(dataDir, ['pending'])).stdout).not.toContain('/read_file ');
    const refused = await refusalOf(client.callTool({ name: 'read_file', arguments: { path: 'public/x' } }));
    expect(refused.data).toEqual({ code: 'TOOL_HELD' });
  });

  it('answers mistakes with a message and exit code 1', async () => {
    for (const [args, message] of [
      [['diff', 'no_such_tool'], 'has no tool "no_such_tool"'],
      [['approve', 'echo'], 'no definition waiting'],
      [['diff', 'echo', '--upstream', 'ghost'], 'of upstream "ghost"'],
    ] as const) {
      const out = await cli(dataDir, [...args]);
      expect(out.status, args.join(' ')).toBe(1);
      expect(out.stderr).toContain(message);
    }
    expect((await cli(dataDir, ['pending', '--upstream', 'ghost'])).stdout).toBe(
      '(no tool definitions waiting for approval)\n',
    );
  });

  it('says where the store should be when there is none (exit code 2)', async () => {
    const out = await cli(tempDataDir(), ['pending']);
    expect(out.status).toBe(2);
    expect(out.stderr).toContain('there is no tool pin store at');
    expect(out.stderr).toContain('enable plugins.toolPinning');
  });
});

describe('mcp-warden tools on a store with several upstreams', () => {
  it('asks for --upstream, and shows characters a terminal would hide as escapes', async () => {
    const dataDir = tempDataDir();
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const store = new PinStore({ path: join(dataDir, DATA_FILES.toolPins) });
    const seen = (name: string, description: string) => ({
      tool: name,
      fingerprint: fingerprintTool({ name, description }),
      shadows: [],
    });
    store.observe('alpha', [seen('lookup', 'Looks up')], false);
    store.observe('beta', [seen('lookup', 'Looks up'), seen('evil\u202etxt.exe', 'Hides its name')], false);
    store.close();

    const ambiguous = await cli(dataDir, ['diff', 'lookup']);
    expect(ambiguous.status).toBe(1);
    expect(ambiguous.stderr).toContain('several upstreams (alpha, beta): name one with --upstream');
    expect((await cli(dataDir, ['diff', 'lookup', '--upstream', 'beta'])).stdout).toContain(
      '+++ beta/lookup pending',
    );
    const pending = (await cli(dataDir, ['pending'])).stdout;
    expect(pending).toContain('beta/evil\\u{202e}txt.exe');
    expect(pending).not.toContain('\u202e');
    expect((await cli(dataDir, ['approve', 'lookup', '--upstream', 'alpha'])).status).toBe(0);
    expect((await cli(dataDir, ['pending', '--upstream', 'alpha'])).stdout).toBe(
      '(no tool definitions waiting for approval)\n',
    );
  });
});

describe('tool pinning in the reference server', () => {
  it('is off by default: no pin store is created', async () => {
    const dataDir = tempDataDir();
    const config = loadConfig({ dataDir, port: 0 }, {});
    config.logging.level = 'error';
    const server = await ReferenceServer.create({ config, log: () => undefined });
    await server.close();
    expect(existsSync(join(dataDir, DATA_FILES.toolPins))).toBe(false);
  });

  it('refuses to start when its pin store disappeared (every tool would be trusted again)', async () => {
    const dataDir = tempDataDir();
    const first = await ReferenceServer.create({ config: pinningConfig(dataDir, {}), log: () => undefined });
    await first.close();
    const store = join(dataDir, DATA_FILES.toolPins);
    expect(existsSync(store)).toBe(true);
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${store}${suffix}`, { force: true });
    await expect(
      ReferenceServer.create({ config: pinningConfig(dataDir, {}), log: () => undefined }),
    ).rejects.toThrow(/tool pin store .* is missing; refusing to start/);
  });
});
