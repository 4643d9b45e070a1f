import { describe, expect, it } from 'vitest';
import { WardenError } from '../errors.js';

/**
 * The proof that a package keeps to the one error family: every error class it exports is a `WardenError` whose
 * `code` is in the package's exported code map, and the map's values are unique UPPER_SNAKE strings.
 */

export interface ErrorFamilyOptions {
  /** The package, for test names, e.g. `@mcp-warden/acl`. */
  name: string;
  /** Everything the package exports: `import * as pkg from './index.js'`. */
  exports: Readonly<Record<string, unknown>>;
  /** The package's exported code map(s), e.g. `ACL_ERROR_CODES`. */
  codes: Readonly<Record<string, string>> | readonly Readonly<Record<string, string>>[];
  /**
   * Instances of every exported error class, keyed by its export name: one, or a list (e.g. one per code the
   * class can carry). Build them the way the package does, so that their real `code` is checked.
   */
  samples: Readonly<Record<string, () => unknown>>;
}

const UPPER_SNAKE = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/;

/** Exported values that are classes deriving from `Error`. */
export function exportedErrorClasses(exports: Readonly<Record<string, unknown>>): string[] {
  return Object.keys(exports)
    .filter((key) => {
      const value = exports[key];
      return typeof value === 'function' && (value === Error || value.prototype instanceof Error);
    })
    .sort();
}

/** Everything wrong with a code map: non-string or non-UPPER_SNAKE values and values used by two keys. */
export function codeMapProblems(codes: Readonly<Record<string, unknown>>): string[] {
  const problems: string[] = [];
  const seen = new Map<unknown, string>();
  for (const [key, value] of Object.entries(codes)) {
    if (typeof value !== 'string' || !UPPER_SNAKE.test(value))
      problems.push(`code map key ${key} has ${JSON.stringify(value)}, not an UPPER_SNAKE string`);
    const other = seen.get(value);
    if (other !== undefined)
      problems.push(`code map keys ${other} and ${key} share ${JSON.stringify(value)}`);
    else seen.set(value, key);
  }
  return problems;
}

/** Every way the package's errors leave the family; empty when they all keep to it. */
export function errorFamilyProblems(options: ErrorFamilyOptions): string[] {
  const maps = Array.isArray(options.codes) ? options.codes : [options.codes];
  const problems = maps.flatMap((map) => codeMapProblems(map));
  const allowed = new Set<string>(maps.flatMap((map) => Object.values(map)));
  const classes = exportedErrorClasses(options.exports);
  for (const name of classes)
    if (!Object.hasOwn(options.samples, name))
      problems.push(`${name}: exported error class without a sample`);
  for (const [name, build] of Object.entries(options.samples)) {
    if (!classes.includes(name)) {
      problems.push(`${name}: a sample for something that is not an exported error class`);
      continue;
    }
    const built = build();
    const errors = Array.isArray(built) ? built : [built];
    if (errors.length === 0) problems.push(`${name}: the sample list is empty`);
    const cls = options.exports[name] as abstract new (...args: never[]) => unknown;
    for (const error of errors) {
      if (!(error instanceof cls)) problems.push(`${name}: the sample is not an instance of the class`);
      if (!WardenError.isInstance(error)) problems.push(`${name}: not a WardenError`);
      else if (!allowed.has(error.code))
        problems.push(`${name}: code ${JSON.stringify(error.code)} is not in the package's code map`);
    }
  }
  return problems;
}

/**
 * Registers the error-family tests for a package.
 * @example
 * import * as pkg from './index.js';
 * runErrorFamilyTests({
 *   name: '@mcp-warden/acl',
 *   exports: pkg,
 *   codes: pkg.ACL_ERROR_CODES,
 *   samples: { PolicyError: () => new pkg.PolicyError([{ path: [], message: 'x', hint: 'y' }]) },
 * });
 */
export function runErrorFamilyTests(options: ErrorFamilyOptions): void {
  describe(`${options.name} error family`, () => {
    it('exports at least one code map with codes', () => {
      const maps = Array.isArray(options.codes) ? options.codes : [options.codes];
      expect(maps.length).toBeGreaterThan(0);
      for (const map of maps) expect(Object.keys(map).length).toBeGreaterThan(0);
    });
    it('every exported error class is a WardenError with a code from the code map, and codes are unique', () => {
      expect(errorFamilyProblems(options)).toEqual([]);
    });
  });
}
