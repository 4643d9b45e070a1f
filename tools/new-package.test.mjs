// The scaffold's own test: generates a package into a temporary workspace (the repository's root configs, its
// node_modules and packages/core linked in), then runs the package's build, test, typecheck and lint scripts as
// generated, and Biome over it. Nothing is written into the repository and nothing is downloaded: the new
// package's dependencies are linked from the versions the workspace already installed, as `pnpm install` would.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const NAME = 'scaffold-probe';
const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));

function run(cmd, args, cwd, env = process.env) {
  const result = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: 300_000 });
  return {
    status: result.status,
    output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ?? ''}`,
  };
}

/** `4.6.7` satisfies `4.6.7`, `^4.1.0` and `>=4`; enough for the specs this repository writes. */
function satisfies(version, spec) {
  const [major, minor, patch] = version.split('.').map(Number);
  const m = /^(\^|>=)?(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(spec);
  if (!m) return false;
  const want = [Number(m[2]), Number(m[3] ?? 0), Number(m[4] ?? 0)];
  const cmp = major - want[0] || minor - want[1] || patch - want[2];
  if (m[1] === '>=') return cmp >= 0;
  if (m[1] === '^') return major === want[0] && cmp >= 0;
  return cmp === 0;
}

/** Where the workspace installed `dep` at a version matching `spec` (root first, then any package's). */
function installed(dep, spec) {
  const candidates = [join(REPO, 'node_modules', dep)];
  for (const dir of readdirSync(join(REPO, 'packages')))
    candidates.push(join(REPO, 'packages', dir, 'node_modules', dep));
  for (const candidate of candidates) {
    if (
      existsSync(join(candidate, 'package.json')) &&
      satisfies(readJson(join(candidate, 'package.json')).version, spec)
    ) {
      return realpathSync(candidate);
    }
  }
  throw new Error(`${dep}@${spec} is not installed in the workspace`);
}

/** What `pnpm install` does for one workspace package: link each dependency into its node_modules. */
function linkDependencies(root, pkgDir) {
  const pkg = readJson(join(pkgDir, 'package.json'));
  const deps = { ...pkg.peerDependencies, ...pkg.dependencies, ...pkg.devDependencies };
  for (const [dep, spec] of Object.entries(deps)) {
    const target = dep.startsWith('@mcp-warden/')
      ? join(root, 'packages', dep.slice('@mcp-warden/'.length))
      : installed(dep, spec);
    mkdirSync(dirname(join(pkgDir, 'node_modules', dep)), { recursive: true });
    symlinkSync(target, join(pkgDir, 'node_modules', dep), 'dir');
  }
}

/** A workspace root with the repository's shared configs and installed tools, and only core as a package. */
function temporaryWorkspace() {
  const root = mkdtempSync(join(tmpdir(), 'warden-scaffold-'));
  for (const file of [
    'package.json',
    'tsconfig.base.json',
    'tsup.base.ts',
    'vitest.shared.ts',
    'biome.json',
  ]) {
    copyFileSync(join(REPO, file), join(root, file));
  }
  mkdirSync(join(root, 'packages'));
  mkdirSync(join(root, '.changeset'));
  symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'), 'dir');
  symlinkSync(join(REPO, 'packages', 'core'), join(root, 'packages', 'core'), 'dir');
  return root;
}

describe('tools/new-package.mjs', () => {
  let root;
  let pkgDir;
  const before_ = run('git', ['status', '--porcelain'], REPO).output;

  before(() => {
    assert.ok(existsSync(join(REPO, 'packages/core/dist/testing/index.d.ts')), 'build core first');
    root = temporaryWorkspace();
    pkgDir = join(root, 'packages', NAME);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('generates a complete package', () => {
    const out = run(
      process.execPath,
      [join(REPO, 'tools/new-package.mjs'), NAME, 'Probes the scaffold', '--root', root],
      REPO,
    );
    assert.equal(out.status, 0, out.output);
    for (const file of [
      'package.json',
      'README.md',
      'tsup.config.ts',
      'src/index.ts',
      'src/plugin.ts',
      'src/plugin.test.ts',
    ]) {
      assert.ok(existsSync(join(pkgDir, file)), `${file} missing`);
    }
    const readme = readFileSync(join(pkgDir, 'README.md'), 'utf8');
    for (const heading of ['## Installation', '## Usage', '## Options', '## Security notes'])
      assert.match(readme, new RegExp(heading));
    assert.match(readme, /\| `blockedTools` \|/);
    assert.match(
      readFileSync(join(root, '.changeset', `${NAME}-initial.md`), 'utf8'),
      /"@mcp-warden\/scaffold-probe": minor/,
    );
    const pkg = readJson(join(pkgDir, 'package.json'));
    assert.equal(pkg.peerDependencies['@mcp-warden/core'], 'workspace:^');
    assert.equal(
      pkg.devDependencies['@modelcontextprotocol/sdk'],
      readJson(join(REPO, 'packages/core/package.json')).devDependencies['@modelcontextprotocol/sdk'],
    );
    linkDependencies(root, pkgDir);
  });

  it('refuses a second run over the same package and a name that is not kebab-case', () => {
    for (const name of [NAME, 'Bad_Name', '../escape']) {
      const out = run(
        process.execPath,
        [join(REPO, 'tools/new-package.mjs'), name, 'x', '--root', root],
        REPO,
      );
      assert.notEqual(out.status, 0, `accepted ${name}`);
    }
  });

  for (const script of ['build', 'test', 'typecheck', 'lint']) {
    it(`passes its ${script} script as generated`, () => {
      const command = readJson(join(pkgDir, 'package.json')).scripts[script];
      const env = {
        ...process.env,
        PATH: `${join(pkgDir, 'node_modules/.bin')}:${join(root, 'node_modules/.bin')}:${process.env.PATH}`,
      };
      delete env.REDIS_URL;
      const out = run('sh', ['-c', command], pkgDir, env);
      assert.equal(out.status, 0, `${command}\n${out.output}`);
      if (script === 'test') {
        // The contract suite (six checks or more) and the two behaviour tests ran, and none was skipped.
        const m = /Tests\s+(\d+) passed \((\d+)\)/.exec(out.output.replace(/\x1b\[[0-9;]*m/g, ''));
        assert.ok(m && m[1] === m[2] && Number(m[1]) >= 8, out.output);
      }
    });
  }

  it('passes Biome', () => {
    const out = run(join(root, 'node_modules/.bin/biome'), ['check', `packages/${NAME}`], root);
    assert.equal(out.status, 0, out.output);
  });

  it('leaves the repository unchanged', () => {
    assert.equal(run('git', ['status', '--porcelain'], REPO).output, before_);
  });
});
