#!/usr/bin/env node
// Protocol transparency check: runs the MCP conformance suites (@modelcontextprotocol/conformance, pinned) against
// the fixture servers of packages/core/conformance, first bare and then behind MCP Warden with a permissive
// pipeline, and fails when wrapping loses a scenario that passes bare, or when DNS-rebinding protection fails
// wrapped. Two suites: 2026-07-28 (0.2.0-alpha.12 `--requirements 2026-07-28`, the SDK v2 fixture behind core's
// web-standard face) and 2025 (0.1.16, the SDK 1.x fixture behind `warden.httpHandler`). Prints one line per
// suite: `conformance <suite>: wrapped N/M, bare K/M`. See packages/core/conformance/README.md.
//
//   node scripts/conformance.mjs [--out DIR] [--suite active|all] [--only 2026-07-28|2025] [--no-typecheck]
//
// Environment: CONFORMANCE_NODE (a Node >= 22 binary to run the suites with), WARDEN_CONFORMANCE_CACHE (where Node
// 22 and the suites are installed from npm; default node_modules/.cache/warden-conformance).
import { spawn, spawnSync } from 'node:child_process';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const NODE_RANGE = '^22';
const SERVER_START_TIMEOUT_MS = 60_000;
const SUITE_TIMEOUT_MS = 150_000;
/** Per scenario, for the suite that takes a bound (0.1.16 has no `--timeout`; SUITE_TIMEOUT_MS bounds it). */
const SCENARIO_TIMEOUT_MS = 20_000;
const REVISION = '2026-07-28';

/**
 * The suites, in the order they run and print. Both versions install side by side in one cache under npm
 * aliases. `required` lists the scenarios that count (M); without it, every scenario the suite ran counts.
 */
const SUITES = [
  {
    id: REVISION,
    alias: 'conformance-2026',
    version: '0.2.0-alpha.12',
    serve: 'conformance/serve-v2.ts',
    args: (url, dir) => [
      'server',
      '--url',
      url,
      '--requirements',
      REVISION,
      '--timeout',
      String(SCENARIO_TIMEOUT_MS),
      '-o',
      dir,
    ],
    requiredFrom: ['list', '--requirements', REVISION, '--server'],
    mustPassWrapped: ['dns-rebinding-protection'],
    /** The era the wrapped run's plugin must have seen requests in: this suite speaks the 2026-07-28 wire. */
    era: 'modern',
  },
  {
    id: '2025',
    alias: 'conformance-2025',
    version: '0.1.16',
    serve: 'conformance/serve.ts',
    args: (url, dir) => ['server', '--url', url, '--suite', args.suite, '-o', dir],
    mustPassWrapped: ['dns-rebinding-protection'],
    era: 'legacy',
  },
];

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const corePackage = join(root, 'packages', 'core');

const { values: args } = parseArgs({
  options: {
    out: { type: 'string' },
    suite: { type: 'string', default: 'all' },
    only: { type: 'string' },
    'no-typecheck': { type: 'boolean', default: false },
  },
});
if (!['active', 'all'].includes(args.suite)) fail(`--suite must be "active" or "all" (got "${args.suite}")`);
if (args.only && !SUITES.some((s) => s.id === args.only))
  fail(`--only must be one of ${SUITES.map((s) => s.id).join(', ')} (got "${args.only}")`);
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
 * Finds Node >= 22 and the pinned suites. They come from the npm registry into a cache directory (installed once,
 * reused afterwards); Node itself is taken when it is already 22 or newer.
 */
function provision() {
  // Not turbo task inputs: this script runs outside turbo.
  const { WARDEN_CONFORMANCE_CACHE, CONFORMANCE_NODE } = process.env;
  const cache = resolve(
    WARDEN_CONFORMANCE_CACHE ?? join(root, 'node_modules', '.cache', 'warden-conformance'),
  );
  const entryOf = (suite) => join(cache, 'node_modules', suite.alias, 'dist', 'index.js');
  const versionIn = (suite) => {
    try {
      return JSON.parse(readFileSync(join(cache, 'node_modules', suite.alias, 'package.json'), 'utf8'))
        .version;
    } catch {
      return undefined;
    }
  };
  const cachedNode = join(cache, 'node_modules', '.bin', process.platform === 'win32' ? 'node.cmd' : 'node');
  let node = CONFORMANCE_NODE;
  if (!node && majorOf(process.versions.node) >= 22) node = process.execPath;
  const needNode = !node && majorOf(versionOf(cachedNode) ?? '0') < 22;
  const stale = SUITES.filter((suite) => versionIn(suite) !== suite.version);
  if (needNode || stale.length > 0) {
    const wanted = SUITES.map((suite) => `@modelcontextprotocol/conformance@${suite.version}`).join(', ');
    log(`installing node@${NODE_RANGE} and ${wanted} into ${cache}`);
    mkdirSync(cache, { recursive: true });
    const dependencies = { node: NODE_RANGE };
    for (const suite of SUITES)
      dependencies[suite.alias] = `npm:@modelcontextprotocol/conformance@${suite.version}`;
    writeFileSync(
      join(cache, 'package.json'),
      `${JSON.stringify({ private: true, name: 'warden-conformance-cache', dependencies }, null, 2)}\n`,
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
  for (const suite of SUITES)
    if (versionIn(suite) !== suite.version)
      fail(`@modelcontextprotocol/conformance ${suite.version} is not in ${cache}`);
  return { node, nodeVersion, entryOf };
}

/**
 * Starts a fixture server script (serve.ts or serve-v2.ts) in a mode and resolves with its URL; `stop()` ends it
 * and returns the JSON lines it printed.
 */
async function startServer(suite, mode) {
  const name = `${suite.id}-${mode}`;
  const logPath = join(outDir, `server-${name}.log`);
  const logFile = createWriteStream(logPath);
  const child = spawn(process.execPath, ['--import', 'tsx', suite.serve, mode, '0'], {
    cwd: corePackage,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.add(child);
  child.stderr.pipe(logFile);
  const lines = [];
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name} server did not print its URL within ${SERVER_START_TIMEOUT_MS} ms`)),
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
      children.delete(child);
      const tail = existsSync(logPath) ? readFileSync(logPath, 'utf8').trim().split('\n').slice(-3) : [];
      reject(new Error(`${name} server exited (${code ?? signal}) before listening: ${tail.join(' / ')}`));
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

/**
 * `mcp-warden gateway --allow-anonymous` (the reference server's gateway mode, with its default plugins) in front of
 * a running fixture server. The gateway is built by the time this runs (`npm test` builds every package).
 */
async function startGateway(name, upstreamUrl) {
  const cli = join(root, 'apps', 'server', 'dist', 'cli.js');
  if (!existsSync(cli)) throw new Error(`${cli} is missing: build the workspace first (pnpm build)`);
  const logPath = join(outDir, `gateway-${name}.log`);
  const logFile = createWriteStream(logPath);
  const dataDir = mkdtempSync(join(tmpdir(), 'warden-conformance-gateway-'));
  const configFile = join(dataDir, 'gateway.json');
  // The suites send bursts no client would and never end their 2025 sessions: the rate limits stay off and the
  // per-client session cap goes up; every other default stays on.
  writeFileSync(
    configFile,
    JSON.stringify({ server: { maxSessionsPerPrincipal: 1000 }, plugins: { ratelimit: { enabled: false } } }),
  );
  const child = spawn(
    process.execPath,
    [
      cli,
      'gateway',
      '--allow-anonymous',
      '--port',
      '0',
      '--data-dir',
      join(dataDir, 'data'),
      '--config',
      configFile,
      '--upstream-url',
      upstreamUrl,
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.add(child);
  child.stdout.pipe(logFile);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`gateway ${name} did not start`)),
      SERVER_START_TIMEOUT_MS,
    );
    createInterface({ input: child.stderr }).on('line', (line) => {
      logFile.write(`${line}\n`);
      const match = / at (http:\/\/\S+)$/.exec(line);
      if (match && line.includes('gateway for upstream')) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      reject(new Error(`gateway ${name} exited (${code ?? signal}) before listening`));
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
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Runs a suite against `url`, writing checks to `dir`; the suite's exit code is not the verdict (parsed below). */
async function runSuite(tool, suite, url, dir, logPath) {
  const child = spawn(tool.node, [tool.entryOf(suite), ...suite.args(url, dir)], {
    cwd: outDir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const logFile = createWriteStream(logPath);
  child.stdout.pipe(logFile);
  child.stderr.pipe(logFile);
  const timer = setTimeout(() => {
    log(`${suite.id} suite still running after ${SUITE_TIMEOUT_MS} ms: stopping it`);
    child.kill('SIGKILL');
  }, SUITE_TIMEOUT_MS);
  const code = await new Promise((resolve) => child.once('exit', (c, s) => resolve(c ?? s)));
  clearTimeout(timer);
  children.delete(child);
  return code;
}

/** The scenarios a suite requires (its `list` command), or undefined when every scenario run counts. */
function requiredScenarios(tool, suite) {
  if (!suite.requiredFrom) return undefined;
  const out = spawnSync(tool.node, [tool.entryOf(suite), ...suite.requiredFrom], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (out.status !== 0) fail(`${suite.id}: listing the required scenarios failed (exit ${out.status})`);
  // The "Server scenarios" section: `  - name` lines up to the next blank line.
  const section = out.stdout.split(/^Server scenarios.*$/m)[1]?.split(/\n\s*\n/)[0] ?? '';
  const names = [...section.matchAll(/^\s+- (\S+)\s*$/gm)].map((m) => m[1]);
  if (names.length === 0) fail(`${suite.id}: the suite listed no required server scenario`);
  return names;
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

/** One suite against one mode; a server that cannot start leaves no results and says why. */
async function runMode(tool, suite, mode) {
  log(`${suite.id} ${mode}: starting the fixture server`);
  let server;
  let gateway;
  try {
    // Through the gateway: the bare fixture is the upstream, the suite talks to the gateway.
    server = await startServer(suite, mode === 'gateway' ? 'bare' : mode);
    if (mode === 'gateway') gateway = await startGateway(suite.id, server.url);
  } catch (error) {
    log(`${suite.id} ${mode}: ${error.message}`);
    await server?.stop();
    return { results: new Map(), startError: error.message };
  }
  const url = gateway?.url ?? server.url;
  log(`${suite.id} ${mode}: ${url}; running @modelcontextprotocol/conformance ${suite.version}`);
  const dir = join(outDir, suite.id, mode);
  let code;
  let lines;
  try {
    code = await runSuite(tool, suite, url, dir, join(outDir, `suite-${suite.id}-${mode}.log`));
  } finally {
    await gateway?.stop();
    lines = await server.stop();
  }
  const results = readResults(dir);
  log(`${suite.id} ${mode}: suite exit ${code}, ${results.size} scenarios`);
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

/** Checks what the wrapped run's inspector plugin saw: every wrapped run must have gone through the pipeline. */
function inspectorProblems(inspector, era) {
  const inspected = inspector ? Object.values(inspector.requests).reduce((a, b) => a + b, 0) : 0;
  if (!inspector || inspected === 0)
    return ['the inspector plugin saw no request: the wrapped server did not run the pipeline'];
  if (!inspector.eras?.[era])
    return [`the inspector plugin saw no ${era}-era request: ${JSON.stringify(inspector.eras ?? {})}`];
  if (inspector.anomalies.length > 0)
    return [`the inspector found malformed messages: ${inspector.anomalies.join('; ')}`];
  return [];
}

function inspectorLine(inspector) {
  if (!inspector) return 'Inspector plugin: no summary.';
  const sum = (table) => Object.values(table).reduce((a, b) => a + b, 0);
  return `Inspector plugin: ${sum(inspector.requests)} requests through beforeRequest (eras ${JSON.stringify(inspector.eras ?? {})}), ${sum(inspector.responses)} results through afterResponse, ${sum(inspector.listItems)} list items through filterListItem, ${inspector.anomalies.length} anomalies; events ${JSON.stringify(inspector.events)}.`;
}

/** Compares the bare and the wrapped run of one suite: the table, the problems and the one-line count. */
function evaluate(suite, bare, wrapped, gateway, required) {
  const order = [
    ...suiteOrder(join(outDir, `suite-${suite.id}-bare.log`)),
    ...suiteOrder(join(outDir, `suite-${suite.id}-wrapped.log`)),
  ];
  const ran = [...bare.results.keys(), ...wrapped.results.keys()];
  const scenarios = [...new Set([...(required ?? []), ...order, ...ran.sort()])].filter(
    (s) => bare.results.has(s) || wrapped.results.has(s) || required?.includes(s),
  );
  const problems = [];
  for (const [mode, run] of [
    ['bare', bare],
    ['wrapped', wrapped],
    ['gateway', gateway],
  ])
    if (run.startError) problems.push(`the ${mode} server did not start: ${run.startError}`);
  if (bare.results.size === 0)
    problems.push('the bare run produced no results (is the suite or the fixture broken?)');
  const rows = scenarios.map((scenario) => {
    const b = bare.results.get(scenario);
    const w = wrapped.results.get(scenario);
    // A wrapped server that never started is one problem (above), not one per scenario.
    if (b?.pass && !w?.pass && !wrapped.startError)
      problems.push(
        `${scenario} passes bare but fails wrapped: ${(w?.failures ?? ['no result']).join('; ')}`,
      );
    // A fixture that stops passing a required scenario bare would hide what wrapping does to it.
    if (required?.includes(scenario) && !b?.pass)
      problems.push(`${scenario} is required and fails bare: ${(b?.failures ?? ['no result']).join('; ')}`);
    const g = gateway.results.get(scenario);
    if (b?.pass && !g?.pass && !gateway.startError)
      problems.push(
        `${scenario} passes direct but fails through the gateway: ${(g?.failures ?? ['no result']).join('; ')}`,
      );
    const mark = required && !required.includes(scenario) ? ' (not scored)' : '';
    return `| ${scenario}${mark} | ${cell(b)} | ${cell(w)} | ${cell(g)} |`;
  });
  for (const scenario of suite.mustPassWrapped) {
    const w = wrapped.results.get(scenario);
    if (!w?.pass)
      problems.push(`${scenario} must pass wrapped: ${(w?.failures ?? ['no result']).join('; ')}`);
  }
  if (!wrapped.startError) problems.push(...inspectorProblems(wrapped.inspector, suite.era));
  const counted = required ?? scenarios;
  const passes = (run) => counted.filter((s) => run.results.get(s)?.pass).length;
  const line = [
    `conformance ${suite.id}: wrapped ${passes(wrapped)}/${counted.length}, bare ${passes(bare)}/${counted.length}`,
    `conformance ${suite.id} gateway: through ${passes(gateway)}/${counted.length}, direct ${passes(bare)}/${counted.length}`,
  ].join('\n');
  const table = [
    '| scenario | bare | wrapped | through the gateway |',
    '| --- | --- | --- | --- |',
    ...rows,
    `| **passed (${required ? 'required' : 'all'})** | **${passes(bare)}/${counted.length}** | **${passes(wrapped)}/${counted.length}** | **${passes(gateway)}/${counted.length}** |`,
  ].join('\n');
  const verdict = problems.length === 0 ? 'OK' : `FAILED:\n${problems.map((p) => `- ${p}`).join('\n')}`;
  const section = `## ${suite.id}: @modelcontextprotocol/conformance ${suite.version}\n\n${table}\n\n${inspectorLine(wrapped.inspector)}\n\n${verdict}\n`;
  return { line, problems, section };
}

async function main() {
  const started = Date.now();
  const tool = provision();
  const suites = SUITES.filter((suite) => !args.only || suite.id === args.only);
  log(
    `suites ${suites.map((s) => `${s.id} (${s.version})`).join(', ')} on Node ${tool.nodeVersion}; output in ${outDir}`,
  );
  const typeErrors = typecheck();
  const outcomes = [];
  for (const suite of suites) {
    const required = requiredScenarios(tool, suite);
    const bare = await runMode(tool, suite, 'bare');
    const wrapped = await runMode(tool, suite, 'wrapped');
    const gateway = await runMode(tool, suite, 'gateway');
    outcomes.push(evaluate(suite, bare, wrapped, gateway, required));
  }
  const problems = outcomes.flatMap((o) => o.problems);
  const typeProblem = await typeErrors;
  if (typeProblem) problems.push(typeProblem);
  const verdict =
    problems.length === 0
      ? 'OK: every scenario that passes bare passes wrapped and through the gateway, and DNS-rebinding protection passes wrapped.'
      : `FAILED:\n${problems.map((p) => `- ${p}`).join('\n')}`;
  const report = `# MCP conformance: bare vs wrapped\n\nNode ${tool.nodeVersion}, ${new Date().toISOString()}, ${Math.round((Date.now() - started) / 1000)} s.\n\n${outcomes.map((o) => o.section).join('\n')}\n${verdict}\n`;
  writeFileSync(join(outDir, 'summary.md'), report);
  process.stderr.write(`${report}\nDetails (checks.json, suite and server logs): ${outDir}\n`);
  // The one line per suite, on stdout.
  process.stdout.write(`${outcomes.map((o) => o.line).join('\n')}\n`);
  process.exitCode = problems.length === 0 ? 0 : 1;
}

main().catch((error) => {
  killChildren('SIGKILL');
  fail(error instanceof Error ? (error.stack ?? error.message) : String(error));
});
