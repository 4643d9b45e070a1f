import { configErrorMessage } from '@mcp-warden/core/testing';
import { describe, expect, it } from 'vitest';
import { oauth } from './plugin.js';
import { createTokenVerifier } from './token-verifier.js';

const base = {
  resource: 'https://mcp.example.com/mcp',
  issuer: 'https://as.example.com',
  jwksUri: 'https://as.example.com/jwks',
};

// The one format of every plugin's configuration errors (core's parseOptions), thrown by the factory itself.
describe('oauth options errors', () => {
  it('lists every bad option in one ConfigError when oauth() is called, each with its fix', () => {
    const message = configErrorMessage(() =>
      oauth({
        ...base,
        scopesSuported: ['a'],
        tools: { x: ['Bad Scope'] },
        clockToleranceSeconds: -1,
        mode: 'audti',
      } as never),
    );
    expect(message).toBe(
      [
        'oauth: invalid options (4 problems):',
        '  ✖ clockToleranceSeconds: Too small: expected number to be >=0 (fix: use a value >= 0)',
        '  ✖ tools.x[0]: a scope must be printable ASCII without spaces, quotes or backslashes (RFC 6749 §3.3) (fix: see the Options table of the plugin README)',
        '  ✖ mode: Invalid option: expected one of "enforce"|"audit" (fix: did you mean "audit"? use one of "enforce", "audit")',
        '  ✖ (options): unknown option "scopesSuported" (fix: did you mean "scopesSupported"?)',
      ].join('\n'),
    );
  });

  it('createTokenVerifier reports in the same format, naming no secret', () => {
    const message = configErrorMessage(() =>
      createTokenVerifier({
        ...base,
        algorithms: ['none'],
        introspection: {
          endpoint: 'https://as.example.com/introspect',
          clientId: 'c',
          clientSecret: 'SECRET-x',
        },
      } as never),
    );
    expect(message).toMatch(
      /^oauth token verifier: invalid options \(\d problems?\):\n {2}✖ algorithms: algorithm "none" is not allowed; .* \(fix: /,
    );
    expect(message).not.toContain('SECRET');
  });
});
