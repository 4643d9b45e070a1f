import { configErrorMessage } from '@mcp-warden/core/testing';
import { describe, expect, it } from 'vitest';
import { apiKeyAuth } from './plugin.js';

// The one format of every plugin's configuration errors (core's parseOptions), thrown by the factory itself.
describe('apikey-auth options errors', () => {
  it('lists every bad option in one ConfigError when apiKeyAuth() is called, each with its fix', () => {
    const message = configErrorMessage(() => {
      apiKeyAuth({
        peppers: [{ id: 'p1', secret: 'short-SECRET-pepper' }],
        prefix: 'Not_Valid',
        heder: 'x-key',
        maxCredentialLength: 0,
      } as never);
    });
    expect(message).toBe(
      [
        'apikey-auth: invalid options (4 problems):',
        '  ✖ peppers[0].secret: must be at least 32 bytes (fix: generate one with `openssl rand -base64 32` and pass it from an environment variable)',
        '  ✖ prefix: must be 2-16 lower-case letters or digits, starting with a letter (fix: match /^[a-z][a-z0-9]{1,15}$/)',
        '  ✖ maxCredentialLength: Too small: expected number to be >=64 (fix: use a value >= 64)',
        '  ✖ (options): unknown option "heder" (fix: did you mean "header"?)',
      ].join('\n'),
    );
    expect(message).not.toContain('SECRET');
  });
});
