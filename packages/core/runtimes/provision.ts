/**
 * Bun and Deno for the runtime tests: installed from the npm registry (the `bun` and `deno` packages ship their
 * binaries through optional dependencies) into a cache directory once, then reused; and a launcher that starts
 * runtimes/smoke-server.ts on one of them.
 *
 * Environment: WARDEN_RUNTIMES_CACHE (default <repo>/node_modules/.cache/warden-runtimes).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export type Runtime = 'bun' | 'deno';
export type SmokeMode = 'plain' | 'warden';

/** Pinned: a runtime upgrade is a deliberate change. */
export const RUNTIME_VERSIONS: Readonly<Record<Runtime, string>> = { bun: '1.4.5', deno: '2.9.6' };

const corePackage = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = resolve(corePackage, '..', '..');
const START_TIMEOUT_MS = 60_000;

export function runtimeCache(): string {
  return resolve(
    process.env.WARDEN_RUNTIMES_CACHE ?? join(repoRoot, 'node_modules', '.cache', 'warden-runtimes'),
  );
}

const binaryOf = (runtime: Runtime) => join(runtimeCache(), 'node_modules', '.bin', runtime);

/** The version a binary reports (`1.4.5` from bun, `deno 2.9.6 (…)` from deno), or undefined. */
function installedVersion(runtime: Runtime): string | undefined {
  const out = spawnSync(binaryOf(runtime), ['--version'], { encoding: 'utf8', timeout: 30_000 });
  if (out.status !== 0) return undefined;
  return /(\d+\.\d+\.\d+)/.exec(out.stdout)?.[1];
}

/** Installs the pinned runtimes unless the cache already has them; returns each binary's path. */
export function provisionRuntimes(): Record<Runtime, string> {
  const runtimes = Object.keys(RUNTIME_VERSIONS) as Runtime[];
  if (runtimes.some((r) => installedVersion(r) !== RUNTIME_VERSIONS[r])) {
    const cache = runtimeCache();
    mkdirSync(cache, { recursive: true });
    const specs = runtimes.map((r) => `${r}@${RUNTIME_VERSIONS[r]}`);
    const install = spawnSync(
      'npm',
      ['install', '--prefix', cache, '--no-save', '--no-audit', '--no-fund', '--loglevel=error', ...specs],
      { stdio: ['ignore', 'inherit', 'inherit'], timeout: 240_000 },
    );
    if (install.status !== 0)
      throw new Error(
        `npm install ${specs.join(' ')} into ${cache} failed (exit ${install.status ?? install.signal})`,
      );
  }
  for (const r of runtimes) {
    const found = installedVersion(r);
    if (found !== RUNTIME_VERSIONS[r])
      throw new Error(
        `${r} ${RUNTIME_VERSIONS[r]} is not runnable from ${binaryOf(r)} (found ${found ?? 'nothing'})`,
      );
  }
  return { bun: binaryOf('bun'), deno: binaryOf('deno') };
}

/** The command line that runs smoke-server.ts on a runtime. */
function commandFor(runtime: Runtime, mode: SmokeMode): { args: string[]; env: NodeJS.ProcessEnv } {
  const script = 'runtimes/smoke-server.ts';
  if (runtime === 'bun')
    return { args: [script, mode], env: { ...process.env, BUN_RUNTIME_TRANSPILER_CACHE_PATH: '0' } };
  // Deno: the workspace's node_modules as they are (manual), `.js` specifiers onto `.ts` sources (sloppy
  // imports), network for the server, read/env/sys for the dependencies; its cache stays inside ours.
  return {
    args: [
      'run',
      '--allow-net=127.0.0.1',
      '--allow-read',
      '--allow-env',
      '--allow-sys',
      '--node-modules-dir=manual',
      '--sloppy-imports',
      '--no-prompt',
      script,
      mode,
    ],
    env: { ...process.env, DENO_DIR: join(runtimeCache(), 'deno-dir'), DENO_NO_UPDATE_CHECK: '1' },
  };
}

export interface SmokeServer {
  url: string;
  /** What the runtime reported, e.g. `bun 1.4.5`. */
  runtime: string;
  /** Everything the server wrote to stderr so far (for failure messages). */
  stderr(): string;
  stop(): Promise<void>;
}

/** Starts smoke-server.ts on `runtime` and resolves once it prints its URL. */
export async function startSmokeServer(
  runtime: Runtime,
  binary: string,
  mode: SmokeMode,
): Promise<SmokeServer> {
  const { args, env } = commandFor(runtime, mode);
  const child: ChildProcess = spawn(binary, args, { cwd: corePackage, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-8000);
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const stop = async () => {
    child.stdin?.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  const ready = await new Promise<{ url: string; runtime: string }>((done, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`${runtime} did not start within ${START_TIMEOUT_MS} ms`)),
      START_TIMEOUT_MS,
    );
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const parsed = JSON.parse(line) as { url?: unknown; runtime?: unknown };
        if (typeof parsed.url === 'string') {
          clearTimeout(timer);
          done({ url: parsed.url, runtime: String(parsed.runtime) });
        }
      } catch {
        // Not our line.
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      fail(new Error(`${runtime} exited (${code ?? signal}) before listening: ${stderr.trim()}`));
    });
  }).catch(async (error: unknown) => {
    child.kill('SIGKILL');
    await exited;
    throw error;
  });
  return { ...ready, stderr: () => stderr, stop };
}
