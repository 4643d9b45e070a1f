import { configErrorMessage } from '@mcp-warden/core/testing';
import { describe, expect, it } from 'vitest';
import { sanitize } from './plugin.js';

// The one format of every plugin's configuration errors (core's parseOptions), thrown by the factory itself.
describe('sanitize options errors', () => {
  it('lists every bad option in one ConfigError when sanitize() is called, each with its fix', () => {
    const message = configErrorMessage(() => {
      sanitize({ maxDepht: 3, lists: 'yes', mode: 'audti', tools: { x: { keepOverwrite: true } } } as never);
    });
    expect(message).toBe(
      [
        'sanitize: invalid options (4 problems):',
        '  ✖ mode: Invalid option: expected one of "enforce"|"audit" (fix: did you mean "audit"? use one of "enforce", "audit")',
        '  ✖ tools.x: unknown option "keepOverwrite" (fix: did you mean "keepOverwrites"?)',
        '  ✖ lists: Invalid input: expected boolean, received string (fix: give a boolean)',
        '  ✖ (options): unknown option "maxDepht" (fix: did you mean "maxDepth"?)',
      ].join('\n'),
    );
  });
});
