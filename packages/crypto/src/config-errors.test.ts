import { configErrorMessage } from '@mcp-warden/core/testing';
import { describe, expect, it } from 'vitest';
import { cryptoPlugin } from './plugin.js';

// The one format of every plugin's configuration errors (core's parseOptions), thrown by the factory itself.
describe('crypto options errors', () => {
  it('lists every bad option in one ConfigError when cryptoPlugin() is called, each with its fix', () => {
    const message = configErrorMessage(() => {
      cryptoPlugin({
        dataDir: './data',
        passphrase: 'hunter2-SECRET',
        passphraseEnv: 'not a name',
        sealToolResults: { issue_token: ['token'] },
        timestamp: false,
      } as never);
    });
    expect(message).toBe(
      [
        'crypto: invalid options (3 problems):',
        '  ✖ passphraseEnv: must be an environment variable name (fix: match /^[A-Za-z_][A-Za-z0-9_]*$/)',
        '  ✖ sealToolResults.issue_token[0]: must be a JSON pointer such as "/token" (fix: match /^(\\/[^/]*)+$/)',
        '  ✖ (options): unknown option "timestamp" (fix: did you mean "timestamps"?)',
      ].join('\n'),
    );
    expect(message).not.toContain('hunter2');
  });

  it('says where the keys must come from when no source is given', () => {
    expect(() => cryptoPlugin({})).toThrow(
      'crypto: invalid options (1 problem):\n  ✖ (options): no key source is set (fix: set dataDir (keys are created on first start), keyFile, keyRing or keyProvider)',
    );
  });
});
