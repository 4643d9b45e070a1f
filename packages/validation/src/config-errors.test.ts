import { configErrorMessage } from '@mcp-warden/core/testing';
import { describe, expect, it } from 'vitest';
import { validation } from './plugin.js';

// The one format of every plugin's configuration errors (core's parseOptions), thrown by the factory itself.
describe('validation options errors', () => {
  it('lists every bad option in one ConfigError when validation() is called, each with its fix', () => {
    const message = configErrorMessage(() => {
      validation({
        limits: { maxStringLenght: 10 },
        tools: { read_file: { paths: { path: {} }, transfrom: true } },
        unknownTargets: 'refuse',
        maxIssues: 0,
      } as never);
    });
    expect(message).toBe(
      [
        'validation: invalid options (5 problems):',
        '  ✖ limits: unknown option "maxStringLenght" (fix: did you mean "maxStringLength"?)',
        '  ✖ tools.read_file.paths.path.root: Invalid input: expected string, received undefined (fix: this option is required: give a string)',
        '  ✖ tools.read_file: unknown option "transfrom" (fix: did you mean "transform"?)',
        '  ✖ unknownTargets: Invalid option: expected one of "allow"|"deny" (fix: use one of "allow", "deny")',
        '  ✖ maxIssues: Too small: expected number to be >0 (fix: use a value > 0)',
      ].join('\n'),
    );
  });
});
