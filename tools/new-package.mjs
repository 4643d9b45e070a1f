// Scaffolds packages/<name> with the house layout. Usage: node tools/new-package.mjs <name> "<description>"
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';

const [name, description] = process.argv.slice(2);
if (!name || !description) throw new Error('usage: node tools/new-package.mjs <name> "<description>"');
const dir = `packages/${name}`;
if (existsSync(dir)) throw new Error(`${dir} exists`);
mkdirSync(`${dir}/src`, { recursive: true });
const pkg = {
  name: `@mcp-warden/${name}`,
  version: '0.1.0',
  description,
  license: 'MIT',
  type: 'module',
  sideEffects: false,
  engines: { node: '>=20' },
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
  peerDependencies:
    name === 'core' ? { '@modelcontextprotocol/sdk': '^1.24.0' } : { '@mcp-warden/core': 'workspace:^' },
  dependencies: {},
  devDependencies: name === 'core' ? {} : { '@mcp-warden/core': 'workspace:*' },
};
writeFileSync(`${dir}/package.json`, JSON.stringify(pkg, null, 2) + '\n');
writeFileSync(
  `${dir}/tsconfig.json`,
  JSON.stringify(
    { extends: '../../tsconfig.base.json', compilerOptions: { noEmit: true }, include: ['src'] },
    null,
    2,
  ) + '\n',
);
writeFileSync(
  `${dir}/tsup.config.ts`,
  `import { defineConfig } from 'tsup';\n\nexport default defineConfig({\n  entry: ['src/index.ts'],\n  format: ['esm', 'cjs'],\n  dts: true,\n  clean: true,\n  sourcemap: true,\n  target: 'node20',\n});\n`,
);
writeFileSync(
  `${dir}/vitest.config.ts`,
  `import { sharedConfig } from '../../vitest.shared.js';\n\nexport default sharedConfig(import.meta.dirname);\n`,
);
console.log(`created ${dir}`);
