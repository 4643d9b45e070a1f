import { configErrorMessage } from '@mcp-warden/core/testing';
import { describe, expect, it } from 'vitest';
import { acl } from './plugin.js';

// The one format of every plugin's configuration errors (core's parseOptions), thrown by the factory itself.
describe('acl options errors', () => {
  it('lists every bad option in one ConfigError when acl() is called, each with its fix', () => {
    const message = configErrorMessage(() => {
      acl({ policyFile: './policy.yaml', wacth: false, debounceMs: -1, mode: 'enfrce' } as never);
    });
    expect(message).toBe(
      [
        'acl: invalid options (3 problems):',
        '  ✖ debounceMs: Too small: expected number to be >=0 (fix: use a value >= 0)',
        '  ✖ mode: Invalid option: expected one of "enforce"|"audit" (fix: did you mean "enforce"? use one of "enforce", "audit")',
        '  ✖ (options): unknown option "wacth" (fix: did you mean "watch"?)',
      ].join('\n'),
    );
  });

  it('says how to give the policy when neither or both are given', () => {
    expect(() => acl({})).toThrow(
      `acl: invalid options (1 problem):\n  ✖ (options): give exactly one of "policyFile" (a YAML/JSON file) and "policy" (a document in code) (fix: pass { policyFile: './policy.yaml' } or { policy: { version: 1, rules: [...] } })`,
    );
  });
});
