#!/usr/bin/env node
// Protocol transparency check: runs the MCP conformance suite (@modelcontextprotocol/conformance, pinned) against
// the fixture server of packages/core/conformance, first bare and then behind MCP Warden with a permissive
// pipeline, and fails when wrapping loses a scenario that passes bare, or when DNS-rebinding protection fails
// wrapped. See packages/core/conformance/README.md.
//
//   node scripts/conformance.mjs [--out DIR] [--suite active|all] [--no-typecheck]
//
// Environment: CONFORMANCE_NODE (a Node >= 22 binary to run the suite with), WARDEN_CONFORMANCE_CACHE (where Node
// 22 and the suite are installed from npm; default node_modules/.cache/warden-conformance).
import { spawn, spawnSync } from 'node:child_process';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const CONFORMANCE_VERSION = '0.1.16';
const NODE_RANGE = '^22';
/** The suite must say so when a scenario fails here, whatever else happens. */
const MUST_PASS_WRAPPED = ['dns-rebinding-protection'];
const SERVER_START_TIMEOUT_MS = 60_000;
const SUITE_TIMEOUT_MS = 150_000;

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const corePackage = join(root, 'packages', 'core');

const { values: args } = parseArgs({
  options: {
    out: { type: 'string' },
    suite: { type: 'string', default: 'all' },
    'no-typecheck': { type: 'boolean', default: false },
  },
});
if (!['active', 'all'].includes(args.suite)) fail(`--suite must be "active" or "all" (got "${args.suite}")`);
const outDir = args.out ? resolve(args.out) : mkdtempSync(join(tmpdir(), 'warden-conformance-'));
mkdirSync(outDir, { recursive: true });

/** Every child process we started, so that none outlives this script (normal end, failure or signal). */
const children = new Set();
function killChildren(signal = 'SIGTERM') {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  }
}
process.on('exit', () => killChildren('SIGKILL'));
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    killChildren('SIGKILL');
    process.exit(130);
  });
}

function fail(message) {
  process.stderr.write(`conformance: ${message}\n`);
  process.exit(2);
}

function log(message) {
  process.stderr.write(`[conformance] ${message}\n`);
}

const majorOf = (version) => Number(String(version).replace(/^v/, '').split('.')[0]);

function versionOf(nodeBinary) {
  const out = spawnSync(nodeBinary, ['--version'], { encoding: 'utf8' });
  return out.status === 0 ? out.stdout.trim() : undefined;
}

/**
 * Finds Node >= 22 and the pinned suite. Both come from the npm registry into a cache directory (installed once,
 * reused afterwards); Node itself is taken when it is already 22 or newer.
 */
function provision() {
  // Not turbo task inputs: this script runs outside turbo.
  const { WARDEN_CONFORMANCE_CACHE, CONFORMANCE_NODE } = process.env;
  const cache = resolve(
    WARDEN_CONFORMANCE_CACHE ?? join(root, 'node_modules', '.cache', 'warden-conformance'),
  );
  const suiteEntry = join(cache, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js');
  const cachedNode = join(cache, 'node_modules', '.bin', process.platform === 'win32' ? 'node.cmd' : 'node');
  const suiteVersion = () => {
    try {
      return JSON.parse(readFileSync(join(dirname(dirname(suiteEntry)), 'package.json'), 'utf8')).version;
    } catch {
      return undefined;
    }
  };
  let node = CONFORMANCE_NODE;
  if (!node && majorOf(process.versions.node) >= 22) node = process.execPath;
  const needNode = !node && majorOf(versionOf(cachedNode) ?? '0') < 22;
  if (needNode || suiteVersion() !== CONFORMANCE_VERSION) {
    log(
      `installing node@${NODE_RANGE} and @modelcontextprotocol/conformance@${CONFORMANCE_VERSION} into ${cache}`,
    );
    mkdirSync(cache, { recursive: true });
    writeFileSync(
      join(cache, 'package.json'),
      `${JSON.stringify({ private: true, name: 'warden-conformance-cache', dependencies: { node: NODE_RANGE, '@modelcontextprotocol/conformance': CONFORMANCE_VERSION } }, null, 2)}\n`,
    );
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const install = spawnSync(
      npm,
      ['install', '--no-audit', '--no-fund', '--loglevel=error', '--engine-strict=false'],
      {
        cwd: cache,
        stdio: ['ignore', 'inherit', 'inherit'],
        timeout: 240_000,
      },
    );
    if (install.status !== 0)
      fail(`npm install in ${cache} failed (exit ${install.status ?? install.signal})`);
  }
  node ??= cachedNode;
  const nodeVersion = versionOf(node);
  if (majorOf(nodeVersion ?? '0') < 22)
    fail(`the conformance suite needs Node >= 22; ${node} is ${nodeVersion ?? 'not runnable'}`);
  if (suiteVersion() !== CONFORMANCE_VERSION)
    fail(`@modelcontextprotocol/conformance ${CONFORMANCE_VERSION} is not in ${cache}`);
  return { node, nodeVersion, suiteEntry };
}

/** Starts serve.ts in a mode and resolves with its URL; `stop()` ends it and returns what it printed after. */
async function startServer(mode) {
  const logFile = createWriteStream(join(outDir, `server-${mode}.log`));
  const child = spawn(process.execPath, ['--import', 'tsx', 'conformance/serve.ts', mode, '0'], {
    cwd: corePackage,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.add(child);
  child.stderr.pipe(logFile);
  const lines = [];
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${mode} server did not print its URL within ${SERVER_START_TIMEOUT_MS} ms`)),
      SERVER_START_TIMEOUT_MS,
    );
    createInterface({ input: child.stdout }).on('line', (line) => {
      logFile.write(`${line}\n`);
      let parsed;
      try {
        parsed = JSON.parse(line);
      } catch {
        return;
      }
      lines.push(parsed);
      if (typeof parsed.url === 'string') {
        clearTimeout(timer);
        resolve(parsed.url);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(
        new Error(
          `${mode} server exited (${code ?? signal}) before listening; see ${join(outDir, `server-${mode}.log`)}`,
        ),
      );
    });
  });
  return {
    url,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      children.delete(child);
      logFile.end();
      return lines;
    },
  };
}

/** Runs the suite against `url`, writing checks to `dir`; the suite's exit code is not the verdict (parsed below). */
async function runSuite(tool, url, dir, logPath) {
  const child = spawn(
    tool.node,
    [tool.suiteEntry, 'server', '--url', url, '--suite', args.suite, '-o', dir],
    {
      cwd: outDir,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.add(child);
  const logFile = createWriteStream(logPath);
  child.stdout.pipe(logFile);
  child.stderr.pipe(logFile);
  const timer = setTimeout(() => {
    log(`suite still running after ${SUITE_TIMEOUT_MS} ms: stopping it`);
    child.kill('SIGKILL');
  }, SUITE_TIMEOUT_MS);
  const code = await new Promise((resolve) => child.once('exit', (c, s) => resolve(c ?? s)));
  clearTimeout(timer);
  children.delete(child);
  return code;
}

/** Reads `server-<scenario>-<ISO time>/checks.json` files into scenario → { pass, passed, failed, warnings }. */
function readResults(dir) {
  const results = new Map();
  if (!existsSync(dir)) return results;
  for (const entry of readdirSync(dir)) {
    const match = /^server-(.+)-\d{4}-\d{2}-\d{2}T[\d-]+Z$/.exec(entry);
    if (!match) continue;
    const scenario = match[1];
    let checks;
    try {
      checks = JSON.parse(readFileSync(join(dir, entry, 'checks.json'), 'utf8'));
    } catch {
      results.set(scenario, {
        pass: false,
        passed: 0,
        failed: 0,
        warnings: 0,
        note: 'no readable checks.json',
      });
      continue;
    }
    const count = (status) => checks.filter((c) => c.status === status).length;
    const failures = checks.filter((c) => c.status === 'FAILURE');
    results.set(scenario, {
      pass: checks.length > 0 && failures.length === 0,
      passed: count('SUCCESS'),
      failed: failures.length,
      warnings: count('WARNING'),
      failures: failures.map((c) => `${c.id}: ${c.errorMessage ?? c.description ?? ''}`.slice(0, 300)),
    });
  }
  return results;
}

/** Scenario names in the order the suite's `=== SUMMARY ===` lists them (`✓ name: …` / `✗ name: …`). */
function suiteOrder(logPath) {
  if (!existsSync(logPath)) return [];
  const text = readFileSync(logPath, 'utf8').replace(/\u001b\[[0-9;]*m/g, '');
  const summary = text.slice(text.lastIndexOf('=== SUMMARY ==='));
  return [...summary.matchAll(/^[✓✗] (\S+): /gmu)].map((m) => m[1]);
}

async function runMode(tool, mode) {
  log(`${mode}: starting the fixture server`);
  const server = await startServer(mode);
  log(`${mode}: ${server.url}; running the suite (${args.suite})`);
  const dir = join(outDir, mode);
  let code;
  let lines;
  try {
    code = await runSuite(tool, server.url, dir, join(outDir, `suite-${mode}.log`));
  } finally {
    lines = await server.stop();
  }
  const results = readResults(dir);
  log(`${mode}: suite exit ${code}, ${results.size} scenarios`);
  return { results, inspector: lines.find((l) => l.inspector)?.inspector };
}

function cell(result) {
  if (!result) return 'missing';
  const detail = `${result.passed}✓${result.failed ? ` ${result.failed}✗` : ''}${result.warnings ? ` ${result.warnings}⚠` : ''}`;
  return `${result.pass ? 'PASS' : 'FAIL'} (${detail})`;
}

/** Type-checks the fixture, serve.ts and the inspector (tsx runs them without checking), alongside the runs. */
function typecheck() {
  if (args['no-typecheck']) return Promise.resolve(undefined);
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const child = spawn(process.execPath, [tsc, '-p', join(corePackage, 'conformance', 'tsconfig.json')], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      children.delete(child);
      resolve(code === 0 ? undefined : `the conformance sources do not type-check:\n${output.trim()}`);
    }),
  );
}

async function main() {
  const started = Date.now();
  const tool = provision();
  log(
    `suite @modelcontextprotocol/conformance ${CONFORMANCE_VERSION} on Node ${tool.nodeVersion}; output in ${outDir}`,
  );
  const typeErrors = typecheck();
  const bare = await runMode(tool, 'bare');
  const wrapped = await runMode(tool, 'wrapped');

  // In the suite's own order (its summary lists the scenarios as run), then any others alphabetically.
  const order = [
    ...suiteOrder(join(outDir, 'suite-bare.log')),
    ...suiteOrder(join(outDir, 'suite-wrapped.log')),
  ];
  const scenarios = [
    ...new Set([...order, ...[...bare.results.keys(), ...wrapped.results.keys()].sort()]),
  ].filter((s) => bare.results.has(s) || wrapped.results.has(s));
  const problems = [];
  const typeProblem = await typeErrors;
  if (typeProblem) problems.push(typeProblem);
  if (bare.results.size === 0)
    problems.push('the bare run produced no results (is the suite or the fixture broken?)');
  const rows = scenarios.map((scenario) => {
    const b = bare.results.get(scenario);
    const w = wrapped.results.get(scenario);
    if (b?.pass && !w?.pass)
      problems.push(
        `${scenario} passes bare but fails wrapped: ${(w?.failures ?? ['no result']).join('; ')}`,
      );
    return `| ${scenario} | ${cell(b)} | ${cell(w)} |`;
  });
  for (const scenario of MUST_PASS_WRAPPED) {
    if (!wrapped.results.get(scenario)?.pass)
      problems.push(
        `${scenario} must pass wrapped: ${(wrapped.results.get(scenario)?.failures ?? ['no result']).join('; ')}`,
      );
  }
  const inspector = wrapped.inspector;
  const inspected = inspector ? Object.values(inspector.requests).reduce((a, b) => a + b, 0) : 0;
  if (!inspector || inspected === 0)
    problems.push('the inspector plugin saw no request: the wrapped server did not run the pipeline');
  else if (inspector.anomalies.length > 0)
    problems.push(`the inspector found malformed messages: ${inspector.anomalies.join('; ')}`);

  const passCount = (results) => [...results.values()].filter((r) => r.pass).length;
  const table = [
    `| scenario | bare | wrapped |`,
    `| --- | --- | --- |`,
    ...rows,
    `| **total passed** | **${passCount(bare.results)}/${bare.results.size}** | **${passCount(wrapped.results)}/${wrapped.results.size}** |`,
  ].join('\n');
  const inspectorLine = inspector
    ? `Inspector plugin: ${inspected} requests through beforeRequest, ${Object.values(inspector.responses).reduce((a, b) => a + b, 0)} results through afterResponse, ${Object.values(inspector.listItems).reduce((a, b) => a + b, 0)} list items through filterListItem, ${inspector.anomalies.length} anomalies; events ${JSON.stringify(inspector.events)}.`
    : 'Inspector plugin: no summary.';
  const verdict =
    problems.length === 0
      ? 'OK: every scenario that passes bare passes wrapped, and DNS-rebinding protection passes wrapped.'
      : `FAILED:\n${problems.map((p) => `- ${p}`).join('\n')}`;
  const report = `# MCP conformance: bare vs wrapped\n\n@modelcontextprotocol/conformance ${CONFORMANCE_VERSION}, suite "${args.suite}", Node ${tool.nodeVersion}, ${new Date().toISOString()}, ${Math.round((Date.now() - started) / 1000)} s.\n\n${table}\n\n${inspectorLine}\n\n${verdict}\n`;
  writeFileSync(join(outDir, 'summary.md'), report);
  process.stdout.write(`${report}\nDetails (checks.json, suite and server logs): ${outDir}\n`);
  process.exitCode = problems.length === 0 ? 0 : 1;
}

main().catch((error) => {
  killChildren('SIGKILL');
  fail(error instanceof Error ? (error.stack ?? error.message) : String(error));
});
