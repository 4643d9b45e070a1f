import { expect } from 'vitest';
import { CORE_ERROR_CODES, ConfigError } from '../errors.js';

/** What `fn` throws; fails the test when it returns instead. */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw, but the function returned');
}

/**
 * The message of the options `ConfigError` (`CONFIG_INVALID`) that `fn` throws: what a package's
 * config-errors test compares with the one format of core's `parseOptions`.
 */
export function configErrorMessage(fn: () => unknown): string {
  const error = thrownBy(fn);
  expect(error).toBeInstanceOf(ConfigError);
  expect((error as ConfigError).code).toBe(CORE_ERROR_CODES.CONFIG_INVALID);
  return (error as Error).message;
}
