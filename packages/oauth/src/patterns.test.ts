/**
 * Every pattern-taking option of oauth (`methods`, `tools`, `prompts`, `resources`) parses through core's one
 * pattern language: a bad pattern stops the plugin's setup with core's PatternSyntaxError naming the option, and
 * a spelling whose meaning changed with the move from the old wildcard is refused with the one that keeps it.
 */
import { CORE_ERROR_CODES, PatternSyntaxError } from '@mcp-warden/core';
import { pluginSetupContext } from '@mcp-warden/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { type OAuthOptions, oauth } from './plugin.js';
import { createTestKey, type TestKey } from './testing/keys.js';

let key: TestKey;
beforeAll(async () => {
  key = await createTestKey('ES256');
});

const setupContext = pluginSetupContext();

/** The error of `oauth()` itself (options are checked there) or, failing that, of its setup. */
function setupError(extra: Partial<OAuthOptions>): unknown {
  try {
    const plugin = oauth({
      resource: 'https://mcp.example.com/mcp',
      issuer: 'https://as.example.com',
      keys: [key.publicJwk],
      ...extra,
    });
    plugin.setup(setupContext);
    return undefined;
  } catch (error) {
    return error;
  }
}

const OPTIONS = ['methods', 'tools', 'prompts', 'resources'] as const;
const INVALID = ['{a,b', 'a}', 'x/{a,{b}', `${'{a,b}'.repeat(9)}`];

describe('oauth patterns', () => {
  for (const option of OPTIONS) {
    it.each(INVALID)(`${option}: refuses %s with core's PatternSyntaxError naming the option`, (pattern) => {
      const error = setupError({ [option]: { [pattern]: ['s'] } });
      expect(error).toBeInstanceOf(PatternSyntaxError);
      expect((error as PatternSyntaxError).code).toBe(CORE_ERROR_CODES.PATTERN_INVALID);
      expect((error as PatternSyntaxError).path).toBe(`${option}[${JSON.stringify(pattern)}]`);
      expect((error as Error).message).toMatch(new RegExp(`^oauth: ${option}\\[`));
    });
  }

  it.each([
    ['methods', '*', '**'],
    ['methods', 'resources/*', 'resources/**'],
    ['methods', 'notifications/*', 'notifications/**'],
    ['resources', 'file:///private/*', 'file:///private/**'],
    ['resources', 'file:///*.md', 'file:///**/*.md'],
    ['tools', 'note_?', '*'],
    ['resources', 'file:///a?b', '{?}'],
  ] as const)('%s: refuses the old spelling %s and names %s', (option, pattern, fix) => {
    const error = setupError({ [option]: { [pattern]: ['s'] } });
    expect(error).toBeInstanceOf(PatternSyntaxError);
    expect((error as PatternSyntaxError).hint).toContain(`"${fix}"`);
  });

  it.each([
    ['methods', 'tools/*'],
    ['methods', '**'],
    ['tools', 'notes_*'],
    ['prompts', '*'],
    ['resources', 'file:///private/**'],
    ['resources', 'file:///private/{*}'],
    ['resources', 'file:///a{?}b'],
  ] as const)('%s: accepts %s', (option, pattern) => {
    expect(setupError({ [option]: { [pattern]: ['s'] } })).toBeUndefined();
  });
});
