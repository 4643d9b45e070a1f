import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { type JSONRPCMessage, JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { CLI, tempDataDir } from './test-support.js';

/**
 * A client transport over a spawned `mcp-warden serve --stdio` that keeps every raw stdout line, so the test can
 * check that stdout carries JSON-RPC and nothing else (the SDK's own stdio transport drops lines it cannot parse).
 */
class RecordingStdioTransport implements Transport {
  onmessage?: (message: JSONRPCMessage) => void;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  readonly lines: string[] = [];
  stderr = '';
  #buffer = '';
  #child: ChildProcess | undefined;

  constructor(
    private readonly args: string[],
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  async start(): Promise<void> {
    const child = spawn(process.execPath, [CLI, ...this.args], {
      env: this.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.#child = child;
    child.stderr!.on('data', (d) => (this.stderr += d));
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      this.#buffer += chunk;
      for (let at = this.#buffer.indexOf('\n'); at >= 0; at = this.#buffer.indexOf('\n')) {
        const line = this.#buffer.slice(0, at);
        this.#buffer = this.#buffer.slice(at + 1);
        this.lines.push(line);
        const parsed = JSONRPCMessageSchema.safeParse(safeJson(line));
        if (parsed.success) this.onmessage?.(parsed.data);
      }
    });
    child.once('exit', () => this.onclose?.());
  }

  async send(message: JSONRPCMessage): Promise<void> {
    this.#child!.stdin!.write(`${JSON.stringify(message)}\n`);
  }

  async close(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.stdin!.end();
    });
  }

  /** Whatever was left without a final newline. */
  get rest(): string {
    return this.#buffer;
  }
}

function safeJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

function createKey(dataDir: string, roles: string): string {
  const run = spawnSync(
    process.execPath,
    [CLI, 'keys', 'create', '--data-dir', dataDir, '--name', 'stdio', '--roles', roles, '--json'],
    { encoding: 'utf8' },
  );
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout).key;
}

/** Requests the reader key is refused, each by a different stage (ACL, validation, unknown names). */
const REFUSALS: ReadonlyArray<[string, (client: Client) => Promise<unknown>]> = [
  ['a tool the role may not call', (c) => c.callTool({ name: 'admin_stats', arguments: {} })],
  [
    'a tool the role may not call (write)',
    (c) => c.callTool({ name: 'write_note', arguments: { name: 'n', body: 'b' } }),
  ],
  [
    'a path outside public/',
    (c) => c.callTool({ name: 'read_file', arguments: { path: 'private/plans.txt' } }),
  ],
  [
    'a path escaping the sandbox',
    (c) => c.callTool({ name: 'read_file', arguments: { path: '../keys.db' } }),
  ],
  ['an unknown tool', (c) => c.callTool({ name: 'no_such_tool', arguments: {} })],
  ['arguments of the wrong type', (c) => c.callTool({ name: 'echo', arguments: { text: 42 } })],
  ['a private resource', (c) => c.readResource({ uri: 'file:///private/plans.txt' })],
];

describe('serve --stdio keeps stdout for JSON-RPC only', () => {
  it('refusals are recorded on stderr, and every stdout line is a JSON-RPC message', async () => {
    const dataDir = tempDataDir();
    const key = createKey(dataDir, 'reader');
    const transport = new RecordingStdioTransport(['serve', '--stdio', '--data-dir', dataDir], {
      PATH: process.env.PATH ?? '',
      MCP_WARDEN_API_KEY: key,
      MCP_WARDEN_LOG_LEVEL: 'debug',
    });
    const client = new Client({ name: 'purity', version: '1' });
    await client.connect(transport);
    const refused: string[] = [];
    for (const [name, request] of REFUSALS) {
      const outcome = await request(client).then(
        (result) => ((result as { isError?: boolean }).isError ? 'refused' : 'allowed'),
        () => 'refused',
      );
      if (outcome === 'refused') refused.push(name);
    }
    expect(refused).toEqual(REFUSALS.map(([name]) => name));
    await client.callTool({ name: 'echo', arguments: { text: 'still fine' } });
    await client.close();

    expect(transport.lines.length).toBeGreaterThan(REFUSALS.length);
    for (const line of transport.lines)
      expect(JSONRPCMessageSchema.safeParse(safeJson(line)).success, line).toBe(true);
    expect(transport.rest).toBe('');
    // The refusals were recorded, on stderr.
    const events = transport.stderr
      .split('\n')
      .map(safeJson)
      .filter((e): e is { event: string; type: string } => (e as { event?: string })?.event === 'security');
    expect(events.filter((e) => e.type === 'access.denied').length).toBeGreaterThanOrEqual(3);
  });

  it('refuses to start when the security log is sent to stdout', () => {
    const dataDir = tempDataDir();
    const key = createKey(dataDir, 'reader');
    const run = spawnSync(process.execPath, [CLI, 'serve', '--stdio', '--data-dir', dataDir], {
      env: {
        PATH: process.env.PATH ?? '',
        MCP_WARDEN_API_KEY: key,
        MCP_WARDEN_SECURITY_LOG: '/dev/stdout',
      },
      input: '',
      encoding: 'utf8',
    });
    expect(run.status).not.toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/securityLogFile \(\/dev\/stdout\) is stdout/);
  });

  it.each([
    ['no variable', {}, /no credential was presented/],
    ['an empty variable', { MCP_WARDEN_API_KEY: '' }, /is empty/],
    ['a wrong key', { MCP_WARDEN_API_KEY: 'mcpw_bogus' }, /not valid/],
  ] as const)(
    'first start with %s names MCP_WARDEN_API_KEY and writes nothing to stdout',
    (_name, env, problem) => {
      const run = spawnSync(process.execPath, [CLI, 'serve', '--stdio', '--data-dir', tempDataDir()], {
        env: { PATH: process.env.PATH ?? '', ...env },
        input: '',
        encoding: 'utf8',
      });
      expect(run.status).not.toBe(0);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(problem);
      expect(run.stderr).toMatch(/set MCP_WARDEN_API_KEY to an API key/);
    },
  );
});
