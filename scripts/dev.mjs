#!/usr/bin/env node
// The two commands of the README: `npm start` (install, build, serve) and `npm test` (install, build, start the
// services the tests need, run every test). Needs only Node >= 20 and npm; gets pnpm itself.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const PNPM_VERSION = '12.4.2';
const [command = 'test', ...rest] = process.argv.slice(2);

function log(line) {
  process.stderr.write(`[mcp-warden] ${line}\n`);
}

/** pnpm as a command line: the global one when it is the pinned version, otherwise through npx. */
function pnpmCommand() {
  const found = spawnSync('pnpm', ['--version'], { encoding: 'utf8' });
  if (found.status === 0 && found.stdout.trim() === PNPM_VERSION) return ['pnpm'];
  return ['npx', '-y', `pnpm@${PNPM_VERSION}`];
}

function run(argv, options = {}) {
  const [cmd, ...args] = argv;
  const result = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', ...options });
  if (result.status !== 0) {
    log(`failed: ${argv.join(' ')}`);
    process.exit(result.status ?? 1);
  }
}

/**
 * The headers of the running Node, when its install ships them (`<prefix>/include/node`). better-sqlite3 is
 * compiled from source here (its prebuilt binaries are not reachable), and node-gyp would otherwise try to
 * download the headers.
 */
function nodeHeadersPrefix() {
  const prefix = dirname(dirname(process.execPath));
  const header = join(prefix, 'include', 'node', 'node_version.h');
  if (!existsSync(header)) return undefined;
  const text = readFileSync(header, 'utf8');
  const part = (name) => new RegExp(`#define NODE_${name}_VERSION (\\d+)`).exec(text)?.[1];
  const version = `${part('MAJOR')}.${part('MINOR')}.${part('PATCH')}`;
  return version === process.versions.node ? prefix : undefined;
}

function setup(pnpm) {
  log('installing dependencies (first run compiles better-sqlite3, a few minutes)');
  const nodedir = process.env.npm_config_nodedir ?? nodeHeadersPrefix();
  run([...pnpm, 'install', '--frozen-lockfile'], {
    env: { ...process.env, ...(nodedir ? { npm_config_nodedir: nodedir } : {}) },
  });
  log('building');
  run([...pnpm, 'exec', 'turbo', 'run', 'build', '--output-logs=errors-only']);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

function which(binary) {
  return spawnSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' }).stdout.trim();
}

/** Starts a throw-away Redis on a free loopback port for the test run (installing Debian's package if root). */
async function startRedis() {
  if (process.env.REDIS_URL) return undefined;
  if (!which('redis-server')) {
    if (process.getuid?.() === 0 && which('apt-get')) {
      log('redis-server not found: installing Debian package redis-server');
      run([
        'sh',
        '-c',
        'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null',
      ]);
    } else {
      log(
        'the tests need Redis: install redis-server (e.g. `sudo apt-get install redis-server`) or set REDIS_URL',
      );
      process.exit(1);
    }
  }
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  for (let i = 0; i < 50; i++) {
    const ping = spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' });
    if (ping.stdout?.trim() === 'PONG') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  process.env.REDIS_URL = `redis://127.0.0.1:${port}`;
  log(`Redis for the tests at ${process.env.REDIS_URL}`);
  return child;
}

/** The pass and fail counts in one line of a vitest summary (`Tests  2 failed | 40 passed (42)`). */
function vitestCounts(line) {
  const m = /Tests\s+(?:(\d+) failed \| )?(?:\d+ skipped \| )?(\d+) passed/.exec(line);
  if (m) return { passed: Number(m[2]), failed: Number(m[1] ?? 0) };
  const onlyFailed = /Tests\s+(\d+) failed \(/.exec(line);
  return onlyFailed ? { passed: 0, failed: Number(onlyFailed[1]) } : undefined;
}

/** The same from node:test's spec reporter (`ℹ pass 8`, `ℹ fail 0`). */
function nodeTestCounts(line) {
  const m = /^ℹ (pass|fail) (\d+)$/.exec(line.trim());
  if (!m) return undefined;
  return m[1] === 'pass' ? { passed: Number(m[2]), failed: 0 } : { passed: 0, failed: Number(m[2]) };
}

/** Runs a test command, echoing its output, and counts what its summary lines report. */
function runCounted(argv, counts) {
  return new Promise((resolve) => {
    const [cmd, ...args] = argv;
    const child = spawn(cmd, args, {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    let passed = 0;
    let failed = 0;
    let buffer = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      buffer += chunk;
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const raw of lines) {
        const found = counts(raw.replace(/\x1b\[[0-9;]*m/g, ''));
        passed += found?.passed ?? 0;
        failed += found?.failed ?? 0;
      }
    });
    child.on('exit', (code) => {
      if (code !== 0 && failed === 0) failed = 1; // it failed without a summary (e.g. a crash)
      resolve({ code: code ?? 1, passed, failed });
    });
  });
}

/**
 * Runs every package's test task, then the repository tools' own tests (`tools/*.test.mjs`, node:test) unless
 * the run is filtered, and ends with one "N passed, N failed" line over all of them.
 */
async function runTests(pnpm, extraArgs) {
  const runs = [
    await runCounted(
      [...pnpm, 'exec', 'turbo', 'run', 'test', '--concurrency=1', ...extraArgs],
      vitestCounts,
    ),
  ];
  if (extraArgs.length === 0) {
    const files = readdirSync(join(ROOT, 'tools')).filter((f) => f.endsWith('.test.mjs'));
    const argv = [process.execPath, '--test', '--test-reporter=spec', ...files.map((f) => join('tools', f))];
    runs.push(await runCounted(argv, nodeTestCounts));
  }
  const passed = runs.reduce((n, r) => n + r.passed, 0);
  const failed = runs.reduce((n, r) => n + r.failed, 0);
  process.stdout.write(`\ntests: ${passed} passed, ${failed} failed\n`);
  return runs.find((r) => r.code !== 0)?.code ?? 0;
}

const pnpm = pnpmCommand();
if (command === 'start') {
  setup(pnpm);
  const server = spawn(process.execPath, [join(ROOT, 'apps/server/dist/cli.js'), 'serve', ...rest], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
  server.on('exit', (code) => process.exit(code ?? 0));
} else if (command === 'test') {
  // --no-install: reuse the installed and built tree (the Node 22 run after the Node 20 one).
  if (!rest.includes('--no-install') || !existsSync(join(ROOT, 'node_modules'))) setup(pnpm);
  const redis = await startRedis();
  const code = await runTests(
    pnpm,
    rest.filter((a) => a !== '--no-install'),
  );
  redis?.kill();
  process.exit(code);
} else {
  log(`unknown command "${command}": use start or test`);
  process.exit(2);
}
