// Starts `mcp-warden gateway` the way an operator runs it: the built CLI (apps/server/dist/cli.js) in its own
// process, on loopback, with a fresh data directory and a config file. Its first start issues the bootstrap admin
// API key (printed once on stderr), which the bench then uses like any client.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cli = new URL('../../apps/server/dist/cli.js', import.meta.url).pathname;

/** The gateway's rate limit in the benches: one rule never exhausted, so the limiter counts every request, refuses none. */
export const BENCH_RATELIMIT = { rules: [{ name: 'bench', points: 1_000_000_000, duration: 60 }] };

export interface GatewayProcess {
  child: ChildProcess;
  /** Endpoint URL by upstream name. */
  endpoints: Record<string, string>;
  /** The bootstrap admin key, as "Authorization: Bearer <key>". */
  headers: Record<string, string>;
  stop(): void;
}

/** The pids of a process's children (Linux /proc); the gateway's stdio upstreams are its children. */
export function childPids(pid: number | undefined): number[] {
  try {
    const tasks = `/proc/${pid}/task`;
    return readFileSync(`${tasks}/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export interface StartOptions {
  /** Node flags for the gateway process (a profiler preload). */
  nodeArgs?: string[];
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

export async function startGateway(
  config: Record<string, unknown>,
  { nodeArgs = [], env = {}, timeoutMs = 30_000 }: StartOptions = {},
): Promise<GatewayProcess> {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: build first (pnpm exec turbo run build)`);
  const dir = mkdtempSync(join(tmpdir(), 'gwbench-'));
  const configFile = join(dir, 'gateway.json');
  writeFileSync(configFile, JSON.stringify({ dataDir: join(dir, 'data'), ...config }));
  const child = spawn(
    process.execPath,
    [...nodeArgs, cli, 'gateway', '--config', configFile, '--port', '0'],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    },
  );
  const stop = () => {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  };
  const names = (config.upstreams as { name: string }[]).map((u) => u.name);
  try {
    const started = await new Promise<{ endpoints: Record<string, string>; key: string }>(
      (resolve, reject) => {
        let err = '';
        const timer = setTimeout(() => reject(new Error(`the gateway did not start: ${err}`)), timeoutMs);
        child.stderr!.on('data', (d) => {
          err += d;
          const endpoints: Record<string, string> = {};
          for (const m of err.matchAll(/gateway for upstream "([^"]+)" at (\S+)/g)) endpoints[m[1]!] = m[2]!;
          const key = /^\s+(mcpw_\S+)$/m.exec(err)?.[1];
          if (key && names.every((n) => endpoints[n])) {
            clearTimeout(timer);
            resolve({ endpoints, key });
          }
        });
        child.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`the gateway exited with ${code}: ${err}`));
        });
      },
    );
    return {
      child,
      endpoints: started.endpoints,
      headers: { authorization: `Bearer ${started.key}` },
      stop,
    };
  } catch (error) {
    stop();
    throw error;
  }
}
