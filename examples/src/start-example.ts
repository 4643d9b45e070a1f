// Starts an example as its own process (the way `tsx src/<file>` runs it) and resolves with the URL it prints.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

const here = import.meta.dirname;

export interface RunningExample {
  url: URL;
  child: ChildProcess;
}

export function startExample(file: string, env: Record<string, string>): Promise<RunningExample> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, file)], {
    env: { ...process.env, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve({ url: new URL(JSON.parse(d.toString()).url), child }));
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}`)));
  });
}
