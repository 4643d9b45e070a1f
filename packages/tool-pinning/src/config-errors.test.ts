import { CORE_ERROR_CODES, ConfigError } from '@mcp-warden/core';
import { describe, expect, it } from 'vitest';
import { toolPinning } from './plugin.js';

// The one format of every plugin's configuration errors (core's parseOptions), thrown by the factory itself.
describe('tool-pinning options errors', () => {
  it('lists every bad option in one ConfigError when toolPinning() is called, each with its fix', () => {
    let error: unknown;
    try {
      toolPinning({ storeFile: './pins.db', trustOnFirstUse: 'yes', upstrem: 'docs' } as never);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe(CORE_ERROR_CODES.CONFIG_INVALID);
    const lines = (error as Error).message.split('\n');
    expect(lines[0]).toBe('tool-pinning: invalid options (2 problems):');
    expect(lines).toHaveLength(3);
    expect(lines).toContain('  ✖ (options): unknown option "upstrem" (fix: did you mean "upstream"?)');
    expect(lines.filter((l) => /^ {2}✖ trustOnFirstUse: .*boolean/.test(l))).toHaveLength(1);
  });
});
