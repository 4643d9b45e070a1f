import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig, type Options } from 'tsup';

/** One `exports` condition target, e.g. `{ types: './dist/testing/index.d.ts', default: './dist/testing/index.js' }`. */
type ExportTarget = string | { readonly [condition: string]: ExportTarget | null } | null;

/**
 * The build entries of a package, read from its `exports`: every subpath whose `import` condition points at
 * `./dist/<name>.js` is built from `src/<name>.ts`. Entries and exports cannot drift apart, so a new subpath
 * export needs no build config change.
 */
export function entriesFromExports(packageDir: string): Record<string, string> {
  const pkg = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
    exports?: Record<string, ExportTarget>;
  };
  const entries: Record<string, string> = {};
  for (const target of Object.values(pkg.exports ?? {})) {
    const esm = typeof target === 'object' && target !== null ? target.import : undefined;
    const file = typeof esm === 'object' && esm !== null ? esm.default : esm;
    const match = typeof file === 'string' ? /^\.\/dist\/(.+)\.js$/.exec(file) : null;
    if (match?.[1]) entries[match[1]] = `src/${match[1]}.ts`;
  }
  if (Object.keys(entries).length === 0) {
    throw new Error(`${packageDir}/package.json: no "exports" entry points at ./dist/<name>.js`);
  }
  return entries;
}

/**
 * The build every published package shares: ESM and CJS with their own type declarations (what publint and
 * arethetypeswrong check), source maps, Node 20. tsup runs in the package's directory, so `process.cwd()` is it.
 */
export function packageConfig(overrides: Options = {}) {
  return defineConfig({
    entry: entriesFromExports(process.cwd()),
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node20',
    ...overrides,
  });
}

export default packageConfig();
