import { configErrorMessage } from '@mcp-warden/core/testing';
import { describe, expect, it } from 'vitest';
import { rateLimit } from './plugin.js';

// The one format of every plugin's configuration errors (core's parseOptions), thrown by the factory itself.
describe('ratelimit options errors', () => {
  it('lists every bad option in one ConfigError when rateLimit() is called, each with its fix', () => {
    const message = configErrorMessage(() => {
      rateLimit({
        store: { type: 'redis', urll: 'redis://:SECRET-PASSWORD@cache:6379' },
        rules: [{ name: 'per-user', points: 0, duration: 60 }],
        bruteforce: false,
      } as never);
    });
    expect(message).toBe(
      [
        'ratelimit: invalid options (4 problems):',
        '  ✖ store: unknown option "urll" (fix: did you mean "url"?)',
        '  ✖ store.url: exactly one of url and client must be set (fix: give url (e.g. from REDIS_URL) or an ioredis client, not both)',
        '  ✖ rules[0].points: Too small: expected number to be >=1 (fix: use a value >= 1)',
        '  ✖ (options): unknown option "bruteforce" (fix: did you mean "bruteForce"?)',
      ].join('\n'),
    );
    expect(message).not.toContain('SECRET-PASSWORD');
  });
});
