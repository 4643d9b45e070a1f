import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli.js');

const INSPECTOR = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'node_modules',
  '.bin',
  'mcp-inspector',
);
const run = promisify(execFile);

/** Runs the official MCP Inspector in `--cli` mode and returns the JSON it prints. */
export async function inspect(args: string[]): Promise<Record<string, unknown>> {
  try {
    const { stdout } = await run(INSPECTOR, ['--cli', ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
      timeout: 60_000,
    });
    return JSON.parse(stdout) as Record<string, unknown>;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`Inspector failed: ${stdout ?? ''}${stderr ?? ''}`);
  }
}

/** A TCP port free on loopback right now (for a server whose URL must be known before it starts). */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export function tempDataDir(): string {
  return join(mkdtempSync(join(tmpdir(), 'mcp-warden-server-')), 'data');
}

export interface SpawnedServer {
  child: ChildProcess;
  url: URL;
  /** Everything the process wrote to stderr so far. */
  stderr: () => string;
  stdout: () => string;
  stop(): Promise<number | null>;
}

/** Starts `mcp-warden serve` on a free port and waits for its "serving MCP at" line. */
export async function spawnServer(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  nodeArgs: string[] = [],
): Promise<SpawnedServer> {
  const child = spawn(process.execPath, [...nodeArgs, CLI, 'serve', '--port', '0', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  const url = await new Promise<URL>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${err}`)), 20_000);
    child.stderr!.on('data', (d) => {
      err += d;
      const match = /serving MCP at (\S+)/.exec(err);
      if (match) {
        clearTimeout(timer);
        resolve(new URL(match[1]!));
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${err}`)));
  });
  return {
    child,
    url,
    stderr: () => err,
    stdout: () => out,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill('SIGTERM');
      }),
  };
}
