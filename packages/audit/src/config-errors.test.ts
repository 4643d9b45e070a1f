import { configErrorMessage } from '@mcp-warden/core/testing';
import { describe, expect, it } from 'vitest';
import { SqliteAuditStore } from './sinks/sqlite.js';
import { auditTrail } from './trail.js';

// The one format of every plugin's configuration errors (core's parseOptions), thrown by the factory itself.
describe('audit options errors', () => {
  it('lists every bad option in one ConfigError when auditTrail() is called, each with its fix', () => {
    const message = configErrorMessage(() =>
      auditTrail({
        sinks: [new SqliteAuditStore({ path: ':memory:' }), {} as never],
        digestKey: 'short-SECRET',
        captureArgument: true,
        redact: { 'no-such-rule': 'enforce' },
      } as never),
    );
    expect(message).toBe(
      [
        'audit: invalid options (4 problems):',
        '  ✖ sinks[1]: not an audit sink (fix: give an object with a write(record) method, e.g. a SqliteAuditStore or jsonLinesSink())',
        '  ✖ redact: unknown rule "no-such-rule": use a rule id (see RULES, e.g. "aws-access-key-id") or a category (invisible, terminal, secrets, pii, injection, markup, all) (fix: see the rule catalogue in the @mcp-warden/sanitize README)',
        '  ✖ digestKey: Too small: expected string to have >=16 characters (fix: give a string of >= 16 characters)',
        '  ✖ (options): unknown option "captureArgument" (fix: did you mean "captureArguments"?)',
      ].join('\n'),
    );
    expect(message).not.toContain('SECRET');
  });

  it('refuses an empty sink list with the same format', () => {
    expect(configErrorMessage(() => auditTrail({ sinks: [] }))).toBe(
      'audit: invalid options (1 problem):\n  ✖ sinks: give at least one sink (fix: give >= 1 item)',
    );
  });

  it('checks SqliteAuditStore options the same way when the store is constructed', () => {
    expect(
      configErrorMessage(() => new SqliteAuditStore({ path: ':memory:', maxRows: -1, maxAgeMS: 5 } as never)),
    ).toBe(
      [
        'SqliteAuditStore: invalid options (2 problems):',
        '  ✖ maxRows: Too small: expected number to be >=0 (fix: use a value >= 0)',
        '  ✖ (options): unknown option "maxAgeMS" (fix: did you mean "maxAgeMs"?)',
      ].join('\n'),
    );
  });
});
