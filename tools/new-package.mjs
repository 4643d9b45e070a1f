#!/usr/bin/env node
// Scaffolds packages/<name>: a complete plugin package in the house layout (factory with a zod options schema
// validated eagerly, README with an Options table, a contract-suite test, a changeset) that builds, tests, lints
// and type-checks as generated. Usage: node tools/new-package.mjs <name> "<description>"
// `--root <dir>` writes into another workspace root (the scaffold's own test uses a temporary one).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const TEMPLATE = join(REPO, 'tools', 'package-template');

function fail(message) {
  process.stderr.write(`new-package: ${message}\n`);
  process.exit(1);
}

function parseArgs(argv) {
  const positional = [];
  let root = REPO;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--root') root = argv[++i] ?? fail('--root needs a directory');
    else positional.push(argv[i]);
  }
  const [name, description] = positional;
  if (!name || !description || positional.length > 2)
    fail('usage: node tools/new-package.mjs <name> "<description>"');
  if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(name) || name.length > 40) {
    fail(`"${name}" is not a kebab-case package name (e.g. tool-pinning)`);
  }
  // The description lands in JSON, Markdown and a TSDoc comment: one plain line.
  if (/[\r\n]|\*\/|[{}`]/.test(description)) fail('the description must be one line without `, {, } or */');
  return { root, name, description: description.trim().replace(/\.$/, '') };
}

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));

/** The versions the repository already uses, so a new package adds nothing to the lockfile but itself. */
function repoVersions() {
  const root = readJson(join(REPO, 'package.json'));
  const core = readJson(join(REPO, 'packages', 'core', 'package.json'));
  const zodSpecs = new Map();
  for (const dir of readdirSync(join(REPO, 'packages'))) {
    const file = join(REPO, 'packages', dir, 'package.json');
    const spec = existsSync(file) ? readJson(file).dependencies?.zod : undefined;
    if (spec) zodSpecs.set(spec, (zodSpecs.get(spec) ?? 0) + 1);
  }
  const zod = [...zodSpecs].sort((a, b) => b[1] - a[1])[0]?.[0];
  const sdk = core.devDependencies?.['@modelcontextprotocol/sdk'];
  const vitest = root.devDependencies?.vitest;
  if (!zod || !sdk || !vitest) fail('could not read the zod, SDK and vitest versions of the repository');
  return { zod, sdk, vitest, node: root.engines?.node ?? '>=20' };
}

function packageJson(name, description, versions) {
  return {
    name: `@mcp-warden/${name}`,
    version: '0.1.0',
    description,
    license: 'MIT',
    type: 'module',
    sideEffects: false,
    engines: { node: versions.node },
    files: ['dist'],
    main: './dist/index.cjs',
    module: './dist/index.js',
    types: './dist/index.d.ts',
    exports: {
      '.': {
        import: { types: './dist/index.d.ts', default: './dist/index.js' },
        require: { types: './dist/index.d.cts', default: './dist/index.cjs' },
      },
      './package.json': './package.json',
    },
    publishConfig: { access: 'public' },
    keywords: ['mcp', 'model-context-protocol', 'security', 'mcp-warden'],
    scripts: {
      build: 'tsup',
      test: 'vitest run',
      typecheck: 'tsc --noEmit',
      lint: 'publint --strict && attw --pack . --profile node16',
    },
    peerDependencies: { '@mcp-warden/core': 'workspace:^' },
    dependencies: { zod: versions.zod },
    devDependencies: {
      '@mcp-warden/core': 'workspace:*',
      '@modelcontextprotocol/sdk': versions.sdk,
      vitest: versions.vitest,
    },
  };
}

/** `tool-pinning` → `{ factory: 'toolPinning', Factory: 'ToolPinning', CODE: 'TOOL_PINNING' }`. */
function identifiers(name) {
  const factory = name.replace(/-([a-z0-9])/g, (_, c) => c.toUpperCase());
  return {
    factory,
    Factory: factory[0].toUpperCase() + factory.slice(1),
    CODE: name.replace(/-/g, '_').toUpperCase(),
  };
}

function render(templateFile, values) {
  return readFileSync(join(TEMPLATE, templateFile), 'utf8').replace(/\{\{(\w+)\}\}/g, (whole, key) => {
    if (!(key in values)) fail(`template ${templateFile} uses unknown placeholder ${whole}`);
    return values[key];
  });
}

const { root, name, description } = parseArgs(process.argv.slice(2));
const dir = join(root, 'packages', name);
const changeset = join(root, '.changeset', `${name}-initial.md`);
if (existsSync(dir)) fail(`${relative(root, dir)} exists`);
if (existsSync(changeset)) fail(`${relative(root, changeset)} exists`);

const values = { name, description, ...identifiers(name) };
const files = {
  'package.json': `${JSON.stringify(packageJson(name, description, repoVersions()), null, 2)}\n`,
  'tsconfig.json': `${JSON.stringify({ extends: '../../tsconfig.base.json', compilerOptions: { noEmit: true }, include: ['src'] }, null, 2)}\n`,
  'tsup.config.ts': "export { default } from '../../tsup.base.js';\n",
  'vitest.config.ts': `import { sharedConfig } from '../../vitest.shared.js';\n\nexport default sharedConfig(import.meta.dirname);\n`,
  'README.md': render('README.md.tmpl', values),
  'src/index.ts': render('src/index.ts.tmpl', values),
  'src/errors.ts': render('src/errors.ts.tmpl', values),
  'src/plugin.ts': render('src/plugin.ts.tmpl', values),
  'src/plugin.test.ts': render('src/plugin.test.ts.tmpl', values),
};
mkdirSync(join(dir, 'src'), { recursive: true });
for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
mkdirSync(dirname(changeset), { recursive: true });
writeFileSync(changeset, render('changeset.md.tmpl', values));
// Names change line lengths: the workspace's formatter lays the generated code out as `pnpm lint` expects.
const biome = join(root, 'node_modules', '.bin', 'biome');
const formatted =
  existsSync(biome) && spawnSync(biome, ['format', '--write', dir], { cwd: root }).status === 0;
if (!formatted)
  process.stderr.write(`new-package: run \`pnpm exec biome format --write ${relative(root, dir)}\`\n`);

process.stdout.write(
  `created ${relative(root, dir)} and ${relative(root, changeset)}\n` +
    `next: pnpm install && pnpm --filter @mcp-warden/${name} test\n`,
);
